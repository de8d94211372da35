"""The annotation guidelines (zh + en) and their rendering into Label Studio project instructions."""
from __future__ import annotations

import re
from functools import cache
from importlib import resources

LANGUAGES = (("zh", "中文"), ("en", "English"))
#: Links to the repository's docs/ (screenshots): kept as plain text in the project instructions.
DOCS_LINK = re.compile(r"\[([^\]]+)\]\(\.\./docs/[^)]+\)")


#: task type -> the guidelines' file name stem
FILES = {"coref": "guidelines", "ner": "ner"}


def guidelines(lang: str, task: str = "coref") -> str:
    """The Markdown text of the guidelines in ``lang`` ("zh" or "en") for ``task`` ("coref" or "ner")."""
    if lang not in dict(LANGUAGES):
        raise ValueError(f"lang: expected one of {[l for l, _ in LANGUAGES]}, got {lang!r}")
    if task not in FILES:
        raise ValueError(f"task: expected one of {list(FILES)}, got {task!r}")
    return resources.files(__name__).joinpath(f"{FILES[task]}.{lang}.md").read_text(encoding="utf-8")


@cache
def instructions_html(task: str = "coref") -> str:
    """Both languages as one HTML fragment for Label Studio's ``expert_instruction``.

    Chinese first (open), English below (collapsed); tables and lists are kept.
    """
    import markdown

    parts = ['<div class="mcr-guidelines" style="max-width: 60em">']
    for i, (lang, name) in enumerate(LANGUAGES):
        text = DOCS_LINK.sub(r"\1", guidelines(lang, task))  # the repository's screenshots are not served by Label Studio
        body = markdown.markdown(text, extensions=["tables", "sane_lists"])
        parts.append(f'<details{" open" if i == 0 else ""} lang="{lang}"><summary><b>{name}</b></summary>{body}</details>')
    parts.append("</div>")
    return "\n".join(parts)
