"""An ASGI guard in front of LiteLLM's app: a routed surface's body is a JSON object, its headers sane.

It runs before LiteLLM's auth (which is where a non-object body crashes, 1.108.7), answers 400 in
the surface's error format, and hands every other request on untouched, its body replayed as read.

Installing: the bundle starts inside LiteLLM's lifespan start-up, after Starlette built the app's
middleware stack (the lifespan message already went through it), so `add_middleware` would raise.
`install` therefore wraps the built stack (`app.middleware_stack`, which `Starlette.__call__` reads
on every request) and `remove` puts the original back; on an app that has not started yet it joins
`app.user_middleware` instead, as `add_middleware` would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plugins.request_body import FORM_TYPES, body_problem, error_body, header_problem, surface_of


class BodyGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        surface = surface_of(scope.get("path", "")) if scope["type"] == "http" else None
        if surface is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        problem = header_problem(headers)
        if problem is not None:
            await _reject(send, error_body(surface, problem))
            return
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media in FORM_TYPES:  # LiteLLM parses forms itself
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its body: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = body_problem(body, surface)
        if problem is not None:
            await _reject(send, error_body(surface, problem))
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the client's disconnect, when it comes

    return replayed


async def _reject(send: Send, payload: bytes) -> None:
    await send({"type": "http.response.start", "status": 400, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


@dataclass
class InstalledGuard:
    """The guard on one app; `remove()` takes it off again."""

    app: Starlette
    wrapped: ASGIApp | None  # the built stack it wraps, or None when it sits in user_middleware
    entry: Middleware | None = None

    def remove(self) -> None:
        stack: Any = self.app.middleware_stack
        if self.wrapped is not None and isinstance(stack, BodyGuard) and stack.app is self.wrapped:
            self.app.middleware_stack = self.wrapped
        elif self.entry is not None and self.entry in self.app.user_middleware:
            self.app.user_middleware.remove(self.entry)


def install(app: Starlette) -> InstalledGuard:
    stack = app.middleware_stack
    if stack is not None:
        app.middleware_stack = BodyGuard(stack)
        return InstalledGuard(app, stack)
    entry = Middleware(BodyGuard)
    app.user_middleware.insert(0, entry)
    return InstalledGuard(app, None, entry)
