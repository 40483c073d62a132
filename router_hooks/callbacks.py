"""After the call: the `x-routing-metadata` header, the metric events of each attempt and request,
health observations, and the errors the bundle answers instead of LiteLLM's. Each entry point fails
open: a bug here is logged, never returned to the client."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException

from plugins.errors import ErrorType, error_type
from plugins.metrics.series import DIRECT_INTENT, RouterMetrics
from plugins.record import HEADER, RoutingRecord
from plugins.redact import has_credentials, without_credentials
from router_hooks import request_errors
from router_hooks.call_data import attempted_group, elapsed, model_group, record_in, served_id
from router_hooks.client_errors import unknown_key_without_database
from router_hooks.continuation import DeploymentLookup
from router_hooks.health_gate import HealthGate

logger = logging.getLogger(__name__)

# LiteLLM's own header naming the served api_base (1.108.7 cuts only its query string).
API_BASE_HEADER = "x-litellm-model-api-base"


class Outcomes:
    def __init__(self, metrics: RouterMetrics, deployments: DeploymentLookup, clock: Callable[[], float],
                 health: HealthGate | None) -> None:
        self.metrics = metrics
        self._deployments = deployments
        self._clock = clock
        self.health = health

    def headers(self, data: Mapping[str, Any], call_info: Mapping[str, Any]) -> dict[str, str] | None:
        try:
            headers: dict[str, str] = {}
            api_base = call_info.get("api_base")
            if isinstance(api_base, str) and has_credentials(api_base):
                # Callback headers override LiteLLM's own (proxy/utils.py, 1.108.7): the client
                # sees the backend's address, never the credentials in it.
                headers[API_BASE_HEADER] = without_credentials(api_base)
            record = record_in(data)
            if record is not None:
                served = self._deployments(served_id(call_info, data))
                headers[HEADER] = record.header(served, self._clock())
            return headers or None
        except Exception:
            logger.exception("agent-router: could not build the %s header", HEADER)
            return None

    def succeeded(self, kwargs: Mapping[str, Any], start_time: Any, end_time: Any) -> None:
        try:
            model = model_group(kwargs)
            if model is None or model not in self.metrics.models:
                return  # background health checks have no model group; other groups are not ours
            self._observe(model, None)
            record = record_in(kwargs.get("litellm_params"))
            if record is None:
                self.metrics.served(model, model, DIRECT_INTENT, elapsed(start_time, end_time))
            else:
                self.metrics.served(record.chosen_model, model, record.intent, self._clock() - record.started)
        except Exception:
            logger.exception("agent-router: success metrics failed")

    def attempt_failed(self, request_data: Mapping[str, Any], exception: Exception, call_type: Any) -> None:
        """One call per failed deployment attempt (first try, each retry, each fallback hop)."""
        try:
            model = attempted_group(request_data, call_type)
            if model is not None and model in self.metrics.models:
                kind = error_type(exception)
                self.metrics.error(model, kind)
                self._observe(model, kind)
            request_errors.note(request_data, exception)
        except Exception:
            logger.exception("agent-router: failure metrics failed")

    def request_failed(self, request_data: Mapping[str, Any], exception: Exception) -> HTTPException | None:
        record = None
        try:
            record = record_in(request_data)
            if record is not None:
                self.metrics.failed(record.chosen_model, record.intent)
            elif request_data.get("model") in self.metrics.models:  # named a model itself
                self.metrics.failed(request_data["model"], DIRECT_INTENT)
        except Exception:
            logger.exception("agent-router: failure accounting failed")
        return unknown_key_without_database(exception) or self._outage_error(record)

    def no_response(self, data: Mapping[str, Any]) -> HTTPException:
        """LiteLLM 1.108.7 with `drop_params` retries a backend's 422 once without the parameters the
        422 names, and when the retry fails the same way it leaves its loop with no response
        (llms/openai/openai.py acompletion, `for _ in range(2)`): a 400 instead of its 200 `null`."""
        model = data.get("model")
        if model in self.metrics.models:
            self.metrics.error(model, "http_4xx")
        return HTTPException(status_code=400, detail={"error": {
            "message": "agent-router: the model backend rejected the request's parameters (422) and returned "
                       "no response", "type": "invalid_request_error", "param": None, "code": "400"}})

    def _observe(self, model: str, error: ErrorType | None) -> None:
        if self.health is not None:
            self.health.observe(model, error)

    def _outage_error(self, record: RoutingRecord | None) -> HTTPException | None:
        """Every model of the chain unhealthy: say so, instead of the last backend's error."""
        try:
            message = self.health.outage_message(record.chosen_model) if record and self.health else None
        except Exception:
            logger.exception("agent-router: outage check failed")
            return None
        if message is None:
            return None
        return HTTPException(status_code=503, detail={"error": {
            "message": message, "type": "service_unavailable", "param": None, "code": "503"}})
