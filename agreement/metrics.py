"""Coreference metrics as pure functions over clusterings, matching the CoNLL reference scorer v8.01.

A *clustering* is a sequence of clusters, each a sequence of hashable mentions (in MCR
Studio: inclusive ``(start, end)`` token spans). Every metric returns its numerators and
denominators (:class:`Counts`), so corpus scores are **micro-averaged** like the reference
scorer: sum numerators and denominators over documents, then divide (0/0 -> 0).

Mentions are matched by exact span, as in v8.01 (Pradhan et al. 2014, "Scoring
Coreference Partitions of Predicted Mentions: A Reference Implementation", ACL):

* a span repeated in the **key** is one key mention (its id is shared by both places);
* a span repeated in the **response** keeps its first occurrence only (clusters emptied
  by that are dropped) - :func:`align` reports both cases as warnings;
* response mentions not in the key ("twinless") get ids of their own; key mentions the
  response misses are simply not found. Singletons are kept.

Metrics (``key`` = gold / annotator A, ``response`` = system / annotator B):

* MUC (Vilain et al. 1995): R = sum_K (|K| - |p(K)|) / sum_K (|K| - 1), with p(K) the
  partition of K by the response; P swaps the roles. Singletons contribute no link.
* B3 (Bagga & Baldwin 1998): R = sum_m |K_m n R_m| / |K_m| over key mentions / #key
  mentions; P swaps the roles; twinless response mentions count in P with 0.
* CEAF (Luo 2005): optimal one-to-one map g* of key to response clusters (Kuhn-Munkres)
  maximising sum phi; CEAF-e uses phi4 = 2|K n R| / (|K| + |R|) with R = sum phi / #key
  clusters and P = sum phi / #response clusters; CEAF-m uses phi3 = |K n R| over
  #key / #response mentions.
* BLANC (Recasens & Hovy 2011; Luo et al. 2014 for predicted mentions): coreference and
  non-coreference links over mention ids; see :class:`BlancCounts` for the corpus score.
* LEA (Moosavi & Strube 2016): R = sum_K |K| * sum_R link(K n R) / link(K) / sum_K |K|
  with link(n) = n(n-1)/2; a singleton key cluster has one self-link, resolved when the
  response has it as a singleton too (the convention of the authors' scorer). Not in v8.01.
* Mentions: exact-span recall and precision (v8.01's "Identification of Mentions").
"""
from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

Mention = Hashable
Clustering = Sequence[Sequence[Mention]]


@dataclass(frozen=True, slots=True)
class Counts:
    """Recall and precision as numerator / denominator; add Counts to micro-average."""

    r_num: float = 0.0
    r_den: float = 0.0
    p_num: float = 0.0
    p_den: float = 0.0

    @property
    def recall(self) -> float:
        return self.r_num / self.r_den if self.r_den else 0.0

    @property
    def precision(self) -> float:
        return self.p_num / self.p_den if self.p_den else 0.0

    @property
    def f1(self) -> float:
        r, p = self.recall, self.precision
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.r_num + other.r_num, self.r_den + other.r_den, self.p_num + other.p_num, self.p_den + other.p_den)

    def as_dict(self) -> dict[str, float]:
        return {
            "recall": self.recall, "precision": self.precision, "f1": self.f1,
            "r_num": self.r_num, "r_den": self.r_den, "p_num": self.p_num, "p_den": self.p_den,
        }


