"""Task kinds: the one seam every task type plugs into.

A task kind (today: ``coref``, dialogue coreference with video; ``ner``, named entities in multi-image posts) is
registered once, here, in :data:`KINDS`. Everything that differs between task types is asked of the kind; no
command, route, trainer or simulator branches on a task type's name.

The kind is layered like the packages (``templates``, ``annotation_guidelines`` <- ``exports`` <- ``agreement``
<- ``ls_backend``), so each layer holds the part of the kind it owns and finds it by the kind's name:

* ``exports.kinds.<name>`` -- :class:`~exports.kinds.base.TaskKind`: the labeling config and how a config or task
  is recognised, the artifact (``Dialogue``, ``Post``), its reader and its Label Studio adapters, its prediction;
* ``agreement.kinds.<name>`` -- agreement, adjudication, gold and the simulator's gesture costs;
* ``ls_backend.kinds.<name>`` -- the models behind one model interface, training, proposing, the project memory.

:func:`facet` resolves a higher layer's part (``facet(kind, "agreement")``); a lower layer never asks for one.
"""
from __future__ import annotations

import importlib
from typing import Any

from exports.kinds.base import TaskKind
from exports.kinds.coref import CorefKind
from exports.kinds.ner import NerKind

#: The registry: every task kind, by name (the ``--task`` choices of every command come from here).
KINDS: dict[str, TaskKind] = {k.name: k for k in (CorefKind(), NerKind())}
#: The kind of a command without ``--task``.
DEFAULT = "coref"


def names() -> tuple[str, ...]:
    return tuple(KINDS)


def get(name: str) -> TaskKind:
    """Raises:
        KeyError: no kind of that name (the message lists the known ones).
    """
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"unknown task kind {name!r}; known: {', '.join(KINDS)}") from None


def of_config(config: str) -> TaskKind:
    """The kind whose labeling config this is (the first that recognises it; the default kind otherwise)."""
    for kind in KINDS.values():
        if kind.name != DEFAULT and kind.recognises_config(config):
            return kind
    return KINDS[DEFAULT]


def of_task(task: Any) -> TaskKind:
    """The kind of a Label Studio task, by its data (the default kind when no other recognises it)."""
    for kind in KINDS.values():
        if kind.name != DEFAULT and kind.recognises_task(task):
            return kind
    return KINDS[DEFAULT]


def of_request(config: str | None, task: Any) -> TaskKind:
    """The kind of a task in a request: by the project's labeling config when it came, else by the task's data."""
    if config is not None:
        kind = of_config(config)
        if kind.name != DEFAULT:
            return kind
    return of_task(task)


def facet(kind: TaskKind | str, layer: str) -> Any:
    """The part of ``kind`` that ``layer`` (``"agreement"`` or ``"ls_backend"``) holds: ``<layer>.kinds.<name>.facet``.

    Called by that layer itself (imports still run one way: ``exports`` never asks for a higher layer's part).
    """
    name = kind if isinstance(kind, str) else kind.name
    return importlib.import_module(f"{layer}.kinds.{get(name).name}").facet


def add_task_option(parser: Any, help_suffix: str = "") -> None:
    """``--task`` of a command, its choices from the registry."""
    described = "; ".join(f"{k.name}: {k.title}" for k in KINDS.values())
    parser.add_argument("--task", choices=names(), default=DEFAULT, help=f"the task kind ({described}; default {DEFAULT}){help_suffix}")


__all__ = ["DEFAULT", "KINDS", "TaskKind", "add_task_option", "facet", "get", "names", "of_config", "of_request", "of_task"]
