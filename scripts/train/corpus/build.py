"""Writes data/corpus/*.jsonl (training prompts from public sources), data/corpus/realchat_dev.jsonl
(a real-chat-like evaluation set that is never trained on) and the development sets listed in data/devsets/
(scripts/train/corpus/devsets.py), deterministically, from fetched snapshots.

Usage: python -m scripts.train.corpus.build [--mirrors DIR] [--out DIR] [--dev shared/eval/intent_dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from scripts.train.corpus import (
    benchmarks,
    chat,
    devsets,
    general_extra,
    hh_helpful,
    lookups,
    multilingual,
    programming,
    puzzles,
    reasoning_extra,
    tech_extra,
    wildchat,
    wildchat2,
    wildchat3,
)
from scripts.train.corpus.chat import HH_DEV, sample
from scripts.train.corpus.mirror import list_tree
from scripts.train.corpus.overlap import OverlapIndex, drop_overlaps, normalise
from scripts.train.data import Record, not_training, read_file, read_jsonl

ROOT = Path(__file__).resolve().parents[3]
SEED = 20250611
MAX_CHARS = 4000
MMLU_TREE = "7fd46455a0c53d2fe4af9057764078e7ecca4965"
# WildChat: the 100-turn sample and 100 of the other go to the real-chat dev set, the rest to training
# (its real phrasing is what moves real-chat figures most: 0 / 300 / 590 training turns gave 0.64 / 0.68 / 0.73).
WILDCHAT_DEV_ATP = 100


def mmlu_blobs(mirrors: Path) -> dict[str, str]:
    files = list_tree(mirrors, benchmarks.MMLU_REPO, benchmarks.MMLU_COMMIT, "data/mmlu", MMLU_TREE)
    # dev and val only: the MMLU test split is off-limits (issue 11)
    return {p: b for p, b in files.items() if p.endswith(("_dev.csv", "_val.csv"))}


def training_sources(mirrors: Path) -> dict[str, Callable[[], list[Record]]]:
    return {
        "gsm8k_train": lambda: sample(benchmarks.gsm8k(mirrors), 2000, SEED + 1),
        "proofnet": lambda: list(benchmarks.proofnet(mirrors)),
        "mmlu_dev_val": lambda: list(benchmarks.mmlu(mirrors, mmlu_blobs(mirrors))),
        "conala_train": lambda: list(programming.conala(mirrors)),
        "h5bp_interview": lambda: list(programming.h5bp(mirrors)),
        "sysadmin_skills": lambda: list(programming.sysadmin(mirrors)),
        # Capped: tldr's "<task> with <command>" lines share one shape, and WebQuestions is all factoid
        # questions; more of either taught "list"/"create" = code and "what/who" = general (measured).
        "tldr": lambda: sample(lookups.tldr(mirrors, SEED + 2), 600, SEED + 3),
        "webquestions_train": lambda: sample(lookups.webquestions(mirrors), 800, SEED + 4),
        "clinc150_train": lambda: list(lookups.clinc(mirrors, SEED + 8)),
        "self_instruct_seed": lambda: list(chat.seed_tasks(mirrors)),
        "awesome_chatgpt_prompts": lambda: list(chat.awesome(mirrors)),
        # More real first turns (WildChat samples of four other repositories, PRISM's opening prompts).
        "wildchat_more": lambda: list(wildchat2.records(mirrors)),
        "wildchat_more3": lambda: list(wildchat3.records(mirrors)),
        # Reasoning the first sources lacked: maths in notation, logic stated in words.
        "math_train": lambda: list(reasoning_extra.math_train(mirrors)),
        "stackmath": lambda: list(reasoning_extra.mathoverflow(mirrors)),
        "ar_lsat_train": lambda: list(reasoning_extra.ar_lsat(mirrors)),
        "folio_train": lambda: list(reasoning_extra.folio(mirrors)),
        # Puzzles in words from public-domain books (Dudeney, Carroll) and conundrums, their general look-alikes.
        "puzzle_books": lambda: list(puzzles.records(mirrors)),
        # Crowdworkers asking an assistant for help (HH-RLHF helpful-base test, every first turn read).
        "hh_rlhf_helpful": lambda: list(hh_helpful.records(mirrors)),
    } | {name: (lambda make=make: list(make(mirrors)))
         for name, make in (tech_extra.SOURCES | general_extra.SOURCES | multilingual.sources()).items()}


def write(path: Path, records: Sequence[Record]) -> None:
    path.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")


def build(mirrors: Path, out: Path, dev: Path) -> dict[str, dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    dev_index = OverlapIndex(r.prompt for r in read_jsonl(dev))
    # The hand-written files under data/ are trained on too: a public record repeating one is dropped.
    data = ROOT / "data"  # not out.parent: --out elsewhere must not read stray .txt files as training data
    seen = {normalise(r.prompt) for path in sorted(data.rglob("*.txt")) for r in read_file(path, data)}
    report: dict[str, dict[str, object]] = {}

    def keep(name: str, records: list[Record]) -> list[Record]:
        records = [r for r in records if r.prompt.strip() and len(r.prompt) < MAX_CHARS]
        kept, near_dev = drop_overlaps(records, dev_index)
        unique = []
        for r in kept:
            key = normalise(r.prompt)
            if key not in seen:
                seen.add(key)
                unique.append(r)
        counts: dict[str, object] = dict(Counter(r.label for r in unique))
        report[name] = counts | {"dropped_dev_overlap": near_dev, "dropped_duplicate": len(kept) - len(unique)}
        return unique

    # The real-chat dev set first, so that nothing in it can reach a training file.
    hh = chat.hh_drawn(mirrors)
    random.Random(SEED + 6).shuffle(hh)
    chats = list(wildchat.records(mirrors))
    atp = [r for r in chats if r.source == "wildchat:atp"]
    random.Random(SEED + 7).shuffle(atp)
    dev_ids = {r.id for r in chats if r.source == "wildchat:inoc"} | {r.id for r in atp[:WILDCHAT_DEV_ATP]}
    realchat = keep("realchat_dev", list(chat.user_oriented(mirrors)) + sorted(hh[:HH_DEV], key=lambda r: r.id)
                    + [r for r in chats if r.id in dev_ids])
    write(out / "realchat_dev.jsonl", realchat)
    for name, make in training_sources(mirrors).items():
        write(out / f"{name}.jsonl", keep(name, make()))
    write(out / "wildchat_train.jsonl", keep("wildchat_train", [r for r in chats if r.id not in dev_ids]))
    write(out / "hh_rlhf_harmless.jsonl", keep("hh_rlhf_harmless", sorted(hh[HH_DEV:], key=lambda r: r.id)))
    # Templated turns (one user's Etsy titles, "locate the residential address for ...") recur across
    # the split: a dev prompt that nearly repeats a training prompt would flatter the figure.
    trained = OverlapIndex(r.prompt for r in read_all_training(data, out))
    honest = [r for r in realchat if not trained.matches(r.prompt)]
    report["realchat_dev"]["dropped_training_overlap"] = len(realchat) - len(honest)
    write(out / "realchat_dev.jsonl", honest)
    if out.resolve() == (data / "corpus").resolve():  # the development sets' lists name records of data/corpus
        report |= {f"devset:{name}": figures for name, figures in devsets.carve(data).items()}
    return report


def read_all_training(data: Path, corpus: Path) -> list[Record]:
    """Every prompt of the training files: the hand-written files and the corpus files just written (the
    development sets' records included: the first real-chat set keeps clear of them as it always has)."""
    skip = not_training(data)
    written = [r for path in sorted(corpus.glob("*.jsonl")) if path.name not in skip for r in read_jsonl(path)]
    return [r for path in sorted(data.rglob("*.txt")) for r in read_file(path, data)] + written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "intent_dev.jsonl")
    args = parser.parse_args(argv)
    report = build(args.mirrors, args.out, args.dev)
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
