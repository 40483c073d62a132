"""A fast, pure-Python BERT (uncased) WordPiece tokenizer over a `tokenizer.json` vocabulary.

Why not `tokenizers` itself: its normaliser and pre-tokeniser track character offsets and cost about
0.5 microseconds per character here, which alone would break the 2 ms p99 budget on long prompts. A
regex split plus a per-word memo is about ten times cheaper and gives the same ids on ordinary text
(tests/test_classifier_learned.py compares the two). Offsets are not needed for a mean of embeddings.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

# BERT splits off every punctuation or symbol character, and `_` counts as punctuation.
_WORDS = re.compile(r"[^\W_]+|[^\w\s]|_")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# CJK ideographs are tokenised one by one, as BERT's `handle_chinese_chars` does.
_CJK = re.compile(
    "([\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f])"
)
_MEMO_LIMIT = 100_000


def _nonspacing_marks() -> re.Pattern[str]:
    """A class of every combining (category Mn) character of the Basic Multilingual Plane, for accent
    stripping at C speed: a per-character `unicodedata.category` loop cost 0.2 ms per 1,000 characters."""
    marks = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Mn"]
    return re.compile("[" + "".join(re.escape(m) for m in marks) + "]")


_MARKS = _nonspacing_marks()


class WordPiece:
    def __init__(self, vocab: Mapping[str, int], max_word_chars: int = 100) -> None:
        self._vocab = dict(vocab)
        self._max_word_chars = max_word_chars
        # Memo of word -> ids: bounded, and only a cache (results never depend on it).
        self._memo: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_tokenizer_json(cls, path: Path) -> WordPiece:
        model = json.loads(path.read_text(encoding="utf-8"))["model"]
        if model.get("type") != "WordPiece":
            raise ValueError(f"{path}: expected a WordPiece model, found {model.get('type')!r}")
        return cls(model["vocab"], int(model.get("max_input_chars_per_word", 100)))

    @property
    def vocab_size(self) -> int:
        return len(self._vocab)

    def words(self, text: str) -> list[str]:
        """BERT uncased normalisation and pre-tokenisation."""
        text = text.lower()
        if not text.isascii():
            text = _CONTROL.sub("", text)
            text = unicodedata.normalize("NFD", text)
            text = _MARKS.sub("", text)
            text = _CJK.sub(r" \1 ", text)
        return _WORDS.findall(text)

    def ids(self, text: str) -> list[int]:
        """Token ids of the text; unknown words are dropped (they carry no embedding)."""
        out: list[int] = []
        memo = self._memo
        for word in self.words(text):
            pieces = memo.get(word)
            if pieces is None:
                pieces = self._split(word)
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[word] = pieces
            out.extend(pieces)
        return out

    def _split(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match-first; a word with an unmatched part is unknown as a whole (as in BERT)."""
        if len(word) > self._max_word_chars:
            return ()
        vocab = self._vocab
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return ()
            pieces.append(found)
            start = end
        return tuple(pieces)
