"""First human turns of Anthropic HH-RLHF **helpful-base test** (MIT): crowdworkers asking an assistant for help.

- File: `data/helpful-base/test.jsonl.gz` as a real file in `DaehanKim/EasyRLHF` (the original anthropics/hh-rlhf
  repository holds its helpful files as Git LFS pointers; the copy's `harmless-base/test.jsonl.gz` is byte-identical
  to the original's). 2,354 dialogues.
- First turn = the text after the first "\\n\\nHuman: " up to the next "\\n\\nAssistant:", stripped. One record per
  distinct normalised text (NFKC, lower case, whitespace folded), the first dialogue's index kept: 2,207 distinct.
  Ids `hh-helpful-base-test-<index>` are those of `reasoning_extra.hh_helpful_raw` (which keeps only the turns
  matching a maths word list), so its labels for these ids carry over.
- Template floods: the key is the turn's first TEMPLATE_WORDS words (lower case, letters only); at most
  TEMPLATE_KEEP turns per key, the first by index. Only one template is capped: 60 "I like to host guests at my home
  from time to time ... Can you give me a recipe for <dish>?" turns -> 3 kept, 57 dropped. 2,150 left.
- Labels: every one of the 2,150 turns read (labels/hh-helpful.tsv). Default general. code = programming, markup,
  developer topics (also without code: an if/then in C, learning PHP / HTML, "what is an API?", Ruby on Rails,
  making a webpage, starting to create an app, Java's origin); end-user device, app and Windows questions are
  general. reasoning = maths concepts explained (PEMDAS, BODMAS, standard deviation, bar graphs), calculations to
  work out (area of a circle, fabric for a fitted sheet, cement for a driveway, a 14-pound turkey's thaw time,
  Fahrenheit to Celsius, roulette odds). One stray-letter turn ("c") dropped ("-").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.chat import first_turn, labelled
from scripts.train.corpus.mirror import Blob
from scripts.train.corpus.overlap import normalise
from scripts.train.data import Record

LABELS = "hh-helpful"
SUBSET = "helpful-base"
HELPFUL_BASE_TEST = Blob("DaehanKim/EasyRLHF", "45eccb72ddb8c18aa52dc2a184516380e06582fe",
                         "data/helpful-base/test.jsonl.gz", "f9f556b8e502eca71b1dec8a5df97a0c7b054fcb")
TEMPLATE_WORDS = 8
TEMPLATE_KEEP = 3


def _template_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", "", text.lower()).split()[:TEMPLATE_WORDS])


def raw(mirrors: Path) -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    per_template: Counter[str] = Counter()
    for index, line in enumerate(HELPFUL_BASE_TEST.read(mirrors).splitlines()):
        first = first_turn(json.loads(line)["chosen"])
        key = normalise(first)
        if not key or key in seen:
            continue  # chosen/rejected pairs and repeated prompts share their first turn
        seen.add(key)
        template = _template_key(first)
        per_template[template] += 1
        if per_template[template] > TEMPLATE_KEEP:
            continue
        yield f"hh-{SUBSET}-test-{index}", first, f"hh-rlhf:{SUBSET}"


def records(mirrors: Path) -> Iterator[Record]:
    """All distinct helpful-base test first turns, read one by one: default general."""
    return labelled(raw(mirrors), LABELS, "general")
