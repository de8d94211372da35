"""Approximate randomization against exact p-values worked out by enumeration and by hand."""
from __future__ import annotations

import numpy as np
import pytest

from agreement.significance import (approximate_randomization, bootstrap_interval, coref_components,
                                    coref_statistics, exact_randomization, saved_share)


def _mean(s):  # components (value, 1): the mean value
    return s[..., 0] / s[..., 1]


def _rows(values):
    return np.array([[v, 1.0] for v in values])


def test_all_documents_better_has_the_smallest_two_sided_p():
    a, b = _rows([0] * 10), _rows([1] * 10)
    # only the identity and the full swap reach |difference| = 1: p = 2 / 2**10
    assert exact_randomization(a, b, _mean) == pytest.approx(2 / 1024)
    r = approximate_randomization(a, b, _mean, shuffles=10_000, seed=3)
    assert r.difference == 1.0 and r.a == 0.0 and r.b == 1.0
    assert 0.0005 < r.p_value < 0.005


def test_identical_systems_never_differ():
    a = _rows([0.3, 0.5, 0.9])
    assert approximate_randomization(a, a.copy(), _mean, shuffles=500).p_value == 1.0
    assert exact_randomization(a, a.copy(), _mean) == 1.0


def test_three_documents_of_eight_differ():
    # differences only on 3 documents: |sum| = 3 only when all three keep or all swap sides: 2 of 8 patterns
    a, b = _rows([0] * 8), _rows([1, 1, 1, 0, 0, 0, 0, 0])
    assert exact_randomization(a, b, _mean) == pytest.approx(0.25)
    r = approximate_randomization(a, b, _mean, shuffles=20_000, seed=0)
    assert r.p_value == pytest.approx(0.25, abs=0.015)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        approximate_randomization(_rows([1, 2]), _rows([1]), _mean)
    with pytest.raises(ValueError, match="no document"):
        approximate_randomization(np.zeros((0, 2)), np.zeros((0, 2)), _mean)


def test_bootstrap_interval_holds_the_figure():
    x = _rows(np.linspace(0, 1, 50))
    lo, hi = bootstrap_interval(x, _mean, resamples=2000)
    assert lo < 0.5 < hi and hi - lo < 0.4


def test_coref_components_add_up_to_the_corpus_scores():
    key = [[[(0, 1), (6, 6)]], [[(0, 0)]]]
    response = [[[(0, 1), (6, 6)]], [[(2, 2)]]]
    comps = coref_components(zip(key, response))
    stats = coref_statistics()
    assert comps.shape == (2, 20)
    assert stats["mentions"](comps.sum(0)) == pytest.approx(2 * (2 / 3 * 2 / 3) / (4 / 3))
    assert stats["muc"](comps[:1].sum(0)) == 1.0
    assert 0 < stats["conll"](comps.sum(0)) < 1


def test_saved_share_of_effort_components():
    assert saved_share(np.array([10.0, 4.0])) == pytest.approx(0.6)
    assert saved_share(np.array([0.0, 0.0])) == 0.0
