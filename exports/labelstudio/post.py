"""A post NER task (``templates/ner_post.xml``) <-> :class:`~exports.posts.Post`.

Task data: ``{"post_id", "text", "images": [url, ...], "url"?, "release": {...}}``; ``release`` keeps what
the BIO file needs for the same bytes (tokens of a word-level post, the header prefix, the line ending, the
blank lines after the post, its position, the file's ends, tags that are not a valid BIO sequence).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import templates as T
from exports.bio import BioLayout
from exports.labelstudio import entity
from exports.labelstudio.errors import LabelStudioFormatError
from exports.posts import Post, entities_of


def to_task(post: Post, layout: BioLayout | None = None, position: int = 0, *, last: bool = False, images: Sequence[str] | None = None,
            annotation: bool = True) -> dict[str, Any]:
    layout = layout or BioLayout()
    text = entity.TokenText(post.tokens)
    release: dict[str, Any] = {"prefix": layout.prefix, "newline": layout.newline, "blank_after": layout.blanks.get(post.id, 1), "position": position}
    if text.sep:
        release["tokens"] = list(post.tokens)
    if position == 0 and layout.head_blanks:
        release["head_blanks"] = layout.head_blanks
    if last:
        release["final_newline"] = layout.final_newline
    if post.tags is not None:
        release["tags"] = list(post.tags)
    data: dict[str, Any] = {"post_id": post.id, "text": text.text, "images": list(images if images is not None else post.images), "release": release}
    if post.url:
        data["url"] = post.url
    task: dict[str, Any] = {"data": data}
    if annotation:
        task["annotations"] = [{"result": to_result(post)}]
    return task


def to_result(post: Post, origin: str = "manual") -> list[dict[str, Any]]:
    text = entity.TokenText(post.tokens)
    return [entity.to_region(i, e, text, origin) for i, e in enumerate(post.entities)]


def to_prediction(post: Post, score: float, version: str) -> dict[str, Any]:
    """A model's entities as a Label Studio prediction."""
    return {"result": to_result(post, origin="prediction"), "score": score, "model_version": version}


def is_post_task(task: Any) -> bool:
    """Whether a task is a post NER task (its data has the post's id and text)."""
    data = task.get("data") if isinstance(task, Mapping) else None
    return isinstance(data, Mapping) and "post_id" in data and "text" in data and "dialogue" not in data


def read_task(task: Any, index: int, max_chars: int) -> Post:
    """The post of a task to predict (its annotations are not read).

    Raises:
        LabelStudioFormatError: naming the task (``task <id>`` or ``tasks[<index>]``) and the field.
    """
    if not isinstance(task, Mapping):
        raise LabelStudioFormatError(f"tasks[{index}]", "", f"expected a task object, got {type(task).__name__}")
    text = (task.get("data") or {}).get("text") if isinstance(task.get("data"), Mapping) else None
    if isinstance(text, str) and len(text) > max_chars:
        raise LabelStudioFormatError(f"task {task.get('id', f'#{index}')}", "data.text",
                                     f"{len(text)} characters; this backend takes posts of up to {max_chars}")
    return from_task(task, [])


def from_task(task: Mapping[str, Any], result: Sequence[Any] | None = None) -> Post:
    """The post of a task and one annotation's (or prediction's) result (default: the task's only annotation).

    Raises:
        LabelStudioFormatError: naming the task and field.
    """
    data = task.get("data", task) if isinstance(task, Mapping) else None
    where = f"task {task['id']}" if isinstance(task, Mapping) and "id" in task else "task"
    if not isinstance(data, Mapping):
        raise LabelStudioFormatError(where, "data", "expected an object")
    pid, text_ = data.get("post_id"), data.get("text")
    if not isinstance(pid, str) or not pid:
        raise LabelStudioFormatError(where, "data.post_id", f"expected a non-empty string, got {pid!r}")
    where = f"{where} ({pid})"
    if not isinstance(text_, str) or not text_:
        raise LabelStudioFormatError(where, "data.text", "expected the post's text")
    release = data.get("release") or {}
    tokens = release.get("tokens") if isinstance(release, Mapping) else None
    tokens = tuple(tokens) if isinstance(tokens, list) and all(isinstance(t, str) for t in tokens) else tuple(text_)
    text = entity.TokenText(tokens)
    if text.text != text_:
        raise LabelStudioFormatError(where, "data.release.tokens", "the tokens do not spell the post's text")
    if result is None:
        anns = [a for a in task.get("annotations") or [] if isinstance(a, Mapping) and not a.get("was_cancelled")]
        if len(anns) > 1:
            raise LabelStudioFormatError(where, "annotations", f"{len(anns)} annotations: say which one to read")
        result = anns[0].get("result", []) if anns else []
    if not isinstance(result, list):
        raise LabelStudioFormatError(where, "result", "expected a list of regions")
    entities = []
    for ri, r in enumerate(result):
        if not isinstance(r, Mapping) or r.get("from_name") != T.NER_ENTITY or not isinstance(r.get("value"), Mapping):
            raise LabelStudioFormatError(where, f"result[{ri}]", f"expected an '{T.NER_ENTITY}' region with a value")
        entities.append(entity.read(r["value"], text, where, f"result[{ri}]"))
    images = data.get("images")
    images = [i for i in images if isinstance(i, str)] if isinstance(images, list) else []
    url = data.get("url") if isinstance(data.get("url"), str) else None
    raw = release.get("tags") if isinstance(release, Mapping) else None
    try:
        post = Post(pid, tokens, tuple(entities), tuple(images), url or None)
        if raw is not None and isinstance(raw, list) and post.bio() != raw:
            if all(isinstance(t, str) for t in raw) and len(raw) == len(tokens) and entities_of(raw)[0] == list(post.entities):
                # unchanged since import: keep the file's own tags
                post = Post(pid, tokens, post.entities, post.images, post.url, tags=tuple(raw))
        return post
    except ValueError as exc:
        raise LabelStudioFormatError(where, "result", str(exc)) from None


def layout_of(tasks: Sequence[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], BioLayout]:
    """The tasks in their file order and the BIO layout they were imported with (defaults for tasks made elsewhere)."""
    def rel(t: Mapping[str, Any]) -> Mapping[str, Any]:
        r = (t.get("data") or {}).get("release") if isinstance(t.get("data"), Mapping) else None
        return r if isinstance(r, Mapping) else {}

    ordered = sorted(tasks, key=lambda t: (rel(t).get("position", 1 << 30), str((t.get("data") or {}).get("post_id"))))
    layout = BioLayout()
    if ordered:
        first, last = rel(ordered[0]), rel(ordered[-1])
        layout.prefix = first.get("prefix", layout.prefix)
        layout.newline = first.get("newline", layout.newline)
        layout.head_blanks = int(first.get("head_blanks", 0))
        layout.final_newline = bool(last.get("final_newline", True))
        for t in ordered:
            layout.blanks[str((t.get("data") or {}).get("post_id"))] = int(rel(t).get("blank_after", 1))
    return ordered, layout
