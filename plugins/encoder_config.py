"""The `agent_router.encoder:` settings: the encoder's artifact, its thread pool and deadline, and the
continuity cache; validated with the rest of the config (`plugins.config`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EncoderSettings(BaseModel):
    """The fine-tuned encoder (`classifier: encoder`) and the thread pool that runs it off the event loop.

    Figures the defaults rest on (issue 18's measurements, one core, batch 1): ~3 ms mean per call on
    a real-chat length mix, p99 ~10-25 ms. Whatever misses the deadline or finds the queue full is
    decided inline by `learned` (~0.1-0.4 ms), so the settings bound the wait, never the answer.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The artifact directory (model.onnx, tokenizer.json, manifest.json); unset = the packaged one.
    model: str | None = None
    # Encoder calls running at once in this worker (the pool's threads, one onnxruntime thread each).
    # 1: a worker is one process with the event loop beside it; a second proxy worker
    # (--num_workers) is the way to use a second core, with its own model.
    threads: int = Field(default=1, ge=1, le=64)
    # How long a request waits for the encoder, from the moment routing starts. 50 ms is twice the
    # p99 target of one call (25 ms): a call at p99 with one more queued ahead of it still makes it;
    # it is small next to a model's answer (hundreds of ms) and bounds the tail the router adds.
    deadline_ms: float = Field(default=50.0, gt=0.0, le=10_000.0)
    # Encoder calls admitted at once, running or waiting, including calls whose request already
    # gave up on them (a thread cannot be interrupted): beyond it, `learned` decides at once. 8 calls
    # at the ~3 ms mean drain in ~25 ms, within the deadline; a ninth would mostly wait past it,
    # spending CPU on an answer nobody reads.
    queue_size: int = Field(default=8, ge=1, le=10_000)
    # Decisions kept for continuations (a tool loop's next step reads the same view): a task keeps
    # the classifier that decided its first step. ~200 bytes each; least recently used evicted.
    continuity_cache_size: int = Field(default=4096, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _queue_holds_the_threads(self) -> EncoderSettings:
        if self.queue_size < self.threads:
            raise ValueError(f"queue_size ({self.queue_size}) must be >= threads ({self.threads}): "
                             "a running call holds a place in the queue")
        return self
