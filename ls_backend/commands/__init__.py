"""One module per ``ls-backend`` command: ``add_parser(sub)`` declares its options, ``run(args)`` does it
and returns the exit status, or raises; :mod:`ls_backend.cli` turns the exception's type into the exit
status (:data:`ls_backend.commands.errors.EXIT_CODES`).

A task kind's own commands (``train``, ``evaluate``, ``predict``, and ``documents`` / ``fold_config`` for
``simulate``) live in ``commands/<kind>.py``; :func:`for_kind` finds them, so that ``run`` never branches on a kind.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from exports import kinds


def for_kind(name: str) -> ModuleType:
    """The module of a task kind's commands (``ls_backend.commands.<name>``)."""
    return importlib.import_module(f"{__name__}.{kinds.get(name).name}")
