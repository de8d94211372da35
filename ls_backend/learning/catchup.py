"""Catch-up: the annotations Label Studio holds that no webhook brought.

Label Studio sends each annotation to ``/webhook`` once and does not retry: one submitted while the backend was
restarting, or imported with the tasks, would never reach training. When the backend knows Label Studio's URL and
key (``Config.label_studio()``: ``label_studio_url`` / ``label_studio_api_key``, ``LABEL_STUDIO_URL`` /
``LABEL_STUDIO_API_KEY``), :func:`catch_up` reads every project the backend is connected to (it sent ``/setup``,
``/predict`` or a webhook; ``Store.known_projects``) that uses one of our templates, page by page, stores each annotation it has not seen or that changed (read into its kind's
document, as the webhook does), and marks deleted the stored annotations of those projects that Label Studio no
longer has. Annotations are keyed by Label Studio's id, so a webhook and a catch-up of the same annotation count once.

The trainer runs it at its start and before every training run; ``ls-backend status`` says how many annotations
came this way.
"""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from exports import kinds
from ls_backend.infra.config import Config
from ls_backend.infra.store import Store
from ls_backend.learning.inbox import read_incoming, store_incoming

log = logging.getLogger(__name__)

#: ``ReceivedAnnotation.source`` of what a catch-up stored
SOURCE = "catch-up"


@dataclass
class CatchUpReport:
    projects: list[int] = field(default_factory=list)
    stored: int = 0  # new or changed annotations stored
    unchanged: int = 0
    deleted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.stored or self.deleted)

    def __str__(self) -> str:
        return (f"catch-up: {len(self.projects)} project(s), {self.stored} annotation(s) stored, {self.deleted} marked deleted, "
                f"{self.unchanged} already there" + (f"; {len(self.problems)} problem(s)" if self.problems else ""))


def our_kind(label_config: Any) -> kinds.TaskKind | None:
    """The task kind of a project's labeling config when it has all that kind's tags (one of our templates), else None."""
    if not isinstance(label_config, str) or not label_config.strip():
        return None
    try:
        root = ET.fromstring(label_config)
    except ET.ParseError:
        return None
    tags = {(el.tag, el.attrib.get("name")) for el in root.iter()}
    kind = kinds.of_config(label_config)
    return kind if all(t in tags for t in kind.required_tags) else None


def catch_up(config: Config, store: Store, client: Any = None) -> CatchUpReport | None:
    """Bring the store level with Label Studio; None when the backend has no Label Studio connection configured.

    Raises:
        InputError: Label Studio does not answer, or refuses the key (the caller logs it; nothing was changed).
    """
    from exports.io.label_studio import connect, every, plain

    if client is None:
        if not (config.label_studio_url and config.label_studio_api_key):
            return None
        client = connect(config.label_studio_url, config.label_studio_api_key, timeout=60)
    report = CatchUpReport()
    known = store.known_projects()
    for project in every(client.projects.list):
        project = plain(project)
        kind = our_kind(project.get("label_config"))
        if kind is None or project.get("id") not in known:
            continue
        pid = project["id"]
        report.projects.append(pid)
        stored = {row.ls_annotation_id: row for row in store.live_annotations(pid)}  # one query per project
        seen: set[int] = set()
        for task in every(client.tasks.list, project=pid, fields="all"):
            task = plain(task)
            task_kind = kinds.of_request(project.get("label_config"), task)
            for ann in task.get("annotations") or []:
                ann = plain(ann)
                aid = ann.get("id")
                if not isinstance(aid, int) or ann.get("was_cancelled"):
                    continue
                seen.add(aid)
                result = ann.get("result") or []
                row = stored.get(aid)
                if row is not None and row.result == result:
                    report.unchanged += 1
                    continue
                incoming = read_incoming(task_kind, task, aid, result, pid)
                store_incoming(store, incoming, source=SOURCE)
                if incoming.document is None:
                    report.problems.append(f"project {pid}, annotation {aid}: {'; '.join(incoming.dropped)}")
                report.stored += 1
        for aid in stored.keys() - seen:
            report.deleted += store.delete_annotation(aid)
    if report.changed or report.problems:
        log.info("%s", report)
    return report
