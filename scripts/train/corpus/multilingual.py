"""Training prompts written by people in other languages than English (issue 21): what the reader modules share,
their registry for `make corpus`, and a writer for these sources alone.

    python -m scripts.train.corpus.multilingual --out data/corpus_lang [--mirrors /work/.mirror]

Every record carries `lang` (ISO 639-1, FORMAT.md). The modules: `lang_code` (Stack Overflow questions in Spanish,
Japanese and Russian; Chinese front-end interview questions), `lang_exams` (Chinese, Korean and school-exam maths,
science and humanities questions in eleven languages), `lang_qa` (Russian and Japanese questions people wrote for
question-answering sets, Korean small talk written for a chatbot). Labels: a source's category where it is clean,
the items a reader changed in labels/lang-*.tsv (id<TAB>label; "-" drops an item); how each source was labelled is in
data/SOURCES.md.

The writer applies the build's own filters (scripts/train/corpus/build.py): length, the development set's exact and
near duplicates, exact duplicates of the hand-written files, of the corpus already in data/corpus and between these
sources; and it keeps clear of the non-English development set (data/corpus/nonenglish_dev.jsonl) the same way.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from scripts.train.corpus.chat import read_labels
from scripts.train.corpus.overlap import OverlapIndex, drop_overlaps, normalise
from scripts.train.data import Record, read_file, read_jsonl

ROOT = Path(__file__).resolve().parents[3]
SEED = 20250611 + 2100
MAX_CHARS = 4000


class Item(NamedTuple):
    """One prompt as a reader module yields it: its default label is the source category or a written rule."""

    id: str
    prompt: str
    source: str
    lang: str
    label: str


def labelled(items: Iterable[Item], name: str) -> Iterator[Record]:
    """Records with the reader's label where labels/<name>.tsv lists the item, the item's default elsewhere."""
    labels = read_labels(name)
    for item in items:
        label = labels.get(item.id, item.label)
        prompt = item.prompt.strip()
        if label != "-" and prompt and len(prompt) < MAX_CHARS:
            yield Record(item.id, prompt, label, item.source, item.lang)


def draw(items: Iterable[Item], n: int, seed: int) -> list[Item]:
    """At most `n` of `items`: `Random(seed).sample` of them sorted by id, returned sorted by id."""
    pool = sorted(items, key=lambda i: i.id)
    if len(pool) > n:
        pool = random.Random(seed).sample(pool, n)
    return sorted(pool, key=lambda i: i.id)


_SPACES = re.compile(r"[ \t]+")


def tidy(text: str) -> str:
    """Runs of spaces folded, line ends stripped: the text as a user pastes it."""
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.strip().splitlines())


def options(choices: Sequence[str]) -> str:
    """Answer options as a user pastes them under a question: `A) ...` lines."""
    return "\n".join(f"{letter}) {tidy(choice)}" for letter, choice in zip("ABCDEFGH", choices, strict=False))


Reader = Callable[[Path], Iterator[Record]]


def sources() -> dict[str, Reader]:
    """Corpus file name -> reader, in build order (imported here so that the modules may import this one)."""
    from scripts.train.corpus import lang_code, lang_exams, lang_qa

    out: dict[str, Reader] = {}
    for module in (lang_code, lang_exams, lang_qa):
        out.update(module.SOURCES)
    return out


def write(mirrors: Path, out: Path, data: Path, dev: Path,
          readers: dict[str, Reader] | None = None) -> dict[str, dict[str, object]]:
    """Writes `<out>/<name>.jsonl` for each reader (default: `sources()`); returns counts per file. Earlier output of
    these readers in data/corpus is not taken for a duplicate, so `--out data/corpus` can be run again."""
    readers = sources() if readers is None else readers
    out.mkdir(parents=True, exist_ok=True)
    held = [r.prompt for r in read_jsonl(dev)] if dev.exists() else []
    nonenglish = data / "corpus" / "nonenglish_dev.jsonl"
    held += [r.prompt for r in read_jsonl(nonenglish)] if nonenglish.exists() else []
    index = OverlapIndex(held)
    seen = {normalise(r.prompt) for path in sorted(data.rglob("*.txt")) for r in read_file(path, data)}
    corpus = data / "corpus"
    if corpus.is_dir():
        seen |= {normalise(r.prompt) for path in sorted(corpus.glob("*.jsonl")) if path.stem not in readers
                 for r in read_jsonl(path)}
    report: dict[str, dict[str, object]] = {}
    for name, make in readers.items():
        kept, near_dev = drop_overlaps(make(mirrors), index)
        unique = []
        for record in kept:
            key = normalise(record.prompt)
            if key not in seen:
                seen.add(key)
                unique.append(record)
        (out / f"{name}.jsonl").write_text("".join(r.to_json() + "\n" for r in unique), encoding="utf-8")
        report[name] = {"labels": dict(Counter(r.label for r in unique)),
                        "langs": dict(Counter(r.lang for r in unique).most_common()),
                        "dropped_dev_overlap": near_dev, "dropped_duplicate": len(kept) - len(unique)}
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "corpus_lang")
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "intent_dev.jsonl")
    args = parser.parse_args(argv)
    json.dump(write(args.mirrors, args.out, ROOT / "data", args.dev), sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
