"""Each task kind's ``exports`` commands (``validate``, ``to-labelstudio``, ``from-labelstudio``) in
``exports/commands/<kind>.py``; :func:`for_kind` finds them, so that ``exports/cli.py`` never branches on a kind."""
from __future__ import annotations

import importlib
from types import ModuleType

from exports import kinds


def for_kind(name: str) -> ModuleType:
    """The module of a task kind's ``exports`` commands (``exports.commands.<name>``)."""
    return importlib.import_module(f"{__name__}.{kinds.get(name).name}")
