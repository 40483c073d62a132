"""A static (model2vec-style) sentence encoder: token lookup, mean, L2 norm; numpy only at run time.

The table was distilled offline from all-MiniLM-L6-v2 (`make model`); at run time there is no torch and
no network, so an embedding costs one tokenisation and one row gather.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from plugins.classify.wordpiece import WordPiece

Vector = npt.NDArray[np.float32]


class StaticEncoder:
    """Maps text to a unit vector; the zero vector when the text has no known token."""

    def __init__(self, tokenizer: WordPiece, table: npt.NDArray[np.float32], max_tokens: int) -> None:
        if table.ndim != 2 or table.shape[0] != tokenizer.vocab_size:
            raise ValueError(
                f"embedding table shape {table.shape} does not match the tokenizer's "
                f"{tokenizer.vocab_size} tokens"
            )
        self._tokenizer = tokenizer
        self._table = table
        self._max_tokens = max_tokens
        self.dim = int(table.shape[1])
        self.vocab_size = int(table.shape[0])

    @classmethod
    def load(cls, directory: Path, max_tokens: int) -> StaticEncoder:
        tokenizer = WordPiece.from_tokenizer_json(directory / "tokenizer.json")
        # Read whole and widened to float32 once (about 30 MB): no page faults or per-call conversion
        # on the request path. No mmap, no pickle.
        table = np.load(directory / "embeddings.npy", allow_pickle=False).astype(np.float32)
        return cls(tokenizer, table, max_tokens)

    def token_ids(self, text: str) -> list[int]:
        return self._tokenizer.ids(text)[: self._max_tokens]

    def embed_ids(self, ids: list[int]) -> Vector:
        if not ids:
            return np.zeros(self.dim, dtype=np.float32)
        mean = self._table[ids].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return np.asarray(mean / norm if norm > 0.0 else mean, dtype=np.float32)
