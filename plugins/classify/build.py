"""Builds the classifier the config selects, or the one a model directory holds."""

from __future__ import annotations

import json
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


def build_shadow(config: RouterConfig) -> Classifier | None:
    """The candidate `agent_router.shadow` names (None without one): its kind over the live config's
    intents and keywords, and its own artifact when `shadow.model` gives one."""
    shadow = config.shadow
    if shadow is None:
        return None
    if shadow.model is None:
        # The packaged artifacts: the live config with only the kind changed (no model override to check).
        return build_classifier(config.model_copy(update={"classifier": shadow.classifier, "learned_model": None}))
    base = load_directory(config, Path(shadow.model))
    if shadow.classifier == "hybrid":
        return HybridClassifier(base, KeywordClassifier.from_config(config), config.hybrid_keyword_weight)
    if base.kind != shadow.classifier:
        raise ConfigError(f"agent_router.shadow.model: {shadow.model!r} holds a {base.kind} model, "
                          f"not {shadow.classifier}")
    return base


def model_classifier(config: RouterConfig, kind: HybridBase) -> Classifier:
    """A model classifier on its own: `learned` (intent-v1) or `encoder`."""
    return load_learned(config) if kind == "learned" else load_encoder(config)


def load_encoder(config: RouterConfig, directory: Path | None = None) -> Classifier:
    """The encoder in `directory` (default: `encoder.model`, else the packaged one), checked against the config.

    One intra-op thread per call: the one-core figures the issue's budget is set in; the proxy runs
    `encoder.threads` calls at once in its pool (router_hooks/dispatch.py).
    """
    # Imported here: onnxruntime is loaded only by the processes that run the encoder.
    from plugins.classify.onnx_encoder import PACKAGED_ENCODER, EncoderClassifier

    field = "encoder.model" if directory is None else "model"
    if directory is None:
        directory = Path(config.encoder.model) if config.encoder.model else PACKAGED_ENCODER
    try:
        encoder = EncoderClassifier.load(directory, config.default_intent, config.max_chars, 1)
    except Exception as exc:
        # onnxruntime 1.2x's load errors (NoSuchFile, InvalidProtobuf, ...) derive from Exception
        # only: every failure here is a bad artifact, reported as such at start-up.
        raise ConfigError(f"agent_router.{field}: cannot load the encoder in {str(directory)!r}: {exc}") from exc
    check_classes(config, encoder.classes, directory)
    return encoder


def load_learned(config: RouterConfig, directory: Path | None = None) -> LearnedClassifier:
    """The learned model in `directory` (default: `learned_model`, else the packaged one), checked against the
    config."""
    if directory is None:
        directory = Path(config.learned_model) if config.learned_model else PACKAGED_MODEL
    try:
        classifier = LearnedClassifier.load(directory, config.default_intent, config.context_weight,
                                            config.max_chars)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"agent_router.learned_model: cannot load {str(directory)!r}: {exc}") from exc
    check_classes(config, classifier.classes, directory)
    return classifier


def load_directory(config: RouterConfig, directory: Path) -> Classifier:
    """The classifier a model directory holds, by its manifest's `kind`: `learned` (intent-v1's manifest, written
    before there was a choice, has no `kind`) or `encoder`. `agent-router eval --model DIR` loads through here."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{directory}: cannot read its manifest.json: {exc}") from exc
    kind = manifest.get("kind", "learned") if isinstance(manifest, dict) else None
    if kind == "learned":
        return load_learned(config, directory)
    if kind == "encoder":
        return load_encoder(config, directory)
    raise ConfigError(f"{directory}/manifest.json: unknown kind {kind!r} (expected 'learned' or 'encoder')")


def check_classes(config: RouterConfig, classes: tuple[str, ...] | list[str], directory: Path) -> None:
    """Every class a model predicts must be a configured intent: a model is checked where it is loaded."""
    unknown = [c for c in classes if c not in config.intents]
    if unknown:
        raise ConfigError(
            f"agent_router.intents: the model in {str(directory)!r} predicts {unknown}, which the config does not "
            f"map to a model (it knows {sorted(config.intents)})"
        )
