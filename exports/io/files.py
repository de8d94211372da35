"""Reading and writing the files the formats live in: line-numbered errors, atomic writes."""
from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from exports import release
from exports.dialogue import Dialogue

log = logging.getLogger(__name__)


class InputError(Exception):
    """A file that cannot be read at all (missing, not UTF-8, not JSON); exit code 2."""


@dataclass
class ReadReport:
    """What happened while reading a file: the problems, one line each."""

    path: str
    problems: list[str] = field(default_factory=list)

    def add(self, lineno: int | None, message: str) -> None:
        where = f"{self.path}:{lineno}" if lineno is not None else self.path
        text = f"{where}: {message}"
        self.problems.append(text)
        log.error(text)


def read_text_lines(path: str | Path) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def read_release(path: str | Path, report: ReadReport | None = None, *, salvage_boxes: bool = False) -> Iterator[tuple[int, Dialogue]]:
    """Dialogues of a release JSONL file with their 1-based line numbers.

    Lines that are not valid JSON or not a valid dialogue are reported (file, line,
    doc_key, field) into ``report`` and skipped; the rest is read. With ``salvage_boxes``, a box
    that breaks the dialogue (its label names no cluster, a second box for a person, a malformed
    box) is reported and left out, and the rest of the dialogue is read (agreement scores its text).
    """
    report = report if report is not None else ReadReport(str(path))
    for lineno, record in read_jsonl_records(path, report, json_prefix="?: json: "):
        while True:
            try:
                yield lineno, release.from_record(record)
                break
            except release.ReleaseFormatError as exc:
                bad = _box_index(exc.field) if salvage_boxes and isinstance(record, dict) else None
                if bad is None or not isinstance(record.get("visual_annotations"), list) or bad >= len(record["visual_annotations"]):
                    report.add(lineno, str(exc))
                    break
                report.add(lineno, f"{exc}; the box is left out, the rest of the dialogue is read")
                record = {**record, "visual_annotations": [b for i, b in enumerate(record["visual_annotations"]) if i != bad]}


def _box_index(field: str) -> int | None:
    """``3`` for ``visual_annotations[3].box_labels`` (a problem of one box), else None."""
    prefix = "visual_annotations["
    if field.startswith(prefix) and "]" in field:
        number = field[len(prefix) : field.index("]")]
        return int(number) if number.isdigit() else None
    return None


def read_task_list(path: str | Path) -> list[Any]:
    """A Label Studio JSON export (or import file): a list of tasks (a single task object counts as one).

    Raises:
        InputError: not JSON, or neither a list nor an object.
    """
    tasks = read_json(path)
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise InputError(f"{path}: expected a JSON list of tasks, got {type(tasks).__name__}")
    return tasks


def read_json(path: str | Path) -> Any:
    text = "\n".join(read_text_lines(path))
    try:
        return release.parse_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg} at column {exc.colno}") from None


def read_jsonl_records(path: str | Path, report: ReadReport, json_prefix: str = "") -> Iterator[tuple[int, Any]]:
    """Parsed records of a JSON-lines file with 1-based line numbers; malformed lines are reported and skipped."""
    for lineno, line in enumerate(read_text_lines(path), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, release.parse_json(line)
        except json.JSONDecodeError as exc:
            report.add(lineno, f"{json_prefix}malformed JSON: {exc.msg} at column {exc.colno}")


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[TextIO]:
    """Write a file through a temporary sibling, renamed into place only on success,
    so an interrupted or failed run never leaves a half-written output behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_lines(path: str | Path, lines: Iterable[str]) -> int:
    n = 0
    with atomic_writer(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")
            n += 1
    return n


def read_titles(path: str | Path | None, report: ReadReport | None = None) -> dict[str, str]:
    """``doc_key -> title`` from a ``video_titles.jsonl`` (``video_id``, ``title``); bad lines are reported."""
    if not path:
        return {}
    report = report if report is not None else ReadReport(str(path))
    out = {}
    for lineno, rec in read_jsonl_records(path, report):
        if isinstance(rec, dict) and "video_id" in rec and isinstance(rec.get("title"), str):
            out[str(rec["video_id"])] = rec["title"]
        else:
            report.add(lineno, "expected video_id and title")
    return out


def read_splits(path: str | Path, report: ReadReport | None = None) -> dict[str, tuple[str, str]]:
    """``doc_key -> (video_type, split)`` from a ``split.jsonl``; bad lines are reported."""
    report = report if report is not None else ReadReport(str(path))
    out = {}
    for lineno, rec in read_jsonl_records(path, report):
        if isinstance(rec, dict) and all(k in rec for k in ("video_id", "video_type", "split")):
            out[str(rec["video_id"])] = (rec["video_type"], rec["split"])
        else:
            report.add(lineno, "expected video_id, video_type and split")
    return out
