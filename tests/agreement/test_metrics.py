from __future__ import annotations

import io
from fractions import Fraction as F

import pytest
from hypothesis import assume, given, settings, strategies as st

from agreement import metrics as M
from exports import conll
from exports.dialogue import Cluster, Dialogue, Turn
from tests.support import reference_scorer

# Worked case (derived by hand from the definitions; letters are mentions):
# key {a b c} {d e f g}, response {a b} {c d} {f g h i}
KEY = [["a", "b", "c"], ["d", "e", "f", "g"]]
RESPONSE = [["a", "b"], ["c", "d"], ["f", "g", "h", "i"]]


@pytest.mark.parametrize(
    ("metric", "recall", "precision"),
    [
        ("muc", F(2, 5), F(2, 5)),  # links: key 2 + 3, response 1 + 1 + 3; correct a-b, f-g
        ("bcub", F(5, 12), F(1, 2)),  # R = (2/3+2/3+1/3+1/4+0+2/4+2/4) / 7
        ("ceafe", F(13, 20), F(13, 30)),  # phi4(K1,R1) + phi4(K2,R3) = 4/5 + 1/2
        ("ceafm", F(4, 7), F(4, 8)),
        ("lea", F(5, 21), F(1, 3)),  # R = (3*1/3 + 4*1/6) / 7, P = (2*1 + 2*0 + 4*1/6) / 8
        ("mentions", F(6, 7), F(6, 8)),
    ],
)
def test_worked_case(metric, recall, precision):
    c = M.METRICS[metric](M.align(KEY, RESPONSE))
    assert c.recall == pytest.approx(float(recall), abs=1e-12)
    assert c.precision == pytest.approx(float(precision), abs=1e-12)


def test_worked_case_blanc():
    b = M.blanc(M.align(KEY, RESPONSE))
    assert (b.c_isect, b.c_key, b.c_resp, b.n_isect, b.n_key, b.n_resp) == (2, 9, 8, 8, 12, 20)
    r, p, f = b.scores()
    assert r == pytest.approx((2 / 9 + 8 / 12) / 2) and p == pytest.approx((2 / 8 + 8 / 20) / 2)


def test_conventions():
    # MUC with no links anywhere: 0/0 -> 0, even for identical clusterings
    single = [["a"], ["b"]]
    assert M.muc(M.align(single, single)).f1 == 0.0
    assert M.b_cubed(M.align(single, single)).f1 == 1.0
    # BLANC with one mention: no links of either kind -> 0
    assert M.blanc(M.align([["a"]], [["a"]])).scores() == (0.0, 0.0, 0.0)
    # an empty response
    c = M.score_corpus([(KEY, [])])
    assert c.counts["bcub"].recall == 0 and c.counts["bcub"].p_den == 0 and c.conll_f1 == 0.0


def test_repeated_mentions_are_warned_about():
    a = M.align([["a", "b"], ["a"]], [["a", "c", "a"]])
    assert a.warnings == ("repeated mention in the key: 'a'", "repeated mention in the response: 'a' (the later one is ignored)")
    assert a.response == ((2, 3),)  # a keeps the key's last id for it; c is twinless


# -- the reference scorer v8.01 on generated corpora ------------------------------------
@st.composite
def clusterings(draw, n_tokens: int):
    """Clusters of spans in a document of n_tokens, without crossing spans inside a cluster
    (CoNLL brackets cannot hold those), possibly sharing spans with each other."""
    spans = draw(st.lists(st.tuples(st.integers(0, n_tokens - 1), st.integers(0, 3)).map(lambda t: (t[0], min(n_tokens - 1, t[0] + t[1]))),
                          min_size=0, max_size=12, unique=True))
    if not spans:
        return []
    k = draw(st.integers(1, len(spans)))
    out = [[] for _ in range(k)]
    for i, s in enumerate(spans):
        out[i if i < k else draw(st.integers(0, k - 1))].append(s)
    clusters = [c for c in out if c]
    for c in clusters:
        assume(not any(a[0] < b[0] <= a[1] < b[1] for a in c for b in c))
    return clusters


