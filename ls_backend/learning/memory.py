"""A project's memory, counted from its stored annotations (see ``pipeline/memory.py`` for what it does).

The webhook stores each annotation with its project, as its task kind's document; the next ``/predict`` of any
task of that project asks :meth:`ProjectMemories.of` for the memory of that kind, which is recounted only when the
project's annotations changed (``Store.annotation_revision``) and kept per process. No retraining is involved: a
nickname marked in one task is proposed in the next.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter

from ls_backend.infra.config import Config
from ls_backend.infra.store import Store
from ls_backend.kinds import BackendKind
from ls_backend.pipeline.memory import Memory, surface_of

log = logging.getLogger(__name__)


class ProjectMemories:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._cache: dict[tuple[int, str], Memory] = {}
        self._learned: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def of(self, project_id: int | None, kind: BackendKind) -> Memory | None:
        """The memory of a project's annotations of ``kind``; None without a project, when the memory is switched
        off (``project_memory``), or when the project has no annotation of that kind yet."""
        if project_id is None or not self.config.project_memory:
            return None
        revision = self.store.annotation_revision(project_id)
        key = (project_id, kind.data.name)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.revision == revision:
                return cached or None
        memory = self._count(project_id, kind, revision)
        with self._lock:
            self._cache[key] = memory
        return memory or None

    def _count(self, project_id: int, kind: BackendKind, revision: str) -> Memory:
        docs, types = [], {}
        for row in self.store.live_annotations(project_id, kind=kind.data.name):
            if row.document is None:
                continue  # recorded as not usable when it arrived
            try:
                doc = kind.data.document_from_json(row.document)
            except ValueError as exc:
                log.warning("annotation %s: stored document unreadable (%s); left out of the project memory", row.ls_annotation_id, exc)
                continue
            tokens, spans, names, span_types = kind.data.memory_document(doc)
            for (s, e), t in zip(spans, span_types):
                types.setdefault(surface_of(tokens[s:e]), Counter())[t] += 1
            docs.append((tokens, spans, names))
        return Memory.count(docs, types=types, revision=revision, prior_weight=self.config.memory_prior_weight, learned=self.learned(kind))

    def learned(self, kind: BackendKind) -> frozenset[str]:
        """Surfaces the kind's base training data marks: the model learned them in context, so the memory leaves
        them to it. Read once per process."""
        name = kind.data.name
        with self._lock:
            if name in self._learned:
                return self._learned[name]
        out: set[str] = set()
        path = kind.base_data(self.config)
        try:
            for doc in kind.read_base(path)[0]:
                tokens, spans, _, _ = kind.data.memory_document(doc)
                out.update(surface_of(tokens[s:e]) for s, e in spans)
        except (OSError, ValueError) as exc:
            log.warning("%s: %s; the project memory counts every surface", path, exc)
        with self._lock:
            self._learned[name] = frozenset(out)
        return self._learned[name]
