"""An instant OpenAI-compatible backend for benchmarks: one asyncio process, no framework.

Serves `POST /v1/chat/completions` (JSON, or SSE when `"stream": true`), `GET /health`,
`GET /v1/health` and `GET /v1/models`. A fixed short answer is returned without parsing more than
the request's `model` and `stream` fields, so a single core serves thousands of requests per second
and the proxy under test, not this stub, is the bottleneck. `POST /control/fail` with
`{"models": [...]}` makes chat requests for those served model names answer 500 (fallback checks).

Run: `python -m scripts.bench.stub_backend --port 9000`. `--port 0` binds a port of the kernel's
choice (no race for a port found free earlier); the bound port is printed
(`stub_backend: listening on http://127.0.0.1:PORT`) and, with `--port-file PATH`, written there
once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

ANSWER = "ok from stub"
_FAILING: set[str] = set()


def _response(
    status: str, body: bytes, content_type: str = "application/json", close: bool = False
) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        f"connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode() + body


def _completion(model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": ANSWER},
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        },
        separators=(",", ":"),
    ).encode()


def _stream(model: str) -> bytes:
    # The whole SSE body at once, with a content-length: valid HTTP, and no per-chunk scheduling.
    base = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        *(
            {**base, "choices": [{"index": 0, "delta": {"content": word}}]}
            for word in ("ok ", "from ", "stub")
        ),
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        },
    ]
    lines = [f"data: {json.dumps(c, separators=(',', ':'))}\n\n" for c in chunks]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def handle(method: str, path: str, body: bytes) -> bytes:
    path = path.split("?", 1)[0]
    if method == "GET" and path in ("/health", "/v1/health"):
        return _response("200 OK", b"")
    if method == "GET" and path == "/v1/models":
        return _response("200 OK", b'{"object":"list","data":[{"id":"stub","object":"model"}]}')
    if method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
        try:
            request = json.loads(body)
            model = str(request.get("model", "stub"))
        except (ValueError, AttributeError):
            return _response(
                "400 Bad Request",
                b'{"error":{"message":"bad json","type":"invalid_request_error"}}',
            )
        if model in _FAILING:
            return _response(
                "500 Internal Server Error",
                b'{"error":{"message":"stub: injected failure","type":"server_error"}}',
            )
        if request.get("stream"):
            return _response("200 OK", _stream(model), "text/event-stream")
        return _response("200 OK", _completion(model))
    if method == "POST" and path == "/control/fail":
        _FAILING.clear()
        _FAILING.update(json.loads(body or b"{}").get("models", []))
        return _response("200 OK", json.dumps(sorted(_FAILING)).encode())
    return _response("404 Not Found", b'{"error":{"message":"not found"}}')


class HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and content-length bodies (what LiteLLM's clients send)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            chunked = False
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
            if chunked:  # not sent by LiteLLM's clients; refuse rather than misparse
                self.transport.write(_response("411 Length Required", b"", close=True))
                self.transport.close()
                return
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            parts = head[0].split(" ")
            if len(parts) < 2:
                self.transport.close()
                return
            self.transport.write(handle(parts[0], parts[1], body))


async def serve(host: str, port: int, port_file: Path | None = None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, host, port, backlog=1024)
    bound = int(server.sockets[0].getsockname()[1])
    print(f"stub_backend: listening on http://{host}:{bound}", flush=True)
    if port_file is not None:
        write_port(port_file, bound)
    async with server:
        await server.serve_forever()


def write_port(path: Path, port: int) -> None:
    """Atomically: a reader polling for the file never sees it half written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n")
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0: a port of the kernel's choice")
    parser.add_argument("--port-file", type=Path, default=None,
                        help="write the bound port here once listening")
    args = parser.parse_args(argv)
    try:
        import uvloop  # a faster event loop when installed (LiteLLM's proxy extras bring it)

        uvloop.install()
    except ImportError:
        pass
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop it by hand
        asyncio.run(serve(args.host, args.port, args.port_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