@dataclass(frozen=True, slots=True)
class BlancCounts:
    """BLANC link counts: coreference (``c_*``) and non-coreference (``n_*``) links.

    Corpus BLANC as v8.01 computes it from the summed counts: Rc = c_isect / c_key,
    Pc = c_isect / c_resp, Fc their harmonic mean (likewise Rn, Pn, Fn for
    non-coreference links); R = (Rc + Rn) / 2, P = (Pc + Pn) / 2, F = (Fc + Fn) / 2. When
    the key has no coreference links only the non-coreference part counts (and vice
    versa); with neither, everything is 0.
    """

    c_isect: int = 0
    c_key: int = 0
    c_resp: int = 0
    n_isect: int = 0
    n_key: int = 0
    n_resp: int = 0

    def __add__(self, other: BlancCounts) -> BlancCounts:
        return BlancCounts(*(a + b for a, b in zip(self._tuple(), other._tuple())))

    def _tuple(self) -> tuple[int, ...]:
        return (self.c_isect, self.c_key, self.c_resp, self.n_isect, self.n_key, self.n_resp)

    def scores(self) -> tuple[float, float, float]:
        """(recall, precision, f1) of the corpus."""
        def prf(isect: int, key: int, resp: int) -> tuple[float, float, float]:
            r = isect / key if key else 0.0
            p = isect / resp if resp else 0.0
            return r, p, (2 * r * p / (r + p) if r + p else 0.0)

        rc, pc, fc = prf(self.c_isect, self.c_key, self.c_resp)
        rn, pn, fn = prf(self.n_isect, self.n_key, self.n_resp)
        if self.c_key == 0 and self.n_key == 0:
            return 0.0, 0.0, 0.0
        if self.c_key == 0:
            return rn, pn, fn
        if self.n_key == 0:
            return rc, pc, fc
        return (rc + rn) / 2, (pc + pn) / 2, (fc + fn) / 2

    def as_dict(self) -> dict[str, float]:
        r, p, f = self.scores()
        return {"recall": r, "precision": p, "f1": f, "c_isect": self.c_isect, "c_key": self.c_key, "c_resp": self.c_resp,
                "n_isect": self.n_isect, "n_key": self.n_key, "n_resp": self.n_resp}


@dataclass(frozen=True, slots=True)
class Aligned:
    """Key and response clusters as mention ids, aligned as v8.01 does (see the module doc)."""

    key: tuple[tuple[int, ...], ...]
    response: tuple[tuple[int, ...], ...]
    key_mentions: int  # distinct key spans
    response_mentions: int  # distinct response spans
    matched: int  # spans in both
    warnings: tuple[str, ...] = field(default_factory=tuple)


def align(key: Clustering, response: Clustering) -> Aligned:
    """Give every mention an id: the key's spans first, then the twinless response spans."""
    warnings: list[str] = []
    ids: dict[Mention, int] = {}
    count = 0
    for cluster in key:
        for m in cluster:
            if m in ids:
                warnings.append(f"repeated mention in the key: {m!r}")
            ids[m] = count  # like v8.01, a repeated span takes its last id
            count += 1
    key_chains = tuple(tuple(ids[m] for m in cluster) for cluster in key)
    n_key = len(ids)

    seen: set[Mention] = set()
    kept: list[list[Mention]] = []
    matched = 0
    for cluster in response:
        chain = []
        for m in cluster:
            if m in seen:
                warnings.append(f"repeated mention in the response: {m!r} (the later one is ignored)")
                continue
            seen.add(m)
            if m in ids:
                matched += 1
            chain.append(m)
        if chain:
            kept.append(chain)
    resp_ids = dict(ids)
    for chain in kept:
        for m in chain:
            if m not in resp_ids:
                resp_ids[m] = count
                count += 1
    resp_chains = tuple(tuple(resp_ids[m] for m in chain) for chain in kept)
    return Aligned(key_chains, resp_chains, n_key, len(seen), matched, tuple(warnings))


