"""More real first user turns of WildChat-1M conversations (AI2, ODC-BY 1.0), as further public repositories
sampled them (none of them mixes in another chat corpus).

- Software-Evolution-Analytics-Lab-SEAL/CodeChat (MIT; the CodeChat paper's developer conversations, drawn from
  WildChat-1M): the `prompt1` of the rows whose `turn1_number` is 1 (the conversation's first user turn) in its two
  labelled turn-pair files (RQ1 prompt-pair sample, RQ2 topic-7 gap sample). One item per conversation.
- zc277584121/search-datasets, the first (500-query) version of its WildChat retrieval task's queries.json
  (`first_user_message`); wildchat2 read the later 280-query version, so only the other 220 are new here.
- davidjurgens/human-llm-similarity: the WildChat first human turn ("You said this to an LLM") of every instance
  assigned to its annotators (annotation_output/*/assigned_user_data.json, all rounds); wildchat2 read only the
  round-3 data file.

Items repeating, after normalising, a turn of wildchat.py, wildchat2.py (beside this module) or an earlier source
here are dropped, as are near-empty turns (< 3 characters) and all but 3 of each template flood (TEMPLATES).
Labelled by reading (labels/wildchat3.tsv, every item read; "-" drops one: Auto-GPT's tool prompt, turns without a
request, sexual content involving minors); unlisted items are general."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus import wildchat, wildchat2
from scripts.train.corpus.chat import labelled
from scripts.train.corpus.mirror import Blob, list_tree
from scripts.train.corpus.overlap import normalise
from scripts.train.data import Record

CODECHAT_REPO = "Software-Evolution-Analytics-Lab-SEAL/CodeChat"
CODECHAT_COMMIT = "043013c47f14d0b5987a0680536b077b9a1ee09c"
CODECHAT = (
    Blob(CODECHAT_REPO, CODECHAT_COMMIT, "RQ1/rq1_results/RQ1_labelled.csv",
         "06af37612bb09768e149427a9bc57fd0a1385ff6"),
    Blob(CODECHAT_REPO, CODECHAT_COMMIT, "RQ2/rq2_results/1_topic7_gap_labeled.csv",
         "a34e5e432fab4dd4f66e6d18c35b831a2b5b0b4b"),
)
# The 500-query version of search-datasets' WildChat task (wildchat2 read the later 280-query file).
SEARCH_500 = Blob("zc277584121/search-datasets", "ad6f7c0222686b2b53642f80aaa6b7ab31a4dcc1", "wildchat/queries.json",
                  "673d0b1a3317d9ed87e1a3883c5c1c29d92d048f")
JURGENS_REPO = "davidjurgens/human-llm-similarity"
JURGENS_COMMIT = "87a4e32e254b86e3511a80ba74fafea353b8d02f"
JURGENS_DIR = "src/annotation/annotation_output"
JURGENS_TREE = "5de8e29d9fc9cf526246a1870cc6e85d6fc90bbf"
TEMPLATES = (*wildchat2.TEMPLATES,
             "Answer as an experienced software developer familiar with numerous programming languages")


def codechat_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    for blob in CODECHAT:
        for row in csv.DictReader(io.StringIO(blob.read(mirrors))):
            conversation = row["conversation_id"]
            if row["turn1_number"] == "1" and conversation not in seen:
                seen.add(conversation)
                yield f"wildchat3-codechat-{conversation[:12]}", row["prompt1"], "wildchat:codechat"


def search_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    return wildchat2.search_turns(SEARCH_500, "wildchat3", mirrors)


def jurgens_raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    """The first human turn shown to each annotator (assigned_user_data.json of every annotator, earlier rounds
    included; wildchat2 read only the round-3 data file)."""
    files = list_tree(mirrors, JURGENS_REPO, JURGENS_COMMIT, JURGENS_DIR, JURGENS_TREE)
    for path, blob in sorted(files.items()):
        if not path.endswith("/assigned_user_data.json"):
            continue
        for item in json.loads(Blob(JURGENS_REPO, JURGENS_COMMIT, path, blob).read(mirrors)).values():
            match = wildchat2.JURGENS_TURN.search(str(item.get("text", "")))
            if match:
                # some files escape the turn twice (`&amp;emsp;`, `&lt;br/&gt;`): unescaped twice, line breaks undone
                text = html.unescape(html.unescape(re.sub(r"<br\s*/?>", "\n", match.group(1))))
                text = re.sub(r"<br\s*/?>", "\n", text)
                # instance keys are shared by different turns, so the id is taken from the turn itself
                digest = hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:12]
                yield f"wildchat3-jurgens-{digest}", text, "wildchat:human-llm-similarity"


SOURCES = (codechat_raw, search_raw, jurgens_raw)


def raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen = {normalise(prompt) for _, prompt, _ in wildchat.raw(mirrors)}
    seen |= {normalise(prompt) for _, prompt, _ in wildchat2.raw(mirrors)}
    return wildchat2.fresh_turns((item for source in SOURCES for item in source(mirrors)), seen, TEMPLATES)


def records(mirrors: Path) -> Iterator[Record]:
    return labelled(raw(mirrors), "wildchat3", "general")
