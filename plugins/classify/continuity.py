"""Continuity: the first decision for a conversation view, kept so that its continuations reuse it.

An agent's next step (tool results, no new user text) reads the same view as the step before it
(`plugins.surfaces.turns`), so a cache keyed on the view gives every step the first step's decision,
whichever classifier made it. The key is a digest of the view: no prompt text is kept.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

from plugins.prompt import Prompt

V = TypeVar("V")
# 16 bytes: collisions are out of reach for any cache size the config allows.
DIGEST_SIZE = 16


def view_key(prompt: Prompt) -> bytes:
    """A digest of everything a classifier reads: system prompt, earlier turns, the deciding turn.

    Each text is length-prefixed, so moving text between fields changes the key; lone surrogates
    (valid in JSON strings) are hashed as they are rather than failing the request.
    """
    digest = hashlib.blake2b(digest_size=DIGEST_SIZE)
    digest.update(b"t" if prompt.typed else b"u")
    digest.update(len(prompt.context).to_bytes(4, "little"))
    for text in (prompt.system, *prompt.context, prompt.latest):
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


class ContinuityCache(Generic[V]):
    """A bounded least-recently-used map from view keys to the first value stored for them.

    Not thread-safe: the hook reads and writes it on the proxy's event loop only.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a continuity cache holds at least one entry, not {size}")
        self.size = size
        self._entries: OrderedDict[bytes, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def keep(self, key: bytes, value: V) -> V:
        """Store `value` unless the key already has one; returns the value that stays (the first)."""
        first = self._entries.setdefault(key, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return first
