"""A database of the machine's local Redis, empty before and after a test; the test is skipped without Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def empty_redis(db: int) -> Iterator[Any]:
    """A client of 127.0.0.1:6379 database `db`, flushed on the way in and out, closed after."""
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=db)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()
