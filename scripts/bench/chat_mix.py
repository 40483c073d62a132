"""The load phase's prompts: 100 chat first turns whose lengths follow real chat, fixed and committed.

Real first turns are mostly short with a long tail of pasted code, logs and documents. The bands
below follow the length quantiles of the WildChat first turns in the shared corpus (median
110-160 characters, p75 360-620, p90 1,200-1,650, p95 2,100-2,500, that corpus capped at 4,000),
with the tail extended to 6,000 characters; about a fifth are not English. Only the lengths were
read from the corpus: the texts are this project's own (scripts/bench/chat_texts.py). Long
prompts are a question followed by a paste, cut at a line end to a fixed length.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from functools import cache
from typing import Final

from plugins.classify.evaluation import percentile
from scripts.bench.chat_texts import (
    CSV_HEADER,
    DETAILED,
    ESSAY,
    JS_COMPONENT,
    LOG_EVENTS,
    MEDIUM,
    PRODUCTS,
    PYTHON_MODULE,
    SHORT,
    STORES,
    TRACEBACK,
    WORD_PROBLEM,
)

# (lowest, highest) characters of a band, and how many of the 100 prompts fall in it.
BANDS: Final[tuple[tuple[int, int, int], ...]] = (
    (1, 50, 27),
    (51, 200, 30),
    (201, 600, 20),
    (601, 1_500, 13),
    (1_501, 3_000, 6),
    (3_001, 6_000, 4),
)


def log_lines(chars: int, seed: int = 3) -> str:
    """A worker log of at least `chars` characters (timestamps rising, numbers from `seed`)."""
    rng = random.Random(seed)
    lines: list[str] = []
    seconds = 8 * 3600
    while sum(len(line) + 1 for line in lines) < chars:
        seconds += rng.randrange(0, 4)
        clock = f"2026-11-30 {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        event = rng.choice(LOG_EVENTS).format(w=rng.randrange(1, 5), o=10_400 + len(lines),
                                               n=rng.randrange(1, 9), ms=rng.randrange(3, 900))
        lines.append(f"{clock},{rng.randrange(1000):03d} {event}")
    return "\n".join(lines)


def csv_rows(chars: int, seed: int = 5) -> str:
    """Sales rows of at least `chars` characters, header first."""
    rng = random.Random(seed)
    lines = [CSV_HEADER]
    day = 0
    while sum(len(line) + 1 for line in lines) < chars:
        day += 1
        for store in STORES:
            product = rng.choice(PRODUCTS)
            lines.append(f"2026-10-{day % 28 + 1:02d},{store},{product},{rng.randrange(1, 60)},"
                         f"{rng.choice((4.5, 7.9, 12.0, 3.2))},{rng.randrange(0, 4)}")
    return "\n".join(lines)


def _python_then_traceback(chars: int) -> str:
    return f"{TRACEBACK}\n{PYTHON_MODULE}\n{log_lines(chars)}"


def _everything(chars: int) -> str:
    return f"{PYTHON_MODULE}\n{JS_COMPONENT}\n{log_lines(chars)}"


def _fixed(text: str) -> Callable[[int], str]:
    return lambda chars: text


# (question, paste source given the characters wanted, total length, fenced as code)
PASTES: Final[tuple[tuple[str, Callable[[int], str], int, bool], ...]] = (
    ("Why does this raise an error sometimes?", _python_then_traceback, 900, True),
    ("Proofread this and make it flow better:", _fixed(ESSAY), 700, False),
    ("Please help me with this one, I'm stuck:", _fixed(WORD_PROBLEM), 930, False),
    ("This component shows every order twice after I click Load more. Why?", _fixed(JS_COMPONENT), 1_150, True),
    ("What does this log tell you? Is something wrong?", log_lines, 800, True),
    ("Which store did best? Give me a short summary.", csv_rows, 650, True),
    ("Summarise this in three bullet points:", _fixed(ESSAY), 1_300, False),
    ("Add type hints and docstrings where they are missing:", _fixed(PYTHON_MODULE), 1_200, True),
    ("Translate this into German, keep the tone:", _fixed(ESSAY), 1_000, False),
    ("Compute the return rate per product and tell me which differences look real, not noise:",
     csv_rows, 1_400, True),
    ("Write pytest unit tests for this class:", _fixed(PYTHON_MODULE), 1_450, True),
    ("Peux-tu m'expliquer ce que fait ce composant, ligne par ligne ?", _fixed(JS_COMPONENT), 1_000, True),
    ("Как исправить эту ошибку? Вот трейсбек и лог:", _python_then_traceback, 750, True),
    ("Review this module: bugs, naming, anything you would change.", _fixed(PYTHON_MODULE), 2_600, True),
    ("Here's our worker log from this morning. When did the errors start and what is the likely cause?",
     log_lines, 2_200, True),
    ("Read this and write a reply from the council's point of view:", _fixed(ESSAY), 2_000, False),
    ("Why is this slow for big inventories? Suggest a faster design.", _fixed(PYTHON_MODULE), 1_800, True),
    ("Make a pivot table from this: units per store and product.", csv_rows, 2_800, True),
    ("この文章を三行で要約してください。", _fixed(ESSAY), 1_600, False),
    ("The worker crashes a few times a day with this. Find the cause and fix it.",
     _python_then_traceback, 3_400, True),
    ("What is going on in this log? Group the problems by cause.", log_lines, 4_500, True),
    ("Find anomalies in these sales figures and explain how you found them.", csv_rows, 3_800, True),
    ("Our order page sometimes shows stock that is not there. Here is the backend, the frontend and a "
     "log from the last incident. Where is the bug?", _everything, 5_800, True),
)


def cut(text: str, chars: int) -> str:
    """The head of `text`, at most `chars` characters, ending at a line end when there is one."""
    if len(text) <= chars:
        return text
    head = text[:chars]
    end = head.rfind("\n")
    return head[:end] if end > chars // 2 else head


def paste_prompt(question: str, source: Callable[[int], str], total: int, fenced: bool) -> str:
    opening, closing = ("\n\n```\n", "\n```") if fenced else ("\n\n", "")
    room = total - len(question) - len(opening) - len(closing)
    return f"{question}{opening}{cut(source(room), room)}{closing}"


@cache
def chat_mix() -> tuple[str, ...]:
    """The 100 prompts, short ones first; the load phase sends them in turn."""
    pastes = tuple(paste_prompt(*spec) for spec in PASTES)
    return (*SHORT, *MEDIUM, *DETAILED, *pastes)


def unique(prompt: str, index: int) -> str:
    """`prompt` made distinct per request by trailing whitespace (the index in spaces and tabs).

    Real first turns are all different; a fixed set sent in turn would be served from the
    encoder's continuity cache after one pass. Classifiers strip or ignore trailing whitespace.
    """
    return prompt + "\n" + format(index, "b").replace("0", " ").replace("1", "\t")


def band_counts(prompts: Sequence[str]) -> list[int]:
    """How many of `prompts` fall in each of BANDS (prompts outside every band are not counted)."""
    return [sum(low <= len(p) <= high for p in prompts) for low, high, _ in BANDS]


def is_english(prompt: str) -> bool:
    """A rough test for the profile: ASCII letters only, and none of a few non-English words."""
    head = prompt.split("\n", 1)[0]
    return head.isascii() and not any(word in head.split() for word in ("Wie", "Ich", "Qual", "Un"))


def length_profile(prompts: Sequence[str] = ()) -> dict[str, object]:
    """Characters per prompt of the mix: count, mean, quantiles, max, bands, non-English share."""
    items = list(prompts or chat_mix())
    lengths = [float(len(p)) for p in items]
    return {
        "prompts": len(items),
        "mean_chars": round(statistics.mean(lengths)),
        **{f"p{q}_chars": int(percentile(lengths, q)) for q in (10, 25, 50, 75, 90, 95, 99)},
        "max_chars": int(max(lengths)),
        "bands": {f"{low}-{high}": n for (low, high, _), n in zip(BANDS, band_counts(items), strict=True)},
        "non_english": sum(not is_english(p) for p in items),
    }
