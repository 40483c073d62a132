"""The Grafana dashboard queries only series the bundle exports, with a panel for each."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from plugins.metrics.series import RouterMetrics
from scripts.stack import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "agent-router.json"
NAME = re.compile(r"\b(?:agent_router|litellm)_[a-z0-9_]+\b")


def exported() -> tuple[set[str], set[str]]:
    """(sample names, family names) of every agent_router_* series."""
    registry = CollectorRegistry()
    metrics = RouterMetrics(["llama", "qwen-coder"], ["general", "code"], registry=registry)
    metrics.health("llama", True)  # a gauge with no value yet exports no sample
    families = list(registry.collect())
    samples = {s.name for f in families for s in f.samples if not s.name.endswith("_created")}
    return samples, {f.name for f in families}


def queries(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [q for v in node.values() for q in queries(v)]
    if isinstance(node, list):
        return [q for v in node for q in queries(v)]
    return []


def test_queries_use_only_exported_names() -> None:
    samples, _ = exported()
    exprs = queries(json.loads(DASHBOARD.read_text()))
    used = {name for e in exprs for name in NAME.findall(e)}
    assert used and used <= samples, used - samples


def test_a_panel_for_each_series() -> None:
    samples, families = exported()
    panels = json.loads(DASHBOARD.read_text())["panels"]
    for family in families:
        family_samples = {s for s in samples if s.startswith(family)}
        assert any(
            family_samples & set(NAME.findall(q)) for p in panels for q in queries(p)
        ), f"no panel shows {family}"


def test_provisioning_points_at_the_dashboard_and_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    sources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uids = {d["uid"] for d in sources["datasources"]}
    used = {q["datasource"]["uid"] for p in dashboard["panels"] for q in p["targets"]}
    assert used == uids == {"prometheus"}
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/agent-router.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/etc/grafana/dashboards"
    assert Path(DASHBOARD).suffix == ".json" and dashboard["uid"] == "agent-router"