@st.composite
def corpora(draw):
    docs = []
    for i in range(draw(st.integers(1, 8))):
        n = draw(st.integers(1, 25))
        key = draw(clusterings(n))
        if draw(st.booleans()):  # a perturbed copy, the usual case for agreement
            resp = [list(c) for c in key]
            if resp and draw(st.booleans()):
                moved = resp[0].pop()
                resp.append([moved])
            resp += draw(clusterings(n)) if draw(st.booleans()) else []
            resp = [c for c in resp if c]
        else:
            resp = draw(clusterings(n))
        spans = [s for c in resp for s in c]
        assume(len(spans) - len(set(spans)) <= 10)  # the reference scorer refuses to score more repeated mentions
        docs.append((f"d{i}", n, key, resp))
    return docs


def _conll(docs, side: int) -> str:
    buf = io.StringIO()
    conll.write(
        (Dialogue(doc_key=name, turns=(Turn("A", ("字",) * n),), clusters=tuple(Cluster(tuple(c)) for c in d[side])) for name, n, *d in docs),
        buf,
    )
    return buf.getvalue()


@settings(max_examples=40, deadline=None)
@given(corpora())
def test_equal_to_reference_scorer(tmp_path_factory, docs):
    d = tmp_path_factory.mktemp("score")
    (d / "key.conll").write_text(_conll(docs, 0), encoding="utf-8")
    (d / "resp.conll").write_text(_conll(docs, 1), encoding="utf-8")
    ours = M.score_corpus((key, resp) for _, _, key, resp in docs)
    for metric in ("muc", "bcub", "ceafe", "ceafm"):
        ref = reference_scorer.score_all(metric, d / "key.conll", d / "resp.conll")
        c = ours.counts[metric]
        assert (c.r_num, c.r_den, c.p_num, c.p_den) == pytest.approx(ref["coref"][:4], abs=1e-6), metric
        m = ours.counts["mentions"]
        assert (m.r_num, m.r_den, m.p_num, m.p_den) == pytest.approx(ref["mentions"][:4])
    ref = reference_scorer.score_all("blanc", d / "key.conll", d / "resp.conll")
    b = ours.blanc
    assert (b.c_isect, b.c_key, b.c_isect, b.c_resp) == pytest.approx(ref["coref_links"][:4])
    assert (b.n_isect, b.n_key, b.n_isect, b.n_resp) == pytest.approx(ref["noncoref_links"][:4])
    r, p, f = b.scores()
    assert (r, p) == pytest.approx((ref["blanc"][0], ref["blanc"][2]), abs=1e-9)
    assert f * 100 == pytest.approx(ref["blanc"][4], abs=0.011)  # printed truncated to 2 decimals


# -- properties ----------------------------------------------------------------------
distinct = st.integers(1, 25).flatmap(lambda n: clusterings(n)).filter(
    lambda cs: len({m for c in cs for m in c}) == sum(len(c) for c in cs)
)


@settings(max_examples=200, deadline=None)
@given(distinct, distinct)
def test_swapping_annotators_swaps_recall_and_precision(a, b):
    for name, fn in M.METRICS.items():
        ab, ba = fn(M.align(a, b)), fn(M.align(b, a))
        assert (ab.recall, ab.precision) == pytest.approx((ba.precision, ba.recall)), name
    x, y = M.blanc(M.align(a, b)), M.blanc(M.align(b, a))
    assert (x.c_isect, x.c_key, x.c_resp) == (y.c_isect, y.c_resp, y.c_key)


@settings(max_examples=200, deadline=None)
@given(distinct, st.randoms())
def test_identical_clusterings_score_one_and_order_does_not_matter(a, rnd):
    assume(a)
    shuffled = [rnd.sample(c, len(c)) for c in rnd.sample(a, len(a))]
    for name, fn in M.METRICS.items():
        c = fn(M.align(a, shuffled))
        if name == "muc" and all(len(x) == 1 for x in a):
            assert c.f1 == 0.0  # no links: 0/0 -> 0 by the reference convention
        else:
            assert c.recall == pytest.approx(1.0) and c.precision == pytest.approx(1.0), name
    r, p, f = M.blanc(M.align(a, shuffled)).scores()
    n = sum(len(c) for c in a)
    assert (r, p, f) == ((0.0, 0.0, 0.0) if n == 1 else pytest.approx((1.0, 1.0, 1.0)))
