"""The visual half of the pipeline: decode -> shots -> head boxes -> tracks -> persons -> key frames."""
