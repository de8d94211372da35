"""Agreement's part of each task kind (``agreement.kinds.<name>.facet``; the registry is ``exports/kinds``).

An :class:`AgreementKind` says how two annotators' documents are compared and merged into gold, what a system is
scored on (``compare``'s figures and their additive per-document components), and what an annotator's gestures
cost (the simulator). The ``agreement`` command's handlers are the kind's too.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from agreement.effort import Effort
from exports import kinds
from exports.kinds import TaskKind


class AgreementKind(Protocol):
    data: TaskKind
    figures: dict[str, str]  # compare's figures: name -> label, in the order they are printed
    effort_part: str  # the part of the gestures the task's proposals are about ("text", "entities")

    def effort(self, proposal: Any | None, gold: Any) -> Effort:
        """The gestures that turn ``proposal`` (None: from scratch) into ``gold``."""

    def next_mark(self, groups: dict[tuple[str, ...], list[tuple[int, int]]], gold: Any) -> tuple[tuple[str, ...], tuple[int, int]] | None:
        """With Auto-Annotation on, the annotator's next mark (labels, inclusive token span) given the editor's regions
        by label set; None when nothing is missing (the simulator's interactive annotator)."""

    def mark_effort(self, labels: tuple[str, ...]) -> Effort:
        """The gestures of one mark."""

    def clears(self, mark: tuple[int, int], other: tuple[int, int]) -> bool:
        """Whether a region at ``other`` must be deleted before ``mark`` can be made (entities never overlap)."""

    def delete_effort(self) -> Effort:
        """The gestures of deleting one proposed region."""

    def components(self, gold: Sequence[Any], response: Sequence[Any | None]) -> np.ndarray:
        """Per document, the additive components of every figure (see ``agreement.significance``)."""

    def statistics(self) -> dict[str, Any]:
        """figure -> statistic over summed components."""

    def read_documents(self, path: str, problems: list[str]) -> dict[str, Any]:
        """One annotator's (or system's) documents of a file, by key."""

    def report(self, args: argparse.Namespace) -> int: ...

    def adjudicate(self, args: argparse.Namespace) -> int: ...

    def gold(self, args: argparse.Namespace) -> int: ...


def agreement_kind(kind: TaskKind | str) -> AgreementKind:
    return kinds.facet(kind, "agreement")
