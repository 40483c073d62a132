"""Config validation: a bad value stops start-up with an error naming the file and the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from plugins.config import ConfigError, load_config, parse_config
from scripts.stack import ROOT

SHIPPED: dict[str, Any] = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(SHIPPED)
    doc["agent_router"].update(changes)
    return doc


def test_shipped_config_loads_with_its_intents_models_and_thresholds() -> None:
    config = load_config(ROOT / "litellm_config.yaml")
    assert config.virtual_model == "agent-router"
    assert config.default_model == "llama"
    assert {n: i.model for n, i in config.intents.items()} == {
        "code": "qwen-coder", "reasoning": "deepseek-r1", "general": "llama",
    }
    assert (config.thresholds.high, config.thresholds.medium, config.thresholds.low) == (0.7, 0.4, 0.2)
    assert config.models == ("llama", "qwen-coder", "deepseek-r1")


def test_config_is_frozen() -> None:
    config = parse_config(SHIPPED)
    with pytest.raises(ValueError, match="frozen"):
        config.default_model = "qwen-coder"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"default_model": "gpt-5"}, "agent_router.default_model"),
        ({"thresholds": {"high": 1.5, "medium": 0.4, "low": 0.2}}, "agent_router.thresholds.high"),
        ({"thresholds": {"high": 0.7, "medium": 0.4, "low": -0.1}}, "agent_router.thresholds.low"),
        ({"thresholds": {"high": 0.3, "medium": 0.4, "low": 0.2}}, "agent_router.thresholds"),
        ({"classifier": "magic"}, "agent_router.classifier"),
        ({"surprise": 1}, "agent_router.surprise"),
        ({"default_intent": "poetry"}, "default_intent"),
        ({"virtual_model": "not-listed"}, "agent_router.virtual_model"),
    ],
)
def test_bad_values_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(document(**changes), "my.yaml")
    assert str(info.value).startswith("my.yaml: ")
    assert field in str(info.value)


def test_unknown_model_in_an_intent_is_rejected_naming_the_field() -> None:
    doc = document()
    doc["agent_router"]["intents"]["code"]["model"] = "gpt-4o"
    with pytest.raises(ConfigError, match=r"agent_router\.intents\.code\.model: unknown model 'gpt-4o'"):
        parse_config(doc, "my.yaml")


@pytest.mark.parametrize("keyword", ["", "   ", {"pattern": ""}])
def test_empty_keyword_is_rejected_naming_its_index(keyword: Any) -> None:
    doc = document()
    doc["agent_router"]["intents"]["code"]["keywords"] = ["python", keyword]
    with pytest.raises(ConfigError, match=r"agent_router\.intents\.code\.keywords\.1.*must not be empty"):
        parse_config(doc)


def test_invalid_regex_keyword_is_rejected() -> None:
    doc = document()
    doc["agent_router"]["intents"]["code"]["keywords"] = ["(unclosed"]
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        parse_config(doc)


def test_uppercase_intent_name_is_rejected() -> None:
    doc = document()
    doc["agent_router"]["intents"]["Code"] = doc["agent_router"]["intents"].pop("code")
    with pytest.raises(ConfigError, match="lowercase slug"):
        parse_config(doc)


def test_missing_section_unreadable_file_and_non_mapping_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing the top-level `agent_router:` section"):
        parse_config({"model_list": []}, "x.yaml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="not a YAML mapping"):
        load_config(bad)


@pytest.mark.parametrize(("changes", "field"), [
    ({"classifier": "learned", "hybrid_keyword_weight": 0.5}, "hybrid_keyword_weight"),
    ({"classifier": "keyword", "learned_model": "/models/x"}, "learned_model"),
])
def test_a_setting_the_classifier_never_reads_is_refused(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        parse_config(document(**changes), "litellm_config.yaml")


def test_max_chars_bounds_what_the_learned_classifier_reads() -> None:
    from plugins.classify.build import build_classifier
    from plugins.prompt import Prompt

    # `learned` by name: the shipped default may change (issue 18), this pins intent-v1's clipping.
    clipped = build_classifier(parse_config(document(classifier="learned", max_chars=100)))
    opening = "Hello! Lovely weather today, the garden is full of roses. "
    code = "Write a Python function that parses this JSON file and returns the keys. " * 2
    padding = " The weather is lovely and my garden is full of roses this spring." * 3
    # The whole text (~460 characters) fits the artifact's 600; max_chars: 100 keeps 50 characters of
    # head and 50 of tail, which hold only the small talk.
    prompt = Prompt(latest=opening + code + padding)
    whole = build_classifier(parse_config(document(classifier="learned", max_chars=4000)))
    assert whole.classify(prompt).intent == "code"
    assert clipped.classify(prompt).intent == "general"


def test_the_encoder_and_its_dispatcher_settings_load_with_their_defaults() -> None:
    config = parse_config(document(classifier="encoder"))
    assert config.uses_encoder and config.encoder.model is None
    settings = config.encoder
    assert (settings.threads, settings.deadline_ms, settings.queue_size) == (1, 50.0, 8)
    tuned = parse_config(document(classifier="encoder", learned_model="/models/intent-v1",
                                  encoder={"model": "/models/enc", "threads": 2, "deadline_ms": 5,
                                           "queue_size": 4, "continuity_cache_size": 10}))
    assert tuned.encoder.model == "/models/enc" and tuned.encoder.deadline_ms == 5.0
    # `hybrid` mixes its keywords over the encoder when asked; it then reads the encoder block.
    hybrid = parse_config(document(classifier="hybrid", hybrid_base="encoder", encoder={"threads": 1}))
    assert hybrid.uses_encoder
    assert not parse_config(document(classifier="hybrid")).uses_encoder  # over learned by default
    assert not parse_config(document(classifier="learned")).uses_encoder


@pytest.mark.parametrize(("changes", "field"), [
    ({"classifier": "learned", "encoder": {"threads": 1}}, "encoder is read only by classifier: encoder"),
    ({"classifier": "hybrid", "encoder": {"threads": 1}}, "not hybrid over learned"),
    ({"classifier": "encoder", "hybrid_base": "encoder"}, "hybrid_base is read only"),
    ({"classifier": "encoder", "hybrid_keyword_weight": 0.5}, "hybrid_keyword_weight"),
    ({"classifier": "hybrid", "hybrid_base": "torch"}, "agent_router.hybrid_base"),
    ({"classifier": "encoder", "encoder": {"threads": 2, "queue_size": 1}}, "queue_size"),
    ({"classifier": "encoder", "encoder": {"deadline_ms": 0}}, "agent_router.encoder.deadline_ms"),
    ({"classifier": "encoder", "encoder": {"threads": 0}}, "agent_router.encoder.threads"),
    ({"classifier": "encoder", "encoder": {"deadline": 50}}, "agent_router.encoder.deadline"),
])
def test_encoder_settings_are_validated_and_refused_where_nothing_reads_them(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        parse_config(document(**changes), "litellm_config.yaml")


def test_the_encoder_config_is_frozen() -> None:
    config = parse_config(document(classifier="encoder"))
    with pytest.raises(ValueError, match="frozen"):
        config.encoder.threads = 4


def test_an_encoder_artifact_that_cannot_load_stops_start_up_naming_the_field(tmp_path: Path) -> None:
    from plugins.classify.build import build_classifier

    with pytest.raises(ConfigError, match=r"agent_router\.encoder\.model: cannot load the encoder"):
        build_classifier(parse_config(document(classifier="encoder", encoder={"model": str(tmp_path / "absent")})))
    # A readable manifest beside a model file onnxruntime refuses (its errors are not OSErrors).
    (tmp_path / "manifest.json").write_text(
        '{"kind": "encoder", "classes": ["code", "reasoning", "general"], "calibration": {"temperature": 1.0},'
        ' "runtime": {"max_tokens": 128, "max_chars": 600}}')
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"agent_router\.encoder\.model: cannot load the encoder"):
        build_classifier(parse_config(document(classifier="encoder", encoder={"model": str(tmp_path)})))


@pytest.mark.parametrize(("budget", "named"), [
    ({"at": 0}, "budget.at"),
    ({"at": 0.8, "intent_models": {"poetry": "llama"}}, "unknown intents"),
    ({"at": 0.8, "intent_models": {"code": "agent-router"}}, "not routed"),
])
def test_a_bad_yaml_budget_stops_startup(budget: dict[str, Any], named: str) -> None:
    """Issue 20: the YAML's default budget policy fails fast, naming the field."""
    document = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())
    document["agent_router"]["budget"] = budget
    with pytest.raises(ConfigError, match=named):
        parse_config(document, "litellm_config.yaml")
