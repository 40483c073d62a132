"""The continuity cache and its key: bounded, least recently used out, the first value kept, and a
key that is a digest of the whole view with no prompt text in it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugins.classify.continuity import DIGEST_SIZE, ContinuityCache, view_key
from plugins.prompt import Prompt
from plugins.surfaces import Surface, read
from tests.support.agent_loops import loop_body

VIEW = Prompt(latest="Fix the failing test", context=("earlier", "turns"), system="You are an agent.")


def test_the_key_is_a_fixed_size_digest_without_the_text() -> None:
    key = view_key(VIEW)
    assert len(key) == DIGEST_SIZE and b"failing" not in key
    assert view_key(Prompt(VIEW.latest, VIEW.context, VIEW.system)) == key


@pytest.mark.parametrize("other", [
    replace(VIEW, latest="Fix the failing test!"),
    replace(VIEW, context=("earlier",)),
    replace(VIEW, context=("earlier turns",)),  # text moved between turns
    replace(VIEW, context=("earlierturns", "")),
    replace(VIEW, system=""),
    replace(VIEW, typed=False),
])
def test_any_change_of_the_view_is_another_key(other: Prompt) -> None:
    assert view_key(other) != view_key(VIEW)


def test_lone_surrogates_from_json_are_hashed_not_raised() -> None:
    assert len(view_key(Prompt(latest="\ud800 broken"))) == DIGEST_SIZE


@pytest.mark.parametrize("surface", ["chat", "responses", "messages"])
def test_every_step_of_a_tool_loop_reads_one_view(surface: Surface) -> None:
    keys = {view_key(read(surface, loop_body(surface, steps))) for steps in range(10)}
    assert len(keys) == 1
    assert view_key(read(surface, loop_body(surface, 3, new_task=True))) not in keys


def test_bounded_least_recently_used_and_first_value_kept() -> None:
    cache: ContinuityCache[str] = ContinuityCache(2)
    assert cache.keep(b"a", "first") == "first"
    assert cache.keep(b"a", "second") == "first"  # a continuation never replaces the first decision
    cache.keep(b"b", "b")
    assert cache.get(b"a") == "first"  # a is now the most recently used
    cache.keep(b"c", "c")
    assert len(cache) == 2 and cache.get(b"b") is None and cache.get(b"a") == "first"


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ContinuityCache[str](0)
