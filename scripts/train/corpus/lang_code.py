"""Programming questions people wrote in other languages than English (issue 21): code, in their own words.

- MCoNaLa (`zorazrw/multilingual-conala`, CC BY-SA 4.0; the questions are Stack Overflow content): the titles
  (`intent`) of the Python questions of Spanish, Japanese and Russian Stack Overflow that the MCoNaLa annotators
  paired with a snippet (`dataset/test/{es,ja,ru}_test.json`, one record per question id; never the `rewritten_intent`
  nor the machine-translated copies under `flores101/`, `m2m/`, `marianmt/`). Source category: code.
- haizlin/fe-interview (MIT): the front-end interview questions of its daily "3+1" list, in Chinese, as its category
  files list them (`category/{html,css,js,nodejs,ECMAScript}.md` -> code; `category/skill.md`, the "soft skills"
  list, mixes careers with technology: every drawn item read). Read at the last commit before November 2022
  (before chat models wrote such lists); one record per issue number.
Labels a reader changed: labels/lang-code.tsv.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob
from scripts.train.corpus.multilingual import SEED, Item, draw, labelled
from scripts.train.data import Record

LABELS_NAME = "lang-code"
MCONALA_REPO, MCONALA_COMMIT = "zorazrw/multilingual-conala", "b48112fe492432507d72004aafb6f0c399308333"
MCONALA = {
    "es": "500b03531652967e2fcbde18f6efe70fd500350a",
    "ja": "b4fda99425f1be227399bba952e676bbe353cd16",
    "ru": "2c70c7d5b19bc561d4155dd55f541dab65611da2",
}
FE_REPO, FE_COMMIT = "haizlin/fe-interview", "c4cc6a66619f36ed9e946a840fc2b4976bcba913"
FE_CATEGORIES = {
    "html": "ea90c4503c4946883970ae4872b9f8335903c812",
    "css": "5484ddb35fa61143be5874379a568fb9595b872a",
    "js": "417a9123b6abe5cf712d3920eb41fe20cac2459f",
    "nodejs": "50580dbb5384d20d00b13ebde1d14be3d7ab836a",
    "ECMAScript": "d0ebccc19531f08eb07e05ef6c806e44eadc400c",
    "skill": "c65598de9b1f67935c6dd2db741b54f136235634",
}
# Drawn per category: the technical lists are large and alike, so a sample; the soft-skill list is read whole.
FE_TECHNICAL_DRAW, FE_SKILL_DRAW = 90, 160
_FE_LINE = re.compile(r"^- \[(.+)\]\(https://github\.com/haizlin/fe-interview/issues/(\d+)\)\s*$")


def mconala_items(mirrors: Path) -> Iterator[Item]:
    for lang, blob in MCONALA.items():
        seen: set[int] = set()
        rows = json.loads(Blob(MCONALA_REPO, MCONALA_COMMIT, f"dataset/test/{lang}_test.json", blob).read(mirrors))
        for row in rows:
            question = int(row["question_id"])
            if question not in seen:
                seen.add(question)
                yield Item(f"mconala-{lang}-{question}", str(row["intent"]), f"mconala:{lang}", lang, "code")


def parse_fe(text: str) -> Iterator[tuple[int, str]]:
    """(issue number, question) for each `- [question](.../issues/N)` line of a category file."""
    for line in text.splitlines():
        match = _FE_LINE.match(line.strip())
        if match:
            yield int(match.group(2)), match.group(1).strip()


def fe_items(mirrors: Path) -> Iterator[Item]:
    seen: set[int] = set()
    for k, (category, blob) in enumerate(FE_CATEGORIES.items()):
        text = Blob(FE_REPO, FE_COMMIT, f"category/{category}.md", blob).read(mirrors)
        items = []
        for issue, question in parse_fe(text):
            if issue not in seen:
                seen.add(issue)
                items.append(Item(f"fe-interview-{issue}", question, f"fe-interview:{category.lower()}", "zh", "code"))
        yield from draw(items, FE_SKILL_DRAW if category == "skill" else FE_TECHNICAL_DRAW, SEED + 10 + k)


def mconala(mirrors: Path) -> Iterator[Record]:
    return labelled(mconala_items(mirrors), LABELS_NAME)


def fe_interview(mirrors: Path) -> Iterator[Record]:
    return labelled(fe_items(mirrors), LABELS_NAME)


SOURCES = {"mconala": mconala, "fe_interview_zh": fe_interview}
