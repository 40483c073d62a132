"""Puzzles and riddles stated in words, from public-domain books (Project Gutenberg texts held in GitHub
repositories: one file committed in elaxouille/propertype, the rest in the GITenberg mirror of Project
Gutenberg). Every file keeps the Project Gutenberg header ("for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever ... under the terms of the Project Gutenberg License"); all the books were
published before 1929 and their authors died before 1931. Labels: labels/puzzles.tsv (every kept item read).

- `dudeney_amusements`: Henry E. Dudeney, *Amusements in Mathematics* (1917), EBook #16713 (ISO-8859-1), as
  committed whole in elaxouille/propertype (later removed there; read at the commit that added it).
- `dudeney_canterbury`: Dudeney, *The Canterbury Puzzles* (1907), EBook #27635 (GITenberg).
  For both: only the puzzle part is read (to the line SOLUTIONS); each numbered puzzle is one prompt, the
  statement only (no number, no title, no solution), hard-wrapped lines joined into paragraphs (indented
  lines, tables and verse kept as lines), `[Illustration]` markers and _italic_ underscores removed, a puzzle
  cut at the next section heading so a section's introduction never joins the puzzle before it. Dropped by
  rule: a statement that points at a figure (diagram, illustration, shown, sketch, drawing, picture,
  accompanying) or keeps an `[Illustration: ...]` caption, except the puzzles in *_EXEMPT (read: the word
  is used in another sense). The rest were all read: `-` drops a puzzle that needs its picture or the puzzle
  before it though it does not say so; the default is reasoning (arithmetic and algebra word problems, logic,
  combinatorics, geometry and chess problems in words, lateral "how could this be done" puzzles).
- `carroll_syllogisms`, `carroll_sorites`: Lewis Carroll, *Symbolic Logic* Part I (1897 ed.), EBook #28696
  (GITenberg), Book VIII: the 40 trios of concrete propositions "proposed as syllogisms, to be examined" and
  the 60 sets of concrete premisses "proposed as premisses for soriteses, conclusions to be found". Carroll
  asks no question in words, so the premisses are put into one of three fixed question wordings each
  (TRIO_ASK, SORITES_ASK: ours; drawn with Random(SEED), Random(SEED + 1)); his "Univ." line of symbols is
  left out. Default reasoning; four dropped (ethnic slurs and stereotypes in the premisses).
- `conundrums`: Edith B. Ordway, *The Handbook of Conundrums* (1914), EBook #32898 (GITenberg): the question of
  170 conundrums of chapter IX (General) drawn with Random(SEED + 2) and of 50 of chapter VIII (on the
  Alphabet) drawn with Random(SEED + 3), without the answer. These
  are the riddle-like look-alikes: a pun answers them, no deduction does, so the default is general; the two
  that need a deduction are reasoning, and slurs and questions that need the one before are dropped.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.chat import labelled
from scripts.train.corpus.mirror import Blob
from scripts.train.data import Record

LABELS = "puzzles"
MAX_CHARS = 4000

AMUSEMENTS = Blob("elaxouille/propertype", "7acd6f4cc335ab3a9194b82eceb645e85f0d4e9a",
                  "amusements-in-mathematics.txt", "5e39cd9815eb02a7f7c24f12c4af4cba2cece328")
AMUSEMENTS_FIRST = "MONEY PUZZLES."
AMUSEMENTS_END = "SOLUTIONS."
CANTERBURY = Blob("GITenberg/The-Canterbury-PuzzlesAnd-Other-Curious-Problems_27635",
                  "8e1822b2c49e7f23a02db5f6c372506140e62b50", "27635.txt", "db1ad61958d4d4febc28f2e28f83e4eef0f650fd")
CANTERBURY_END = "SOLUTIONS"
# Read and kept though the figure rule would drop them: the figure word is used in another sense ("until thou
# hast shown me how", "a good illustration of how"), or the words alone state the puzzle (the Reve's cheeses).
AMUSEMENTS_EXEMPT = frozenset({132, 356, 369})
CANTERBURY_EXEMPT = frozenset({1, 5, 47, 55, 63, 64})
SYMBOLIC_LOGIC = Blob("GITenberg/Symbolic-Logic_28696", "1680e720f521c3264afe28f66fa9c1bd52985369", "28696.txt",
                      "1f343a8c4a636d006195602eb47349c638ea207b")
CARROLL_TRIOS = "_Trios of Concrete Propositions, proposed as Syllogisms"
CARROLL_SORITES = "_Sets of Concrete Propositions, proposed as Premisses for Soriteses"
CONUNDRUMS = Blob("GITenberg/The-Handbook-of-Conundrums_32898", "6570a833933057b85f7a98e1817c8ee6feb991e3",
                  "32898.txt", "daa91b5a87f893bdd017da623aa9ee61185664bb")
CONUNDRUMS_FIRST = "GENERAL CONUNDRUMS"
CONUNDRUMS_END = "ECHOES"
CONUNDRUMS_DRAWN = 170
ALPHABET_FIRST = "CONUNDRUMS ON THE ALPHABET"
ALPHABET_END = "CHAPTER IX"
ALPHABET_DRAWN = 50
SEED = 20261201
# Carroll's headings say what is asked ("to be examined", "conclusions to be found"); the wording is ours.
TRIO_ASK = (
    "{p1}\n{p2}\nTherefore: {c}\n\nIs this a valid syllogism?",
    "Premises: {p1} {p2}\nConclusion: {c}\n\nDoes the conclusion follow from the premises?",
    "Is this argument valid? {p1} {p2} So, {c_lower}",
)
SORITES_ASK = (
    "{lines}\n\nWhat conclusion can be drawn from these premises, using all of them?",
    "Premises:\n{lines}\n\nWhat is the conclusion? Use every premise.",
    "Find the conclusion that follows from all of these statements taken together:\n{lines}",
)
#: the book numbers two puzzles 384; the first (THE CROSS TARGET) is 284 in its contents and solutions
AMUSEMENTS_RENUMBER = {(384, "THE CROSS TARGET."): 284}

#: a puzzle heading: number, "--" (the dot is missing in a few), an upper-case title (move lists such as
#: "7--4, 8--5, which means ..." are not headings)
_PUZZLE = re.compile(r'^(\d+)\.?--\s*(["A-Z][^a-z]*)$')
#: The Canterbury Puzzles: "1.--_The Reve's Puzzle._" (one heading lacks the dot)
_CANTERBURY_PUZZLE = re.compile(r"^(\d+)\.?--_([A-Z][^_]*)_$")
#: _italic_ in Project Gutenberg texts: the underscores go, the words stay
_PAGE_MARK = re.compile(r"^\s{20,}pg\d+\s*$")
_ITALICS = re.compile(r"_([^_\n]+)_")
_SECTION = re.compile(r"^[A-Z][A-Z ,.'&:;-]{3,}$")
_FIGURE = re.compile(r"diagram|illustrat|\bshown\b|sketch|drawing|picture|accompanying", re.I)


def _read(blob: Blob, mirrors: Path, encoding: str) -> str:
    """A Gutenberg text (not always UTF-8) with its line ends made Unix."""
    return blob.read(mirrors, encoding).replace("\r\n", "\n")


def _paragraphs(lines: list[str]) -> str:
    """Joins hard-wrapped prose lines; a paragraph with an indented line (table, verse, sum) keeps its lines."""
    out, block = [], []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line.rstrip())
            continue
        if block:
            if any(b.startswith(" ") for b in block):
                out.append("\n".join(block))
            else:
                out.append(" ".join(b.strip() for b in block))
            block = []
    return _ITALICS.sub(r"\1", "\n\n".join(out)).strip()


def _numbered_puzzles(text: str, heading: re.Pattern[str], end: str,
                      first: str | None = None) -> Iterator[tuple[int, str, list[str]]]:
    """(number, title, body lines) per puzzle heading, from `first` (or the first heading) to the line `end`.
    A puzzle also ends at a section heading (an upper-case line), so a section's introduction is never read."""
    lines = text.split("\n")
    if first is None:
        start = next(i for i, line in enumerate(lines) if heading.match(line))
    else:
        start = next(i for i, line in enumerate(lines) if line.strip() == first)
    stop = next(i for i, line in enumerate(lines) if line.strip() == end and i > start)
    current: tuple[int, str, list[str]] | None = None
    for line in lines[start:stop]:
        match = heading.match(line)
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


