"""Shared test factories."""
from __future__ import annotations

import json
from typing import Any


def release_line(**changes: Any) -> str:
    """A small valid release line (doc_key "7", two turns, one boxed mention); ``key=...`` removes a key."""
    record: dict[str, Any] = {
        "doc_key": "7", "genre": "wb", "sentences": [["他", "来", "了"], ["好"]], "clusters": [[[0, 0]]],
        "clusters_str": [["他"]], "speaker_ids": [["A", "A", "A"], ["B"]], "sentence_map": [[0, 0, 0], [1]],
        "subtoken_map": [[0, 1, 2], [3]], "entity_label": ["C1"],
        "visual_annotations": [{"cur_frame": 0, "cur_frame_path": "", "bbox": [1, 2, 30, 40], "box_labels": "C1",
                                "if_celebrity": "", "region_image_path": ""}],
    }
    record.update(changes)
    return json.dumps({k: v for k, v in record.items() if v is not ...}, ensure_ascii=False)
