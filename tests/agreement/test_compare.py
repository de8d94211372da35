"""``agreement compare KEY A B`` on cases whose p-values are known exactly."""
from __future__ import annotations

import json

import pytest

from agreement.kinds import agreement_kind
from agreement.cli import main as agreement_main
from agreement.significance import exact_randomization
from exports import release
from exports.bio import format_bio, read_bio
from exports.dialogue import make_dialogue
from exports.posts import Post
from tests.conftest import SHARED


def _dialogues(n: int, mentions: bool = True):
    return [make_dialogue(str(i), [("A", f"可乐{i}号今天好看"), ("B", "他也好看")],
                          [([(0, 1), (8 + len(str(i)) - 1, 8 + len(str(i)) - 1)], "C1")] if mentions else [])
            for i in range(n)]


def _write(path, dialogues):
    path.write_text("".join(release.to_line(d) + "\n" for d in dialogues), encoding="utf-8")
    return str(path)


def test_a_system_right_on_every_document_against_one_right_on_none(tmp_path, capsys):
    # 10 documents, B right on each, A proposing nothing: only the identity and the full swap reach the
    # observed difference, so the exact two-sided p-value is 2 / 2**10 for every figure
    key = _dialogues(10)
    paths = [_write(tmp_path / f"{n}.jsonl", d) for n, d in (("key", key), ("nothing", _dialogues(10, False)), ("gold", key))]
    out = tmp_path / "c.json"
    assert agreement_main(["compare", *paths, "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["documents"] == 10 and result["problems"] == []
    for name, f in result["figures"].items():
        assert (f["a"], f["b"]) == (0.0, 1.0), name
        assert 0.0005 < f["p_value"] < 0.0045, name  # 2/1024 = 0.00195, estimated from 10,000 shuffles
    printed = capsys.readouterr().out
    assert "CoNLL F1" in printed and "text gestures saved" in printed and "+100.00" in printed
    # the components the test shuffles give the same exact p-value
    coref = agreement_kind("coref")
    ca = coref.components(key, [None] * 10)
    cb = coref.components(key, key)
    stat = coref.statistics()["conll"]
    assert exact_randomization(ca, cb, stat) == pytest.approx(2 / 1024)


def test_identical_systems_have_p_one_and_missing_documents_are_reported(tmp_path, caplog):
    key = _dialogues(6)
    k = _write(tmp_path / "key.jsonl", key)
    a = _write(tmp_path / "a.jsonl", key)
    b = _write(tmp_path / "b.jsonl", key[:5])  # the last dialogue is missing: an empty response
    out = tmp_path / "c.json"
    assert agreement_main(["compare", k, a, a, "--shuffles", "300", "--json", str(out)]) == 0
    assert all(f["p_value"] == 1.0 and f["difference"] == 0 for f in json.loads(out.read_text())["figures"].values())
    assert agreement_main(["compare", k, a, b, "--shuffles", "300", "--json", str(out)]) == 1
    result = json.loads(out.read_text())
    assert f"{b}: 5: missing; counted as an empty response" in result["problems"]
    assert "missing; counted as an empty response" in caplog.text
    assert result["figures"]["effort"]["b"] == pytest.approx(1 - 4 / 24)


def test_posts_compare_entity_f1_and_gestures(tmp_path):
    posts, layout = read_bio(SHARED / "data" / "cmner" / "dev.txt")
    gold = posts[:12]
    key, none, half = tmp_path / "key.txt", tmp_path / "none.txt", tmp_path / "half.txt"
    key.write_bytes(format_bio(gold, layout).encode("utf-8"))
    none.write_bytes(format_bio([Post(p.id, p.tokens) for p in gold], layout).encode("utf-8"))
    half.write_bytes(format_bio([p if i % 2 else Post(p.id, p.tokens) for i, p in enumerate(gold)], layout).encode("utf-8"))
    out = tmp_path / "c.json"
    assert agreement_main(["compare", "--task", "ner", str(key), str(none), str(half), "--json", str(out)]) == 0
    f = json.loads(out.read_text())["figures"]
    assert f["entities"]["a"] == 0.0 and 0 < f["entities"]["b"] < 1 and f["effort"]["a"] == 0.0
    assert f["effort"]["b"] == pytest.approx(sum(len(p.entities) for p in gold[1::2]) / sum(len(p.entities) for p in gold))


@pytest.mark.parametrize("case, message", [
    ("unannotated", "no document has an annotation: the key must be gold"),
    ("missing", "absent.jsonl: no such file"),
    ("shuffles", "--shuffles: expected at least 1"),
])
def test_bad_input_exits_2_naming_it(tmp_path, caplog, case, message):
    k = _write(tmp_path / "key.jsonl", _dialogues(3, mentions=case != "unannotated"))
    argv = ["compare", k, k, str(tmp_path / "absent.jsonl") if case == "missing" else k]
    if case == "shuffles":
        argv += ["--shuffles", "0"]
    assert agreement_main(argv) == 2
    assert message in caplog.text
