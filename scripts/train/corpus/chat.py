"""Requests people wrote to assistants: self-instruct's seed and user-oriented tasks, awesome-chatgpt-prompts,
and the first human turns of Anthropic's HH-RLHF harmless-base test dialogues. Labelled by reading
(scripts/train/corpus/labels/<source>.tsv: id, label; "-" drops an item); unlisted items take the source's default."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob
from scripts.train.data import Record

SELF_INSTRUCT_COMMIT = "0b26ccaa415992100fa32df62d41b994cf928e23"
SEED_TASKS = Blob("yizhongw/self-instruct", SELF_INSTRUCT_COMMIT, "data/seed_tasks.jsonl",
                  "c97d40d76abd45cd7456f2d0d58459bb4df3cad5")
USER_ORIENTED = Blob("yizhongw/self-instruct", SELF_INSTRUCT_COMMIT, "human_eval/user_oriented_instructions.jsonl",
                     "ed6d5d986e3f4c65ff64d70328a2e1dab146f914")
# The January 2025 list (175 prompts), before the list grew into a generated prompt library.
AWESOME = Blob("f/awesome-chatgpt-prompts", "f447be57d40c339d325099c7824c2dc0be77083a", "prompts.csv",
               "4d38e763afef9f9d2459501d3a67c839511aa578")
HH_HARMLESS_TEST = Blob("anthropics/hh-rlhf", "354e5c3cb8960630860dd5774a6ac2a58313bf4d",
                        "harmless-base/test.jsonl.gz", "a616e6a27660ded23c5ce0e585a3e4cf0d761f0e")
LABELS = Path(__file__).resolve().parent / "labels"
MAX_CHARS = 4000
# HH-RLHF's harmless-base first turns are mostly attempts at harmful requests: a few hundred keep
# real phrasing in the mix without teaching the classifier that "general" means hostile.
HH_TRAIN, HH_DEV = 700, 100
HH_SEED = 20250611 + 5  # the corpus build's SEED + 5


def read_labels(name: str) -> dict[str, str]:
    path = LABELS / f"{name}.tsv"
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, label = line.split("\t")[:2]
            out[key.strip()] = label.strip()
    return out


def labelled(raw: Iterator[tuple[str, str, str]], name: str, default: str) -> Iterator[Record]:
    """(id, prompt, source) items with their read label; `default` for items the reader left unlisted."""
    labels = read_labels(name)
    for key, prompt, source in raw:
        label = labels.get(key, default)
        if label != "-" and prompt.strip() and len(prompt) < MAX_CHARS:
            yield Record(key, prompt.strip(), label, source)


def sorted_sample(items: list[tuple[str, str, str]], n: int, seed: int) -> list[tuple[str, str, str]]:
    """At most `n` of `items` drawn with `Random(seed)` from their sorted order, returned sorted."""
    items = sorted(items)
    if len(items) > n:
        items = random.Random(seed).sample(items, n)
    return sorted(items)


def sample(records: Iterable[Record], cap: int | None, seed: int) -> list[Record]:
    """At most `cap` of `records`: the first `cap` after a `Random(seed)` shuffle, sorted by id."""
    items = list(records)
    if cap is not None and len(items) > cap:
        random.Random(seed).shuffle(items)
        items = sorted(items[:cap], key=lambda r: r.id)
    return items


def first_turn(dialogue: str) -> str:
    """The first human turn of an HH-RLHF dialogue ("\n\nHuman: ... \n\nAssistant: ...")."""
    return dialogue.split("\n\nHuman: ", 1)[-1].split("\n\nAssistant:", 1)[0].strip()


def _instruction(row: dict[str, object]) -> str:
    """Instruction first, then the first instance's input (FORMAT.md: instruction, then input or context)."""
    instances = row.get("instances") or [{}]
    first = instances[0] if isinstance(instances, list) and instances else {}
    extra = str(first.get("input", "")).strip() if isinstance(first, dict) else ""
    text = str(row["instruction"]).strip()
    return f"{text}\n\n{extra}" if extra else text


def seed_tasks_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    for line in SEED_TASKS.read(mirrors).splitlines():
        row = json.loads(line)
        yield f"selfinstruct-{row['id']}", _instruction(row), "self-instruct:seed"


def user_oriented_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    for line in USER_ORIENTED.read(mirrors).splitlines():
        row = json.loads(line)
        app = str(row.get("motivation_app", "")).strip() or "unknown"
        yield f"selfinstruct-{row['id']}", _instruction(row), f"self-instruct:user_oriented:{app}"


def awesome_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    for index, row in enumerate(csv.DictReader(io.StringIO(AWESOME.read(mirrors)))):
        yield f"awesome-{index}", row["prompt"], "awesome-chatgpt-prompts:persona"


def hh_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    for index, line in enumerate(HH_HARMLESS_TEST.read(mirrors).splitlines()):
        dialogue = json.loads(line)["chosen"]
        first = first_turn(dialogue)
        key = " ".join(first.lower().split())
        if key in seen:
            continue  # chosen/rejected pairs often share their first turn across records
        seen.add(key)
        yield f"hh-harmless-test-{index}", first, "hh-rlhf:harmless-base"


def seed_tasks(mirrors: Path) -> Iterator[Record]:
    return labelled(seed_tasks_raw(mirrors), "self-instruct", "general")


def user_oriented(mirrors: Path) -> Iterator[Record]:
    return labelled(user_oriented_raw(mirrors), "self-instruct", "general")


def awesome(mirrors: Path) -> Iterator[Record]:
    return labelled(awesome_raw(mirrors), "awesome-chatgpt-prompts", "general")


def hh(mirrors: Path) -> Iterator[Record]:
    return labelled(hh_raw(mirrors), "hh-rlhf", "general")


def hh_drawn(mirrors: Path) -> list[Record]:
    """The HH-RLHF harmless-base first turns the corpus build uses: HH_TRAIN for training, HH_DEV for the first
    real-chat set (here, not in build, so that tech_extra can leave them out without importing the build)."""
    return sample(hh(mirrors), HH_TRAIN + HH_DEV, HH_SEED)
