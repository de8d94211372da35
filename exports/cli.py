"""``exports``: validate, split and convert TikTalkCoref release data.

Exit codes: 0 done, 1 done but some records had problems (reported one per line on
stderr, the rest written), 2 nothing could be done (unreadable input, bad options).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from exports import conll, kinds, release
from exports.commands import for_kind
from exports.io import InputError, ReadReport, atomic_writer, read_release, read_splits, read_titles

log = logging.getLogger("exports")


def _frame_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w <= 0 or h <= 0:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 720x1280, got {text!r}") from None
    return w, h


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="exports", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check a release JSONL file; one problem per line 'doc_key: field: message'")
    v.add_argument("file", help="release JSONL file (--task ner: a BIO file of posts)")
    kinds.add_task_option(v)
    v.add_argument("--image-root", help="--task ner: the posts' images, to report posts without one")
    v.add_argument("--frame-size", type=_frame_size, help="WxH of the videos, to check that boxes lie inside the frame")

    s = sub.add_parser("split", help="write the upstream split layout (all/, celeb/, no_celeb/)")
    s.add_argument("--annotations", required=True, help="release JSONL file")
    s.add_argument("--split", required=True, help="split.jsonl (video_id, video_type, split)")
    s.add_argument("--titles", required=True, help="video_titles.jsonl (video_id, title)")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--video-root", default="raw_videos", help="directory written into video_path (default: raw_videos)")

    c = sub.add_parser("conll", help="write CoNLL-2012 (text + coreference) for the reference scorer")
    c.add_argument("file", help="release JSONL file")
    c.add_argument("--out", required=True, help="output .conll file")

    t = sub.add_parser("to-labelstudio", help="write Label Studio import JSON (task data + annotation)")
    t.add_argument("file", help="release JSONL file (--task ner: a BIO file of posts)")
    t.add_argument("--out", required=True, help="output tasks JSON")
    kinds.add_task_option(t)
    t.add_argument("--image-root", help="--task ner: directory with the posts' images (<id>.jpg, <id>_1.jpg ... or <id>/)")
    t.add_argument("--image-url-prefix", help="--task ner: images served at <prefix><path under --image-root>")
    media = t.add_mutually_exclusive_group()
    media.add_argument("--video-root", help="local directory with <doc_key>.mp4 videos (probed for fps and frame size)")
    media.add_argument("--video-url-prefix", help="videos served at <prefix><doc_key>.mp4")
    t.add_argument(
        "--document-root",
        default=os.environ.get("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"),
        help="Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT; --video-root must lie under it "
        "(default: that variable, else the parent of --video-root)",
    )
    t.add_argument("--titles", help="video_titles.jsonl, to show each video's title")
    t.add_argument("--fps", type=_positive_float, help="frame rate of all videos (overrides probing)")
    t.add_argument("--frame-size", type=_frame_size, help="WxH of all videos (overrides probing)")
    t.add_argument("--no-annotations", action="store_true", help="tasks only, without the annotation")

    f = sub.add_parser("from-labelstudio", help="read a Label Studio JSON export (or our import file) back to release JSONL")
    f.add_argument("file", help="Label Studio JSON export")
    kinds.add_task_option(f)
    out = f.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", help="output release JSONL (every task must have at most one annotation)")
    out.add_argument("--out-dir", help="one release JSONL per annotator: <dir>/<annotator>.jsonl")
    f.add_argument("--label-key", choices=release.LABEL_KEYS, help="spelling of the label key to write (default: as read)")
    f.add_argument("--celebrity-key", choices=release.CELEBRITY_KEYS, help="spelling of the celebrity key to write (default: as read)")
    ps = sub.add_parser("posts", help="post NER files: BIO (.txt) <-> the posts JSONL with image paths (.jsonl)")
    ps.add_argument("file", help="a BIO file (.txt) or a posts JSONL (.jsonl)")
    ps.add_argument("--out", required=True, help="the other format (.jsonl or .txt)")
    ps.add_argument("--image-root", help="BIO -> JSONL: fill each post's images from this directory")
    fc = sub.add_parser("faces", help="head crops of the annotated persons as Chinese-CLIP training files (base64 TSV + texts)")
    fc.add_argument("file", help="annotated release JSONL")
    fc.add_argument("--video-root", required=True, help="directory with <doc_key>.mp4 videos")
    fc.add_argument("--out", required=True, help="output prefix: writes <out>_imgs.tsv, <out>_texts.jsonl, <out>_index.jsonl")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted; no output file was left half-written")
        return 130


# -- commands ------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    return for_kind(args.task).validate(args)


def cmd_to_labelstudio(args: argparse.Namespace) -> int:
    return for_kind(args.task).to_labelstudio(args)


def cmd_from_labelstudio(args: argparse.Namespace) -> int:
    return for_kind(args.task).from_labelstudio(args)


def cmd_split(args: argparse.Namespace) -> int:
    from exports.split import split

    report = ReadReport(args.annotations)
    numbered = list(read_release(args.annotations, report))
    dialogues = [d for _, d in numbered]
    line_of = {d.doc_key: n for n, d in numbered}
    split_report = ReadReport(args.split)
    splits = read_splits(args.split, split_report)
    title_report = ReadReport(args.titles)
    titles = read_titles(args.titles, title_report)
    result = split(dialogues, splits, titles, args.out, args.video_root)
    for key in result.not_in_split:
        log.warning("%s line %d: doc_key %s is not in %s; written to all.*.jsonl only", args.annotations, line_of[key], key, args.split)
    for key, where in result.bad_split:
        log.warning("%s line %d: doc_key %s has an unknown video_type/split %s in %s; written to all.*.jsonl only",
                    args.annotations, line_of[key], key, where, args.split)
    if result.without_title:
        log.warning("%d dialogue(s) without a title in %s: video_title set to 'Unknown Title'", len(result.without_title), args.titles)
    summary = ", ".join(f"{t}/{s}: {n}" for (t, s), n in sorted(result.counts.items()))
    log.info("wrote %d dialogues to %s (%s)", len(dialogues), args.out, summary)
    problems = report.problems + split_report.problems + title_report.problems
    return 1 if problems or result.not_in_split or result.bad_split else 0


def cmd_conll(args: argparse.Namespace) -> int:
    report = ReadReport(args.file)
    with atomic_writer(args.out) as fh:
        n = conll.write((d for _, d in read_release(args.file, report)), fh)
    log.info("wrote %d documents to %s", n, args.out)
    return 1 if report.problems else 0


def cmd_posts(args: argparse.Namespace) -> int:
    from exports.commands.ner import convert

    return convert(args)


def cmd_faces(args: argparse.Namespace) -> int:

    from exports.commands.faces import write_faces

    root = Path(args.video_root)
    if not root.is_dir():
        raise InputError(f"--video-root {root}: no such directory")
    report = ReadReport(args.file)
    result = write_faces((d for _, d in read_release(args.file, report)), root, Path(args.out))
    log.info("wrote %d face crops and %d texts to %s_*; %d dialogues without a readable video, %d unusable boxes",
             result.images, result.texts, args.out, result.missing_videos, result.bad_boxes)
    return 1 if report.problems or result.missing_videos or result.bad_boxes else 0


COMMANDS = {
    "validate": cmd_validate,
    "split": cmd_split,
    "conll": cmd_conll,
    "to-labelstudio": cmd_to_labelstudio,
    "from-labelstudio": cmd_from_labelstudio,
    "posts": cmd_posts,
    "faces": cmd_faces,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
