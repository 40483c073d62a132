"""How `agent-router eval` shows its figures: the text tables and the JSON object, for one classifier or several
side by side. Pure rendering: the figures come from `plugins.cli.evaluate`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from plugins.classify.breakdown import Band
from plugins.classify.evaluation import Report, percentile
from plugins.classify.intervals import Figures, Interval


@dataclass(frozen=True)
class Evaluation:
    """One classifier's figures on one file."""

    #: what was evaluated: the classifier's kind, or the model directory it was loaded from
    name: str
    kind: str
    load_seconds: float
    report: Report
    overall: Figures
    latencies: list[float]
    cpu: list[float]
    predicted: list[str]
    by_source: dict[str, Report]
    #: per `lang` (FORMAT.md; lines without one are English)
    by_lang: dict[str, Figures]
    calibration: list[Band]


def render(e: Evaluation, out: TextIO) -> None:
    out.write(f"classifier: {e.kind}  (loaded in {e.load_seconds * 1000:.0f} ms)\n")
    if e.name != e.kind:
        out.write(f"model: {e.name}\n")
    out.write(f"examples: {e.overall.n}\n")
    out.write(f"accuracy: {e.report.accuracy:.4f}  {ci(e.overall.accuracy)}\n"
              f"macro-F1: {e.report.macro_f1:.4f}  {ci(e.overall.macro_f1)}\n\n")
    out.write(f"{'intent':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}\n")
    for name, c in e.report.per_class.items():
        out.write(f"{name:<12}{c.precision:>10.4f}{c.recall:>10.4f}{c.f1:>10.4f}{c.support:>9}\n")
    out.write("\nconfusion (rows: true, columns: predicted)\n")
    out.write(f"{'':<12}" + "".join(f"{n:>11}" for n in e.report.labels) + "\n")
    for name in e.report.labels:
        row = e.report.confusion[name]
        out.write(f"{name:<12}" + "".join(f"{row.get(n, 0):>11}" for n in e.report.labels) + "\n")
    for name, values in (("wall", e.latencies), ("cpu", e.cpu)):
        ms = _ms(values)
        out.write(f"{'' if name == 'cpu' else chr(10)}latency per request, {name} ms (n={ms['n']}): "
                  f"p50 {ms['p50']:.3f}  p99 {ms['p99']:.3f}  max {ms['max']:.3f}\n")
    render_breakdown(e, out)


def render_breakdown(e: Evaluation, out: TextIO) -> None:
    if e.by_source:
        out.write(f"\n{'source':<40}{'n':>6}{'accuracy':>10}{'macro-F1':>10}\n")
        for source, r in e.by_source.items():
            n = sum(c.support for c in r.per_class.values())
            out.write(f"{source:<40}{n:>6}{r.accuracy:>10.4f}{r.macro_f1:>10.4f}\n")
    out.write(f"\n{'language':<10}{'n':>6}  {'accuracy [95% CI]':<26}{'macro-F1 [95% CI]':<26}\n")
    for lang, f in e.by_lang.items():
        out.write(f"{lang:<10}{f.n:>6}  {with_ci(f.accuracy):<26}{with_ci(f.macro_f1):<26}\n")
    out.write(f"\n{'calibration':<12}{'range':>14}{'n':>7}{'mean conf':>11}{'accuracy':>10}\n")
    for b in e.calibration:
        out.write(f"{b.name:<12}{f'[{b.lower:.2f}, {b.upper:.2f})':>14}{b.count:>7}"
                  f"{b.mean_confidence:>11.4f}{b.accuracy:>10.4f}\n")


def render_side_by_side(evaluations: Sequence[Evaluation], out: TextIO) -> None:
    """All, then each language, then each source: accuracy and macro-F1 with intervals, one column per model."""
    out.write("\nside by side: accuracy / macro-F1 [95% CI]\n")
    for i, e in enumerate(evaluations, start=1):
        out.write(f"  ({i}) {e.name} ({e.kind})\n")
    rows: list[tuple[str, list[Figures | None]]] = [("all", [e.overall for e in evaluations])]
    for lang in sorted({k for e in evaluations for k in e.by_lang}):
        rows.append((f"lang {lang}", [e.by_lang.get(lang) for e in evaluations]))
    for label, figures in rows:
        n = next((f.n for f in figures if f is not None), 0)
        cells = "".join(f"  ({i}) {_pair(f)}" for i, f in enumerate(figures, start=1))
        out.write(f"{label:<14}{n:>6}{cells}\n")
    for source in sorted({k for e in evaluations for k in e.by_source}):
        reports = [e.by_source.get(source) for e in evaluations]
        n = next((sum(c.support for c in r.per_class.values()) for r in reports if r is not None), 0)
        cells = "".join(f"  ({i}) " + ("-" if r is None else f"{r.accuracy:.3f} / {r.macro_f1:.3f}")
                        for i, r in enumerate(reports, start=1))
        out.write(f"{'source ' + (source or '-'):<14}{n:>6}{cells}\n")


def _pair(f: Figures | None) -> str:
    if f is None:
        return "-"
    return f"{with_ci(f.accuracy, 3)} / {with_ci(f.macro_f1, 3)}"


def ci(i: Interval) -> str:
    return f"95% CI [{i.low:.4f}, {i.high:.4f}]"


def with_ci(i: Interval, digits: int = 4) -> str:
    return f"{i.value:.{digits}f} [{i.low:.{digits}f}, {i.high:.{digits}f}]"


def _ms(values: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in values]
    return {"n": len(ms), "p50": round(percentile(ms, 50), 4), "p99": round(percentile(ms, 99), 4),
            "max": round(max(ms), 4)}


def interval_json(i: Interval) -> dict[str, float]:
    return {"value": round(i.value, 4), "low": round(i.low, 4), "high": round(i.high, 4)}


def figures_json(f: Figures) -> dict[str, Any]:
    return {"n": f.n, "accuracy": interval_json(f.accuracy), "macro_f1": interval_json(f.macro_f1)}


def as_json(e: Evaluation) -> dict[str, Any]:
    report = e.report
    return {
        "classifier": e.kind, "model": e.name, "load_seconds": round(e.load_seconds, 4),
        "accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4),
        "intervals": figures_json(e.overall),
        "per_class": {n: {"precision": round(c.precision, 4), "recall": round(c.recall, 4),
                          "f1": round(c.f1, 4), "support": c.support} for n, c in report.per_class.items()},
        "confusion": report.confusion,
        "latency_ms": _ms(e.latencies),
        "cpu_ms": _ms(e.cpu),
        "by_source": by_source_json(e.by_source),
        "by_lang": {lang: figures_json(f) for lang, f in e.by_lang.items()},
        "calibration": [{"band": b.name, "lower": b.lower, "upper": b.upper, "n": b.count,
                         "mean_confidence": round(b.mean_confidence, 4), "accuracy": round(b.accuracy, 4)}
                        for b in e.calibration],
    }


def by_source_json(by_source: Mapping[str, Report]) -> dict[str, Any]:
    return {s: {"n": sum(c.support for c in r.per_class.values()), "accuracy": round(r.accuracy, 4),
                "macro_f1": round(r.macro_f1, 4)} for s, r in by_source.items()}
