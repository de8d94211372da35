"""``ls-backend``: the MCR Studio side of Label Studio.

    ls-backend project create --title T --from FILE.jsonl [--url URL --api-key KEY]
                              [--with-annotations | --with-predictions VERSION]
                              [--video-root DIR [--document-root DIR] | --video-url-prefix URL]
                              [--ml-backend URL] [--skip-invalid]
    ls-backend start | status | preannotate | predict | train | evaluate | simulate | train-align | evaluate-align
    ls-backend project create | train | predict | evaluate --task ner ...   (post NER on BIO files; see docs/project-leads.md)

The Label Studio URL and key: ``--url`` / ``--api-key``, else ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``,
else ``label_studio_url`` / ``label_studio_api_key`` in the ``--config`` file.

Exit codes: 0 done; 1 done with a problem (a requested step failed, or invalid lines were
skipped); 2 nothing done (bad input file, server unreachable, key refused, bad options).
``project create`` prints the new project's id as the last line of its output.
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ls_backend.commands import evaluate, evaluate_align, predict, preannotate, project, simulate, start, status, train, train_align
from ls_backend.commands.errors import exit_code

log = logging.getLogger("ls_backend")

#: command name -> its module (``add_parser``, ``run``), in the order ``--help`` lists them.
COMMANDS = {"project": project, "status": status, "start": start, "train": train, "predict": predict, "preannotate": preannotate,
            "train-align": train_align, "evaluate-align": evaluate_align, "evaluate": evaluate, "simulate": simulate}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ls-backend", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command].run(args)
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        log.error("%s", exc)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
