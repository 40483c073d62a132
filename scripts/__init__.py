"""Operator tools (each module's main() -> int), importable so tests and benchmarks share them."""
