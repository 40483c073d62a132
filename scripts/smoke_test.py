"""Post-deploy smoke test: what an operator runs against a running agent-router stack.

    python -m scripts.smoke_test --base-url http://127.0.0.1:4000 --api-key "$LITELLM_MASTER_KEY"

Checks health, `/router/info`, one code, one reasoning and one general request, a conversation
that switches intent, a streamed request and the `agent_router_*` metrics; prints one line per
check (intent, confidence, served model, fallback, time) and exits 1 when any check failed. Every
failure, a refused connection included, is a reported result, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import requests

ROUTING_HEADER = "x-routing-metadata"
DEFAULT_URL = "http://127.0.0.1:4000"

# (check name, expected intent, messages). Unambiguous prompts for the shipped classifiers.
CODE = "Write a Python function that parses a CSV file into a list of dicts, with a unit test."
REASONING = ("Solve step by step: a train covers 120 km in 1.5 hours. How many km does it cover "
             "in 4 hours at the same speed? Prove the answer.")
GENERAL = "Tell me a short story about the history of Rome."
CONVERSATION: list[dict[str, str]] = [
    {"role": "user", "content": "Write a Python function that reverses a linked list."},
    {"role": "assistant", "content": "def reverse(head):\n    prev = None\n    ..."},
    # The latest turn decides: the conversation moves from code to a counting puzzle.
    {"role": "user", "content": "Different question now: how many ways can 5 people sit in a row "
                                "of 5 chairs? Solve it step by step and prove it."},
]
REQUESTS: tuple[tuple[str, str, list[dict[str, str]]], ...] = (
    ("code", "code", [{"role": "user", "content": CODE}]),
    ("reasoning", "reasoning", [{"role": "user", "content": REASONING}]),
    ("general", "general", [{"role": "user", "content": GENERAL}]),
    ("conversation", "reasoning", CONVERSATION),
)


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str
    seconds: float
    intent: str | None = None
    confidence: float | None = None
    served: str | None = None
    fallback: bool | None = None


class SmokeTest:
    """The checks, against one stack; the HTTP session and the clock are injected."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        session: requests.Session | None = None,
        model: str = "agent-router",
        metrics_url: str | None = None,
        timeout: float = 120.0,
        max_tokens: int = 32,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.model = model
        self.metrics_url = metrics_url or f"{self.base_url}/metrics"
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.clock = clock
        self.intent_models: dict[str, str] = {}  # filled from /router/info when it answers

    def run(self) -> list[Result]:
        results = [self._guarded("health", self.health), self._guarded("router/info", self.info)]
        for name, intent, messages in REQUESTS:
            results.append(self._guarded(name, functools.partial(self.chat, intent, messages)))
        results.append(self._guarded("stream", self.stream))
        results.append(self._guarded("metrics", self.metrics))
        return results

    def _guarded(self, name: str, check: Callable[[], Result]) -> Result:
        started = self.clock()
        try:
            result = check()
        except requests.exceptions.JSONDecodeError as exc:  # also a RequestException
            return Result(name, False, f"unexpected answer: not JSON ({exc})",
                          self.clock() - started)
        except requests.RequestException as exc:
            return Result(name, False, f"{type(exc).__name__}: {_first_line(exc)}",
                          self.clock() - started)
        except (ValueError, KeyError, TypeError) as exc:  # malformed JSON or an unexpected shape
            return Result(name, False, f"unexpected answer: {type(exc).__name__}: {exc}",
                          self.clock() - started)
        return replace(result, name=name, seconds=self.clock() - started)

    def _get(self, path_or_url: str, auth: bool = True) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        return self.session.get(url, headers=self.headers if auth else None, timeout=self.timeout)

    # -- the checks -------------------------------------------------------------------------

    def health(self) -> Result:
        live = self._get("/health/liveliness", auth=False)
        if live.status_code != 200:
            return Result("", False, f"/health/liveliness answered HTTP {live.status_code}", 0)
        ready = self._get("/health/readiness", auth=False)
        if ready.status_code != 200:
            return Result("", False, f"/health/readiness answered HTTP {ready.status_code}", 0)
        db = ready.json().get("db", "?")
        return Result("", True, f"liveliness and readiness 200 (database: {db})", 0)

    def info(self) -> Result:
        resp = self._get("/router/info")
        if resp.status_code == 404:
            return Result("", False, "HTTP 404: the proxy does not serve /router/info "
                                     "(bundle not loaded, or a version without it)", 0)
        if resp.status_code != 200:
            return Result("", False, f"HTTP {resp.status_code}: {_snippet(resp)}", 0)
        info = resp.json()
        self.intent_models = dict(info.get("intent_models") or {})
        models = info.get("models") or {}
        unhealthy = sorted(m for m, s in models.items() if s.get("status") != "healthy")
        detail = (f"version {info.get('version', '?')}, {info.get('classifier', '?')} classifier, "
                  f"{len(models) - len(unhealthy)}/{len(models)} models healthy")
        if unhealthy:
            return Result("", False, f"{detail}; unhealthy: {', '.join(unhealthy)}", 0)
        return Result("", True, detail, 0)

    def _body(self, messages: list[dict[str, str]], stream: bool = False) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                "stream": stream}

    def chat(self, expected: str, messages: list[dict[str, str]]) -> Result:
        resp = self.session.post(f"{self.base_url}/v1/chat/completions", headers=self.headers,
                                 json=self._body(messages), timeout=self.timeout)
        if resp.status_code != 200:
            return Result("", False, f"HTTP {resp.status_code}: {_snippet(resp)}", 0)
        content = resp.json()["choices"][0]["message"].get("content") or ""
        return self._judge(resp, expected, f"{len(content)} chars")

    def stream(self) -> Result:
        body = self._body([{"role": "user", "content": CODE}], stream=True)
        with self.session.post(f"{self.base_url}/v1/chat/completions", headers=self.headers,
                               json=body, timeout=self.timeout, stream=True) as resp:
            if resp.status_code != 200:
                return Result("", False, f"HTTP {resp.status_code}: {_snippet(resp)}", 0)
            # Bytes, decoded here: SSE responses often carry no charset for requests to use.
            lines = (raw.decode("utf-8", "replace") for raw in resp.iter_lines())
            events = [line for line in lines if line.startswith("data: ")]
        if not events or events[-1] != "data: [DONE]":
            return Result("", False, f"stream ended without data: [DONE] ({len(events)} events)", 0)
        text = "".join(
            (choice.get("delta") or {}).get("content") or ""
            for event in events[:-1] for choice in json.loads(event[6:]).get("choices", [])
        )
        return self._judge(resp, "code", f"{len(events) - 1} chunks, {len(text)} chars")

    def _judge(self, resp: requests.Response, expected: str, detail: str) -> Result:
        raw = resp.headers.get(ROUTING_HEADER)
        if raw is None:
            return Result("", False, f"no {ROUTING_HEADER} header: the request was not routed", 0)
        meta = json.loads(raw)
        intent, served = meta.get("intent"), meta.get("model_id")
        fallback = meta.get("fallback_used")
        result = Result("", True, f"{meta.get('model_name')}, {detail}", 0, intent,
                        meta.get("confidence"), served, fallback)
        problems = []
        if intent != expected:
            problems.append(f"classified {intent!r}, expected {expected!r}")
        if fallback:
            problems.append(f"a fallback served it instead of {meta.get('primary_model')!r}")
        elif expected in self.intent_models and served != self.intent_models[expected]:
            problems.append(f"served by {served!r}, expected {self.intent_models[expected]!r}")
        if problems:
            return replace(result, ok=False, detail="; ".join(problems))
        return result

    def metrics(self) -> Result:
        resp = self._get(self.metrics_url)
        if resp.status_code != 200:
            return Result("", False, f"{self.metrics_url} answered HTTP {resp.status_code}", 0)
        samples = [line for line in resp.text.splitlines() if line.startswith("agent_router_")]
        if not samples:
            return Result("", False, f"no agent_router_* series at {self.metrics_url}", 0)
        names = {line.split("{")[0].split(" ")[0] for line in samples}
        served = sum(float(line.rsplit(" ", 1)[1]) for line in samples
                     if line.startswith("agent_router_requests_total{")
                     and 'status="success"' in line)
        return Result("", True, f"{len(names)} agent_router_* series, {len(samples)} samples, "
                                f"agent_router_requests_total{{status=success}} = {served:g}", 0)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:160]