def reference_order(clusters: Sequence[Sequence[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    """Clusters and mentions in the order v8.01 reads them back from our CoNLL output.

    The order only matters for repeated spans (which occurrence v8.01 keeps). It reads
    token by token; on each token it takes the one-token mentions, then the openings, then
    the closings (a closing ends the cluster's latest opening); a cluster gets its place
    when first seen, a mention when complete.
    """
    events: dict[int, tuple[list[int], list[int], list[int]]] = {}
    for cid, cluster in enumerate(clusters):
        for start, end in cluster:
            if start == end:
                events.setdefault(start, ([], [], []))[0].append(cid)
            else:
                events.setdefault(start, ([], [], []))[1].append(cid)
                events.setdefault(end, ([], [], []))[2].append(cid)
    order: dict[int, int] = {}
    out: list[list[tuple[int, int]]] = []
    opened: dict[int, list[int]] = {}

    def slot(cid: int) -> list[tuple[int, int]]:
        if cid not in order:
            order[cid] = len(out)
            out.append([])
        return out[order[cid]]

    for t in sorted(events):
        singles, opens, closes = events[t]
        for cid in singles:
            slot(cid).append((t, t))
        for cid in opens:
            slot(cid)
            opened.setdefault(cid, []).append(t)
        for cid in closes:
            slot(cid).append((opened[cid].pop(), t))
    return out


def crossing(clusters: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Crossing (overlapping, not nested) spans of one cluster: ambiguous in CoNLL files."""
    return [(a, b) for c in clusters for a in c for b in c if a[0] < b[0] <= a[1] < b[1]]


def _is_spans(clusters: Clustering) -> bool:
    return all(isinstance(m, tuple) and len(m) == 2 and all(isinstance(x, int) for x in m) for c in clusters for m in c)


def _index(chains: Sequence[Sequence[int]]) -> dict[int, int]:
    return {m: i for i, chain in enumerate(chains) for m in chain}  # last chain wins, as Indexa in v8.01


def mentions(a: Aligned) -> Counts:
    """Exact-span mention identification: recall = matched / key spans, precision = matched / response spans."""
    return Counts(a.matched, a.key_mentions, a.matched, a.response_mentions)


def muc(a: Aligned) -> Counts:
    """MUC link-based scores (see the module doc); the numerator is shared by R and P."""
    kidx = _index(a.key)
    correct = 0
    for chain in a.response:
        for i, mi in enumerate(chain):
            ki = kidx.get(mi)
            if ki is not None and any(kidx.get(mj) == ki for mj in chain[i + 1 :]):
                correct += 1
    key_links = sum(len(c) - 1 for c in a.key if c)
    resp_links = sum(len(c) - 1 for c in a.response if c)
    return Counts(correct, key_links, correct, resp_links)


def b_cubed(a: Aligned) -> Counts:
    """B3 mention-based scores, accumulated over response mentions as v8.01 does."""
    kidx = _index(a.key)
    acc_r = acc_p = 0.0
    for chain in a.response:
        members = set(chain)
        for m in chain:
            k = kidx.get(m)
            kchain = a.key[k] if k is not None else ()
            common = len(members.intersection(kchain))
            acc_p += common / len(chain)
            if kchain:
                acc_r += common / len(kchain)
    return Counts(acc_r, sum(len(c) for c in a.key), acc_p, sum(len(c) for c in a.response))


def _ceaf(a: Aligned, entity: bool) -> Counts:
    key = [set(c) for c in a.key]
    resp = [set(c) for c in a.response]
    total = 0.0
    if key and resp:
        sim = np.zeros((len(key), len(resp)))
        for i, k in enumerate(key):
            for j, r in enumerate(resp):
                common = sum(1 for m in a.key[i] if m in r)  # v8.01 counts a repeated key id twice
                if common:
                    sim[i, j] = 2 * common / (len(a.key[i]) + len(a.response[j])) if entity else common
        rows, cols = linear_sum_assignment(sim, maximize=True)
        total = float(sim[rows, cols].sum())
    if entity:
        return Counts(total, sum(1 for c in a.key if c), total, sum(1 for c in a.response if c))
    return Counts(total, sum(len(c) for c in a.key), total, sum(len(c) for c in a.response))


def ceaf_e(a: Aligned) -> Counts:
    """Entity-based CEAF (phi4), the CoNLL F1's third component."""
    return _ceaf(a, entity=True)


def ceaf_m(a: Aligned) -> Counts:
    """Mention-based CEAF (phi3)."""
    return _ceaf(a, entity=False)


def _links(chains: Sequence[Sequence[int]]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    coref = {tuple(sorted(p)) for c in chains for p in itertools.combinations(c, 2)}
    non = {tuple(sorted((x, y))) for c1, c2 in itertools.combinations(chains, 2) for x in c1 for y in c2}
    return coref, non  # type: ignore[return-value]


def blanc(a: Aligned) -> BlancCounts:
    """BLANC link counts of one document (add them up; :meth:`BlancCounts.scores` for the score)."""
    kc, kn = _links(a.key)
    rc, rn = _links(a.response)
    return BlancCounts(len(kc & rc), len(kc), len(rc), len(kn & rn), len(kn), len(rn))


def _lea_side(gold: Sequence[Sequence[int]], other: Sequence[Sequence[int]]) -> tuple[float, float]:
    where = _index(other)
    num = den = 0.0
    for cluster in gold:
        if not cluster:
            continue
        size = len(cluster)
        if size == 1:
            j = where.get(cluster[0])
            resolved = 1.0 if j is not None and len(other[j]) == 1 else 0.0
        else:
            same = 0
            for x, y in itertools.combinations(cluster, 2):
                jx = where.get(x)
                if jx is not None and jx == where.get(y):
                    same += 1
            resolved = same / (size * (size - 1) / 2)
        num += size * resolved
        den += size
    return num, den


def lea(a: Aligned) -> Counts:
    """LEA, the link-based entity-aware metric (see the module doc)."""
    r_num, r_den = _lea_side(a.key, a.response)
    p_num, p_den = _lea_side(a.response, a.key)
    return Counts(r_num, r_den, p_num, p_den)


METRICS = {"muc": muc, "bcub": b_cubed, "ceafe": ceaf_e, "ceafm": ceaf_m, "lea": lea, "mentions": mentions}


@dataclass
class CorpusScores:
    """Micro-averaged scores of many documents; add documents with :meth:`add`."""

    counts: dict[str, Counts] = field(default_factory=lambda: {name: Counts() for name in METRICS})
    blanc: BlancCounts = field(default_factory=BlancCounts)
    documents: int = 0

    def add(self, key: Clustering, response: Clustering) -> tuple[dict[str, Counts], BlancCounts, tuple[str, ...]]:
        """Score one document, add it to the corpus, and return its own scores and warnings.

        Span clusterings (``(start, end)`` tuples) are read in v8.01's order first
        (:func:`reference_order`), so repeated spans resolve as the reference scorer's do.
        """
        extra: list[str] = []
        if _is_spans(key) and _is_spans(response):
            for side, clusters in (("key", key), ("response", response)):
                for a, b in crossing(clusters):  # type: ignore[arg-type]
                    extra.append(f"crossing spans in one {side} cluster: {list(a)} and {list(b)}")
            key, response = reference_order(key), reference_order(response)  # type: ignore[arg-type]
        aligned = align(key, response)
        doc = {name: fn(aligned) for name, fn in METRICS.items()}
        doc_blanc = blanc(aligned)
        for name, c in doc.items():
            self.counts[name] = self.counts[name] + c
        self.blanc = self.blanc + doc_blanc
        self.documents += 1
        return doc, doc_blanc, tuple(extra) + aligned.warnings

    @property
    def conll_f1(self) -> float:
        """The CoNLL F1: the mean of MUC, B3 and CEAF-e F1."""
        return conll_f1(self.counts)

    def as_dict(self) -> dict[str, dict[str, float]]:
        out = {name: c.as_dict() for name, c in self.counts.items()}
        out["blanc"] = self.blanc.as_dict()
        out["conll"] = {"f1": self.conll_f1}
        return out


def conll_f1(counts: dict[str, Counts]) -> float:
    return (counts["muc"].f1 + counts["bcub"].f1 + counts["ceafe"].f1) / 3


def score_corpus(pairs: Iterable[tuple[Clustering, Clustering]]) -> CorpusScores:
    """Micro-averaged scores of ``(key, response)`` clusterings, one pair per document."""
    corpus = CorpusScores()
    for key, response in pairs:
        corpus.add(key, response)
    return corpus
