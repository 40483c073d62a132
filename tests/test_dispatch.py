"""The encoder's dispatcher: off the event loop, within a deadline, a bounded queue, and the fast
classifier deciding in its place (counted by reason) when it cannot; called directly, no proxy."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import CollectorRegistry

from plugins.classify.decision import Classifier, Decided, Decision
from plugins.metrics.series import FALLBACK_REASONS, RouterMetrics
from plugins.prompt import Prompt
from router_hooks.dispatch import PROBE_S, Dispatcher
from tests.support.classifiers import FixedClassifier, RaisingClassifier
from tests.support.clock import FakeClock
from tests.support.executors import ManualExecutor

PROMPT = Prompt("Write a Python function that merges two sorted lists")
# Long enough for the test's event loop to reach the wait, short enough to keep the suite fast:
# the calls it bounds never finish on their own (ManualExecutor), so no timing can flake.
DEADLINE = 0.02


class Fixture:
    def __init__(self, primary: Classifier, executor: ManualExecutor | ThreadPoolExecutor,
                 queue_size: int = 2, fast: Classifier | None = None) -> None:
        self.registry = CollectorRegistry()
        self.metrics = RouterMetrics(("llama",), ("code", "general"), registry=self.registry)
        self.clock = FakeClock(100.0)
        self.fast = fast or FixedClassifier("learned", "general")
        self.dispatcher = Dispatcher(primary, self.fast, executor, DEADLINE, queue_size, self.clock,
                                     self.metrics.classifier_fallback)

    def decide(self, observed: bool = True) -> Decided:
        return asyncio.run(self.dispatcher.decide(PROMPT, self.clock(), observed))

    def fallbacks(self) -> dict[str, float | None]:
        get = self.registry.get_sample_value
        return {r: get("agent_router_classifier_fallbacks_total", {"reason": r}) for r in FALLBACK_REASONS}


def test_the_encoder_decides_in_a_pool_thread_not_on_the_event_loop(pool: ThreadPoolExecutor) -> None:
    encoder = FixedClassifier("encoder", "code")
    under = Fixture(encoder, pool)
    decided = under.decide()
    assert decided.classifier == "encoder" and decided.decision.intent == "code"
    assert encoder.threads and encoder.threads[0] != threading.get_ident()
    assert under.fast.prompts == []  # type: ignore[attr-defined]
    assert under.fallbacks() == {"deadline": 0, "queue_full": 0, "error": 0}
    assert under.dispatcher.in_flight == 0


def test_a_missed_deadline_lets_the_fast_classifier_decide_and_is_counted() -> None:
    executor = ManualExecutor()
    under = Fixture(FixedClassifier("encoder", "code"), executor)
    decided = under.decide()  # its call is admitted, and the pool never runs it
    assert decided.classifier == "learned" and decided.decision.intent == "general"
    assert under.fallbacks() == {"deadline": 1, "queue_full": 0, "error": 0}
    # The call was still waiting in the pool: giving up on it cancelled it and freed its place.
    assert executor.submitted[0].future.cancelled() and under.dispatcher.in_flight == 0


def test_a_result_that_is_ready_when_the_loop_reaches_the_deadline_is_used() -> None:
    """Under load the event loop runs late: the pool's answer and the deadline's timer are both due when it
    gets back. The answer is there and waiting for it costs nothing more, so it decides (the encoder's
    CPU is not spent for nobody); it is not a missed deadline."""
    executor = ManualExecutor()
    under = Fixture(FixedClassifier("encoder", "code"), executor)

    async def late_loop() -> Decided:
        task = asyncio.ensure_future(under.dispatcher.decide(PROMPT, under.clock()))
        await asyncio.sleep(0)  # the call is submitted and the request waits on it
        executor.submitted[0].finish()  # the pool answers in time...
        time.sleep(DEADLINE * 2)  # ...while the loop is busy past the deadline
        return await task

    decided = asyncio.run(late_loop())
    assert decided.classifier == "encoder" and decided.decision.intent == "code"
    assert under.fallbacks() == {"deadline": 0, "queue_full": 0, "error": 0}
    assert under.dispatcher.in_flight == 0


def test_a_deadline_spent_before_dispatch_submits_nothing() -> None:
    executor = ManualExecutor()
    under = Fixture(FixedClassifier("encoder", "code"), executor)
    started = under.clock()
    under.clock.advance(DEADLINE * 2)  # reading the request took the whole budget
    decided = asyncio.run(under.dispatcher.decide(PROMPT, started))
    assert decided.classifier == "learned" and executor.submitted == []
    assert under.fallbacks()["deadline"] == 1


def test_the_queue_counts_running_calls_whose_request_gave_up_and_frees_them_when_they_end() -> None:
    executor = ManualExecutor()
    under = Fixture(FixedClassifier("encoder", "code"), executor, queue_size=2)

    async def admitted_and_running() -> Decided:
        task = asyncio.ensure_future(under.dispatcher.decide(PROMPT, under.clock()))
        await asyncio.sleep(0)  # the task submits its call
        executor.submitted[-1].start()  # a pool thread picked it up: it cannot be cancelled now
        return await task

    for _ in range(2):
        assert asyncio.run(admitted_and_running()).classifier == "learned"  # deadline
    assert under.dispatcher.in_flight == 2  # both still run in the pool
    decided = under.decide()
    assert decided.classifier == "learned" and len(executor.submitted) == 2  # never submitted
    assert under.fallbacks() == {"deadline": 2, "queue_full": 1, "error": 0}
    executor.submitted[0].finish()  # one running call ends: its place is free again
    assert under.dispatcher.in_flight == 1

    async def answered() -> Decided:
        task = asyncio.ensure_future(under.dispatcher.decide(PROMPT, under.clock()))
        await asyncio.sleep(0)
        executor.submitted[-1].finish()
        return await task

    assert asyncio.run(answered()).classifier == "encoder"
    assert under.dispatcher.in_flight == 1


def test_an_encoder_error_lets_the_fast_classifier_decide_and_is_counted(pool: ThreadPoolExecutor) -> None:
    under = Fixture(RaisingClassifier("encoder"), pool)
    decided = under.decide()
    assert decided.classifier == "learned"
    assert under.fallbacks() == {"deadline": 0, "queue_full": 0, "error": 1}
    assert under.dispatcher.in_flight == 0


def test_the_encoders_own_timeout_error_is_an_error_not_a_deadline(pool: ThreadPoolExecutor) -> None:
    class TimingOut:
        kind = "encoder"

        def classify(self, prompt: Prompt) -> None:
            raise TimeoutError("inner")

    under = Fixture(TimingOut(), pool)  # type: ignore[arg-type]
    assert under.decide().classifier == "learned"
    assert under.fallbacks()["error"] == 1 and under.fallbacks()["deadline"] == 0


def test_a_stopped_pool_is_an_error_fallback() -> None:
    executor = ManualExecutor()
    executor.shutdown()
    under = Fixture(FixedClassifier("encoder", "code"), executor)
    assert under.decide().classifier == "learned"
    assert under.fallbacks()["error"] == 1 and under.dispatcher.in_flight == 0


def test_when_the_fast_classifier_fails_too_the_error_reaches_the_caller(pool: ThreadPoolExecutor) -> None:
    under = Fixture(RaisingClassifier("encoder"), pool, fast=RaisingClassifier("learned"))
    with pytest.raises(RuntimeError, match="learned failed"):
        under.decide()
    assert under.fallbacks()["error"] == 1  # the fallback was tried, and counted


def test_an_operator_query_counts_nothing() -> None:
    under = Fixture(FixedClassifier("encoder", "code"), ManualExecutor())
    assert under.decide(observed=False).classifier == "learned"
    assert under.fallbacks() == {"deadline": 0, "queue_full": 0, "error": 0}


@pytest.mark.parametrize(("deadline", "queue_size"), [(0.0, 1), (-1.0, 1), (0.05, 0)])
def test_a_bad_deadline_or_queue_is_refused(deadline: float, queue_size: int) -> None:
    fast = FixedClassifier("learned", "general")
    with pytest.raises(ValueError, match="deadline"):
        Dispatcher(fast, fast, ManualExecutor(), deadline, queue_size, FakeClock(), lambda reason: None)


class Timed(FixedClassifier):
    """Each call advances the fixture's clock by what `seconds()` says: the call's time as the pool measures it."""

    def __init__(self, seconds: Callable[[], float]) -> None:
        super().__init__("encoder", "code")
        self.seconds = seconds
        self.clock = FakeClock()  # replaced by the fixture's own

    def classify(self, prompt: Prompt) -> Decision:
        self.clock.advance(self.seconds())
        return super().classify(prompt)


def timed_fixture(seconds: Callable[[], float]) -> tuple[Fixture, ManualExecutor]:
    executor, timed = ManualExecutor(), Timed(seconds)
    under = Fixture(timed, executor, queue_size=8)
    timed.clock = under.clock
    return under, executor


def one_call(under: Fixture, executor: ManualExecutor) -> Decided:
    """One request; the pool runs its call at once if one was submitted."""

    async def decide() -> Decided:
        task = asyncio.ensure_future(under.dispatcher.decide(PROMPT, under.clock()))
        await asyncio.sleep(0)
        if executor.submitted and not executor.submitted[-1].future.done():
            executor.submitted[-1].finish()
        return await task

    return asyncio.run(decide())


def test_a_call_that_would_queue_past_its_deadline_is_refused_at_admission() -> None:
    """The pool's recent call time says how long a queued call waits: one that would end past its
    request's deadline is not queued (its CPU would be spent for nobody)."""
    under, executor = timed_fixture(lambda: DEADLINE * 0.4)  # each call takes 0.4 of the deadline
    assert one_call(under, executor).classifier == "encoder"

    async def two_arrive_while_one_runs() -> tuple[Decided, int]:
        first = asyncio.ensure_future(under.dispatcher.decide(PROMPT, under.clock()))
        await asyncio.sleep(0)
        executor.submitted[-1].start()  # the only thread is busy with the first call
        # A second waits behind it: 2 x 0.4 of the deadline, admitted. A third would end at 3 x 0.4: refused.
        second = asyncio.ensure_future(under.dispatcher.decide(PROMPT, under.clock()))
        await asyncio.sleep(0)
        third = await under.dispatcher.decide(PROMPT, under.clock())
        submitted = len(executor.submitted)
        executor.submitted[-2].finish()
        await asyncio.gather(first, second)  # (on a slow host the waiting second may miss its deadline)
        return third, submitted

    third, submitted = asyncio.run(two_arrive_while_one_runs())
    assert third.classifier == "learned" and submitted == 3
    assert under.fallbacks()["queue_full"] == 1 and under.fallbacks()["error"] == 0


def test_while_calls_take_longer_than_the_deadline_one_probe_per_interval_keeps_measuring() -> None:
    """Under saturation a call's time outgrows the deadline: the encoder then steps aside (no CPU spent
    on answers nobody reads), except for one call per PROBE_S, whose time is the new estimate."""
    slow = [True]
    under, executor = timed_fixture(lambda: DEADLINE * 2 if slow[0] else DEADLINE * 0.1)
    one_call(under, executor)  # no estimate yet: taken, and it takes twice the deadline
    assert len(executor.submitted) == 1
    assert one_call(under, executor).classifier == "learned"  # refused at once, nothing submitted
    assert len(executor.submitted) == 1 and under.fallbacks()["queue_full"] == 1
    slow[0] = False  # the load is gone: each probe now takes a tenth of the deadline
    probes = 0
    while True:
        under.clock.advance(PROBE_S)
        one_call(under, executor)  # the probe is taken
        probes += 1
        assert len(executor.submitted) == 1 + probes
        if one_call(under, executor).classifier == "encoder":  # admitted at once, no probe needed
            break
        assert probes < 5, "the estimate did not come back down"
    assert probes > 1  # the mean moves a fifth of the way per call: one fast call is not the whole story
