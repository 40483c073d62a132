"""Builds the classifier the config selects."""

from __future__ import annotations

from plugins.classifier_keyword import KeywordClassifier
from plugins.config import ConfigError, RouterConfig
from plugins.decision import Classifier


def build_classifier(config: RouterConfig) -> Classifier:
    if config.classifier == "keyword":
        return KeywordClassifier.from_config(config)
    raise ConfigError(f"agent_router.classifier: {config.classifier!r} is not available in this build")
