"""Every ``exports`` and ``agreement`` command on generated broken files (Hypothesis): truncated lines, wrong types,
wrong encodings, huge values, duplicate keys, stray bytes. A command exits 0, 1 or 2 -- never with a traceback --,
names the file (and the line or the document) of what was wrong, and a command that exits 2 leaves no output file
behind; one that exits 1 wrote the valid rest."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from agreement.cli import main as agreement_main
from exports.cli import main as exports_main
from tests.conftest import SHARED

RELEASE = SHARED / "data" / "tiktalkcoref" / "all_textual_and_visual_annotations.jsonl"
DEV = SHARED / "data" / "cmner" / "dev.txt"
LINES = RELEASE.read_text(encoding="utf-8").splitlines()[:6]
POSTS = DEV.read_text(encoding="utf-8").split("\n\n")[:6]


def _mutate_json_line(line: str, draw) -> bytes:
    """One release line broken one way."""
    record = json.loads(line)
    how = draw(st.sampled_from(["truncate", "type", "huge", "duplicate", "bytes", "drop", "nesting", "empty", "not-object"]))
    if how == "truncate":
        return line.encode()[: draw(st.integers(1, max(1, len(line.encode()) - 1)))]
    if how == "type":
        key = draw(st.sampled_from(sorted(record)))
        record[key] = draw(st.sampled_from([None, 7, "x", [], {}, [[1, "a"]], True, -1.5]))
    elif how == "huge":
        key = draw(st.sampled_from(["clusters", "visual_annotations", "sentences"]))
        record[key] = [[[10**30, 10**30]]] if key == "clusters" else [{"cur_frame": 10**30, "bbox": [0, 0, 10**30, 1e308], "box_labels": "C1"}] \
            if key == "visual_annotations" else [["x"] * 3, [10**30]]
    elif how == "duplicate":
        key = draw(st.sampled_from(sorted(record)))
        text = json.dumps(record, ensure_ascii=False)
        return (text[:-1] + f', "{key}": 12345}}').encode()
    elif how == "bytes":
        raw = line.encode()
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\x00", b"\xed\xa0\x80"])) + raw[at:]
    elif how == "drop":
        record.pop(draw(st.sampled_from(sorted(record))))
    elif how == "nesting":
        return ("[" * 5000 + "]" * 5000).encode()
    elif how == "empty":
        return b"{}"
    else:
        return json.dumps(draw(st.sampled_from([[], "a", 3, None]))).encode()
    return json.dumps(record, ensure_ascii=False).encode()


@st.composite
def broken_release(draw) -> bytes:
    lines = [l.encode() for l in LINES]
    k = draw(st.integers(0, len(lines) - 1))
    lines[k] = _mutate_json_line(LINES[k], draw)
    return b"\n".join(lines) + b"\n"


@st.composite
def broken_bio(draw) -> bytes:
    posts = [p.encode() for p in POSTS]
    k = draw(st.integers(0, len(posts) - 1))
    lines = posts[k].split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["tag", "columns", "bytes", "truncate", "header", "huge"]))
    if how == "tag":
        lines[i] = lines[i].split(b"\t")[0] + b"\t" + draw(st.sampled_from([b"I-PER", b"B-XYZ", b"", b"B-", b"O O"]))
    elif how == "columns":
        lines[i] = lines[i] + b"\tEXTRA\tMORE"
    elif how == "bytes":
        lines[i] = lines[i] + draw(st.sampled_from([b"\xff", b"\x00", b"\xc3\x28"]))
    elif how == "truncate":
        lines = lines[: i + 1]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) // 2)]
    elif how == "header":
        lines[0] = draw(st.sampled_from([b"WID:", b"", b"IMGID:x\tO", b"WID:a WID:b"]))
    else:
        lines[i] = b"x" * 100_000 + b"\tO"
    posts[k] = b"\n".join(lines)
    return b"\n\n".join(posts) + b"\n"


def _check(rc: int, out: Path, messages: str, source: Path, also: Path | None = None) -> None:
    """``also``: another input the problems may be about (the video directory of ``faces``)."""
    assert rc in (0, 1, 2), rc
    if rc == 2:
        assert not out.exists() or out.stat().st_size == 0 or out.is_dir(), f"exit 2 left {out} behind"
    if rc:
        assert (also is not None and str(also) in messages) or str(source) in messages or source.name in messages or re.search(rf"\b{re.escape(source.stem)}\b", messages), messages[-2000:]  # report names an annotator by its file stem


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _run(tmp_path_factory, caplog, capsys, data: bytes, name: str, command) -> None:
    """Write ``data`` as ``name`` in a fresh folder, run ``command(src, folder) -> (exit status, output path,
    another input the problems may be about or None)`` with the log and the terminal captured, and check it."""
    tmp = tmp_path_factory.mktemp("x")
    src = tmp / name
    src.write_bytes(data)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        rc, out, also = command(src, tmp)
    printed = capsys.readouterr()
    _check(rc, out, caplog.text + printed.out + printed.err, src, also=also)


@FUZZ
@given(data=broken_release(), command=st.sampled_from(["validate", "conll", "to-labelstudio", "split", "faces", "adjudicate"]))
def test_exports_commands_on_broken_release_files(tmp_path_factory, caplog, capsys, data, command):
    def run(src, tmp):
        out = tmp / "out"
        if command == "adjudicate":  # without Label Studio: the campaign record only
            good = tmp / "good.jsonl"
            good.write_text("\n".join(LINES) + "\n", encoding="utf-8")
            rc = agreement_main(["adjudicate", str(good), str(src), "--state", str(out)])
            return rc, out / "gold.jsonl", tmp  # adjudicate writes its record into the state directory, no output file
        args = {"validate": ["validate", str(src)], "conll": ["conll", str(src), "--out", str(out)],
                "to-labelstudio": ["to-labelstudio", str(src), "--out", str(out)],
                "split": ["split", "--annotations", str(src), "--split", str(SHARED / "data" / "tiktalkcoref" / "split.jsonl"),
                          "--titles", str(SHARED / "data" / "tiktalkcoref" / "video_titles.jsonl"), "--out", str(out)],
                "faces": ["faces", str(src), "--video-root", str(tmp), "--out", str(out)]}[command]
        return exports_main(args), out, tmp if command == "faces" else None

    _run(tmp_path_factory, caplog, capsys, data, "broken.jsonl", run)


@FUZZ
@given(data=broken_bio(), command=st.sampled_from(["validate", "to-labelstudio", "posts", "report", "compare", "from-bio"]))
def test_exports_commands_on_broken_bio_files(tmp_path_factory, caplog, capsys, data, command):
    def run(src, tmp):
        out = tmp / "out.json"
        good = tmp / "good.txt"
        good.write_text("\n\n".join(POSTS) + "\n", encoding="utf-8")
        if command == "report":
            rc = agreement_main(["report", "--task", "ner", str(good), str(src), "--json", str(out)])
        elif command == "compare":
            rc = agreement_main(["compare", "--task", "ner", str(good), str(good), str(src), "--shuffles", "20", "--json", str(out)])
        elif command == "from-bio":  # a posts JSONL written from it, read back
            rc = exports_main(["posts", str(src), "--out", str(tmp / "p.jsonl")])
            if (tmp / "p.jsonl").exists():
                rc = max(rc, exports_main(["posts", str(tmp / "p.jsonl"), "--out", str(out)]))
        else:
            args = {"validate": ["validate", str(src), "--task", "ner"], "to-labelstudio": ["to-labelstudio", str(src), "--task", "ner", "--out", str(out)],
                    "posts": ["posts", str(src), "--out", str(tmp / "out.jsonl")]}[command]
            rc = exports_main(args)
        return rc, tmp / "out.jsonl" if command == "posts" else out, None

    _run(tmp_path_factory, caplog, capsys, data, "broken.txt", run)


@FUZZ
@given(data=st.one_of(broken_release(), st.binary(max_size=300)), command=st.sampled_from(["from-labelstudio", "report", "compare"]))
def test_label_studio_exports_and_agreement_on_broken_files(tmp_path_factory, caplog, capsys, data, command):
    def run(src, tmp):
        good = tmp / "good.jsonl"
        good.write_text("\n".join(LINES) + "\n", encoding="utf-8")
        out = tmp / "out.jsonl"
        if command == "from-labelstudio":
            rc = exports_main(["from-labelstudio", str(src), "--out", str(out)])
        elif command == "report":
            rc = agreement_main(["report", str(good), str(src), "--json", str(out)])
        else:
            rc = agreement_main(["compare", str(good), str(good), str(src), "--shuffles", "20", "--json", str(out)])
        return rc, out, None

    _run(tmp_path_factory, caplog, capsys, data, "broken.json", run)
