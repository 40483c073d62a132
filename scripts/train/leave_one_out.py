"""Leave-one-source-out figures: for each source dataset, a head trained without it scores it.

    .venv-build/bin/python scripts/train/leave_one_out.py [--model plugins/models/intent-v1] [--only gsm8k,wildchat]

This is how the hidden sets measure the classifier (prompts from sources it never saw), so it is the
figure to trust beside the development set; in-source held-out scores flatter. C, the embedding scale
and the temperature are the shipped model's (manifest.json). Single-label datasets report accuracy (their
recall); macro-F1 is over the labels the dataset has. Prints a Markdown table, or JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from plugins.classify.encoder import StaticEncoder  # noqa: E402
from plugins.classify.evaluation import score  # noqa: E402
from plugins.classify.features import NAMES  # noqa: E402
from plugins.classify.head import feature_names  # noqa: E402
from scripts.train.build_model import CLASSES, MAX_TOKENS, featurise, fit_head, predict, subset  # noqa: E402
from scripts.train.data import family, read_all, split  # noqa: E402


def leave_one_out(model: Path, data: Path, only: Sequence[str]) -> list[dict[str, Any]]:
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    hyper = manifest["hyperparameters"]
    c, temperature, embed_scale = hyper["C"], hyper["temperature"], hyper.get("embed_scale", 1.0)
    encoder = StaticEncoder.load(model, MAX_TOKENS)
    names = feature_names(encoder.dim, NAMES)
    records = read_all(data)
    train, _ = split(records)
    x_all = featurise(encoder, records)
    train_ids = {r.id for r in train}
    rows = []
    for name in sorted(only or {family(r) for r in records}):
        fit_idx = [i for i, r in enumerate(records) if r.id in train_ids and family(r) != name]
        test_idx = [i for i, r in enumerate(records) if family(r) == name]
        head = fit_head(subset(x_all, fit_idx), [records[i].label for i in fit_idx], c, temperature, names,
                        encoder.vocab_size, embed_scale)
        probs = predict(head, subset(x_all, test_idx))
        truth = [records[i].label for i in test_idx]
        present = tuple(k for k in CLASSES if k in truth)
        report = score(truth, [CLASSES[j] for j in probs.argmax(axis=1)], CLASSES)
        macro = sum(report.per_class[k].f1 for k in present) / len(present)
        high = probs.max(axis=1) >= 0.7
        right = probs.argmax(axis=1) == [CLASSES.index(t) for t in truth]
        rows.append({"dataset": name, "n": len(test_idx), "labels": "/".join(present),
                     "accuracy": round(report.accuracy, 4), "macro_f1_present": round(macro, 4),
                     "high_share": round(float(high.mean()), 4),
                     "high_accuracy": round(float(right[high].mean()), 4) if high.any() else None})
        print(f"{name}: {rows[-1]}", file=sys.stderr)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=ROOT / "plugins" / "models" / "intent-v1")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--only", default="", help="comma-separated datasets (default: every one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = leave_one_out(args.model, args.data, [s for s in args.only.split(",") if s])
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("| left out | n | labels | accuracy | macro-F1 (its labels) | share >= 0.7 | accuracy >= 0.7 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        high = "-" if r["high_accuracy"] is None else f"{r['high_accuracy']:.3f}"
        print(f"| {r['dataset']} | {r['n']} | {r['labels']} | {r['accuracy']:.3f} | {r['macro_f1_present']:.3f} "
              f"| {r['high_share']:.2f} | {high} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
