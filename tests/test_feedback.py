"""Decision handles and feedback without LiteLLM: the in-memory and Redis stores, the desk's rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from plugins.feedback.desk import FeedbackDesk
from plugins.feedback.handle import Caller, DecisionHandle, caller_hash
from plugins.feedback.redis_store import RedisStore
from plugins.feedback.store import DecisionStore, MemoryStore
from plugins.metrics.loop import LoopMetrics
from plugins.record import RoutingRecord
from tests.support.clock import FakeClock
from tests.support.redis_db import empty_redis

INTENTS = ("code", "reasoning", "general")
REDIS_DB = 12  # a database of its own (pytest -n 2 may run test_feedback_integration, db 11, meanwhile)
RECORD = RoutingRecord("code", 0.91, "high", "qwen-coder", "qwen-coder", False, "learned",
                       (("code", 0.91), ("general", 0.06)), 0.85, 0.0)
OWNER = Caller(caller_hash("sk-owner"), caller_hash("team-a"))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def handle(response_id: str = "chatcmpl-1") -> DecisionHandle:
    return DecisionHandle.of(response_id, "chat", RECORD, OWNER, 1000.0)


def test_a_handle_round_trips_through_json_and_holds_no_key() -> None:
    h = handle()
    assert DecisionHandle.from_json(h.to_json()) == h
    assert "sk-owner" not in h.to_json() and h.key == caller_hash("sk-owner") and len(h.key or "") == 16


def test_memory_store_expires_after_the_ttl_and_keeps_at_most_max_entries() -> None:
    clock = FakeClock()
    store = MemoryStore(ttl_seconds=10, max_entries=2, clock=clock)
    run(store.put(handle("a")))
    clock.advance(5)
    run(store.put(handle("b")))
    run(store.put(handle("c")))  # over max_entries: the oldest goes
    assert len(store) == 2 and run(store.get("a")) is None and run(store.get("b")) is not None
    clock.advance(5)  # b and c are 5 s old
    assert run(store.get("c")) is not None
    clock.advance(10)
    assert run(store.get("b")) is None and run(store.get("c")) is None
    run(store.put(handle("d")))  # trims the expired ones
    assert len(store) == 1


def test_memory_store_claims_an_id_once() -> None:
    store = MemoryStore(60, 10)
    run(store.put(handle()))
    assert run(store.claim("chatcmpl-1")) is True
    assert run(store.claim("chatcmpl-1")) is False
    assert run(store.claim("unknown")) is False


@pytest.fixture()
def redis_db() -> Iterator[Any]:
    pytest.importorskip("redis.asyncio")
    with empty_redis(REDIS_DB) as sync_client:
        yield sync_client


def test_redis_store_keeps_handles_with_their_ttl_and_claims_once(redis_db: Any) -> None:
    import redis.asyncio

    async def scenario() -> tuple[Any, ...]:
        # The asyncio client's connections belong to this loop: made and closed inside it.
        client = redis.asyncio.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
        try:
            store = RedisStore(client, ttl_seconds=60, prefix="agent-router-test:")
            await store.put(handle())
            got = await store.get("chatcmpl-1")
            first, second = await store.claim("chatcmpl-1"), await store.claim("chatcmpl-1")
            await store.tally("code", "general", "user")
            await store.tally("code", "general", "user")
            return got, first, second, await store.totals(), await store.get("missing")
        finally:
            await client.aclose()

    got, first, second, totals, missing = run(scenario())
    assert got == handle() and missing is None
    assert (first, second) == (True, False)
    assert totals == {"code|general|user": 2}
    assert 0 < redis_db.ttl("agent-router-test:decision:chatcmpl-1") <= 60


def desk(store: DecisionStore) -> tuple[FeedbackDesk, CollectorRegistry]:
    registry = CollectorRegistry()
    return FeedbackDesk(lambda: store, LoopMetrics(INTENTS, registry), clock=lambda: 1000.0), registry


def test_the_first_report_counts_a_repeat_does_not() -> None:
    d, registry = desk(MemoryStore(60, 10))
    run(d.record("chatcmpl-1", "chat", RECORD, OWNER))
    status, body = run(d.give({"id": "chatcmpl-1", "intent": "general"}, OWNER))
    assert status == 200 and body["counted"] is True and body["source"] == "user"
    assert body["predicted_intent"] == "code" and body["agreed"] is False
    status, body = run(d.give({"id": "chatcmpl-1", "intent": "code", "source": "reviewer"}, OWNER))
    assert status == 200 and body["counted"] is False
    labels = {"predicted_intent": "code", "correct_intent": "general", "source": "user"}
    assert registry.get_sample_value("agent_router_feedback_total", labels) == 1
    summary = run(d.summary())
    assert summary == {"scope": "process", "total": 1, "agreed": 0, "agreement_rate": 0.0,
                       "matrix": {"code": {"general": 1}}, "by_source": {"user": 1, "reviewer": 0, "model": 0}}


@pytest.mark.parametrize(("caller", "status"), [
    (Caller(caller_hash("sk-other"), caller_hash("team-b")), 403),
    (Caller(caller_hash("sk-other"), None), 403),
    (Caller(caller_hash("sk-teammate"), caller_hash("team-a")), 200),
    (Caller(None, None, admin=True), 200),
])
def test_only_the_key_its_team_or_an_admin_may_report(caller: Caller, status: int) -> None:
    d, registry = desk(MemoryStore(60, 10))
    run(d.record("chatcmpl-1", "chat", RECORD, OWNER))
    got, body = run(d.give({"id": "chatcmpl-1", "intent": "code"}, caller))
    assert got == status
    if status == 403:
        assert body["error"]["type"] == "permission_error" and body["error"]["code"] == "403"
        assert registry.get_sample_value("agent_router_feedback_total", {
            "predicted_intent": "code", "correct_intent": "code", "source": "user"}) == 0


@pytest.mark.parametrize(("body", "param"), [
    ([], None), ("x", None), ({"intent": "code"}, "id"), ({"id": "", "intent": "code"}, "id"),
    ({"id": 7, "intent": "code"}, "id"), ({"id": "x" * 1025, "intent": "code"}, "id"),
    ({"id": "a", "intent": "poetry"}, "intent"), ({"id": "a"}, "intent"),
    ({"id": "a", "intent": "code", "source": "admin"}, "source"),
    ({"id": "a", "intent": "code", "extra": 1}, "extra"),
])
def test_bad_bodies_are_400_naming_the_field(body: Any, param: str | None) -> None:
    d, _ = desk(MemoryStore(60, 10))
    status, answer = run(d.give(body, OWNER))
    assert status == 400 and answer["error"]["param"] == param
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["code"] == "400"


def test_unknown_and_expired_ids_are_404() -> None:
    clock = FakeClock()
    d, _ = desk(MemoryStore(10, 10, clock=clock))
    run(d.record("chatcmpl-1", "chat", RECORD, OWNER))
    assert run(d.give({"id": "nope", "intent": "code"}, OWNER))[0] == 404
    clock.advance(11)
    status, body = run(d.give({"id": "chatcmpl-1", "intent": "code"}, OWNER))
    assert status == 404 and body["error"]["type"] == "not_found_error" and body["error"]["param"] == "id"


def test_ids_are_looked_up_in_their_canonical_form() -> None:
    store = MemoryStore(60, 10)
    d = FeedbackDesk(lambda: store, LoopMetrics(INTENTS, CollectorRegistry()),
                     canonical=lambda i: i.removeprefix("enc:"))
    run(d.record("resp_1", "responses", RECORD, OWNER))  # stored as seen by the hook
    assert run(d.give({"id": "enc:resp_1", "intent": "code"}, OWNER))[0] == 200  # the client's form
