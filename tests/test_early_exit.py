"""The early exit's choice of layer and threshold (scripts/train/early_exit.py). Fitting the heads and
rewriting the graph need scikit-learn and onnx, which live in `.venv-build` only; `make model` checks the
rewritten graph against the head and the full model on the held-out fifth. Here: the rule itself."""

from __future__ import annotations

import numpy as np

from scripts.train.early_exit import AGREEMENT, THRESHOLDS, choose, head_probs, wilson_lower


def test_wilson_lower_bound_is_below_the_share_and_tightens_with_n() -> None:
    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(99, 100) < 0.99
    assert wilson_lower(990, 1000) > wilson_lower(99, 100)
    assert wilson_lower(1000, 1000) < 1.0
    # Near the bound: 4 of 1,119 disagreeing clears 99 %, 5 of 1,129 does not.
    assert wilson_lower(1115, 1119) >= AGREEMENT > wilson_lower(1124, 1129)


def one_hot_head(sharpness: float) -> tuple[np.ndarray, np.ndarray]:
    """A head that reads the class off the first three features: identity weights scaled by `sharpness`."""
    weights = np.zeros((4, 3), dtype=np.float32)
    weights[:3, :3] = np.eye(3) * sharpness
    return weights, np.zeros(3, dtype=np.float32)


def states_for(classes: np.ndarray) -> np.ndarray:
    states = np.zeros((len(classes), 4), dtype=np.float32)
    states[np.arange(len(classes)), classes] = 1.0
    return states


def test_head_probs_are_a_softmax_per_row() -> None:
    probs = head_probs(states_for(np.array([0, 2])), *one_hot_head(5.0))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert list(probs.argmax(axis=1)) == [0, 2]


def test_choose_takes_the_shallowest_layer_that_agrees_and_its_smallest_threshold() -> None:
    rng = np.random.default_rng(0)
    full = rng.integers(0, 3, 3000)
    chat = np.arange(3000) % 3 == 0
    wrong = full.copy()
    wrong[:300] = (full[:300] + 1) % 3  # layer 4's head disagrees with the full model on 10 %
    heads = {4: one_hot_head(20.0), 8: one_hot_head(20.0)}
    held = {4: states_for(wrong), 8: states_for(full)}
    choice, table = choose(heads, held, full, chat)
    assert choice == (8, THRESHOLDS[0])
    assert {row["layer"] for row in table} == {4, 8}
    first = next(row for row in table if row["layer"] == 4)
    assert first["agreement"] < AGREEMENT and first["exit_share"] == 1.0


def test_choose_gives_none_when_no_layer_agrees_and_an_unsure_head_never_exits() -> None:
    full = np.arange(900) % 3
    unsure = one_hot_head(0.5)  # top probability ~0.45: under every threshold
    choice, table = choose({8: unsure}, {8: states_for(full)}, full, np.ones(900, dtype=bool))
    assert choice is None
    assert all(row["exit_share"] == 0.0 and row["agreement_lower"] == 0.0 for row in table)