def _statements(text: str, heading: re.Pattern[str], end: str, first: str | None = None,
                renumber: dict[tuple[int, str], int] | None = None,
                exempt: frozenset[int] = frozenset()) -> Iterator[tuple[int, str]]:
    """(number, statement) per puzzle that passes the figure rule (or is exempt from it, having been read)."""
    for number, title, body in _numbered_puzzles(text, heading, end, first):
        number = (renumber or {}).get((number, title), number)
        kept = [line for line in body if line.strip() != "[Illustration]"]
        statement = _paragraphs(kept)
        figure = "[Illustration" in statement or _FIGURE.search(statement)
        if statement and (number in exempt or not figure):
            yield number, statement


def amusements_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    text = _read(AMUSEMENTS, mirrors, "latin-1")
    for number, statement in _statements(text, _PUZZLE, AMUSEMENTS_END, AMUSEMENTS_FIRST, AMUSEMENTS_RENUMBER,
                                         AMUSEMENTS_EXEMPT):
        yield f"dudeney-aim-{number}", statement, "dudeney:amusements-in-mathematics"


def canterbury_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    text = _read(CANTERBURY, mirrors, "ascii")
    for number, statement in _statements(text, _CANTERBURY_PUZZLE, CANTERBURY_END, exempt=CANTERBURY_EXEMPT):
        yield f"dudeney-canterbury-{number}", statement, "dudeney:canterbury-puzzles"


