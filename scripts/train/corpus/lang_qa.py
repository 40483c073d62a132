"""Questions and chat turns people wrote in Russian, Japanese and Korean (issue 21): the general class.

- RuBQ (`vladislavneon/RuBQ`, CC BY-SA 4.0): Russian quiz and search-engine questions, `question_text` of RuBQ 1.0
  (dev, test) and RuBQ 2.0 (dev; its test and paragraph files are over the snapshot's size limit). Facts -> general;
  every drawn question read (a calculation would be reasoning).
- JCommonsenseQA (`yahoojapan/JGLUE`, CC BY-SA 4.0): everyday-knowledge questions crowdworkers wrote in Japanese,
  `datasets/jcommonsenseqa-v1.3/train-v1.3.json`, question and its five options. General; every drawn item read.
- Korean chatbot data (`songys/Chatbot_data`, MIT): `ChatbotData.csv`, the `Q` column: everyday chat turns
  (small talk, break-ups, love) one person wrote in Korean in 2018 for chatbot training. General; every drawn turn read.
Labels a reader changed: labels/lang-qa.tsv.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from scripts.train.corpus.mirror import Blob
from scripts.train.corpus.multilingual import SEED, Item, draw, labelled, options
from scripts.train.data import Record

LABELS_NAME = "lang-qa"
RUBQ_REPO, RUBQ_COMMIT = "vladislavneon/RuBQ", "fade3eae6a4807c35b19cfce20dfa805fc8c0cdf"
RUBQ = {
    "RuBQ_1.0/RuBQ_1.0_dev.json": "8b46c10eed5b18772d281af86f3cb7862c3e6aab",
    "RuBQ_1.0/RuBQ_1.0_test.json": "8ef59480078c668ee766114010dc5d3301053abb",
    "RuBQ_2.0/RuBQ_2.0_dev.json": "dda28ff0f6e586fb2c0e47cf380a422381ed39a4",
}
JCQA = Blob("yahoojapan/JGLUE", "6f071c09316baae89c3d083a90985b4b1cb9968c",
            "datasets/jcommonsenseqa-v1.3/train-v1.3.json", "4d11d31788cb22850b0a88d41a1ffdd13e8a180b")
KO_CHAT = Blob("songys/Chatbot_data", "4cf20d13fc46f5037fd1c531cd566e2dd9f72974", "ChatbotData.csv",
               "4cc2bfa9a124991dc5ca80f5da1786f4162f46e1")
RUBQ_DRAW, JCQA_DRAW, KO_CHAT_DRAW = 180, 180, 150


def rubq_items(mirrors: Path) -> Iterator[Item]:
    items: dict[str, Item] = {}
    for path, blob in RUBQ.items():
        version = path.split("/", 1)[0].removeprefix("RuBQ_")
        split = path.rsplit("_", 1)[1].removesuffix(".json")
        for row in json.loads(Blob(RUBQ_REPO, RUBQ_COMMIT, path, blob).read(mirrors)):
            text = str(row["question_text"]).strip()
            # RuBQ 2.0 repeats RuBQ 1.0's questions under the same uid: the first file read keeps it
            items.setdefault(text, Item(f"rubq-{version}-{split}-{row['uid']}", text, f"rubq:{version}-{split}",
                                        "ru", "general"))
    return iter(draw(items.values(), RUBQ_DRAW, SEED + 50))


def jcqa_items(mirrors: Path) -> Iterator[Item]:
    items = []
    for line in JCQA.read(mirrors).splitlines():
        if line.strip():
            row = json.loads(line)
            prompt = f"{str(row['question']).strip()}\n{options([str(row[f'choice{i}']) for i in range(5)])}"
            items.append(Item(f"jcqa-train-{row['q_id']}", prompt, "jcommonsenseqa:train", "ja", "general"))
    return iter(draw(items, JCQA_DRAW, SEED + 51))


def korean_chat_items(mirrors: Path) -> Iterator[Item]:
    rows = csv.DictReader(io.StringIO(KO_CHAT.read(mirrors, encoding="utf-8-sig")))
    items = [Item(f"ko-chatbot-{index}", str(row["Q"]), "korean-chatbot:q", "ko", "general")
             for index, row in enumerate(rows)]
    return iter(draw(items, KO_CHAT_DRAW, SEED + 52))


def rubq(mirrors: Path) -> Iterator[Record]:
    return labelled(rubq_items(mirrors), LABELS_NAME)


def jcommonsenseqa(mirrors: Path) -> Iterator[Record]:
    return labelled(jcqa_items(mirrors), LABELS_NAME)


def korean_chat(mirrors: Path) -> Iterator[Record]:
    return labelled(korean_chat_items(mirrors), LABELS_NAME)


SOURCES = {"rubq_ru": rubq, "jcommonsenseqa_ja": jcommonsenseqa, "korean_chatbot": korean_chat}
