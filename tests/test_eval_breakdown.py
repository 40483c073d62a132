"""Per-source figures and the calibration bands that `agent-router eval` prints."""

from __future__ import annotations

import pytest

from plugins.classify.breakdown import calibration, language_of, per_group, per_source, source_family

LABELS = ("code", "reasoning", "general")


def test_per_source_scores_each_source_on_its_own_rows() -> None:
    truth = ["code", "code", "general", "reasoning"]
    predicted = ["code", "general", "general", "reasoning"]
    sources = ["conala:train", "conala:test", "wildchat:atp", ""]
    reports = per_source(truth, predicted, sources, LABELS)
    assert list(reports) == ["", "conala", "wildchat"]
    assert reports["conala"].accuracy == 0.5
    assert reports["conala"].confusion["code"]["general"] == 1
    # scored over the labels the source has: its macro-F1 is its code F1 (P 1, R 0.5)
    assert reports["conala"].labels == ("code",)
    assert reports["conala"].macro_f1 == pytest.approx(2 / 3)
    assert reports["wildchat"].accuracy == 1.0
    assert sum(c.support for c in reports[""].per_class.values()) == 1
    by_subset = per_source(truth, predicted, sources, LABELS, subsets=True)
    assert list(by_subset) == ["", "conala:test", "conala:train", "wildchat:atp"]


def test_source_family_is_the_dataset_before_the_colon() -> None:
    assert source_family("mmlu:college_physics") == "mmlu"
    assert source_family("authored/code") == "authored/code"


def test_calibration_bands_follow_the_router_thresholds() -> None:
    confidences = [0.95, 0.7, 0.69, 0.4, 0.39, 0.34]
    correct = [True, False, True, True, False, True]
    high, medium, low = calibration(confidences, correct, high=0.7, medium=0.4)
    assert (high.name, high.count, high.accuracy) == ("high", 2, 0.5)
    assert high.mean_confidence == pytest.approx(0.825)
    assert (medium.name, medium.count, medium.accuracy) == ("medium", 2, 1.0)
    assert (low.name, low.count, low.lower, low.upper) == ("low", 2, 0.0, 0.4)
    assert high.upper == 1.0


def test_an_empty_band_reports_zero_rather_than_failing() -> None:
    bands = calibration([0.9], [True], high=0.7, medium=0.4)
    assert [b.count for b in bands] == [1, 0, 0]
    assert bands[1].accuracy == 0.0


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 confidences but 1 outcomes"):
        calibration([0.5, 0.6], [True], high=0.7, medium=0.4)


def test_per_group_scores_each_language_on_its_own_rows_with_intervals() -> None:
    truth = ["code", "general", "code", "reasoning", "general"]
    predicted = ["code", "general", "general", "reasoning", "general"]
    langs = [language_of(x) for x in ("ru", None, "ru", "zh", "")]
    groups = per_group(truth, predicted, langs, LABELS, resamples=200)
    assert list(groups) == ["en", "ru", "zh"]  # a line without `lang` is English (FORMAT.md)
    ru = groups["ru"]
    assert (ru.n, ru.accuracy.value) == (2, 0.5)
    assert ru.accuracy.low < 0.5 < ru.accuracy.high
    # scored over the labels its rows have (code only): macro-F1 is code's F1, P 1 R 0.5
    assert ru.macro_f1.value == pytest.approx(2 / 3)
    assert groups["en"].accuracy.value == 1.0 and groups["en"].accuracy.high == 1.0
