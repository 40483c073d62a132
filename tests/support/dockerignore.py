"""Which files of a directory enter a Docker build context, by the rules of its .dockerignore.

Docker's semantics (moby/patternmatcher): patterns are matched in order against each path and its
parent directories, the last matching one wins, `!` re-includes, `*` and `?` stop at `/`, `**`
spans directories. Enough to check our allow-list without a Docker daemon.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def read_patterns(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per pattern line, in file order."""
    rules = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:].strip() if negated else line
        pattern = str(PurePosixPath(pattern.strip("/"))) if pattern.strip("/") else "."
        rules.append((negated, _regex(pattern)))
    return rules


def is_excluded(rel: PurePosixPath, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    candidates = [rel.as_posix(), *(p.as_posix() for p in rel.parents if p.as_posix() != ".")]
    excluded = False
    for negated, regex in rules:
        if any(regex.match(c) for c in candidates):
            excluded = not negated
    return excluded


def build_context(root: Path) -> Iterator[PurePosixPath]:
    """Relative paths of the regular files Docker would send for `docker build root`."""
    rules = read_patterns(root / ".dockerignore")
    for dirpath, dirnames, filenames in os.walk(root):  # local venvs are walked too, then ignored
        base = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            rel = PurePosixPath((base / name).as_posix())
            if (root / rel).is_file() and not is_excluded(rel, rules):
                yield rel
