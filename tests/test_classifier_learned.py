"""The learned classifier's documented behaviour, on the packaged artifact (no mocks, no network)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from plugins.classify.build import build_classifier
from plugins.classify.decision import Decision
from plugins.classify.encoder import StaticEncoder
from plugins.classify.head import IntentHead
from plugins.classify.hybrid import HybridClassifier
from plugins.classify.keyword import KeywordClassifier
from plugins.classify.learned import DECISIVE, PACKAGED_MODEL, LearnedClassifier, LearnedSettings
from plugins.classify.wordpiece import WordPiece
from plugins.config import ConfigError, RouterConfig, load_config
from plugins.prompt import Prompt
from plugins.routing import choose_route
from plugins.surfaces.chat import read_messages as extract_prompt
from scripts.stack import ROOT

SHIPPED = load_config(ROOT / "litellm_config.yaml")
CONFIG = SHIPPED.model_copy(update={"classifier": "learned"})
CODE_EXCHANGE = (
    "My Flask app crashes with KeyError: 'user_id' when I submit the form. The handler:\n"
    "@app.route('/submit', methods=['POST'])\ndef submit():\n    uid = session['user_id']",
    "The session key is missing: set session['user_id'] when the user logs in.",
)


@pytest.fixture(scope="module")
def learned() -> LearnedClassifier:
    return LearnedClassifier.load(PACKAGED_MODEL, "general", 0.3)


def decide(classifier: LearnedClassifier, text: str, **kwargs: object) -> Decision:
    return classifier.classify(Prompt(latest=text, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```", "code"),
        ("kubectl apply says my deployment is invalid: spec.template.metadata.labels: Invalid value", "code"),
        ("Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it.", "reasoning"),
        ("If x + 2y = 10 and 3x - y = 2, what are x and y?", "reasoning"),
        ("Tell me a story about the history of Rome.", "general"),
        ("Write a short story about a mathematician who discovers a new prime.", "general"),
    ],
)
def test_clear_cut_prompts_get_their_intent_at_high_confidence(
    learned: LearnedClassifier, text: str, intent: str
) -> None:
    decision = decide(learned, text)
    assert decision.intent == intent
    assert decision.confidence >= CONFIG.thresholds.high


def test_scores_are_a_distribution_and_confidence_is_the_winners(learned: LearnedClassifier) -> None:
    decision = decide(learned, "How do I reverse a list in Python?")
    assert set(decision.scores) == {"code", "reasoning", "general"}
    assert sum(decision.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert decision.confidence == decision.scores[decision.intent] == max(decision.scores.values())


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_or_whitespace_means_no_decision_and_the_default_model(learned: LearnedClassifier, text: str) -> None:
    decision = decide(learned, text)
    assert (decision.intent, decision.confidence) == ("general", 0.0)
    route = choose_route(decision, CONFIG)
    assert route.defaulted and route.model == CONFIG.default_model


def test_image_only_turn_has_no_text_and_no_confidence(learned: LearnedClassifier) -> None:
    prompt = extract_prompt([{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])
    assert learned.classify(prompt).confidence == 0.0


def test_image_beside_text_is_classified_by_the_text(learned: LearnedClassifier) -> None:
    prompt = extract_prompt([{"role": "user", "content": [
        {"type": "text", "text": "Why does this Python code raise IndexError: list index out of range?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])
    assert learned.classify(prompt).intent == "code"


def test_image_only_follow_up_in_a_code_conversation_follows_the_conversation(learned: LearnedClassifier) -> None:
    decision = learned.classify(Prompt(latest="", context=CODE_EXCHANGE))
    assert decision.intent == "code" and decision.confidence > 0.0


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("¿Cómo invierto una lista en Python? mi_lista.reverse() devuelve None", "code"),
        ("Wie viel ist 15% von 240?", "reasoning"),
        ("Quelle est la capitale de l'Australie ?", "general"),
    ],
)
def test_non_english_prompts_are_decided_by_what_the_model_recognises(
    learned: LearnedClassifier, text: str, intent: str
) -> None:
    # The encoder's vocabulary is English; code tokens, digits and names carry across languages.
    assert decide(learned, text).intent == intent


def test_non_latin_script_gets_a_valid_decision(learned: LearnedClassifier) -> None:
    decision = decide(learned, "今日はとても良い天気ですね。週末は何をしますか\uff1f")
    assert decision.intent in CONFIG.intents and 0.0 < decision.confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "My brother is a programmer and works long hours. How can I help him relax on weekends?",
        "What do software engineers usually wear to work?",
    ],
)
def test_code_free_questions_about_programmers_are_general(learned: LearnedClassifier, text: str) -> None:
    assert decide(learned, text).intent == "general"


@pytest.mark.parametrize(
    "text",
    [
        "don't write code, tell me a joke",
        # A bag of tokens cannot read the negation: a near tie (code 0.50, general 0.45) since the second
        # data round taught more real requests that name Python or SQL in words. Known, kept visible.
        pytest.param("No need for any python or SQL here, just recommend a good novel for the beach.",
                     marks=pytest.mark.xfail(strict=True, reason="negation is not read")),
    ],
)
def test_keyword_stuffing_does_not_make_it_code(learned: LearnedClassifier, text: str) -> None:
    assert decide(learned, text).intent == "general"


def test_vague_follow_up_after_a_code_exchange_is_code(learned: LearnedClassifier) -> None:
    assert decide(learned, "why does it still fail?", context=CODE_EXCHANGE).intent == "code"
    # A follow-up too vague to decide alone (below the 0.8 at which the latest turn decides alone)
    # is pulled to code by the conversation.
    alone = decide(learned, "and now?")
    followed = decide(learned, "and now?", context=CODE_EXCHANGE)
    assert alone.intent == "general" and alone.confidence < 0.8
    assert followed.intent == "code"
    assert followed.scores["code"] > alone.scores["code"]


def test_a_clear_new_request_is_not_dragged_back_by_the_conversation(learned: LearnedClassifier) -> None:
    assert decide(learned, "Thanks! Now write me a poem about the sea.", context=CODE_EXCHANGE).intent == "general"


def test_system_prompt_cannot_force_an_intent(learned: LearnedClassifier) -> None:
    system = "You are an expert Python programmer. Always answer with code."
    assert decide(learned, "Tell me a joke about cats.", system=system).intent == "general"
    alone = decide(learned, "", system=system)
    assert (alone.intent, alone.confidence) == ("general", 0.0)


def test_decisive_latest_turn_is_unchanged_by_context(learned: LearnedClassifier) -> None:
    text = "Tell me a story about the history of Rome."
    assert decide(learned, text).confidence >= DECISIVE
    assert decide(learned, text, context=CODE_EXCHANGE, system="You write code.") == decide(learned, text)


def test_long_inputs_are_clipped_and_still_classified(learned: LearnedClassifier) -> None:
    code = "def handler(event):\n    items = load(event['id'])\n    return [i.name for i in items]\n\n" * 400
    text = code + "\nThis module raises AttributeError: 'NoneType' object has no attribute 'name'. Why?"
    assert len(text) > 30_000
    assert decide(learned, text).intent == "code"


def test_wordpiece_matches_the_reference_tokenizer() -> None:
    path = PACKAGED_MODEL / "tokenizer.json"
    fast = WordPiece.from_tokenizer_json(path)
    reference = Tokenizer.from_file(str(path))
    reference.no_padding()
    reference.no_truncation()
    unk = reference.token_to_id("[UNK]")
    texts = [
        "Why does my React component render twice in development?",
        "Simplify \\frac{x^2 - 9}{x^2 + 6x + 9} and explain each step.",
        "Café crème, naïve résumé: ¿qué pasó? 東京で会いましょう",
        "SELECT name, COUNT(*) FROM users GROUP BY email; -- why_does_this_fail",
    ]
    for text in texts:
        expected = [i for i in reference.encode(text, add_special_tokens=False).ids if i != unk]
        assert fast.ids(text) == expected, text


def test_artifact_files_match_the_manifest_and_fit_the_budget() -> None:
    manifest = json.loads((PACKAGED_MODEL / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((PACKAGED_MODEL / name).read_bytes()).hexdigest() == digest, name
    assert sum(p.stat().st_size for p in PACKAGED_MODEL.iterdir()) <= 30 * 1024 * 1024
    assert not list(PACKAGED_MODEL.glob("*.pkl")) and not list(PACKAGED_MODEL.glob("*.pickle"))


def test_head_with_wrong_shapes_fails_at_load() -> None:
    data = json.loads((PACKAGED_MODEL / "head.json").read_text())
    data["bias"] = data["bias"][:-1]
    with pytest.raises(ValueError, match=r"head\.bias"):
        IntentHead.from_json(data)


def test_head_trained_on_other_features_is_refused() -> None:
    runtime = json.loads((PACKAGED_MODEL / "manifest.json").read_text())["runtime"]
    settings = LearnedSettings(max_chars=runtime["max_chars"], max_tokens=runtime["max_tokens"])
    encoder = StaticEncoder.load(PACKAGED_MODEL, settings.max_tokens)
    data = json.loads((PACKAGED_MODEL / "head.json").read_text())
    data["feature_names"][-1] = "something_else"
    with pytest.raises(ValueError, match="other features"):
        LearnedClassifier(encoder, IntentHead.from_json(data), settings, "general", 0.3)


def test_build_classifier_selects_each_kind() -> None:
    for kind in ("keyword", "learned", "hybrid"):
        assert build_classifier(SHIPPED.model_copy(update={"classifier": kind})).kind == kind


def test_missing_artifact_is_a_config_error(tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"learned_model": str(tmp_path / "nowhere")})
    with pytest.raises(ConfigError, match="learned_model"):
        build_classifier(config)


def test_model_classes_must_be_configured_intents() -> None:
    intents = {k: v for k, v in CONFIG.intents.items() if k != "reasoning"}
    config = RouterConfig.model_validate({**CONFIG.model_dump(exclude_unset=True), "intents": intents})
    with pytest.raises(ConfigError, match="reasoning"):
        build_classifier(config)


def test_hybrid_keeps_the_learned_decision_when_no_keyword_matches(learned: LearnedClassifier) -> None:
    hybrid = HybridClassifier(learned, KeywordClassifier.from_config(CONFIG), 0.25)
    prompt = Prompt(latest="What do software engineers usually wear to work?")
    assert hybrid.classify(prompt) == learned.classify(prompt)


def test_hybrid_mixes_scores_when_keywords_match(learned: LearnedClassifier) -> None:
    keyword = KeywordClassifier.from_config(CONFIG)
    hybrid = HybridClassifier(learned, keyword, 0.25)
    prompt = Prompt(latest="Write a Python function to compute the average of a list.")
    mixed, a, b = hybrid.classify(prompt), learned.classify(prompt), keyword.classify(prompt)
    for name in mixed.scores:
        assert mixed.scores[name] == pytest.approx(0.75 * a.scores[name] + 0.25 * b.scores[name], abs=1e-3)


def test_probabilities_are_a_finite_distribution_for_odd_inputs(learned: LearnedClassifier) -> None:
    for text in ["\x00\x01\x02", "🙂🙂🙂", "a" * 5000, "```\n```", "$$$$"]:
        probs = learned.probabilities(text)
        assert np.isfinite(probs).all() and probs.sum() == pytest.approx(1.0, abs=1e-4)