def dudeney_amusements(mirrors: Path) -> Iterator[Record]:
    return labelled(amusements_raw(mirrors), LABELS, "reasoning")


def dudeney_canterbury(mirrors: Path) -> Iterator[Record]:
    return labelled(canterbury_raw(mirrors), LABELS, "reasoning")


def _carroll_blocks(text: str, first: str, end: str) -> list[list[str]]:
    """Blank-line separated blocks between the last line starting with `first` (the first is in the contents) and
    the next line starting with `end`, page markers ("pg113" at the right margin) removed."""
    lines = text.split("\n")
    start = max(i for i, line in enumerate(lines) if line.strip().startswith(first))
    stop = next(i for i, line in enumerate(lines) if line.strip().startswith(end) and i > start)
    blocks, block = [], []
    for line in [*lines[start + 1:stop], ""]:
        if _PAGE_MARK.match(line):
            continue
        if line.strip():
            block.append(line.rstrip())
        elif block:
            blocks.append(block)
            block = []
    return blocks


def _sentences(lines: list[str]) -> list[str]:
    """Wrapped lines joined into propositions, each ending where a line ends with ';' or '.'."""
    out, current = [], []
    for line in lines:
        current.append(line.strip())
        if line.rstrip().endswith((";", ".", '."', ";\"")):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return [_ITALICS.sub(r"\1", sentence) for sentence in out]


def carroll_syllogisms_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """Symbolic Logic, Book VIII, Sec. 7: 40 trios of concrete propositions, two premisses and a proposed
    conclusion each ("to be examined"); the question is ours (TRIO_ASK, drawn with Random(SEED))."""
    text = _read(SYMBOLIC_LOGIC, mirrors, "ascii").replace("\r\n", "\n")
    rng = random.Random(SEED)
    trios: list[list[str]] = []
    for block in _carroll_blocks(text, CARROLL_TRIOS, "Sec. 8."):
        for line in block:  # a page marker can stand between two trios with no blank line
            if re.match(r"^\s*\d+\.\s", line):
                trios.append([line])
            elif trios:
                trios[-1].append(line)
    for trio in trios:
        match = re.match(r"^\s*(\d+)\.\s+(.*)$", trio[0])
        assert match
        parts = _sentences([match[2], *trio[1:]])
        if len(parts) != 3:
            raise ValueError(f"Symbolic Logic trio {match[1]}: {parts}")
        conclusion = parts[2]
        c_lower = conclusion if conclusion.startswith(("I ", '"')) else conclusion[0].lower() + conclusion[1:]
        prompt = rng.choice(TRIO_ASK).format(p1=parts[0], p2=parts[1], c=conclusion, c_lower=c_lower)
        yield f"carroll-syllogism-{match[1]}", prompt, "carroll:symbolic-logic-syllogisms"


