"""Real first turns of WildChat-1M conversations (AI2, ODC-BY 1.0), as two public repositories sampled them.
Labelled by reading (labels/wildchat.tsv); unlisted items are general."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.chat import labelled
from scripts.train.corpus.mirror import Blob
from scripts.train.corpus.overlap import normalise
from scripts.train.data import Record

# 989 first turns (851 distinct), all languages.
ATP = Blob("irajmoradi/atp_project", "783b2b0f3d45f91ba89a5cf680fb9d3676ce6510", "wildchat.jsonl",
           "6922d8b1941592736dfa79622ce156208f46e003")
# 100 English first turns.
INOC = Blob("arianaazarbal/inoc-interp", "6c636970ad4b686ace1f0b4e1902a3f84e293aad", "data/wildchat_users.json",
            "f819f41d9448f1dbfc46d20222466d2193f9991f")
# The Midjourney prompt-generator template fills ~12% of the sample with one user's near-identical
# prompts; a few are kept so the template is known, not so many that it dominates.
TEMPLATE = 'As a prompt generator for a generative AI called "Midjourney"'
TEMPLATE_KEEP = 3


def raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    template = 0
    rows = [(f"wildchat-inoc-{i}", str(r["user"])) for i, r in enumerate(json.loads(INOC.read(mirrors)))]
    rows += [(f"wildchat-atp-{i}", str(json.loads(line)["prompt"]))
             for i, line in enumerate(ATP.read(mirrors).split("\n")) if line.strip()]
    for key, prompt in rows:
        text = prompt.strip()
        norm = normalise(text)
        if not norm or norm in seen:
            continue
        seen.add(norm)
        if TEMPLATE in text:
            template += 1
            if template > TEMPLATE_KEEP:
                continue
        yield key, text, "wildchat:" + key.split("-")[1]


def records(mirrors: Path) -> Iterator[Record]:
    return labelled(raw(mirrors), "wildchat", "general")
