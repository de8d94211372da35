"""The annotation guidelines (zh + en) and their rendering into Label Studio project instructions."""
from __future__ import annotations

import re
from functools import cache
from importlib import resources

LANGUAGES = (("zh", "中文"), ("en", "English"))
#: Links to the repository's docs/ (screenshots): kept as plain text in the project instructions.
DOCS_LINK = re.compile(r"\[([^\]]+)\]\(\.\./docs/[^)]+\)")


#: The coreference guidelines' name; a task kind names its own guidelines (``TaskKind.guidelines``: the file stem).
DEFAULT = "guidelines"


def names() -> list[str]:
    """The guidelines shipped: ``<name>.<lang>.md`` for every language."""
    files = [p.name for p in resources.files(__name__).iterdir()]
    return sorted({f.split(".")[0] for f in files if f.endswith(".md") and all(f"{f.split('.')[0]}.{l}.md" in files for l, _ in LANGUAGES)})


def guidelines(lang: str, task: str = DEFAULT) -> str:
    """The Markdown text of the guidelines ``task`` (a task kind's guidelines name) in ``lang`` ("zh" or "en")."""
    if lang not in dict(LANGUAGES):
        raise ValueError(f"lang: expected one of {[l for l, _ in LANGUAGES]}, got {lang!r}")
    if task not in names():
        raise ValueError(f"task: expected one of {names()}, got {task!r}")
    return resources.files(__name__).joinpath(f"{task}.{lang}.md").read_text(encoding="utf-8")


@cache
def instructions_html(task: str = DEFAULT) -> str:
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
