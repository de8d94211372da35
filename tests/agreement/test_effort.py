"""Gesture counts of corrections, against counts worked out by hand from the guidelines' table."""
from __future__ import annotations

from agreement.effort import dialogue_effort, post_effort, total
from annotation_guidelines import gestures as G
from exports.dialogue import make_dialogue
from exports.posts import Entity, Post

TURNS = [("A", "可乐今天好看"), ("B", "他也好看")]  # tokens 0-5, 6-9
GOLD = make_dialogue("1", TURNS, [([(0, 1), (6, 6)], "C1")])


def _proposal(*clusters):
    return make_dialogue("1", TURNS, list(clusters))


def test_from_scratch_each_mention_costs_a_number_and_a_drag():
    e = dialogue_effort(None, GOLD)
    assert e.part("text") == (4, 4)
    assert e.saved("text") == 0.0
    assert G.add_mention(1) == 2 and G.add_mention(2) == 3


def test_a_right_proposal_saves_everything():
    e = dialogue_effort(GOLD, GOLD)
    assert e.part("text") == (4, 0)
    assert e.saved("text") == 1.0


def test_a_wrong_proposal_costs_its_deletion_and_the_missed_mention():
    e = dialogue_effort(_proposal(([(0, 1), (2, 3)], "C1")), GOLD)
    assert dict(e.corrections) == {"delete": 2, "add": 2}
    assert e.saved("text") == 0.0


def test_a_split_chain_costs_one_renumbering_and_proposal_numbers_are_kept():
    # C7 -> C1 by the number map: only the second mention is renumbered (select, right number, wrong number)
    e = dialogue_effort(_proposal(([(0, 1)], "C7"), ([(6, 6)], "C2")), GOLD)
    assert dict(e.corrections) == {"renumber": 3}
    assert e.saved("text") == 0.25


def test_a_wrong_boundary_is_a_deletion_and_an_addition_counted_as_span():
    e = dialogue_effort(_proposal(([(0, 2), (6, 6)], "C1")), GOLD)
    assert dict(e.corrections) == {"span": 4}


def test_group_mentions_cost_one_more_per_number():
    gold = make_dialogue("2", [("A", "可乐和雪碧"), ("B", "他们好")],
                         [([(0, 1)], "C1"), ([(3, 4)], "C2"), ([(5, 6)], "C1C2")])
    e = dialogue_effort(None, gold)
    assert e.scratch["add"] == 6 and e.scratch["group"] == 1
    assert e.part("text") == (7, 7)


def test_posts_add_delete_and_retype():
    gold = Post("p", tuple("王菲在北京唱歌啊"), (Entity(0, 2, "PER"), Entity(5, 7, "LOC")))
    proposal = Post("p", gold.tokens, (Entity(0, 2, "ORG"), Entity(3, 4, "LOC")))
    e = post_effort(proposal, gold)
    assert e.part("entities") == (4, 6)
    assert dict(e.corrections) == {"entity_retype": 2, "entity_delete": 2, "entity_add": 2}
    assert e.saved("entities") == -0.5
    assert post_effort(gold, gold).saved("entities") == 1.0


def test_efforts_add_up_over_documents():
    e = total([dialogue_effort(None, GOLD), dialogue_effort(GOLD, GOLD)])
    assert e.documents == 2 and e.part("text") == (8, 4) and e.saved("text") == 0.5
    assert e.part("video") == (0, 0) and e.saved("video") is None
