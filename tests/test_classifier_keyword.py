"""The keyword classifier's documented rule."""

from __future__ import annotations

import math

import pytest

from plugins.classify.keyword import KeywordClassifier, clip
from plugins.config import load_config
from plugins.prompt import Prompt
from plugins.routing import choose_route
from scripts.stack import ROOT

CONFIG = load_config(ROOT / "litellm_config.yaml")
CLASSIFIER = KeywordClassifier.from_config(CONFIG)


def classify(text: str, *context: str, system: str = "") -> tuple[str, float]:
    decision = CLASSIFIER.classify(Prompt(text, tuple(context), system))
    return decision.intent, decision.confidence


def test_one_keyword_is_medium_two_are_high() -> None:
    assert classify("tell me a joke") == ("general", round(1 - math.exp(-1), 4))
    assert CONFIG.thresholds.level(classify("tell me a joke")[1]) == "medium"
    intent, confidence = classify("write a python function")
    assert intent == "code" and confidence == round(1 - math.exp(-2), 4)
    assert CONFIG.thresholds.level(confidence) == "high"


def test_keywords_match_whole_words_only() -> None:
    # "classic", "apiary", "gitter" and "sqlite3x" contain keywords but are not them.
    assert classify("a classic apiary in gitter with sqlite3x") == ("general", 0.0)
    for word in ("class", "api", "git"):
        assert classify(f"a {word}, please")[0] == "code", word


def test_nothing_matched_goes_to_the_default_model() -> None:
    decision = CLASSIFIER.classify(Prompt("hello there"))
    assert decision.intent == "general" and decision.confidence == 0.0
    route = choose_route(decision, CONFIG)
    assert route.model == CONFIG.default_model and route.defaulted


def test_a_tie_that_includes_the_default_intent_goes_to_it_at_half_confidence() -> None:
    intent, confidence = classify("write a poem about python")
    # python (code) 1 + poem (general) 1: a tie, and the default intent is among the tied.
    assert intent == CONFIG.default_intent == "general"
    assert confidence == round((1 - math.exp(-1)) / 2, 4)


def test_a_tie_without_the_default_intent_goes_to_the_first_listed_intent() -> None:
    # "step by step" (reasoning) 1 + "debug" (code) 1: a tie the default intent is not part of.
    assert list(CONFIG.intents)[:2] == ["code", "reasoning"]
    assert classify("step by step debug") == ("code", round((1 - math.exp(-1)) / 2, 4))


def test_context_counts_less_than_the_latest_turn() -> None:
    # A follow-up with no keyword of its own inherits the code context at a lower confidence.
    intent, confidence = classify("why does it still fail?", "write a python function", "here it is")
    assert intent == "code"
    assert 0.2 <= confidence < 0.63
    # ... but a clear new topic in the latest turn wins over the old context.
    assert classify("tell me a joke", "write a python function")[0] == "general"


def test_system_prompt_alone_routes_its_intent_at_medium_confidence() -> None:
    # The system prompt is background (context_weight 0.3): 0.3 * 2 keywords = 0.6 raw -> 0.45
    # confidence, enough to route to its intent's model, but never at high confidence.
    assert CONFIG.context_weight == 0.3
    decision = CLASSIFIER.classify(Prompt("hello", (), "You are a python coding assistant"))
    assert (decision.intent, decision.confidence) == ("code", round(1 - math.exp(-0.6), 4))
    route = choose_route(decision, CONFIG)
    assert (route.model, route.level, route.defaulted) == ("qwen-coder", "medium", False)


def test_arithmetic_and_proof_prompts_are_reasoning() -> None:
    assert classify("If 3 * 4 = 12, how many eggs are left?")[0] == "reasoning"
    assert classify("Prove the theorem step by step")[0] == "reasoning"


@pytest.mark.parametrize("length", [10, 4000, 30_000])
def test_clip_keeps_head_and_tail_within_the_limit(length: int) -> None:
    text = "a" * (length - 1) + "z"
    clipped = clip(text, 4000)
    assert len(clipped) <= 4001
    assert clipped.endswith("z") and clipped.startswith("a")
