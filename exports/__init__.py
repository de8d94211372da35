"""Release data model (:class:`Dialogue`) and its formats: release JSONL, Label Studio JSON, CoNLL-2012."""
from exports.dialogue import Box, Cluster, Dialogue, ReleaseLayout, Span, Turn, make_dialogue

__all__ = ["Box", "Cluster", "Dialogue", "ReleaseLayout", "Span", "Turn", "make_dialogue"]
