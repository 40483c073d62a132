"""Decision handles on a shared Redis: any replica stores, any replica answers the feedback.

Each handle is one key with the TTL (`SET ... EX`), so Redis expires them itself; `max_entries`
bounds only the in-memory store (here the TTL times the request rate bounds the keys, and Redis's
own `maxmemory` the bytes). The first-feedback mark is a `SET NX` beside the handle, so two replicas
taking the same id at once count it once; the matrix is one hash, cluster-wide.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from plugins.feedback.handle import DecisionHandle
from plugins.feedback.store import Scope, cell

DEFAULT_PREFIX = "agent-router:feedback:"


class AsyncRedis(Protocol):
    """The part of `redis.asyncio.Redis` this store uses (redis-py types its results `Awaitable`)."""

    def set(self, name: str, value: str, *, ex: int | None = None, nx: bool = False) -> Awaitable[Any]: ...

    def get(self, name: str) -> Awaitable[Any]: ...

    def hincrby(self, name: str, key: str, amount: int = 1) -> Awaitable[Any]: ...

    def hgetall(self, name: str) -> Awaitable[Any]: ...


class RedisStore:
    scope: Scope = "cluster"

    def __init__(self, client: AsyncRedis, ttl_seconds: int, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self.ttl = ttl_seconds
        self.prefix = prefix

    async def put(self, handle: DecisionHandle) -> None:
        await self._client.set(self._key("decision", handle.id), handle.to_json(), ex=self.ttl)

    async def get(self, response_id: str) -> DecisionHandle | None:
        raw = await self._client.get(self._key("decision", response_id))
        return None if raw is None else DecisionHandle.from_json(raw)

    async def claim(self, response_id: str) -> bool:
        if await self.get(response_id) is None:
            return False
        return bool(await self._client.set(self._key("claimed", response_id), "1", ex=self.ttl, nx=True))

    async def tally(self, predicted: str, correct: str, source: str) -> None:
        await self._client.hincrby(self.prefix + "matrix", cell(predicted, correct, source), 1)

    async def totals(self) -> Mapping[str, int]:
        raw = await self._client.hgetall(self.prefix + "matrix")
        return {_text(k): int(v) for k, v in raw.items()}

    def _key(self, kind: str, response_id: str) -> str:
        return f"{self.prefix}{kind}:{response_id}"


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value
