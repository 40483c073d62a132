"""Context windows inside the proxy: the router's declared windows and fallback chains, read for
the pure choice in `plugins.context_window`.

Windows come from `model_info.max_input_tokens` in the router's model list (parsed once per
version of it by `DeploymentIndex`); the fallback chains are read only when the prompt does not
fit its model, so the common case is one dict look-up after the measurement.
"""

from __future__ import annotations

from collections.abc import Callable

from plugins.context_window import Fit, choose_fitting, estimate_tokens, fits
from plugins.request_size import TextSize
from plugins.routing import fallback_chains
from router_hooks.router_view import DeploymentIndex


class ContextGate:
    def __init__(self, index: DeploymentIndex) -> None:
        self.index = index

    def fit(self, model: str, size: TextSize, allowed: frozenset[str] | None = None,
            chain: tuple[str, ...] | None = None) -> Fit:
        """Where a request of `size` routed to `model` can go (`Fit.model` None: nowhere), among
        the models the caller may use (`allowed`, None: all), along `chain` (None: the YAML's)."""
        windows = self.index.windows()
        tokens = estimate_tokens(size)
        window = windows.get(model)
        if fits(tokens, window):
            return Fit(model, tokens, ((model, window),))
        if chain is None:
            router = self.index.router()
            chain = fallback_chains(router.fallbacks if router is not None else None).get(model, ())
        if allowed is not None:
            chain = tuple(m for m in chain if m in allowed)
        return choose_fitting(model, chain, windows, tokens)

    def fitter(self, tokens: int) -> Callable[[str], bool]:
        """A predicate for other reroutes (health): does a prompt of `tokens` fit this model?

        The windows are read when it is called (only on a health reroute), not per request.
        """
        return lambda model: fits(tokens, self.index.windows().get(model))
