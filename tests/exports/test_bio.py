"""CMNER / Twitter-style BIO files <-> Post: byte-identical round trips, and what a bad file gets."""
from __future__ import annotations

import pytest

from exports.bio import BioFormatError, format_bio, parse_bio, read_bio, write_bio
from exports.posts import Entity, Post, entities_of
from tests.conftest import SHARED

CMNER = SHARED / "data" / "cmner"


@pytest.mark.parametrize("name", ["train.txt", "dev.txt"])
def test_cmner_files_round_trip_byte_for_byte(tmp_path, name):
    problems = []
    posts, layout = read_bio(CMNER / name, problems)
    assert len(posts) == {"train.txt": 3000, "dev.txt": 1000}[name] and problems == []
    assert sum(len(p.entities) for p in posts) == {"train.txt": 16373, "dev.txt": 5395}[name]
    write_bio(tmp_path / name, posts, layout)
    assert (tmp_path / name).read_bytes() == (CMNER / name).read_bytes()


def test_twitter_style_tokens_and_bad_tags_survive_the_round_trip():
    text = "IMGID:1015799\nRT\tO\n@jack\tB-PER\nin\tO\nNew\tB-LOC\nYork\tI-LOC\n\nIMGID:1015800\nApple\tI-ORG\nrocks\tO\n"
    problems = []
    posts, layout = parse_bio(text, "tweets.txt", problems)
    assert layout.prefix == "IMGID:" and [p.id for p in posts] == ["1015799", "1015800"]
    assert posts[0].entities == (Entity(1, 2, "PER"), Entity(3, 5, "LOC")) and posts[0].text_of(posts[0].entities[1], " ") == "New York"
    assert [str(p) for p in problems] == ["1015800: tags[0]: I-ORG after the start: an entity must start with B- (line 9)"]
    assert format_bio(posts, layout) == text  # the tags as written are kept


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("WID:a\n我\tO\n\n我\tO\n", "posts:4: a: a blank line inside the post"),
        ("我\tO\n", "posts:1: expected a 'WID:/IMGID:<id>' header or 'token<TAB>tag'"),
        ("WID:a\n我\tO\nWID:a\n他\tO\n", "posts:3: a: a second post with this id"),
        ("WID:a\nWID:b\n他\tO\n", "posts:1: a: the post has no token"),
        ("WID:\n他\tO\n", "posts:1: a post header without an id"),
    ],
)
def test_a_bad_file_names_line_and_post(text, error):
    with pytest.raises(BioFormatError, match="^" + error.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_bio(text)


def test_entities_read_like_seqeval():
    ents, problems = entities_of(["B-PER", "I-PER", "O", "I-LOC", "B-ORG", "I-MISC", "X-Y"])
    assert ents == [Entity(0, 2, "PER"), Entity(3, 4, "LOC"), Entity(4, 5, "ORG"), Entity(5, 6, "MISC")]
    assert [i for i, _ in problems] == [3, 5, 6]
    with pytest.raises(ValueError, match="overlaps"):
        Post("p", tuple("王一博"), (Entity(0, 2, "PER"), Entity(1, 3, "LOC")))
