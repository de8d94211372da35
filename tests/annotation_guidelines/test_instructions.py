"""The guidelines rendered as Label Studio project instructions."""
from __future__ import annotations

import re
from pathlib import Path

import annotation_guidelines as G

REPO = Path(__file__).resolve().parents[2]


def test_both_languages_teach_the_gestures_that_work_and_link_existing_screenshots():
    for lang, _ in G.LANGUAGES:
        text = G.guidelines(lang)
        assert "Toggle Interpolation" in text and "Backspace" in text and "Escape" in text
        links = re.findall(r"\]\((\.\./docs/[^)]+)\)", text)
        assert len(links) == 7
        for link in links:  # the screenshots the browser test took
            assert (REPO / "annotation_guidelines" / link).resolve().is_file(), link


def test_instructions_keep_tables_and_drop_links_label_studio_cannot_serve():
    html = G.instructions_html()
    assert html.count("<table>") == 4 and 'href="../docs' not in html
    assert "draw a head box on a key frame" in html  # the link's text stays
