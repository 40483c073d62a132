"""Structural features of a prompt that a bag of tokens cannot see: code shape, maths shape, length.

Each is a cheap count or ratio squashed into [0, 1], so one unusual prompt cannot dominate the
linear head. The build (`scripts/train/build_model.py`) and the run-time classifier call this same code,
so training and serving features cannot drift apart.
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt

_FENCE = re.compile(r"```|~~~")
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|#include|public |private |function |const |let |var |"
    r"return\b|if\s*\(|for\s*\(|while\s*\(|SELECT |INSERT |UPDATE |CREATE |<\w+[ >/]|\$ |>>> )"
    r"|[;{}]\s*$|^\s{4,}\S",
    re.MULTILINE,
)
_SYMBOLS = re.compile(r"[{}()\[\];=<>_|&!\\/`#$@]")
# Plain substrings counted with str.count: a regex alternation of these cost 0.1 ms per 1,000 characters.
_ERROR_MARKS = (
    "Traceback", "Error", "Exception", "error:", "egmentation fault", "undefined reference", "rrno",
    "exit code", "tack trace", "stacktrace", "npm ERR!", "fatal:", "panic:", "FAILED", "WARN",
)
# camelCase and snake_case junctions, calls `f()` and method calls `a.b(`.
_IDENT = re.compile(r"[a-z][A-Z]|[a-z]_[a-z]|\w\(\)|\w\.\w+\(")
_FILE = re.compile(
    r"\w\.(?:py|js|ts|tsx|jsx|java|go|rs|rb|php|cs|cpp|c|h|sh|ya?ml|json|toml|sql|html|css|md)\b"
)
_ARITH = re.compile(r"[\d)] ?[-+*/^\u00d7\u00f7=<>\u2264\u2265] ?[\d(a-z]|[a-z] ?[\^=] ?\d|\d ?%")
_LATEX = re.compile(r"\\(?:frac|int|sum|sqrt|le|ge|cdot|times|pi|infty|lim|binom)\b|\$[^$\n]{1,80}\$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


NAMES: tuple[str, ...] = (
    "fence",
    "code_lines",
    "symbol_density",
    "error_marks",
    "identifiers",
    "file_names",
    "arithmetic",
    "latex",
    "numbers",
    "question",
    "length",
    "non_ascii",
)


def _squash(count: float, scale: float) -> float:
    """0 for nothing, about 0.63 at `scale`, approaching 1 beyond: saturating evidence."""
    return 1.0 - math.exp(-count / scale)


def structural_features(text: str) -> npt.NDArray[np.float32]:
    """The `NAMES` features of an already clipped text, in that order."""
    chars = max(len(text), 1)
    lines = max(text.count("\n") + 1, 1)
    n_words = max(len(text.split()), 1)
    values = (
        1.0 if _FENCE.search(text) else 0.0,
        min(len(_CODE_LINE.findall(text)) / lines, 1.0),
        min(len(_SYMBOLS.findall(text)) / chars * 10.0, 1.0),
        _squash(sum(text.count(mark) for mark in _ERROR_MARKS), 1.0),
        _squash(len(_IDENT.findall(text)), 2.0),
        _squash(len(_FILE.findall(text)), 1.0),
        _squash(len(_ARITH.findall(text)), 2.0),
        _squash(len(_LATEX.findall(text)), 1.0),
        min(len(_NUMBER.findall(text)) / n_words * 4.0, 1.0),
        1.0 if "?" in text else 0.0,
        min(math.log1p(n_words) / math.log1p(400), 1.0),
        min((chars - len(text.encode("ascii", "ignore"))) / chars * 4.0, 1.0),
    )
    return np.asarray(values, dtype=np.float32)
