"""A project's memory, counted from its stored annotations (see ``pipeline/memory.py`` for what it does).

The webhook stores each annotation with its project; the next ``/predict`` of any task of that project asks
:meth:`ProjectMemories.of` for the memory, which is recounted only when the project's annotations changed
(``Store.annotation_revision``) and kept per process. No retraining is involved: a nickname marked in one task
is proposed in the next.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter

from exports import labelstudio
from exports.labelstudio import post as post_task
from ls_backend.config import Config
from ls_backend.pipeline.memory import Memory, surface_of
from ls_backend.store import Store

log = logging.getLogger(__name__)


class ProjectMemories:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._cache: dict[tuple[int, str], Memory] = {}
        self._learned: dict[bool, frozenset[str]] = {}
        self._lock = threading.Lock()

    def of(self, project_id: int | None, posts: bool = False) -> Memory | None:
        """The memory of a project's dialogue (or, with ``posts``, post NER) annotations; None without a project,
        when the memory is switched off (``project_memory``), or when the project has no annotation yet."""
        if project_id is None or not self.config.project_memory:
            return None
        revision = self.store.annotation_revision(project_id)
        key = (project_id, "ner" if posts else "coref")
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.revision == revision:
                return cached or None
        memory = self._count(project_id, posts, revision)
        with self._lock:
            self._cache[key] = memory
        return memory or None

    def _count(self, project_id: int, posts: bool, revision: str) -> Memory:
        docs, types = [], {}
        for row in self.store.live_annotations(project_id):
            task = {"id": row.task_id, "data": row.task_data}
            is_post = post_task.is_post_task(task)
            if is_post != posts:
                continue
            if posts:
                try:
                    post = post_task.from_task(task, row.result)
                except labelstudio.LabelStudioFormatError as exc:
                    log.warning("annotation %s: %s; left out of the project memory", row.ls_annotation_id, exc)
                    continue
                spans = [(e.start, e.end) for e in post.entities]
                for e in post.entities:
                    types.setdefault(surface_of(post.tokens[e.start : e.end]), Counter())[e.type] += 1
                docs.append((post.tokens, spans, ()))
                continue
            dropped: list[str] = []
            try:
                d = labelstudio.from_task(task, row.result, dropped=dropped)
            except ValueError:
                continue  # recorded as not usable when it arrived
            tokens = [tok for t in d.turns for tok in t.tokens]
            docs.append((tokens, [(s, e + 1) for c in d.clusters for s, e in c.spans], [b.celebrity for b in d.boxes if b.celebrity]))
        return Memory.count(docs, types=types, revision=revision, prior_weight=self.config.memory_prior_weight, learned=self.learned(posts))

    def learned(self, posts: bool = False) -> frozenset[str]:
        """Surfaces the base training data marks (mentions, or with ``posts`` entities): the model learned them in
        context, so the memory leaves them to it. Read once per process."""
        with self._lock:
            if posts in self._learned:
                return self._learned[posts]
        from ls_backend.trainer import base_ner_data, base_text_data

        out: set[str] = set()
        path = base_ner_data(self.config) if posts else base_text_data(self.config)
        try:
            if posts:
                from exports.bio import read_bio

                for p in read_bio(path)[0] if path.exists() else []:
                    out.update(surface_of(p.tokens[e.start : e.end]) for e in p.entities)
            else:
                from ls_backend.pipeline.text.data import read_training_data

                for d in read_training_data(path)[0] if path.exists() else []:
                    tokens = [tok for t in d.turns for tok in t.tokens]
                    out.update(surface_of(tokens[s : e + 1]) for c in d.clusters for s, e in c.spans)
        except (OSError, ValueError) as exc:
            log.warning("%s: %s; the project memory counts every surface", path, exc)
        with self._lock:
            self._learned[posts] = frozenset(out)
        return self._learned[posts]
