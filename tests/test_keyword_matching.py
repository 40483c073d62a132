"""The keyword classifier's fast matcher agrees with the plain `(?<!\\w)kw(?!\\w)` regex."""

from __future__ import annotations

import re

from plugins.classify.keyword import _found
from plugins.config import load_config
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
    config = load_config(ROOT / "litellm_config.yaml")
    keywords = [kw.pattern for intent in config.intents.values() for kw in intent.keywords]
    assert keywords
    for keyword in keywords:
        plain = re.compile(rf"(?<!\w)(?:{keyword})(?!\w)", re.IGNORECASE)
        fast = re.compile(rf"(?:{keyword})(?!\w)", re.IGNORECASE)
        for text in TEXTS:
            assert _found(fast, text) == (plain.search(text) is not None), (keyword, text)
