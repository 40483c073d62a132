"""The audit's agreement figures (scripts/train/audit.py): Cohen's kappa on worked examples."""

from __future__ import annotations

import pytest

from scripts.train.audit import agreement, draw
from scripts.train.data import Record


def test_full_agreement_is_kappa_one() -> None:
    figures = agreement([("code", "code"), ("general", "general"), ("reasoning", "reasoning")])
    assert (figures["agree"], figures["agreement"], figures["kappa"]) == (3, 1.0, 1.0)


def test_kappa_discounts_chance_agreement() -> None:
    # 8 of 10 agree; each reader says code 5 times and general 5 times: chance 0.5, kappa (0.8 - 0.5) / 0.5
    pairs = [("code", "code")] * 4 + [("general", "general")] * 4 + [("code", "general"), ("general", "code")]
    figures = agreement(pairs)
    assert figures["agreement"] == 0.8
    assert figures["kappa"] == pytest.approx(0.6)
    assert figures["confusion"] == {
        "code": {"code": 4, "reasoning": 0, "general": 1},
        "reasoning": {"code": 0, "reasoning": 0, "general": 0},
        "general": {"code": 1, "reasoning": 0, "general": 4},
    }


def test_the_draw_is_reproducible_and_limited_to_the_named_sources() -> None:
    records = [Record(f"r{i}", f"prompt {i}", "general", "new:a" if i % 2 else "old:b") for i in range(40)]
    first = draw(records, 5, seed=7, prefixes=("new:",))
    assert first == draw(list(reversed(records)), 5, seed=7, prefixes=("new:",))
    assert all(r.source == "new:a" for r in first)
