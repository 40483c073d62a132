"""The classifier benchmark's own plumbing: it finds the training corpus and reports every length."""

from __future__ import annotations

from scripts.bench.classifier import LENGTHS, corpus, prompts


def test_the_corpus_is_the_repositorys_training_data_and_long_enough_for_every_length() -> None:
    text = corpus()
    assert len(text) > 2 * max(LENGTHS)
    cut = prompts(text, max(LENGTHS), 3)
    assert [len(p) for p in cut] == [max(LENGTHS)] * 3
