"""Keeps the development set out of training: exact and near-duplicate prompts are dropped (README of the dev set:
normalised exact match, word-trigram Jaccard >= 0.4)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from scripts.train.data import Record

_WORD = re.compile(r"\w+")
JACCARD = 0.4


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def trigrams(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(normalise(text))
    return frozenset(tuple(words[i:i + 3]) for i in range(max(0, len(words) - 2)))


class OverlapIndex:
    """Answers "is this prompt (nearly) one of these?" with an inverted index over word trigrams."""

    def __init__(self, prompts: Iterable[str]) -> None:
        self._exact: set[str] = set()
        self._grams: list[frozenset[tuple[str, ...]]] = []
        self._index: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for prompt in prompts:
            self.add(prompt)

    def add(self, prompt: str) -> None:
        self._exact.add(normalise(prompt))
        grams = trigrams(prompt)
        for g in grams:
            self._index[g].append(len(self._grams))
        self._grams.append(grams)

    def matches(self, prompt: str) -> bool:
        if normalise(prompt) in self._exact:
            return True
        grams = trigrams(prompt)
        if not grams:
            return False
        shared: dict[int, int] = defaultdict(int)
        for g in grams:
            for i in self._index.get(g, ()):
                shared[i] += 1
        return any(n / len(grams | self._grams[i]) >= JACCARD for i, n in shared.items())


def drop_overlaps(records: Iterable[Record], index: OverlapIndex) -> tuple[list[Record], int]:
    kept, dropped = [], 0
    for record in records:
        if index.matches(record.prompt):
            dropped += 1
        else:
            kept.append(record)
    return kept, dropped
