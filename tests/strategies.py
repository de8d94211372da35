"""Hypothesis strategies for dialogues of the release format (and beyond its usual shape)."""
from __future__ import annotations

from hypothesis import strategies as st

from exports.dialogue import Box, Cluster, Dialogue, Turn, label_numbers

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
CHARS = st.one_of(CJK, st.sampled_from(list("，。！？abcXYZ019…😀")))


@st.composite
def dialogues(draw, multichar_tokens: bool = False, with_media: bool | None = None) -> Dialogue:
    """A valid dialogue: 1-3 turns, nested spans, group labels, boxes at the frame edges."""
    n_turns = draw(st.integers(1, 3))
    token = st.text(CHARS, min_size=1, max_size=3) if multichar_tokens else CHARS
    turns = tuple(
        Turn(speaker, tuple(draw(st.lists(token, min_size=1, max_size=12))))
        for speaker in draw(st.lists(st.sampled_from("ABCD"), min_size=n_turns, max_size=n_turns))
    )
    starts, offset = [], 0
    for t in turns:
        starts.append((offset, offset + len(t.tokens) - 1))
        offset += len(t.tokens)

    @st.composite
    def span(draw2):
        lo, hi = draw2(st.sampled_from(starts))
        s = draw2(st.integers(lo, hi))
        return (s, draw2(st.integers(s, min(hi, s + 4))))

    all_spans = draw(st.lists(span(), min_size=0, max_size=8, unique=True))
    n_clusters = draw(st.integers(0 if not all_spans else 1, max(1, min(6, len(all_spans))))) if all_spans else 0
    groups: list[list[tuple[int, int]]] = [[] for _ in range(n_clusters)]
    for i, s in enumerate(all_spans):
        groups[i % n_clusters if i < n_clusters else draw(st.integers(0, n_clusters - 1))].append(s)
    # labels: "none", single numbers (not necessarily consecutive) or groups
    numbers = draw(st.lists(st.integers(1, 12), min_size=6, max_size=6, unique=True))
    labels: list[str] = []
    used_singles = iter(numbers)
    for _ in groups:
        kind = draw(st.sampled_from(["none", "single", "single", "group"]))
        if kind == "none":
            labels.append("none")
        elif kind == "single":
            labels.append(f"C{next(used_singles)}")
        else:
            a, b = draw(st.lists(st.integers(1, 12), min_size=2, max_size=2, unique=True))
            label = f"C{a}C{b}"
            taken = {frozenset(label_numbers(l)) for l in labels if l != "none"}  # "C2C1" is the same persons as "C1C2"
            labels.append(label if frozenset((a, b)) not in taken else "none")
    labels = [l if labels.index(l) == i or l == "none" else "none" for i, l in enumerate(labels)]
    flags = [draw(st.tuples(st.booleans(), st.booleans())) for _ in groups]
    clusters = tuple(Cluster(tuple(g), l, *f) for g, l, f in zip(groups, labels, flags))

    media = draw(st.booleans()) if with_media is None else with_media
    size = (draw(st.integers(16, 1920)), draw(st.integers(16, 1920))) if media else None
    fps = draw(st.sampled_from([24.0, 25.0, 29.97, 30.0, 60.0])) if media else None
    boxes = []
    for label in labels:
        if label == "none":
            continue
        w, h = size or (1000, 1000)
        edge = draw(st.booleans())
        if edge:  # a box touching all four frame edges
            bbox = (0, 0, w, h)
        else:
            x1, y1 = draw(st.integers(0, w - 2)), draw(st.integers(0, h - 2))
            bbox = (x1, y1, draw(st.integers(x1 + 1, w)), draw(st.integers(y1 + 1, h)))
        boxes.append(
            Box(label, draw(st.integers(0, 3000)), bbox, draw(st.sampled_from(["", "王子文", "Jay Chou"])))
        )
    return Dialogue(
        doc_key=draw(st.from_regex(r"[0-9]{6,19}", fullmatch=True)),
        turns=turns,
        clusters=clusters,
        boxes=tuple(boxes),
        fps=fps,
        frame_size=size,
        frame_count=draw(st.one_of(st.none(), st.integers(3001, 9000))) if media else None,
        title=draw(st.one_of(st.none(), st.text(CHARS, min_size=1, max_size=20))),
        comment=draw(st.one_of(st.none(), st.text(CHARS, min_size=1, max_size=20))),
    )
