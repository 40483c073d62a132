"""Short requests people type: WebQuestions (Google Suggest questions, general facts) and tldr-pages task lines
(what a shell user wants done, code)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob, list_tree
from scripts.train.data import Record

WEBQ_TRAIN = Blob("brmson/dataset-factoid-webquestions", "668890853388010fe6ae9a5eb035a7917b88933b",
                  "main/trainmodel.json", "27ffc1d65fa7d4ce8083e85c17a0a18ba75390b8")
TLDR_REPO, TLDR_COMMIT = "tldr-pages/tldr", "08e345f42639f67d99282813247ac670dc6e87cb"
TLDR_TREES = {"pages/common": "bfc2c00440cb48387d2fa97dc286a3ea08efb7eb",
              "pages/linux": "da93766c55a46ff765523224f1688d987888c482"}
_BRACKETS = re.compile(r"\[([^\]]*)\]")  # tldr marks option letters: "[c]reate" -> "create"


def webquestions(mirrors: Path) -> Iterator[Record]:
    for row in json.loads(WEBQ_TRAIN.read(mirrors)):
        yield Record(f"webquestions-{row['qId']}", str(row["qText"]).strip(), "general", "webquestions:train")


def tldr(mirrors: Path, seed: int) -> Iterator[Record]:
    """One task line per page, drawn with a fixed seed, asked as a user would: "<task> with <command>"."""
    rng = random.Random(seed)
    for folder, tree in TLDR_TREES.items():
        for path, blob in sorted(list_tree(mirrors, TLDR_REPO, TLDR_COMMIT, folder, tree).items()):
            if not path.endswith(".md"):
                continue
            command = path.rsplit("/", 1)[1].removesuffix(".md")
            tasks = [line[2:].rstrip(":").strip() for line in Blob(TLDR_REPO, TLDR_COMMIT, path, blob).read(mirrors)
                     .splitlines() if line.startswith("- ")]
            if not tasks:
                continue
            task = _BRACKETS.sub(r"\1", rng.choice(tasks))
            if "{{" in task:
                continue
            yield Record(f"tldr-{folder.rsplit('/', 1)[1]}-{command}", f"{task} with {command}", "code",
                         f"tldr:{folder.rsplit('/', 1)[1]}")


CLINC = Blob("clinc/oos-eval", "828f8093932c8fe6ca7936c3d2e52903b1c523de", "data/data_full.json",
             "7a7b26c5f2dfbbf213f3e67d2dd0727e1af545aa")
# CLINC150's intents are the label source: arithmetic and unit conversions are calculations (reasoning,
# FORMAT.md: everyday calculations); the other 148 intents are assistant requests (general).
CLINC_REASONING = {"calculator", "measurement_conversion"}
CLINC_PER_INTENT, CLINC_PER_REASONING_INTENT = 8, 40


def clinc(mirrors: Path, seed: int) -> Iterator[Record]:
    """Requests crowd workers wrote for a virtual assistant (train split), a fixed number per intent."""
    by_intent: dict[str, list[tuple[int, str]]] = {}
    for index, (text, intent) in enumerate(json.loads(CLINC.read(mirrors))["train"]):
        by_intent.setdefault(intent, []).append((index, text))
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        items = by_intent[intent]
        take = CLINC_PER_REASONING_INTENT if intent in CLINC_REASONING else CLINC_PER_INTENT
        for index, text in sorted(rng.sample(items, min(take, len(items)))):
            label = "reasoning" if intent in CLINC_REASONING else "general"
            yield Record(f"clinc150-train-{index}", text.strip(), label, f"clinc150:{intent}")
