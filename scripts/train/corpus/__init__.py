"""Builds the public training prompts under data/corpus/ from fetched git snapshots (see data/SOURCES.md)."""
