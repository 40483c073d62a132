"""The fine-tuned encoder's input: one token sequence per request, built the same way in training and
at run time (tokenizers only, no model).

The latest user turn is the first segment and gets the token budget first; earlier turns and the
system prompt share what is left as a second segment (`[CLS] latest [SEP] context [SEP]` for a
BERT-style tokenizer), so context costs no extra forward pass. Texts are clipped by characters
(head and tail kept) before tokenising, so tokenising cost stays bounded whatever the request size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Encoding, Tokenizer

from plugins.classify.keyword import clip
from plugins.prompt import Prompt

# Earlier turns beyond these are not read: an old topic should not outweigh the new one.
CONTEXT_TURNS = 4
# The context segment never takes more than this many tokens, however short the latest turn:
# it only tips a vague follow-up, it must not drown a clear request.
CONTEXT_TOKENS = 48
# Characters read per token budgeted: about 4 for English; CJK text (about 1 token a character)
# is cut by the token budget afterwards, head kept.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class EncoderInput:
    """Token ids of one request, special tokens included, at most `max_tokens` long."""

    ids: tuple[int, ...]


class InputBuilder:
    """Turns a `Prompt` (or a plain text pair, in training) into the encoder's token ids."""

    def __init__(self, tokenizer: Tokenizer, max_tokens: int, max_chars: int) -> None:
        """`tokenizer` must neither pad nor truncate (the builder clips and the batcher pads):
        `from_file` loads one so; a tokenizer configured otherwise is refused, not changed."""
        if max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, not {max_tokens}")
        if tokenizer.padding is not None or tokenizer.truncation is not None:
            raise ValueError("the tokenizer must neither pad nor truncate: use InputBuilder.from_file")
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens
        self._max_chars = max_chars
        # How many special tokens a single text and a pair add ([CLS] [SEP], [CLS] [SEP] [SEP], or
        # XLM-R's <s> </s> </s> </s>): the budget left for the texts themselves.
        self._single_extra = len(tokenizer.encode("").ids)
        self._pair_extra = len(tokenizer.encode("", "").ids)

    @classmethod
    def from_file(cls, path: Path, max_tokens: int, max_chars: int) -> InputBuilder:
        """A builder over the tokenizer saved at `path`, loaded here without padding or truncation."""
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return cls(tokenizer, max_tokens, max_chars)

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def for_prompt(self, prompt: Prompt) -> EncoderInput:
        context = "\n".join(part for part in (*prompt.context[-CONTEXT_TURNS:], prompt.system) if part.strip())
        return self.for_texts(prompt.latest.strip(), context.strip())

    def for_texts(self, latest: str, context: str = "") -> EncoderInput:
        """The ids for `latest` (first segment) and `context` (second, only when it has room)."""
        budget = self._max_tokens - self._single_extra
        first = self._encode(latest, min(budget, self._max_chars))
        first.truncate(budget)
        room = min(CONTEXT_TOKENS, self._max_tokens - self._pair_extra - len(first.ids))
        if not context or room < 4:
            return EncoderInput(tuple(self._tokenizer.post_process(first).ids))
        second = self._encode(context, room)
        second.truncate(room)
        return EncoderInput(tuple(self._tokenizer.post_process(first, second).ids))

    def _encode(self, text: str, tokens: int) -> Encoding:
        chars = min(self._max_chars, max(64, tokens * CHARS_PER_TOKEN))
        return self._tokenizer.encode(clip(text, chars), add_special_tokens=False)


def pad_batch(inputs: Sequence[EncoderInput], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    """Right-padded ids and attention masks for a batch (training, evaluation)."""
    width = max(len(i.ids) for i in inputs)
    ids = [list(i.ids) + [pad_id] * (width - len(i.ids)) for i in inputs]
    masks = [[1] * len(i.ids) + [0] * (width - len(i.ids)) for i in inputs]
    return ids, masks
