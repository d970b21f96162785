"""Output files: atomic writes and table writing."""
