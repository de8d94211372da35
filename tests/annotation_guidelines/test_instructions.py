"""The guidelines rendered as Label Studio project instructions."""
from __future__ import annotations

import re

import pytest
from pathlib import Path

import annotation_guidelines as G

REPO = Path(__file__).resolve().parents[2]


def test_both_languages_teach_the_gestures_that_work_and_link_existing_screenshots():
    for lang, _ in G.LANGUAGES:
        text = G.guidelines(lang)
        assert "Toggle Interpolation" in text and "Backspace" in text and "Escape" in text and "Auto-Annotation" in text
        links = re.findall(r"\]\((\.\./docs/[^)]+)\)", text)
        assert len(links) == 8  # the annotator's day (7) and Auto-Annotation (1)
        for link in links:  # the screenshots the browser test took
            assert (REPO / "annotation_guidelines" / link).resolve().is_file(), link


def test_instructions_keep_tables_and_drop_links_label_studio_cannot_serve():
    html = G.instructions_html()
    assert html.count("<table>") == 4 and 'href="../docs' not in html
    assert "draw a head box on a key frame" in html  # the link's text stays


def test_the_post_ner_guidelines_state_cmners_rules_in_both_languages():
    import annotation_guidelines as g

    zh, en = g.guidelines("zh", "ner"), g.guidelines("en", "ner")
    for text, rules in ((zh, ["只标名人", "最细的粒度", "球队", "电视台", "产品"]), (en, ["celebrities only", "finest granularity", "sports teams", "TV stations", "products"])):
        assert all(rule in text for rule in rules), rules
        assert all(f"| {t} |" in text or f"| {t} " in text for t in ("PER", "LOC", "ORG", "MISC"))
    html = g.instructions_html("ner")
    assert "<table>" in html and html.count("<details") == 2 and "只标名人" in html
    with pytest.raises(ValueError, match="task: expected one of"):
        g.guidelines("zh", "pos")
