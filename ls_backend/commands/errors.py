"""What a command raises when it stops, and the exit status each kind means.

Exit statuses: 0 done; 1 done with a problem (a requested step failed, or bad input was skipped);
2 nothing done (bad input file, server unreachable, key refused, bad options or configuration).
"""
from __future__ import annotations

from exports.io import InputError
from ls_backend.infra.config import ConfigError
from ls_backend.workspace.project import ProjectError, ProjectPartlyCreated

__all__ = ["EXIT_CODES", "ConfigError", "exit_code"]


#: Exception type -> exit status; the first type that matches counts (subclasses first).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ProjectPartlyCreated, 1),
    (ProjectError, 2),
    (InputError, 2),
    (ConfigError, 2),
)


def exit_code(exc: BaseException) -> int | None:
    """The exit status of an exception a command may raise, or None for one it must not (a bug)."""
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return None
