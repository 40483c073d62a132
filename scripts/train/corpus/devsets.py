"""Writes the development sets carved out of the corpus: data/corpus/<name>.jsonl for each data/devsets/<name>.tsv.

    python -m scripts.train.corpus.devsets [--data data]

A list names corpus records by id, with the label read for the set and the request's language (FORMAT.md), so only
ids are committed; the prompts and sources come from the corpus files, as `make corpus` wrote them (or their copy in
shared/corpus). `make corpus` runs this after writing the corpus. Training never reads a listed record
(scripts/train/data.py, `dev_ids`), whichever file holds it. How the lists were drawn: data/SOURCES.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from scripts.train.data import CORPUS, Record, devset_paths, not_training, read_devset, read_jsonl

ROOT = Path(__file__).resolve().parents[3]


def corpus_records(data: Path) -> dict[str, Record]:
    """Every record of the corpus files by id: the training files and the first real-chat set (never the
    development sets' own output, nor the held-out file the model build writes)."""
    skip = not_training(data) - {"realchat_dev.jsonl"}
    records: dict[str, Record] = {}
    for path in sorted((data / CORPUS).glob("*.jsonl")):
        if path.name not in skip:
            for record in read_jsonl(path):
                records.setdefault(record.id, record)
    return records


def carve(data: Path) -> dict[str, dict[str, object]]:
    """Writes every development set; returns, per set, its counts by label and language and how many labels
    differ from the corpus file's (a corpus older than the label files it was read with)."""
    records = corpus_records(data)
    report: dict[str, dict[str, object]] = {}
    for path in devset_paths(data):
        items = read_devset(path)
        missing = [item.id for item in items if item.id not in records]
        if missing:
            raise SystemExit(f"{path}: {len(missing)} ids are not in {data / CORPUS} (first: {missing[:3]}); "
                             "run `make corpus`, or copy shared/corpus/*.jsonl there")
        rows = [Record(item.id, records[item.id].prompt, item.label, records[item.id].source, item.lang)
                for item in items]
        (data / CORPUS / f"{path.stem}.jsonl").write_text("".join(r.to_json() + "\n" for r in rows),
                                                          encoding="utf-8")
        report[path.stem] = {
            "n": len(rows),
            "labels": dict(Counter(r.label for r in rows)),
            "langs": dict(Counter(r.lang for r in rows).most_common()),
            "relabelled_here": sum(1 for item in items if records[item.id].label != item.label),
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    json.dump(carve(args.data), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
