"""`POST /router/feedback`: a caller reports the intent a routed response should have had.

Request: `{"id": "<response id>", "intent": "<intent>", "source": "user" | "reviewer" | "model"}`
(`source` defaults to "user"). 200 `{"counted": true}` for the first report on an id, `false` for a
repeat; 404 unknown or expired id; 403 another tenant's response; 400 bad body; 413 a body over
16 KiB; all in the error format of the other `/router/*` endpoints. Who may call it: route_access.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import Request
from fastapi.responses import JSONResponse

from plugins.feedback.desk import FeedbackDesk, error
from router_hooks.route_access import caller_of

FEEDBACK_PATH: Final = "/router/feedback"
# A report is three short fields; anything much larger is not one.
MAX_BODY_BYTES: Final = 16 * 1024


async def give_feedback(desk: FeedbackDesk, request: Request, user_api_key_dict: Any) -> JSONResponse:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        status, payload = error(413, "invalid_request_error",
                                f"the request body is over {MAX_BODY_BYTES} bytes", None)
        return JSONResponse(payload, status_code=status)
    try:
        body = json.loads(raw)
    except ValueError:
        status, payload = error(400, "invalid_request_error", "the request body must be JSON", None)
        return JSONResponse(payload, status_code=status)
    status, payload = await desk.give(body, caller_of(user_api_key_dict))
    return JSONResponse(payload, status_code=status)
