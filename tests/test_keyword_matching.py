"""The keyword classifier's fast matcher agrees with the plain `(?<!\\w)kw(?!\\w)` regex."""

from __future__ import annotations

import re

from plugins.classify.keyword import KeywordClassifier
from plugins.config import load_config
from plugins.prompt import Prompt
from scripts.stack import ROOT

TEXTS = [
    "",
    "code",
    "barcode and decode but not code",
    "unicode_code code_x xcode",
    "Write Python code: def parse(x): import os",
    "résumécode écode code",
    "c++ and C++17 and abc++ c+++",
    "stacktrace stack trace Stack Trace stacktraces",
    "if x > 2 then y; elif z then w",
    "3 * 4, 12x3, 7 ÷ 2, a1+2b",
    "```python\nprint(1)\n```",
    "Traceback (most recent call last): subTraceback",
    "summarise summarize summarised",
    "unit test unit tests unittests",
    "debugging debugged debug",
    "How many? how much! HOW MANY",
    "json,json;JSON.json_ _json",
]


def test_fast_matcher_agrees_with_lookbehind_regex_for_every_shipped_keyword() -> None:
    # Through the public classifier, one keyword at a time: it finds the keyword exactly when the
    # plain look-behind regex does (confidence > 0 means something matched).
    config = load_config(ROOT / "litellm_config.yaml")
    checked = 0
    for name, intent in config.intents.items():
        for keyword in intent.keywords:
            alone = {name: intent.model_copy(update={"keywords": (keyword,)})}
            classifier = KeywordClassifier.from_config(config.model_copy(update={"intents": alone}))
            plain = re.compile(rf"(?<!\w)(?:{keyword.pattern})(?!\w)", re.IGNORECASE)
            for text in TEXTS:
                found = classifier.classify(Prompt(text)).confidence > 0
                assert found == (plain.search(text) is not None), (keyword.pattern, text)
            checked += 1
    assert checked > 0