def carroll_sorites_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """Symbolic Logic, Book VIII, Sec. 9: 60 sets of concrete premisses whose complete conclusion is to be
    found; the premisses as numbered by Carroll, his "Univ." line of symbols left out; the question is ours
    (SORITES_ASK, drawn with Random(SEED + 1))."""
    text = _read(SYMBOLIC_LOGIC, mirrors, "ascii").replace("\r\n", "\n")
    rng = random.Random(SEED + 1)
    items: list[tuple[str, list[list[str]]]] = []
    collecting = False
    for block in _carroll_blocks(text, CARROLL_SORITES, "CHAPTER II."):
        for line in block:  # line by line: a page marker can join a "Univ." line to the next heading
            head = re.match(r"^\s*=(\d+)\.=$", line)
            if head:
                items.append((head[1], []))
                collecting = True
            elif line.lstrip().startswith("Univ."):
                collecting = False
            elif collecting and re.match(r"^\s*\(\d+\)", line):
                items[-1][1].append([line])
            elif collecting and items and items[-1][1]:
                items[-1][1][-1].append(line)
    for number, premisses in items:
        lines = "\n".join(" ".join(_sentences(p)) for p in premisses)
        prompt = rng.choice(SORITES_ASK).format(lines=lines)
        yield f"carroll-sorites-{number}", prompt, "carroll:symbolic-logic-sorites"


def _conundrum_questions(text: str, first: str, end: str) -> list[str]:
    """The questions of one chapter: each paragraph is "question? answer."; the prompt is the text to its first
    '?' (paragraphs without one, such as "Though I dance at a ball, yet am I nothing at all. A shadow.", and
    bracketed notes are skipped)."""
    lines = text.split("\n")
    start = max(i for i, line in enumerate(lines) if line.strip() == first)
    stop = next(i for i, line in enumerate(lines) if line.strip() == end and i > start)
    questions, block = [], []
    for line in [*lines[start + 1:stop], ""]:
        if line.strip():
            block.append(line.strip())
            continue
        if block:
            paragraph = " ".join(block)
            if "?" in paragraph and not paragraph.startswith("["):
                questions.append(_ITALICS.sub(r"\1", paragraph[: paragraph.index("?") + 1]))
            block = []
    return questions


def conundrums_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """The Handbook of Conundrums: chapter IX (General Conundrums), CONUNDRUMS_DRAWN questions drawn with
    Random(SEED + 2), and chapter VIII (Conundrums on the Alphabet), ALPHABET_DRAWN drawn with Random(SEED + 3)."""
    text = _read(CONUNDRUMS, mirrors, "ascii").replace("\r\n", "\n")
    general = _conundrum_questions(text, CONUNDRUMS_FIRST, CONUNDRUMS_END)
    for index in sorted(random.Random(SEED + 2).sample(range(len(general)), CONUNDRUMS_DRAWN)):
        yield f"conundrums-general-{index}", general[index], "conundrums:general"
    alphabet = _conundrum_questions(text, ALPHABET_FIRST, ALPHABET_END)
    for index in sorted(random.Random(SEED + 3).sample(range(len(alphabet)), ALPHABET_DRAWN)):
        yield f"conundrums-alphabet-{index}", alphabet[index], "conundrums:alphabet"


def conundrums(mirrors: Path) -> Iterator[Record]:
    return labelled(conundrums_raw(mirrors), LABELS, "general")


def carroll_syllogisms(mirrors: Path) -> Iterator[Record]:
    return labelled(carroll_syllogisms_raw(mirrors), LABELS, "reasoning")


def carroll_sorites(mirrors: Path) -> Iterator[Record]:
    return labelled(carroll_sorites_raw(mirrors), LABELS, "reasoning")


def records(mirrors: Path) -> Iterator[Record]:
    yield from dudeney_amusements(mirrors)
    yield from dudeney_canterbury(mirrors)
    yield from carroll_syllogisms(mirrors)
    yield from carroll_sorites(mirrors)
    yield from conundrums(mirrors)
