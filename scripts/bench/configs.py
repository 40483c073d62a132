"""The benchmark's proxy configurations, all derived from the shipped `litellm_config.yaml`.

Derived at run time into a temporary directory so they cannot drift from what ships:
- `litellm_default`: the same `model_list` (deployments, model_info) and the master key, nothing
  else: every router / litellm / general setting at LiteLLM's defaults, no bundle.
- `litellm_tuned`: the shipped file minus the bundle (its `agent_router:` section and every
  `router_hooks.*` callback), so the bundle's own cost is `bundle` - `litellm_tuned`.
- `bundle_learned` and `bundle_encoder`: the shipped file with `agent_router.classifier` set to
  `learned` or `encoder` (and, for the encoder, `encoder.model` when a directory is given), keys
  read only by other classifiers removed; the shipped file itself, byte for byte, where it already
  says so. Their difference is the encoder's cost in the proxy (issue 18).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

BUNDLE_SECTION = "agent_router"
BUNDLE_PACKAGE = "router_hooks"
CALLBACK_KEYS = ("callbacks", "success_callback", "failure_callback")
# The bundle configurations and the classifier each one runs.
BUNDLES: dict[str, str] = {"bundle_learned": "learned", "bundle_encoder": "encoder"}
# agent_router keys that the config refuses unless their classifier is the one configured.
HYBRID_ONLY = ("hybrid_keyword_weight", "hybrid_base")
ENCODER_ONLY = ("encoder",)


def _is_bundle_callback(entry: Any) -> bool:
    return isinstance(entry, str) and entry.split(".", 1)[0] == BUNDLE_PACKAGE


def default_config(shipped: dict[str, Any]) -> dict[str, Any]:
    general = shipped.get("general_settings") or {}
    return {
        "model_list": shipped["model_list"],
        "general_settings": {
            "master_key": general.get("master_key", "os.environ/LITELLM_MASTER_KEY")
        },
    }


def tuned_config(shipped: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in shipped.items() if k != BUNDLE_SECTION}
    settings = dict(config.get("litellm_settings") or {})
    for key in CALLBACK_KEYS:
        if isinstance(settings.get(key), list):
            kept = [c for c in settings[key] if not _is_bundle_callback(c)]
            if kept:
                settings[key] = kept
            else:
                del settings[key]
    config["litellm_settings"] = settings
    return config


def bundle_config(shipped: dict[str, Any], classifier: str, encoder_model: str | None = None) -> dict[str, Any]:
    """The shipped file with the bundle's classifier set to `classifier`."""
    section = {k: v for k, v in shipped[BUNDLE_SECTION].items() if k not in HYBRID_ONLY}
    section["classifier"] = classifier
    if classifier == "encoder":
        encoder = dict(section.get("encoder") or {})
        if encoder_model is not None:
            encoder["model"] = encoder_model
        if encoder:
            section["encoder"] = encoder
    else:
        for key in ENCODER_ONLY:
            section.pop(key, None)
    return {**shipped, BUNDLE_SECTION: section}


def write_configs(shipped_path: Path, out_dir: Path, encoder_model: str | None = None) -> dict[str, Path]:
    """Write the derived configs into `out_dir`; return {configuration name: config path}."""
    shipped = yaml.safe_load(shipped_path.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, classifier in BUNDLES.items():
        config = bundle_config(shipped, classifier, encoder_model)
        if config == shipped:
            paths[name] = shipped_path
        else:
            paths[name] = out_dir / f"{name}.yaml"
            paths[name].write_text(yaml.safe_dump(config, sort_keys=False))
    for name, config in (
        ("litellm_default", default_config(shipped)),
        ("litellm_tuned", tuned_config(shipped)),
    ):
        path = out_dir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        paths[name] = path
    return paths
