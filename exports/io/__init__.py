"""How data gets in and out: files (:mod:`.files`, whose names are re-exported here: ``from exports.io import
InputError, read_release, atomic_writer ...``), Label Studio's API (:mod:`.label_studio`), databases
(:mod:`.database`) and media (:mod:`.media`: a video's rate and size, a post's images)."""
from exports.io.files import (InputError, ReadReport, atomic_writer, read_json, read_jsonl_records, read_release, read_splits,
                              read_task_list, read_text_lines, read_titles, write_lines)

__all__ = ["InputError", "ReadReport", "atomic_writer", "read_json", "read_jsonl_records", "read_release", "read_splits", "read_task_list",
           "read_text_lines", "read_titles", "write_lines"]
