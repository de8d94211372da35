"""What each correction costs an annotator, in the gestures the guidelines teach (section 8 of
``guidelines.*.md``, section 3 of ``ner.*.md``): the one table the effort counts and the campaign
simulator read. A gesture is one key press, one click or one drag; the annotator's-day browser test
(``tests/ls_backend/test_annotator_day.py``) performs each of these sequences in Label Studio 1.23.

| correction | gestures | how (Label Studio 1.23) |
|---|---|---|
| add a mention | 1 + one per number | press its number(s), drag over the characters |
| delete a proposed mention | 2 | select it, Backspace |
| renumber a mention | 1 + one per number added or taken off | select it, press the right number, press the wrong one |
| draw a head box | 4 | frame counter to the key frame, Shift + number, drag, Toggle Interpolation |
| renumber a proposed box | 3 | select it, Shift + right number, Shift + its old number |
| delete a proposed box | 2 | select it, Backspace |
| name a celebrity | 2 | select the box, type the name + Enter |
| flag a person | 2 | select one of their mentions, tick the flag |
| add an entity (posts) | 2 | press its type (1-4), drag |
| delete a proposed entity | 2 | select it, Backspace |
| retype a proposed entity | 2 | select it, press the right type |

With Auto-Annotation on (an interactive backend), marking a mention or an entity costs what adding it costs; what the
backend adds back costs nothing (Label Studio accepts text suggestions at once), and deleting a wrong one costs a
delete (``ls-backend simulate --interactive`` counts it so).
"""
from __future__ import annotations

from types import MappingProxyType

#: gesture costs by correction; ``*_per_number`` is added once per cluster number pressed or taken off
COSTS = MappingProxyType({
    "mention_drag": 1,
    "mention_per_number": 1,
    "mention_delete": 2,
    "mention_select": 1,
    "box_draw": 4,
    "box_renumber": 3,
    "box_delete": 2,
    "name_type": 2,
    "flag": 2,
    "entity_add": 2,
    "entity_delete": 2,
    "entity_retype": 2,
})


def add_mention(numbers: int) -> int:
    """Press each of the mention's ``numbers`` cluster numbers, then drag."""
    return COSTS["mention_drag"] + COSTS["mention_per_number"] * max(1, numbers)


def renumber_mention(changed: int) -> int:
    """Select the mention, then press each number that must be added or taken off (``changed`` >= 1)."""
    return COSTS["mention_select"] + COSTS["mention_per_number"] * changed
