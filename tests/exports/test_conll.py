from __future__ import annotations

import io

import pytest
from hypothesis import assume, given, settings, strategies as st

from exports import conll, release
from exports.dialogue import make_dialogue
from tests.strategies import dialogues
from tests.support import reference_scorer


def _conll(ds) -> str:
    buf = io.StringIO()
    conll.write(ds, buf)
    return buf.getvalue()


def test_document_layout():
    d = make_dialogue("9", [("A", "你妈 好"), ("B", "她")], [([(0, 0)], "C1"), ([(0, 1), (4, 4)], "none")])
    lines = list(conll.document_lines(d))
    assert lines[0] == "#begin document (9); part 000"
    assert lines[1] == "9\t0\t0\t你\t-\t-\t-\t-\t-\tA\t-\t(1|(0)"
    assert lines[2] == "9\t0\t1\t妈\t-\t-\t-\t-\t-\tA\t-\t1)"
    assert lines[3] == "9\t0\t2\t_\t-\t-\t-\t-\t-\tA\t-\t-"  # a space token cannot stand in a column
    assert lines[5] == ""  # turns are sentences
    assert lines[6] == "9\t0\t0\t她\t-\t-\t-\t-\t-\tB\t-\t(1)"
    assert lines[-2:] == ["", "#end document"]


@settings(max_examples=200, deadline=None)
@given(st.lists(dialogues(multichar_tokens=True), min_size=1, max_size=4, unique_by=lambda d: d.doc_key))
def test_clusters_read_back_from_the_coref_column(ds):
    docs = conll.read_clusters(_conll(ds).splitlines())
    assert list(docs) == [d.doc_key for d in ds]
    for d in ds:
        if conll.crossing_spans(d):  # ambiguous in CoNLL brackets: warned about, not comparable
            continue
        assert [sorted(c) for c in docs[d.doc_key]] == [sorted(c.spans) for c in d.clusters]


def test_crossing_spans_are_warned_about(caplog):
    d = make_dialogue("8", [("A", "一二三四")], [([(1, 2), (2, 3)], "none")])
    _conll([d])
    assert "8: cluster 0 has crossing spans [1, 2] and [2, 3]; CoNLL brackets will read them as [1, 3] and [2, 2]" in caplog.text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("#begin document (x); part 000\nx 0 0 a (0\n#end document\n", "line 3: document x: cluster(s) [0] opened but not closed"),
        ("#begin document (x); part 000\nx 0 0 a 0)\n", "line 2: document x: cluster 0 closed but not opened"),
        ("x 0 0 a (0)\n", "line 1: token line outside a document"),
        ("#begin document (x); part 000\nx 0 0 a (zz)\n", "line 2: bad coreference field '(zz)'"),
    ],
)
def test_reader_errors(text, error):
    with pytest.raises(ValueError) as info:
        conll.read_clusters(text.splitlines())
    assert str(info.value) == error


@pytest.mark.parametrize("metric", ["muc", "bcub", "ceafe"])
def test_reference_scorer_gives_100_on_the_shared_file_against_itself(tmp_path, release_lines, metric):
    path = tmp_path / "all.conll"
    path.write_text(_conll(release.loads(l) for l in release_lines), encoding="utf-8")
    s = reference_scorer.score(metric, path, path)
    assert s.f1 == 100.0
    assert s.recall_num == s.recall_den > 0 and s.precision_num == s.precision_den > 0


@settings(max_examples=5, deadline=None)
@given(st.lists(dialogues(multichar_tokens=True), min_size=3, max_size=15, unique_by=lambda d: d.doc_key))
def test_reference_scorer_reads_generated_files(tmp_path_factory, ds):
    ds = [d for d in ds if any(len(c.spans) > 1 for c in d.clusters) and not conll.crossing_spans(d)]
    assume(ds)  # an example without a scorable document is rejected, not passed
    path = tmp_path_factory.mktemp("conll") / "gen.conll"
    path.write_text(_conll(ds), encoding="utf-8")
    for metric in ("muc", "bcub", "ceafe"):
        assert reference_scorer.score(metric, path, path).f1 == 100.0
