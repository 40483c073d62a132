"""Builds the classifier the config selects."""

from __future__ import annotations

from pathlib import Path

from plugins.classify.decision import Classifier
from plugins.classify.hybrid import HybridClassifier
from plugins.classify.keyword import KeywordClassifier
from plugins.classify.learned import PACKAGED_MODEL, LearnedClassifier
from plugins.config import ConfigError, HybridBase, RouterConfig


def build_classifier(config: RouterConfig) -> Classifier:
    if config.classifier == "keyword":
        return KeywordClassifier.from_config(config)
    if config.classifier in ("learned", "encoder"):
        return model_classifier(config, config.classifier)
    if config.classifier == "hybrid":
        # Keywords nudge the model classifier `hybrid_base` names (docs/CONFIGURATION.md).
        base = model_classifier(config, config.hybrid_base)
        return HybridClassifier(base, KeywordClassifier.from_config(config), config.hybrid_keyword_weight)
    raise ConfigError(f"agent_router.classifier: {config.classifier!r} is not available in this build")


def model_classifier(config: RouterConfig, kind: HybridBase) -> Classifier:
    """A model classifier on its own: `learned` (intent-v1) or `encoder`."""
    if kind == "learned":
        return load_learned(config)
    return load_encoder(config)


def load_encoder(config: RouterConfig) -> Classifier:
    """The encoder named by `encoder.model` (default: the packaged intent-encoder-v1)."""
    # Issue 18: the lead's plugins/classify/onnx_encoder.py plugs in here
    # (EncoderClassifier.load(directory, default_intent, max_chars, threads)).
    raise ConfigError("agent_router.classifier: encoder is not available in this build "
                      "(plugins/classify/onnx_encoder.py is missing)")


def load_learned(config: RouterConfig) -> LearnedClassifier:
    """The learned model named by `learned_model` (default: the packaged one), checked against the config."""
    directory = Path(config.learned_model) if config.learned_model else PACKAGED_MODEL
    try:
        classifier = LearnedClassifier.load(directory, config.default_intent, config.context_weight,
                                            config.max_chars)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"agent_router.learned_model: cannot load {str(directory)!r}: {exc}") from exc
    unknown = [c for c in classifier.classes if c not in config.intents]
    if unknown:
        raise ConfigError(
            f"agent_router.intents: the learned model predicts {unknown}, which the config does not map "
            f"to a model (it knows {sorted(config.intents)})"
        )
    return classifier
