"""Per-source and per-language figures and the calibration table for `agent-router eval`: pure functions over
predictions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plugins.classify.evaluation import Report, score
from plugins.classify.intervals import RESAMPLES, Figures, figures

# FORMAT.md: a line without `lang` is English.
DEFAULT_LANG = "en"


@dataclass(frozen=True)
class Band:
    """Predictions whose confidence lies in [lower, upper): how many, how sure, how often right."""

    name: str
    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


def per_source(
    truth: Sequence[str], predicted: Sequence[str], sources: Sequence[str], labels: Sequence[str],
    subsets: bool = False,
) -> dict[str, Report]:
    """One Report per source dataset (or per full `dataset:subset` with `subsets`), sorted by name;
    rows without a source are grouped under "". Each is scored over the labels its rows have: a
    source of code questions only has a macro-F1 of its code F1, not a third of it."""
    reports = {}
    for source, idx in groups([source if subsets else source_family(source) for source in sources]).items():
        present = tuple(k for k in labels if any(truth[i] == k for i in idx))
        reports[source] = score([truth[i] for i in idx], [predicted[i] for i in idx], present)
    return reports


def per_group(
    truth: Sequence[str], predicted: Sequence[str], keys: Sequence[str], labels: Sequence[str],
    resamples: int = RESAMPLES,
) -> dict[str, Figures]:
    """Size, accuracy and macro-F1 with their intervals per distinct key (a language, a source), sorted; each
    group is scored over the labels its rows have, as `per_source` does."""
    out = {}
    for key, idx in groups(keys).items():
        present = tuple(k for k in labels if any(truth[i] == k for i in idx))
        out[key] = figures([truth[i] for i in idx], [predicted[i] for i in idx], present, resamples)
    return out


def groups(keys: Sequence[str]) -> dict[str, list[int]]:
    """Row indices per distinct key, sorted by key."""
    out: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return dict(sorted(out.items()))


def language_of(lang: object) -> str:
    """A line's `lang` (FORMAT.md: ISO 639-1), or English for a line without one."""
    return str(lang) if lang else DEFAULT_LANG


def source_family(source: str) -> str:
    """`dataset` of a `dataset:subset` source (FORMAT.md): the level at which sources are left out."""
    return source.split(":", 1)[0]


def calibration(
    confidences: Sequence[float], correct: Sequence[bool], high: float, medium: float
) -> list[Band]:
    """The high (>= high), medium ([medium, high)) and low (< medium) bands, as the router names them.

    Routing trusts a `high` decision; the issue's contract is that such decisions are right at least
    95% of the time, so the high band's accuracy is the figure to watch."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    bands = []
    for name, lower, upper in (("high", high, float("inf")), ("medium", medium, high), ("low", 0.0, medium)):
        idx = [i for i, c in enumerate(confidences) if lower <= c < upper]
        bands.append(Band(
            name=name, lower=lower, upper=min(upper, 1.0), count=len(idx),
            mean_confidence=sum(confidences[i] for i in idx) / len(idx) if idx else 0.0,
            accuracy=sum(1 for i in idx if correct[i]) / len(idx) if idx else 0.0,
        ))
    return bands
