"""The layout issue 18 set: small modules, and LiteLLM imported only by the adapters in router_hooks/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scripts.stack import ROOT

# Modules stay under these line counts (tests do not count): plugins/ and router_hooks/ 300, scripts/ 400.
LIMITS = {"plugins": 300, "router_hooks": 300, "scripts": 400}


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", sorted(LIMITS))
def test_every_module_is_under_its_line_limit(folder: str) -> None:
    found = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in modules(folder)}
    assert found, folder
    assert {name: n for name, n in found.items() if n >= LIMITS[folder]} == {}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_plugins_never_import_litellm() -> None:
    # plugins/ is everything that can be tested without LiteLLM; router_hooks/ holds the adapters that import it.
    assert [str(p.relative_to(ROOT)) for p in modules("plugins") if "litellm" in imported(p)] == []
    assert any("litellm" in imported(p) for p in modules("router_hooks"))
