"""Text coreference: person mentions and their clusters (embedded CPU model)."""
