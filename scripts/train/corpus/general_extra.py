"""General requests and questions written by people, for the classifier's confusion of general prompts with code
or reasoning: imperative writing / creation requests ("Write a ...", "Give me a list of ...", "Create ..."),
explanatory questions on science, economics, business and history, and everyday how-to questions.

(a) Databricks **Dolly 15k** (CC BY-SA 3.0; written by Databricks employees in March-April 2023, no model output).
    The 13 MB original is absent from the snapshots (GitHub copies are LFS pointers or over 4 MiB); this reads the
    complete copy that ZeenathulNizreen/FedAgg split for federated training with Shepherd's client_data_allocation.py
    (pandas, seed 42): `data/10/local_training_{0..9}.json` (14,931 items) + `data/10/global_test.json` (80 items,
    10 per category) = 15,011, Dolly's full size, each item {instruction, context, response, category} as in the
    original. Prompt = instruction, then the context after a blank line (FORMAT.md order); the response never goes
    into a record (the reader looked at it for a few unclear items only). Id = `dolly-` + the first 12 hex digits
    of sha256(instruction + "\\n" + context), so it does not depend on the copy's order. Items
    repeating another's normalised prompt are dropped (first by id).
    Drawn per Dolly category (DOLLY_N, `random.Random(SEED + k)` over the sorted ids, then sorted): the categories
    that look most like the misrouted prompts (brainstorming, creative_writing, open_qa, general_qa) get most.
    source = `dolly:<category>`.
(b) **Cooking Stack Exchange** question titles (CC BY-SA 3.0, cooking.stackexchange.com via fastText's tutorial
    file `cooking.stackexchange.txt`, one title per line after its `__label__<tag>` words; that file dropped
    non-ASCII letters, e.g. "jalapeos"), as a real file in HuStanding/ml. Everyday how-to and food-science
    questions. Id = `se-cooking-<line index>`; COOKING_N drawn with `random.Random(SEED + 20)` (the 270 are the first
    270 draws of the 350 that were read). source = `stackexchange:cooking`.
(c) **Archived Stack Exchange sites** (CC BY-SA 3.0), the collapsed-stacks archives of closed sites, one markdown
    page per question under `questions/<id>/<slug>.md` (its title on the first line, "## <title>"), each folder
    pinned by its git tree id: Answers OnStartups (2009-2013, business and startups), Startups Stack Exchange
    (2014-2017), Economics (the 2011 beta) and How Things Work (2011, how devices and natural things work).
    Id = `se-<site>-<question id>`; drawn per site (SE_ARCHIVES, `random.Random(SEED + 30 + k)`), How Things Work
    whole. source = `stackexchange:<site>`.

Labels. Default general (every Dolly category and these sites are general per FORMAT.md unless the item asks for
code or maths). Every drawn item was read by the data helper (Dolly instructions in full, with the context where
the instruction did not settle it; every title), the ones that differ from general are in labels/general-extra.tsv
(id<TAB>label, "-" drops). Rules (those of data/SOURCES.md): a request for a program or a question about a
programming language, framework, database or data/cloud developer tool (React, Kotlin, Rust, Spark, Kafka, Delta
Lake, Hadoop, AWS Kinesis, EKS/ECS, Grafana, OAuth) is code, with or without code; careers in software, IT trivia
("biggest cloud providers"), end-user technology (how Wi-Fi, SSDs or CPUs work, MFA, Linux's licence) and
questions on what a given text says ("the main components of Apache Spark based on the paragraph") are general;
a programming question stays code when a reference text follows it (double-checked locking, ACID, materialized
views, stride scheduling). Reasoning: a calculation to work out (fuel stops
on a trip, cost per square foot, a discount rate, a unit conversion), maths concepts (area of a rectangle, a
polygon, mean / median / mode, a line through two points, logarithms, regressions), derivations in economic models
(Cobb-Douglas, risk aversion, offer curves, the Leontief inverse), deduction puzzles and riddles (ages, navigation
loops, ducks in a row, the Sphinx's riddle, "how many months have 28 days?"); a science concept in words, a
factual number to look up or extract, and word games are general. Dropped: items between two labels (linear
regression, SSO, SIEM, econometric model-theory titles), prompts whose list Dolly put in the response field, junk.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.chat import labelled, sorted_sample
from scripts.train.corpus.mirror import Blob, list_tree
from scripts.train.corpus.overlap import normalise
from scripts.train.data import Record

SEED = 20250611 + 400
LABELS_NAME = "general-extra"

# --- (a) Dolly 15k -----------------------------------------------------------------------------------------
DOLLY_REPO = "ZeenathulNizreen/FedAgg"
DOLLY_COMMIT = "59cd0654e15fa1479782e33862bcc4a396147ed7"
DOLLY_FILES = {
    "data/10/global_test.json": "3eef12d065b5679a37eb60df12f83156f38c39b5",
    "data/10/local_training_0.json": "d9ecf91da7875a7f6f4a78a6cb28de1cd5b4cd11",
    "data/10/local_training_1.json": "04549d9bf77aa2dc3036e0d20ca150df9aeb53aa",
    "data/10/local_training_2.json": "3d6ba3d1d986c56348613bf4344dbbc7e9e95b82",
    "data/10/local_training_3.json": "7af5c7a9c7830bd48075732a48a854c8a055e96d",
    "data/10/local_training_4.json": "f3c50bb52384ed4d3d27baf7cfad7c92cb776ad1",
    "data/10/local_training_5.json": "12230d114e4108100d2304f598a91516640e1504",
    "data/10/local_training_6.json": "97961bbe58c7de27c772035fe9f8e2632ca9448b",
    "data/10/local_training_7.json": "b65164cd2d5047c3b10de85adba1f06ab82b1f90",
    "data/10/local_training_8.json": "f1ecdc46184fd0c2112c0a5bbac7dc5e5370a667",
    "data/10/local_training_9.json": "80ead01711709c17680b92d9d1ed57db4abd0a2a",
}
# items drawn per Dolly category (its eight categories; all are general by default)
DOLLY_N = {
    "brainstorming": 280,
    "creative_writing": 220,
    "open_qa": 250,
    "general_qa": 250,
    "classification": 80,
    "closed_qa": 70,
    "information_extraction": 70,
    "summarization": 70,
}
MAX_CHARS = 4000

# --- (b) Cooking Stack Exchange titles -----------------------------------------------------------------------
COOKING = Blob("HuStanding/ml", "890d481df3da334b1f3b13ce43eb50df829915b7", "fasttext/data/cooking.stackexchange.txt",
               "ee1a93e54f7d86cdd2b95a2fa7c2c94d855a145d")
COOKING_N = 270
_LABEL_WORD = re.compile(r"^(?:__label__\S+\s+)+")


def dolly_all(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """Every Dolly item of the copy, one per distinct prompt: (id, prompt, source), sorted by id."""
    items: dict[str, tuple[str, str, str]] = {}
    for path, blob in DOLLY_FILES.items():
        for row in json.loads(Blob(DOLLY_REPO, DOLLY_COMMIT, path, blob).read(mirrors)):
            instruction = str(row.get("instruction") or "").strip()
            context = str(row.get("context") or "").strip()
            digest = hashlib.sha256(f"{instruction}\n{context}".encode()).hexdigest()[:12]
            prompt = f"{instruction}\n\n{context}" if context else instruction
            items[f"dolly-{digest}"] = (f"dolly-{digest}", prompt, f"dolly:{row['category']}")
    seen: set[str] = set()
    for key in sorted(items):
        item = items[key]
        norm = normalise(item[1])
        if not norm or norm in seen or len(item[1]) >= MAX_CHARS:
            continue
        seen.add(norm)
        yield item


def dolly_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    by_category: dict[str, list[tuple[str, str, str]]] = {}
    for item in dolly_all(mirrors):
        by_category.setdefault(item[2].split(":", 1)[1], []).append(item)
    drawn = []
    for k, (category, n) in enumerate(sorted(DOLLY_N.items())):
        drawn += sorted_sample(by_category.get(category, []), n, SEED + k)
    yield from sorted(drawn)


def cooking_all(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    for index, line in enumerate(COOKING.read(mirrors).splitlines()):
        title = " ".join(_LABEL_WORD.sub("", line).split())
        norm = normalise(title)
        if len(title) < 8 or norm in seen:
            continue
        seen.add(norm)
        yield f"se-cooking-{index}", title, "stackexchange:cooking"


def cooking_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    yield from sorted_sample(list(cooking_all(mirrors)), COOKING_N, SEED + 20)


# --- (c) collapsed-stacks: archived Stack Exchange sites, one markdown page per question -----------------------
# {site: (repository, commit, tree id of questions/, how many drawn (None = all))}
SE_ARCHIVES = {
    "onstartups": ("collapsed-stacks/onstartups", "240fea96a6a543e3e9cf557dcfe08bb74f829622",
                   "3681aa92136f157c70cf8ed20a587499a980178b", 120),
    "startups": ("collapsed-stacks/startups", "b98ec0474467306e20f325339e9670e253dbcd41",
                 "83ace35ade131f8a0da2a77a972636212d3b8a25", 80),
    "economics": ("collapsed-stacks/economics", "9bfa5ddf311182c2424bc756343788410b17849a",
                  "045346d4a85f54c069b8e3748a35c7805d9b5b04", 120),
    "htw": ("collapsed-stacks/htw", "b0c26cdb9d18f5de6e705d3d74cd2927b148ef1c",
            "fd3d7492448904b63b4ddde03fb11721555e6dbc", None),
}
_QUESTION_PATH = re.compile(r"^questions/(\d+)/[^/]+\.md$")


def se_archive_raw(mirrors: Path, site: str) -> Iterator[tuple[str, str, str]]:
    """The title (first "## " line) of each drawn question page of one archived site."""
    repo, commit, tree, n = SE_ARCHIVES[site]
    files = list_tree(mirrors, repo, commit, "questions", tree).items()
    pages = sorted((int(m.group(1)), path, blob) for path, blob in files if (m := _QUESTION_PATH.match(path)))
    if n is not None and len(pages) > n:
        pages = sorted(random.Random(SEED + 30 + sorted(SE_ARCHIVES).index(site)).sample(pages, n))
    for qid, path, blob in pages:
        first = Blob(repo, commit, path, blob).read(mirrors).lstrip().split("\n", 1)[0]
        title = " ".join(html.unescape(first.removeprefix("## ")).split())
        if title:
            yield f"se-{site}-{qid}", title, f"stackexchange:{site}"


# --- records ----------------------------------------------------------------------------------------------
def dolly(mirrors: Path) -> Iterator[Record]:
    return labelled(dolly_raw(mirrors), LABELS_NAME, "general")


def cooking(mirrors: Path) -> Iterator[Record]:
    return labelled(cooking_raw(mirrors), LABELS_NAME, "general")


def se_archives(mirrors: Path) -> Iterator[Record]:
    for site in SE_ARCHIVES:
        yield from labelled(se_archive_raw(mirrors, site), LABELS_NAME, "general")


SOURCES = {
    "dolly": dolly,
    "stackexchange_cooking": cooking,
    "stackexchange_archives": se_archives,
}
