"""Which stream event carries `routing_metadata` and how a raw Messages SSE frame gets it (no proxy)."""

from __future__ import annotations

import json

from litellm.types.utils import Delta, ModelResponseStream, StreamingChoices

from router_hooks.body_metadata import _attach, _is_final, _with_sse_field

VALUE = {"intent": "code", "model_id": "qwen-coder"}


def chunk_of(content: str | None, finish_reason: str | None) -> ModelResponseStream:
    choice = StreamingChoices(index=0, delta=Delta(content=content), finish_reason=finish_reason)
    return ModelResponseStream(id="c", choices=[choice])


def test_the_final_event_of_each_surface_and_no_other() -> None:
    final, middle = chunk_of(None, "stop"), chunk_of("hi", None)
    assert _is_final(final) and not _is_final(middle)
    assert _is_final({"type": "response.incomplete"}) and not _is_final({"type": "response.output_text.delta"})
    assert _is_final(b'event: message_delta\ndata: {"type":"message_delta"}\n\n')
    assert not _is_final(b'event: content_block_delta\ndata: {"type":"content_block_delta"}\n\n')


def test_a_chat_chunk_is_written_with_the_field_at_top_level() -> None:
    chunk = _attach(chunk_of(None, "stop"), VALUE)
    assert json.loads(chunk.model_dump_json(exclude_none=True, exclude_unset=True))["routing_metadata"] == VALUE


def test_only_the_message_delta_frame_of_an_sse_chunk_changes() -> None:
    chunk = (b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
             b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\n')
    out = _with_sse_field(chunk, VALUE)
    frames = [json.loads(line[5:]) for line in out.split(b"\n") if line.startswith(b"data:")]
    assert frames[0] == {"type": "content_block_stop", "index": 0}
    assert frames[1]["routing_metadata"] == VALUE and frames[1]["delta"] == {"stop_reason": "end_turn"}
    assert out.endswith(b"\n\n")
