"""The embedded text coreference model: a span classifier for mentions and a mention-pair
classifier with best-first clustering, both logistic regression over sparse features.

Stored as one JSON file (``text_model.json``): weights, thresholds, the name gazetteer
and what it was trained on. The shipped model lives in ``ls_backend/models/``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from exports.dialogue import Dialogue
from ls_backend.pipeline.memory import Memory
from ls_backend.pipeline.model_files import read_model, write_model
from ls_backend.pipeline.text import features as F
from ls_backend.pipeline.text.artifacts import Clusters, Mentions
from ls_backend.pipeline.text.decoding import best_first
from ls_backend.pipeline.text.linear import LinearModel, fit

log = logging.getLogger(__name__)

FORMAT = "mcr-text-model/1"
DEICTIC = {"I", "YOU", "WE", "YOUPL"}
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "text_model.json"
#: (mention, nested, link) thresholds of a trained model: 5-fold CV on train; the effort-chosen ones were measured and not kept (docs/experiments.md)
THRESHOLDS = (0.25, 0.85, 0.6)


@dataclass
class TextModel:
    """The embedded text model (model kind ``embedded``): linear mention and pair scorers over hand-made and LAC features."""

    model_kind: ClassVar[str] = "embedded"
    mention: LinearModel
    pair: LinearModel
    mention_threshold: float = 0.5
    nested_threshold: float = 0.8
    link_threshold: float = 0.5
    gazetteer: frozenset[str] = frozenset()
    info: dict[str, Any] = field(default_factory=dict)
    names: LinearModel | None = None  # name-likeness of spans (see names.py)
    singleton_pronoun_threshold: float = 0.6

    # -- persistence ---------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        data = {
            "format": FORMAT, "info": self.info,
            "thresholds": {"mention": self.mention_threshold, "nested": self.nested_threshold, "link": self.link_threshold,
                           "singleton_pronoun": self.singleton_pronoun_threshold},
            "gazetteer": sorted(self.gazetteer), "mention": self.mention.to_json(), "pair": self.pair.to_json(),
        }
        if self.names is not None:
            data["names"] = self.names.to_json()
        return write_model(path, "text_model.json", data)

    @classmethod
    def load(cls, path: str | Path = SHIPPED) -> TextModel:
        """Load a model file (or a directory holding ``text_model.json``).

        Raises:
            ValueError: the file is missing, not JSON, or not a model of this format.
        """
        data = read_model(path, "text_model.json", FORMAT, "text model", "ls-backend train")
        t = data["thresholds"]
        return cls(
            LinearModel.from_json(data["mention"]), LinearModel.from_json(data["pair"]),
            float(t["mention"]), float(t["nested"]), float(t["link"]), frozenset(data["gazetteer"]), dict(data.get("info", {})),
            LinearModel.from_json(data["names"]) if data.get("names") else None,
            float(t.get("singleton_pronoun", 0.0)),
        )

    @property
    def version(self) -> str:
        return str(self.info.get("version", "untrained"))

    def successor(self, docs: Sequence[Dialogue], out: Path, version: str, settings: Any) -> tuple[TextModel, Path]:
        """Retrained on ``docs`` with this model's gazetteer and name model; the annotated dialogues weigh
        ``settings.annotation_weight``. Saved as ``out/text_model.json``."""
        weights = {k: settings.annotation_weight for k in settings.annotated} if settings.annotation_weight != 1.0 else None
        model = train(docs, settings.titles or {}, self.gazetteer, version=version, names=self.names, weights=weights)
        return model, model.save(Path(out) / "text_model.json")

    # -- prediction ------------------------------------------------------------------
    def mention_scores(self, turn_texts: Sequence[str], title: str | None) -> list[tuple[tuple[int, int], float]]:
        """Probability of every candidate span (dialogue token offsets; one token per character)."""
        ctx = F.Context.of(title, self.gazetteer, self.names, "".join(turn_texts))
        out = []
        offset = 0
        for ti, info in enumerate(F.dialogue_infos(turn_texts)):
            for s, e in F.candidate_spans(info):
                out.append(((offset + s, offset + e), self.mention.score(F.span_features(info, s, e, ti, ctx))))
            offset += len(info.text)
        return out

    def detect(self, turn_texts: Sequence[str], title: str | None, memory: Memory | None = None, forced: Sequence[tuple[int, int]] = ()) -> Mentions:
        """Mentions: best spans first; a span may nest in a kept one (if likely enough), never cross it. A project's
        ``memory`` then drops strings its annotators do not mark and adds the ones they do (``pipeline/memory.py``);
        ``forced`` spans (what an annotator just marked) are mentions whatever their score."""
        scored = sorted(self.mention_scores(turn_texts, title), key=lambda x: -x[1])
        kept: list[tuple[tuple[int, int], float]] = []
        for (s, e), p in scored:
            if p < self.mention_threshold:
                break
            ok = True
            for (ks, ke), _ in kept:
                overlap = not (e < ks or ke < s)
                if not overlap:
                    continue
                nested = (ks <= s and e <= ke) or (s <= ks and ke <= e)
                if not nested or p < self.nested_threshold:
                    ok = False
                    break
            if ok:
                kept.append(((s, e), p))
        if memory:
            prob = dict(scored)
            kept = memory.mentions("".join(turn_texts), kept, lambda span: prob.get(span, 0.0), turn_bounds(turn_texts))
        if forced:
            kept = with_forced(kept, forced)
        kept.sort()
        return Mentions(tuple(s for s, _ in kept), tuple(round(p, 6) for _, p in kept))

    def cluster(self, turn_texts: Sequence[str], title: str | None, mentions: Mentions) -> Clusters:
        """Best-first clustering: each mention joins its most likely antecedent if likely enough."""
        infos = _mention_infos(turn_texts, title, mentions.spans, self.gazetteer)

        def antecedent(j: int) -> tuple[int, float]:
            best, best_p = -1, 0.0
            for i in range(j):
                p = self.pair.score(F.pair_features(infos[i], infos[j], j - i))
                if p > best_p:
                    best, best_p = i, p
            return best, best_p

        return best_first([m.span for m in infos], mentions.scores, antecedent, self.link_threshold)

    def predict(self, turn_texts: Sequence[str], title: str | None = None, memory: Memory | None = None,
                forced: Sequence[tuple[int, int]] = ()) -> tuple[Mentions, Clusters]:
        """Mentions and clusters. A first- or second-person pronoun (我, 你, 我们, 你们) that links to nothing
        is dropped unless its mention probability reaches ``singleton_pronoun_threshold``: the data annotates
        我 / 你 mostly when they corefer with something (the video's own voice), rarely alone. ``forced``: spans that
        are mentions whatever the model thinks (interactive assistance: what the annotator just marked)."""
        mentions = self.detect(turn_texts, title, memory, forced)
        clusters = self.cluster(turn_texts, title, mentions)
        text = "".join(turn_texts)
        prob = dict(zip(mentions.spans, mentions.scores))
        drop = {c[0] for c in clusters.clusters if len(c) == 1 and F.PRONOUN_CLASS.get(text[c[0][0] : c[0][1] + 1]) in DEICTIC
                and prob.get(c[0], 1.0) < self.singleton_pronoun_threshold}
        if not drop:
            return mentions, clusters
        kept = [(s, p) for s, p in zip(mentions.spans, mentions.scores) if s not in drop]
        return (Mentions(tuple(s for s, _ in kept), tuple(p for _, p in kept)),
                Clusters(tuple(c for c in clusters.clusters if not (len(c) == 1 and c[0] in drop)), clusters.confidence))


def with_forced(kept: Sequence[tuple[tuple[int, int], float]], forced: Sequence[tuple[int, int]]) -> list[tuple[tuple[int, int], float]]:
    """``kept`` mentions with the ``forced`` spans added (probability 1); a kept span that crosses a forced one (overlaps
    it without nesting) goes."""
    def crosses(a: tuple[int, int], b: tuple[int, int]) -> bool:
        overlap = a[0] <= b[1] and b[0] <= a[1]
        nested = (a[0] <= b[0] and b[1] <= a[1]) or (b[0] <= a[0] and a[1] <= b[1])
        return overlap and not nested

    out = [(s, p) for s, p in kept if s not in forced and not any(crosses(s, f) for f in forced)]
    return out + [(tuple(f), 1.0) for f in dict.fromkeys(map(tuple, forced))]


def turn_bounds(turn_texts: Sequence[str]) -> list[tuple[int, int]]:
    """``[start, end)`` character ranges of the turns in the dialogue's text."""
    out, offset = [], 0
    for t in turn_texts:
        out.append((offset, offset + len(t)))
        offset += len(t)
    return out


def _mention_infos(turn_texts: Sequence[str], title: str | None, spans: Iterable[tuple[int, int]], gazetteer: frozenset[str]) -> list[F.MentionInfo]:
    ctx = F.Context.of(title, gazetteer)
    text = "".join(turn_texts)
    infos = F.dialogue_infos(turn_texts)
    bounds, offset = [], 0
    for t in turn_texts:
        bounds.append(offset)
        offset += len(t)
    out = []
    for s, e in sorted(spans):
        turn = max(i for i, b in enumerate(bounds) if b <= s)
        mtext = text[s : e + 1]
        ts, te = s - bounds[turn], e - bounds[turn]
        lac = infos[turn].lac_tags(ts, te) if te < len(infos[turn].text) else None  # a span across turns has no tag
        out.append(F.MentionInfo((s, e), mtext, turn, F.mention_class(mtext, ctx, lac)))
    return out


# -- training ------------------------------------------------------------------------
def _texts(d: Dialogue) -> list[str]:
    return [t.text for t in d.turns]


def training_examples(dialogues: Sequence[Dialogue], titles: Mapping[str, str], gazetteer: frozenset[str], names: LinearModel | None = None,
                      weights: Mapping[str, float] | None = None):
    """(mention samples, mention labels, pair samples, pair labels, mention weights, pair weights); a dialogue's samples
    weigh ``weights[doc_key]`` (default 1)."""
    ms, ml, ps, pl, mw, pw = [], [], [], [], [], []
    weights = weights or {}
    for d in dialogues:
        w = float(weights.get(d.doc_key, 1.0))
        n_ms, n_ps = len(ms), len(ps)
        if any(len(tok) != 1 for t in d.turns for tok in t.tokens):
            continue  # the embedded model works on characters
        title = titles.get(d.doc_key)
        ctx = F.Context.of(title, gazetteer, names, "".join(_texts(d)))
        gold = {s for c in d.clusters for s in c.spans}
        offset = 0
        for ti, info in enumerate(F.dialogue_infos(_texts(d))):
            for s, e in F.candidate_spans(info):
                ms.append(F.span_features(info, s, e, ti, ctx))
                ml.append(int((offset + s, offset + e) in gold))
            offset += len(info.text)
        cluster_of = {s: ci for ci, c in enumerate(d.clusters) for s in c.spans}
        infos = _mention_infos(_texts(d), title, cluster_of, gazetteer)
        for j in range(1, len(infos)):
            for i in range(j):
                ps.append(F.pair_features(infos[i], infos[j], j - i))
                pl.append(int(cluster_of[infos[i].span] == cluster_of[infos[j].span]))
        mw += [w] * (len(ms) - n_ms)
        pw += [w] * (len(ps) - n_ps)
    return ms, ml, ps, pl, mw, pw


def train(
    dialogues: Sequence[Dialogue],
    titles: Mapping[str, str] | None = None,
    gazetteer: Iterable[str] = (),
    *,
    c_mention: float = 2.0,
    c_pair: float = 0.5,
    thresholds: tuple[float, float, float] = THRESHOLDS,
    version: str | None = None,
    names: LinearModel | None = None,
    weights: Mapping[str, float] | None = None,
) -> TextModel:
    """Train the model on annotated dialogues (their clusters are the gold mentions and links).

    Args:
        weights: doc_key -> how much that dialogue's samples count (default 1): a project's annotations weigh
            more than the shipped data when the model learns in the loop.
    """
    titles = titles or {}
    started = time.monotonic()
    gaz = frozenset(g for g in gazetteer if len(g) >= 2)
    ms, ml, ps, pl, mw, pw = training_examples(dialogues, titles, gaz, names, weights)
    if sum(ml) == 0:
        raise ValueError("training data has no mention: annotate some dialogues first")
    weighted = any(w != 1.0 for w in mw)
    mention = fit(ms, ml, c=c_mention, weights=mw if weighted else None)
    pair = fit(ps, pl, c=c_pair, weights=pw if weighted else None) if len(set(pl)) == 2 else LinearModel({}, -5.0)
    seconds = time.monotonic() - started
    info = {
        "version": version or time.strftime("text-%Y%m%d-%H%M%S"),
        "dialogues": len(dialogues), "mentions": sum(ml), "candidate_spans": len(ml), "pairs": len(pl),
        "train_seconds": round(seconds, 2), "gazetteer_names": len(gaz),
    }
    log.info("trained text model %s on %d dialogues in %.1f s", info["version"], len(dialogues), seconds)
    return TextModel(mention, pair, *thresholds, gazetteer=gaz, info=info, names=names)
