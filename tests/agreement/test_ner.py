"""Post NER agreement: entity P/R/F1 per type, Cohen's and Fleiss' kappa, the `agreement report --task ner` contract."""
from __future__ import annotations

import json

import pytest

from agreement.cli import main as agreement_main
from agreement.ner import cohen, fleiss, prf
from exports.bio import format_bio, read_bio
from exports.posts import Entity, Post
from tests.conftest import SHARED


def test_entity_scores_count_exact_span_and_type():
    key = [Post("a", tuple("王一博在北京"), (Entity(0, 3, "PER"), Entity(4, 6, "LOC")))]
    resp = [Post("a", tuple("王一博在北京"), (Entity(0, 2, "PER"), Entity(4, 6, "LOC")))]
    m = prf(key, resp)
    assert m["overall"]["precision"] == m["overall"]["recall"] == 0.5 and m["LOC"]["f1"] == 1.0 and m["PER"]["f1"] == 0.0
    assert m["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 0}


def test_kappas():
    assert cohen(list("aabb"), list("aabb")) == 1.0 and cohen(list("ab"), list("ba")) == -1.0
    # the worked example of Fleiss (1971) as given on Wikipedia: 10 items, 14 raters, 5 categories -> 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0],
             [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    items = [[c for c, n in enumerate(row) for _ in range(n)] for row in table]
    assert fleiss(items) == pytest.approx(0.210, abs=0.001)


def test_report_contract_on_three_annotators(tmp_path):
    posts, layout = read_bio(SHARED / "data" / "cmner" / "dev.txt")
    posts = posts[:200]
    (tmp_path / "a.txt").write_text(format_bio(posts, layout), encoding="utf-8", newline="")
    drop_per = [Post(p.id, p.tokens, tuple(e for e in p.entities if e.type != "PER")) for p in posts]  # b misses every PER
    (tmp_path / "b.txt").write_text(format_bio(drop_per, layout), encoding="utf-8", newline="")
    (tmp_path / "c.txt").write_text(format_bio(posts[:150], layout), encoding="utf-8", newline="")  # c tagged 150 of them
    argv = ["report", "--task", "ner", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), str(tmp_path / "c.txt"),
            "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")]
    assert agreement_main(argv) == 1  # c lacks 50 posts: reported
    out = json.loads((tmp_path / "r.json").read_text())
    ab, ac, bc = out["pairs"]
    assert (ab["a"], ab["b"], ab["posts"], ac["posts"]) == ("a", "b", 200, 150)
    assert ab["metrics"]["PER"]["recall"] == 0.0 and ab["metrics"]["LOC"]["f1"] == 1.0 and ab["metrics"]["overall"]["precision"] == 1.0
    assert 0 < ab["metrics"]["overall"]["recall"] < 1 and ac["metrics"]["overall"]["f1"] == 1.0 and ac["kappa"] == 1.0
    assert set(ab["metrics"]) == {"overall", "PER", "LOC", "ORG", "MISC"} and 0 < ab["kappa"] < 1
    assert out["fleiss_posts"] == 150 and 0 < out["fleiss_kappa"] < 1
    assert out["problems"] == ["a ~ c: 50 post(s) only in a, 0 only in c; scored on the 150 in both",
                               "b ~ c: 50 post(s) only in b, 0 only in c; scored on the 150 in both"]
    worst = out["least_agreement"][0]["id"]
    assert any(e.type == "PER" for p in posts if p.id == worst for e in p.entities)
    assert worst in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_adjudication_without_label_studio_accepts_unanimous_posts_and_queues_the_rest(tmp_path, capsys):
    posts, layout = read_bio(SHARED / "data" / "cmner" / "dev.txt")
    posts = posts[:30]
    per_less = [Post(p.id, p.tokens, tuple(e for e in p.entities if e.type != "PER")) for p in posts]
    for name, version in (("a", posts), ("b", posts), ("c", per_less)):
        (tmp_path / f"{name}.txt").write_bytes(format_bio(version, layout).encode("utf-8"))
    files = [str(tmp_path / f"{n}.txt") for n in "abc"]
    state = tmp_path / "state"
    assert agreement_main(["adjudicate", "--task", "ner", *files, "--state", str(state)]) == 1  # review tasks written to a file: reported
    with_per = [p.id for p in posts if any(e.type == "PER" for e in p.entities)]
    review = json.loads((state / "review_tasks.json").read_text(encoding="utf-8"))
    assert [t["data"]["post_id"] for t in review] == with_per
    assert all("marked by a, b; not by c" in t["data"]["conflicts"] and len(t["predictions"]) == 4 for t in review)
    assert agreement_main(["adjudicate", "--task", "ner", *files, "--state", str(state)]) == 0  # a re-run: nothing new
    assert "0 post(s) gold at once, 0 sent to the expert, 30 unchanged" in capsys.readouterr().out
    assert agreement_main(["gold", "--task", "ner", "--state", str(state), "--out", str(tmp_path / "gold.txt")]) == 1  # the rest wait
    gold, _ = read_bio(tmp_path / "gold.txt")
    assert [p.id for p in gold] == [p.id for p in posts if p.id not in with_per]
    assert [p.entities for p in gold] == [p.entities for p in posts if p.id not in with_per]
