from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from exports import coords


def test_frames_are_one_based_in_label_studio():
    assert coords.ls_frame(0) == 1 and coords.release_frame(1) == 0
    assert coords.frame_time(30, 30.0) == 1.0


@given(st.integers(1, 4000), st.integers(1, 4000), st.data())
def test_integer_pixel_boxes_survive_percent(w, h, data):
    x1 = data.draw(st.integers(0, w - 1))
    y1 = data.draw(st.integers(0, h - 1))
    box = (x1, y1, data.draw(st.integers(x1 + 1, w)), data.draw(st.integers(y1 + 1, h)))
    percent = coords.box_to_percent(box, (w, h))
    assert all(0 <= v <= 100 for v in percent)
    assert coords.box_to_pixels(percent, (w, h)) == box


def test_paragraph_offsets_with_multichar_tokens():
    index = coords.TextIndex([["我", "喜欢", "他"], ["周杰伦", "!"]])
    rng = index.to_paragraph(1, 2)
    assert rng == coords.ParagraphRange(0, 1, 0, 4)
    assert index.to_span(rng) == (1, 2)
    assert index.to_paragraph(3, 3) == coords.ParagraphRange(1, 0, 1, 3)
    with pytest.raises(ValueError, match="do not fall on token boundaries"):
        index.to_span(coords.ParagraphRange(0, 2, 0, 4))
    with pytest.raises(ValueError, match="paragraph 5 is out of range for 2 turns"):
        index.to_span(coords.ParagraphRange(0, 0, 5, 1))
