"""Reading and writing the pipeline's JSON model files (text model, alignment scorer) in one place:
a directory stands for its default file name, writes are atomic, and a missing, broken or foreign
file is a ValueError that says what it is and how to make one."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exports.io import atomic_writer


def model_file(path: str | Path, default_name: str, *, for_writing: bool = False) -> Path:
    path = Path(path)
    if (for_writing and path.suffix != ".json") or (not for_writing and path.is_dir()):
        return path / default_name
    return path


def write_model(path: str | Path, default_name: str, data: dict[str, Any], *, indent: int | None = None) -> Path:
    path = model_file(path, default_name, for_writing=True)
    with atomic_writer(path) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")))
    return path


def read_model(path: str | Path, default_name: str, fmt: str, what: str, command: str) -> dict[str, Any]:
    """The JSON object of a model file of format ``fmt``.

    Raises:
        ValueError: ``<path>: no <what> there (train one with `<command>`)``, ``<path>: not <what>: ...``,
            or ``<path>: not <what> of format '<fmt>'``.
    """
    path = model_file(path, default_name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no {what} there (train one with `{command}`)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not {_a(what)}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ValueError(f"{path}: not {_a(what)} of format {fmt!r}")
    return data


def _a(what: str) -> str:
    return ("an " if what[0] in "aeiou" else "a ") + what
