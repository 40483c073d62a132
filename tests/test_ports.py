"""Session ports outside the kernel's ephemeral range, never handed out twice (no socket bound)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scripts.ports import PortPool, local_port_range, reserved_range, session_pool


def test_the_range_is_the_gap_the_kernel_never_hands_out() -> None:
    assert reserved_range((32768, 60999)) == range(61000, 65536)  # Linux's default
    assert reserved_range((32768, 65000)) == range(20000, 32768)  # too little room above
    assert reserved_range((1024, 65535)) == range(0)  # no gap: callers fall back to port 0


def test_the_kernels_range_is_read_from_proc(tmp_path: Path) -> None:
    path = tmp_path / "ip_local_port_range"
    path.write_text("40000\t50000\n")
    assert local_port_range(path) == (40000, 50000)
    assert local_port_range(tmp_path / "missing") == (32768, 60999)


def test_a_port_the_pool_owns_is_never_handed_out_again_until_given_back() -> None:
    pool = PortPool(range(61000, 61003), random.Random(4), probe=lambda port: True)
    taken = {pool.take() for _ in range(3)}
    assert taken == {61000, 61001, 61002} == pool.owned
    with pytest.raises(RuntimeError, match="no free port left in 61000-61002"):
        pool.take()
    pool.give_back(61001)
    assert pool.take() == 61001


def test_ports_that_do_not_bind_now_are_skipped() -> None:
    pool = PortPool(range(61000, 61010), random.Random(1), probe=lambda port: port == 61007)
    assert pool.take() == 61007
    with pytest.raises(ValueError, match="non-empty"):
        PortPool(range(0))


def test_side_by_side_sessions_take_disjoint_shares() -> None:
    first, second = session_pool(0, 2), session_pool(1, 2)
    assert first is not None and second is not None
    taken_first = {first.take() for _ in range(20)}
    taken_second = {second.take() for _ in range(20)}
    assert not taken_first & taken_second
    # every other port of the reserved range each
    assert len({p % 2 for p in taken_first}) == len({p % 2 for p in taken_second}) == 1