def _snippet(resp: requests.Response) -> str:
    try:
        error = resp.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        return str(message or resp.text)[:160]
    except ValueError:
        return resp.text[:160]


def format_report(base_url: str, results: Sequence[Result]) -> str:
    def cell(value: object, fmt: str = "{}") -> str:
        return "-" if value is None else fmt.format(value)

    lines = [f"agent-router smoke test against {base_url}", "",
             f"{'CHECK':<13} {'RESULT':<6} {'TIME':>7}  {'INTENT':<10} {'CONF':>5}  "
             f"{'SERVED BY':<12} {'FALLBACK':<8}  DETAIL"]
    for r in results:
        fallback = None if r.fallback is None else ("yes" if r.fallback else "no")
        lines.append(
            f"{r.name:<13} {'ok' if r.ok else 'FAIL':<6} {r.seconds:>6.2f}s  "
            f"{cell(r.intent):<10} {cell(r.confidence, '{:.2f}'):>5}  {cell(r.served):<12} "
            f"{cell(fallback):<8}  {r.detail}"
        )
    failed = sum(not r.ok for r in results)
    lines += ["", f"{len(results)} checks: {len(results) - failed} ok, {failed} failed"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
         session: requests.Session | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m scripts.smoke_test", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=env.get("AGENT_ROUTER_URL", DEFAULT_URL),
                        help="proxy URL (env AGENT_ROUTER_URL; default %(default)s)")
    parser.add_argument("--api-key", default=env.get("AGENT_ROUTER_API_KEY")
                        or env.get("LITELLM_MASTER_KEY"),
                        help="a key allowed to call the model (env AGENT_ROUTER_API_KEY, "
                             "else LITELLM_MASTER_KEY)")
    parser.add_argument("--model", default="agent-router")
    parser.add_argument("--metrics-url", help="default: <base-url>/metrics; the metrics port "
                                              "is e.g. http://127.0.0.1:8001/metrics")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("no API key: pass --api-key or set AGENT_ROUTER_API_KEY / LITELLM_MASTER_KEY")
    smoke = SmokeTest(args.base_url, args.api_key, session=session, model=args.model,
                      metrics_url=args.metrics_url, timeout=args.timeout,
                      max_tokens=args.max_tokens)
    results = smoke.run()
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(format_report(smoke.base_url, results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
