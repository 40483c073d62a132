"""Puzzles stated in words, from public-domain puzzle books (Project Gutenberg texts held in GitHub repositories).

- `dudeney_amusements`: Henry E. Dudeney, *Amusements in Mathematics* (1917), Project Gutenberg EBook #16713
  (ISO-8859-1, CRLF), as committed whole in elaxouille/propertype (the file was later removed from that
  repository; it is read at the commit that added it). The book is in the public domain; the file keeps the
  Project Gutenberg header ("for the use of anyone anywhere at no cost and with almost no restrictions
  whatsoever ... under the terms of the Project Gutenberg License"). Only the puzzle part is read (from the
  first section heading, MONEY PUZZLES., to the line SOLUTIONS.): each numbered puzzle (`N.--TITLE.`) is one
  prompt, the statement only (no number, no title, no solution), hard-wrapped lines joined into paragraphs
  (indented lines, tables and verse kept as lines), `[Illustration]` markers removed, and a puzzle cut at the
  next section heading so a section's introduction never joins the puzzle before it.
  Dropped by rule: a statement that points at a figure (diagram, illustration, shown, sketch, drawing,
  picture, accompanying) or that still carries an `[Illustration: ...]` caption.
  The rest were all read one by one (labels/puzzles.tsv): `-` drops a puzzle that needs its picture though it
  does not say so (a board, a map, a maze), one that is only an essay or a question to the reader without a
  problem, and archaic fragments that make no sense alone; the default is reasoning (arithmetic and algebra
  word problems, logic, combinatorics, chess and counter problems in words); `general` marks a trick question
  or word play that needs no deduction.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from scripts.corpus.chat import labelled
from scripts.corpus.mirror import Blob
from scripts.training_data import Record

LABELS = "puzzles"
MAX_CHARS = 4000

AMUSEMENTS = Blob("elaxouille/propertype", "7acd6f4cc335ab3a9194b82eceb645e85f0d4e9a",
                  "amusements-in-mathematics.txt", "5e39cd9815eb02a7f7c24f12c4af4cba2cece328")
AMUSEMENTS_FIRST = "MONEY PUZZLES."
AMUSEMENTS_END = "SOLUTIONS."
#: the book numbers two puzzles 384; the first (THE CROSS TARGET) is 284 in its contents and solutions
AMUSEMENTS_RENUMBER = {(384, "THE CROSS TARGET."): 284}

#: a puzzle heading: number, "--" (the dot is missing in a few), an upper-case title (move lists such as
#: "7--4, 8--5, which means ..." are not headings)
_PUZZLE = re.compile(r'^(\d+)\.?--\s*(["A-Z][^a-z]*)$')
_SECTION = re.compile(r"^[A-Z][A-Z ,.'&:;-]{3,}$")
_FIGURE = re.compile(r"diagram|illustrat|\bshown\b|sketch|drawing|picture|accompanying", re.I)


def _read(blob: Blob, mirrors: Path, encoding: str) -> str:
    """Blob.read for a text that is not UTF-8: the blob id is checked the same way."""
    git_dir = mirrors / blob.repo.replace("/", "+") / "repo"
    found = subprocess.run(["git", "-C", str(git_dir), "rev-parse", f"{blob.commit}:{blob.path}"],
                           check=True, capture_output=True, text=True).stdout.strip()
    if found != blob.blob:
        raise ValueError(f"{blob.repo}@{blob.commit}:{blob.path} is blob {found}, expected {blob.blob}")
    data = subprocess.run(["git", "-C", str(git_dir), "cat-file", "blob", blob.blob],
                          check=True, capture_output=True).stdout
    return data.decode(encoding).replace("\r\n", "\n")


def _paragraphs(lines: list[str]) -> str:
    """Joins hard-wrapped prose lines; a paragraph with an indented line (table, verse, sum) keeps its lines."""
    out, block = [], []
    for line in lines + [""]:
        if line.strip():
            block.append(line.rstrip())
            continue
        if block:
            if any(b.startswith(" ") for b in block):
                out.append("\n".join(block))
            else:
                out.append(" ".join(b.strip() for b in block))
            block = []
    return "\n\n".join(out).strip()


def _numbered_puzzles(text: str, first: str, end: str) -> Iterator[tuple[int, str, list[str]]]:
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == first)
    stop = next(i for i, line in enumerate(lines) if line.strip() == end and i > start)
    current: tuple[int, str, list[str]] | None = None
    for line in lines[start:stop]:
        match = _PUZZLE.match(line)
        if match:
            if current:
                yield current
            current = (int(match[1]), match[2].strip(), [])
        elif _SECTION.match(line.strip()) and not line.startswith(" "):
            if current:
                yield current
            current = None
        elif current is not None:
            current[2].append(line)
    if current:
        yield current


def amusements_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    text = _read(AMUSEMENTS, mirrors, "latin-1")
    for number, title, body in _numbered_puzzles(text, AMUSEMENTS_FIRST, AMUSEMENTS_END):
        number = AMUSEMENTS_RENUMBER.get((number, title), number)
        kept = [line for line in body if line.strip() != "[Illustration]"]
        statement = _paragraphs(kept)
        if not statement or "[Illustration" in statement or _FIGURE.search(statement):
            continue
        yield f"dudeney-aim-{number}", statement, "dudeney:amusements-in-mathematics"


def dudeney_amusements(mirrors: Path) -> Iterator[Record]:
    return labelled(amusements_raw(mirrors), LABELS, "reasoning")


def records(mirrors: Path) -> Iterator[Record]:
    yield from dudeney_amusements(mirrors)
