"""An annotator's gestures in Label Studio 1.23's editor, done with the mouse and keyboard (Playwright).

Nothing here calls Label Studio's API: every change to an annotation is a key press, a click or a
drag on what the page shows, as the guidelines and the template's "How to annotate" panel teach them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_CHAR_RECT = """([selector, index]) => {
  const root = document.querySelector(selector);
  if (!root) return null;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0, node;
  while ((node = walker.nextNode())) {
    const n = node.textContent.length;
    if (index < seen + n) {
      const range = document.createRange();
      range.setStart(node, index - seen);
      range.setEnd(node, index - seen + 1);
      const r = range.getBoundingClientRect();
      return {x: r.x, y: r.y, width: r.width, height: r.height};
    }
    seen += n;
  }
  return null;
}"""

_NODE = re.compile(r"^\d+\s+((?:C\d+[,\s]*)+)(.*)$")


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Region:
    """A line of the Regions panel as the annotator reads it."""

    numbers: tuple[int, ...]
    text: str  # the mention's text; "" for a box (its score, if any, is not kept)
    index: int  # position in the panel


def text_char_rect(page, selector: str, index: int, what: str = "the text") -> Rect:
    """The screen rectangle of character ``index`` of the text under ``selector`` (a dialogue turn, a post's Text tag)."""
    r = page.evaluate(_CHAR_RECT, [selector, index])
    if r is None:
        raise AssertionError(f"{what} has no character {index} on the page")
    return Rect(**r)


def number_key(n: int) -> str:
    """The hotkey of cluster number n (C1..C9 -> 1..9, C10 -> 0)."""
    if not 1 <= n <= 10:
        raise ValueError(f"C{n} has no hotkey; click its button instead")
    return str(n % 10)


class Annotator:
    """One annotator in one browser page."""

    def __init__(self, page, shots: Path | None = None) -> None:
        self.page = page
        self.shots = shots
        self._shot = 0

    # -- looking -----------------------------------------------------------------------
    def regions(self) -> list[Region]:
        out = []
        for i, text in enumerate(self.page.locator(".lsf-outliner .lsf-tree__node").all_inner_texts()):
            line = " ".join(text.split())
            m = _NODE.match(line)
            if m is None:
                raise AssertionError(f"cannot read the region line {line!r}")
            numbers = tuple(int(x) for x in re.findall(r"C(\d+)", m.group(1)))
            rest = m.group(2).strip()
            kind = "" if re.fullmatch(r"[\d.]*", rest) else rest
            out.append(Region(numbers, kind, i))
        return out

    def mentions(self) -> list[tuple[str, tuple[int, ...]]]:
        return [(r.text, r.numbers) for r in self.regions() if r.text]

    def boxes(self) -> list[tuple[int, ...]]:
        return [r.numbers for r in self.regions() if not r.text]

    def screenshot(self, name: str) -> None:
        if self.shots is not None:
            self._shot += 1
            self.shots.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(self.shots / f"{self._shot:02d}-{name}.png"))

    # -- the dialogue --------------------------------------------------------------------
    def char_rect(self, turn: int, index: int) -> Rect:
        return text_char_rect(self.page, f'[data-testid="phrase:{turn}"] [class^="dialoguetext"]', index, f"turn {turn}")

    def drag_over(self, turn: int, start: int, end: int) -> None:
        """Drag over characters ``start..end`` (inclusive) of a turn, as a person selects text."""
        a, b = self.char_rect(turn, start), self.char_rect(turn, end)
        self.page.mouse.move(a.x + 1, a.y + a.height / 2)
        self.page.mouse.down()
        self.page.mouse.move((a.x + b.x + b.width) / 2, b.y + b.height / 2, steps=4)
        self.page.mouse.move(b.x + b.width - 1, b.y + b.height / 2, steps=4)
        self.page.mouse.up()
        self.page.wait_for_timeout(300)

    def deselect(self) -> None:
        """Escape: no region selected (a drag made while one is selected would take its numbers)."""
        self.page.keyboard.press("Escape")
        self.page.wait_for_timeout(150)

    def press_numbers(self, numbers: tuple[int, ...], shift: bool = False) -> None:
        for n in numbers:
            self.page.keyboard.press(("Shift+" if shift else "") + number_key(n))
            self.page.wait_for_timeout(100)

    def add_mention(self, turn: int, start: int, end: int, numbers: tuple[int, ...]) -> None:
        """The guidelines' gesture: the number(s) first, then drag over the characters."""
        self.deselect()
        self.press_numbers(numbers)
        self.drag_over(turn, start, end)
        self.deselect()
        self._labels_off(numbers, shift=False)

    def _labels_off(self, numbers: tuple[int, ...], shift: bool) -> None:
        """Number buttons still lit after a gesture are pressed again (a later drag would take them)."""
        if self.page.locator(".lsf-label_selected").count():
            self.press_numbers(numbers, shift)
        lit = self.page.locator(".lsf-label_selected").all_inner_texts()
        if lit:
            raise AssertionError(f"number buttons still lit after the gesture: {lit}")

    def select(self, text: str | None = None, numbers: tuple[int, ...] | None = None) -> Region:
        """Click a region in the Regions panel: a mention by its text, or a box by its numbers."""
        self.deselect()
        for r in self.regions():
            if (text is not None and r.text == text) or (text is None and not r.text and r.numbers == numbers):
                self.page.locator(".lsf-outliner .lsf-tree__node").nth(r.index).click()
                self.page.wait_for_timeout(300)
                return r
        raise AssertionError(f"no region {text or numbers!r} in the panel: {self.regions()}")

    def renumber(self, text: str | None, to: tuple[int, ...], box_of: tuple[int, ...] | None = None) -> None:
        """Select a region, press the numbers it lacks, then the wrong ones again to take them off."""
        r = self.select(text, box_of)
        shift = text is None
        self.press_numbers(tuple(n for n in to if n not in r.numbers), shift)
        self.press_numbers(tuple(n for n in r.numbers if n not in to), shift)
        self.deselect()

    def delete(self, text: str | None = None, box_of: tuple[int, ...] | None = None) -> None:
        self.select(text, box_of)
        self.page.keyboard.press("Backspace")
        self.page.wait_for_timeout(300)

    def tick(self, text: str, flag: str) -> None:
        """Select a mention and tick one of the per-person flags shown under the dialogue."""
        self.select(text)
        self.page.locator(".lsf-choices label", has_text=flag).first.click()
        self.page.wait_for_timeout(200)
        self.deselect()

    # -- the video -----------------------------------------------------------------------
    def go_to_frame(self, ls_frame: int) -> None:
        """Click the frame counter under the video and type the frame (Label Studio counts from 1)."""
        self.page.locator(".lsf-frames-control").click()
        box = self.page.locator(".lsf-frames-control input")
        box.fill(str(ls_frame))
        box.press("Enter")
        self.page.wait_for_function(
            "f => (document.querySelector('.lsf-frames-control')?.textContent || '').startsWith(f + ' ')", arg=str(ls_frame),
            timeout=10_000,
        )
        self.page.wait_for_timeout(300)

    def video_rect(self, frame_size: tuple[int, int]) -> Rect:
        """Where the frame is drawn: the player area with the frame fitted and centred in it."""
        area = self.page.locator(".lsf-video__main").bounding_box()
        w, h = frame_size
        scale = min(area["width"] / w, area["height"] / h)
        return Rect(area["x"] + (area["width"] - w * scale) / 2, area["y"] + (area["height"] - h * scale) / 2, w * scale, h * scale)

    def draw_box(self, numbers: tuple[int, ...], ls_frame: int, bbox: tuple[float, float, float, float], frame_size: tuple[int, int]) -> None:
        """Go to the key frame, press Shift + the number(s), drag the box over the head, and turn
        interpolation off so that the box lives on that frame only."""
        self.deselect()
        self.go_to_frame(ls_frame)
        self.press_numbers(numbers, shift=True)
        v = self.video_rect(frame_size)
        sx, sy = v.width / frame_size[0], v.height / frame_size[1]
        x1, y1, x2, y2 = (v.x + bbox[0] * sx, v.y + bbox[1] * sy, v.x + bbox[2] * sx, v.y + bbox[3] * sy)
        self.page.mouse.move(x1, y1)
        self.page.mouse.down()
        self.page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=5)
        self.page.mouse.move(x2, y2, steps=5)
        self.page.mouse.up()
        self.page.wait_for_timeout(400)
        self._labels_off(numbers, shift=True)
        self.select(None, numbers)
        self.toggle_interpolation()
        self.deselect()

    def toggle_interpolation(self) -> None:
        """The selected box's "Toggle Interpolation" button, the fourth of the video bar (a crossed diamond):
        the box then ends at its key frame. The test checks the result: ``enabled: false`` on the key frame."""
        self.page.locator(".lsf-timeline-controls button").nth(3).click()
        self.page.wait_for_timeout(300)

    def type_name(self, numbers: tuple[int, ...], name: str) -> None:
        """Select the box; the celebrity-name field opens under the dialogue; type, Enter. A name already
        there (proposed, or typed before) is changed with its "Edit Region" button first."""
        self.select(None, numbers)
        region = self.page.locator("[data-testid='textarea-region']")
        if region.count():
            region.get_by_role("button", name="Edit Region").first.click()
            field = self.page.locator("[data-testid='textarea-region-input']").first
        else:
            field = self.page.get_by_placeholder("Celebrity name (leave empty if not a celebrity)")
        field.click()
        field.fill(name)
        field.press("Enter")
        self.page.wait_for_timeout(300)
        self.page.locator(".lsf-paragraphs").first.click(position={"x": 5, "y": 5})  # leave the field
        self.deselect()

    def shown_name(self, numbers: tuple[int, ...]) -> str:
        """The celebrity name shown under the dialogue when the box is selected ("" when none)."""
        self.select(None, numbers)
        texts = self.page.locator("[data-testid='textarea-region'] [data-testid='htx-textbox-content']").all_inner_texts()
        self.deselect()
        return " ".join(t.strip() for t in texts if t.strip())

    def submit(self) -> None:
        """Submit, and wait until Label Studio has saved it (the button then reads "Update", or the
        editor moves on to another task)."""
        before = self.page.url
        self.page.get_by_role("button", name="Submit").click()
        try:
            self.page.wait_for_function(
                "url => location.href !== url || Array.from(document.querySelectorAll('button')).some(b => b.textContent.trim() === 'Update')",
                arg=before, timeout=30_000,
            )
        finally:
            self.page.screenshot(path="/tmp/x/after-submit.png")
        self.page.wait_for_timeout(500)
