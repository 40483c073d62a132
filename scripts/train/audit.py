"""The blind labelling audit: draw training items for a second reader, then score that reader's labels.

    python -m scripts.train.audit draw --seed 20250912 --sources new --out items.jsonl --key key.tsv
    python -m scripts.train.audit score scripts/train/corpus/labels/audit_sample2.tsv
    python -m scripts.train.audit draw-lang --corpus data/corpus_lang --out data/audit/lang_audit_items.tsv \
        --key scripts/train/corpus/labels/lang_audit_key.tsv

`score KEY --reader FILE` joins a reader's `id<TAB>label` file to a key by id.
`draw-lang` draws from the non-English sources' training split (scripts/train/corpus/multilingual.py) and writes
`id<TAB>lang<TAB>prompt` lines for the reader (tabs and line breaks in a prompt written as `\t` and `\n`).

`draw` writes the prompts without labels (for the reader) and a key (id, training label, source);
`score` reads a file of `id, trained label, second label[, source]` lines and prints the agreement,
Cohen's kappa and the confusion (rows: training labels, columns: the second reader's).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from scripts.train.corpus.multilingual import sources as lang_sources
from scripts.train.data import Record, read_all, read_jsonl, split

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("code", "reasoning", "general")
# The sources the second data round added (the first audit, audit_sample.tsv, covered the rest).
SECOND_ROUND = (
    "wildchat:convo-topo", "wildchat:search-datasets", "wildchat:wildchat-50m", "wildchat:human-llm-similarity",
    "prism:", "staqc", "reactjs", "learning-zone", "rust-faq", "go-faq", "git-tips", "tech-interview-handbook",
    "natural-questions", "hh-rlhf:harmless-base-tech", "math:", "stackmathqa", "ar-lsat", "folio", "hh-rlhf:helpful",
)


def draw(records: Sequence[Record], n: int, seed: int, prefixes: Sequence[str] = ()) -> list[Record]:
    pool = sorted((r for r in records if not prefixes or r.source.startswith(tuple(prefixes))), key=lambda r: r.id)
    return random.Random(seed).sample(pool, n)


LANG_SEED = 20250611 + 302


def lang_records(corpus: Path) -> list[Record]:
    """The training split of the non-English sources' corpus files in `corpus` (a missing file: a clear error)."""
    paths = [corpus / f"{name}.jsonl" for name in lang_sources()]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"{corpus} lacks {', '.join(missing)}: run python -m scripts.train.corpus.multilingual")
    train, _ = split(r for path in paths for r in read_jsonl(path))
    return train


def reader_line(record: Record) -> str:
    prompt = record.prompt.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return f"{record.id}\t{record.lang}\t{prompt}\n"


def agreement(pairs: Sequence[tuple[str, str]]) -> dict[str, object]:
    n = len(pairs)
    same = sum(a == b for a, b in pairs)
    ours, theirs = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(ours[k] * theirs[k] for k in LABELS) / (n * n)
    observed = same / n
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    confusion = {a: {b: sum(1 for x, y in pairs if (x, y) == (a, b)) for b in LABELS} for a in LABELS}
    return {"n": n, "agree": same, "agreement": round(observed, 4), "kappa": round(kappa, 4), "confusion": confusion}


def read_pairs(path: Path) -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(row[1].strip(), row[2].strip()) for row in rows]


def joined_pairs(key: Path, reader: Path) -> list[tuple[str, str]]:
    """(trained label, reader's label) for each id of `key` (`id, label, ...`) from `reader` (`id, label` lines)."""
    def rows(path: Path) -> list[list[str]]:
        return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]

    theirs = {row[0].strip(): row[1].strip() for row in rows(reader)}
    missing = [row[0] for row in rows(key) if row[0].strip() not in theirs]
    if missing:
        raise SystemExit(f"{reader}: no label for {len(missing)} ids of {key} (first: {missing[0]})")
    return [(row[1].strip(), theirs[row[0].strip()]) for row in rows(key)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw")
    d.add_argument("--seed", type=int, required=True)
    d.add_argument("--n", type=int, default=300)
    d.add_argument("--sources", choices=("all", "new"), default="all")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--key", type=Path, required=True)
    lang = sub.add_parser("draw-lang")
    lang.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus_lang")
    lang.add_argument("--n", type=int, default=300)
    lang.add_argument("--out", type=Path, required=True)
    lang.add_argument("--key", type=Path, required=True)
    s = sub.add_parser("score")
    s.add_argument("labels", type=Path)
    s.add_argument("--reader", type=Path, help="the second reader's `id<TAB>label` file, joined to LABELS by id")
    args = parser.parse_args(argv)
    if args.command == "score":
        pairs = joined_pairs(args.labels, args.reader) if args.reader else read_pairs(args.labels)
        print(json.dumps(agreement(pairs), indent=1))
        return 0
    if args.command == "draw-lang":
        picked = draw(lang_records(args.corpus), args.n, LANG_SEED)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(reader_line(r) for r in picked), encoding="utf-8")
        header = (f"# {args.n} non-English training items drawn with random.Random({LANG_SEED}).sample of the\n"
                  "# sorted training split of scripts/train/corpus/multilingual.py's sources; columns: id, label\n"
                  f"# trained with, lang, source. The reader's file (prompts, no labels): {args.out.name}.\n"
                  "# Score a reader's `id<TAB>label` file: python -m scripts.train.audit score KEY --reader FILE\n")
        rows = "".join(f"{r.id}\t{r.label}\t{r.lang}\t{r.source}\n" for r in picked)
        args.key.write_text(header + rows, encoding="utf-8")
        return 0
    train, _ = split(read_all(ROOT / "data"))
    picked = draw(train, args.n, args.seed, SECOND_ROUND if args.sources == "new" else ())
    args.out.write_text("".join(json.dumps({"id": r.id, "prompt": r.prompt}, ensure_ascii=False) + "\n"
                                for r in picked), encoding="utf-8")
    args.key.write_text("".join(f"{r.id}\t{r.label}\t{r.source}\n" for r in picked), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
