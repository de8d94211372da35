"""Benchmark of `agreement report` (issue #5): the whole command, as a user runs it.

Annotator A is the shared release file, annotator B a seeded perturbation of it (dropped /
added mentions, split / merged clusters, moved boxes, other key frames and names); both
are repeated under new doc_keys to 1,012 and to 100,000 dialogues. Each run is the command
`agreement report A.jsonl B.jsonl --json OUT` in a fresh process (imports included), all
metrics (MUC, B3, CEAF-e, CEAF-m, LEA, BLANC, mentions) plus visual agreement.
Targets on 2 cores: <= 1 s and <= 30 s.

    python bench/agreement_bench.py [--data ../shared/data/tiktalkcoref/all_textual_and_visual_annotations.jsonl]
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from exports import release  # noqa: E402
from tests.support.perturb import perturb  # noqa: E402


def write_pair(lines: list[str], n: int, directory: Path) -> tuple[Path, Path]:
    rng = random.Random(7)
    perturbed = [release.to_line(perturb(release.loads(l), rng)) for l in lines]
    a, b = directory / f"a{n}.jsonl", directory / f"b{n}.jsonl"
    with open(a, "w", encoding="utf-8") as fa, open(b, "w", encoding="utf-8") as fb:
        for i in range(n):
            k = i % len(lines)
            suffix = f"{i // len(lines):03d}"
            ra, rb = json.loads(lines[k]), json.loads(perturbed[k])
            ra["doc_key"] = rb["doc_key"] = ra["doc_key"] + suffix
            fa.write(json.dumps(ra, ensure_ascii=False) + "\n")
            fb.write(json.dumps(rb, ensure_ascii=False) + "\n")
    return a, b


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "tiktalkcoref" / "all_textual_and_visual_annotations.jsonl")
    args = p.parse_args()
    lines = args.data.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        for n, target in ((1_012, 1.0), (100_000, 30.0)):
            a, b = write_pair(lines, n, Path(tmp))
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "agreement.cli", "report", str(a), str(b), "--json", str(Path(tmp) / "r.json")],
                                  capture_output=True, text=True, cwd=REPO)
            seconds = time.perf_counter() - t
            result = json.loads((Path(tmp) / "r.json").read_text(encoding="utf-8"))
            pair = result["pairs"][0]
            print(f"{n:>7,} dialogues x 2 annotators: {seconds:6.2f} s (exit {proc.returncode}; CoNLL F1 {100 * pair['metrics']['conll']['f1']:.2f}, "
                  f"{pair['documents']:,} scored) -> / {target:g} s target = {seconds / target:.2f}")


if __name__ == "__main__":
    main()
