"""Programming questions written by people: CoNaLa intents (Stack Overflow titles) and interview question lists."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob
from scripts.train.data import Record

CONALA = Blob("shilliscmu/TranxConalaBaseline", "5520285387d946e826f4cc5a4a0a1bf7361355e5",
              "conala-train.json", "661c0c6344f1dcf53542b7ebb25f2570e9c2ac12")
H5BP_COMMIT = "c8023cdcc4e13d45c096c3f37160a8fa5ab066d6"
# The front-end files whose every question is about web programming; general-, fun- and
# coding-questions.md are left out (career talk, small talk, and code puzzles without context).
H5BP = {
    "src/questions/css-questions.md": "a068b942a304bc183a7ba1b8f9efbb49e19a1cd3",
    "src/questions/html-questions.md": "d357355186c31a1f8f1cf571a2ca664a9cda2d98",
    "src/questions/javascript-questions.md": "c1a9f7d939623b805955c17080d9c5599778caad",
    "src/questions/network-questions.md": "0b319a242d73991d46000f083da8d5eedb8b6179",
    "src/questions/performance-questions.md": "541f0a56dd8b5d3c6f7568d555d857b21f5fca5d",
    "src/questions/testing-questions.md": "d491218d9f2b5480a567146249fc7c2532705b2b",
}
SYSADMIN = Blob("trimstray/test-your-sysadmin-skills", "d566322e4f6a656fb835bf34712a67db269d5f2d",
                "README.md", "a443c2de285a8812975279a64b0cc41ae7eba6ef")
_BOLD = re.compile(r"<b>(.+?)</b>")
_TAG = re.compile(r"<[^>]+>")


def conala(mirrors: Path) -> Iterator[Record]:
    """One record per Stack Overflow question: its title as the asker wrote it (no snippet, no rewrite)."""
    seen: set[int] = set()
    for row in json.loads(CONALA.read(mirrors)):
        qid, intent = int(row["question_id"]), row.get("intent")
        if qid in seen or not intent:
            continue
        seen.add(qid)
        yield Record(f"conala-train-{qid}", str(intent).strip(), "code", "conala:train")


def h5bp(mirrors: Path) -> Iterator[Record]:
    for path, blob in H5BP.items():
        topic = path.rsplit("/", 1)[1].removesuffix("-questions.md")
        text = Blob("h5bp/Front-end-Developer-Interview-Questions", H5BP_COMMIT, path, blob).read(mirrors)
        index = 0
        for line in text.splitlines():
            if line.startswith("* "):  # top-level questions only: follow-ups lean on the question above
                yield Record(f"h5bp-{topic}-{index}", line[2:].strip(), "code", f"h5bp-interview:{topic}")
                index += 1


def sysadmin(mirrors: Path) -> Iterator[Record]:
    """Questions from the System/Network/Devops/Cyber Security sections (the career small talk before is skipped)."""
    section, index = None, 0
    for line in SYSADMIN.read(mirrors).splitlines():
        if line.startswith("###### "):
            section = line[7:].split(" Questions")[0].strip().lower().replace(" ", "_")
            continue
        if section is None:
            continue
        if line.startswith(("<summary><b>", "- <b>")):
            match = _BOLD.search(line)
            if match:
                question = _TAG.sub("", match.group(1)).replace("&lt;", "<").replace("&gt;", ">").strip()
                if len(question) > 8:
                    yield Record(f"sysadmin-{index}", question, "code", f"sysadmin-skills:{section}")
                    index += 1
