"""Which routed models a caller may use, and where its request goes when the intent's model is not
one of them. Pure: whether a key or team *authorizes* a model is LiteLLM's decision (its own
helpers, called by router_hooks.tenant_access); this module only combines those answers.

The rule, per object (key, team) that carries a model list:
- it authorizes some routed targets by themselves (by name, access group, wildcard): those only;
- it authorizes none of them (it holds only the virtual model, or its access group does not cover
  the targets): every target, since calling the virtual model means "route me".
A caller may use the targets every one of its objects allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


def allowed_by(targets: Sequence[str], authorizes: Callable[[str], bool]) -> frozenset[str]:
    """The targets one object allows: the ones it authorizes by itself, else all of them."""
    named = frozenset(t for t in targets if authorizes(t))
    return named or frozenset(targets)


def allowed_by_all(targets: Sequence[str], objects: Iterable[Callable[[str], bool]]) -> frozenset[str]:
    """The targets every object allows (all of them when no object restricts)."""
    allowed = frozenset(targets)
    for authorizes in objects:
        allowed &= allowed_by(targets, authorizes)
    return allowed


def allowed_primary(model: str, chain: Sequence[str], allowed: frozenset[str],
                    order: Sequence[str]) -> str | None:
    """`model` when allowed; else the first allowed model of its fallback chain; else the first
    allowed model in the YAML's order (`order`); None when the caller may use no model at all."""
    if model in allowed:
        return model
    for candidate in (*chain, *order):
        if candidate in allowed:
            return candidate
    return None
