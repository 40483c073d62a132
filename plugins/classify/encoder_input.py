"""The fine-tuned encoder's input: one token sequence per request, built the same way in training and
at run time (tokenizers only, no model).

The latest user turn is the first segment and gets the token budget first; earlier turns and the
system prompt share what is left as a second segment (`[CLS] latest [SEP] context [SEP]` for a
BERT-style tokenizer), so context costs no extra forward pass. Texts are clipped by characters
(head and tail kept) before tokenising, so tokenising cost stays bounded whatever the request size.
A latest turn still over its token budget after that clip is cut as the artifact's manifest says (`CUTS`).
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
# is cut by the token budget afterwards, as `cut` says.
CHARS_PER_TOKEN = 4
# How a latest turn still over its token budget is cut. "head": its first tokens are kept. "non-latin-head-tail":
# where most of its letters are not Latin script (CJK, Cyrillic, ...), its first and last half-budgets are kept,
# since the character clip kept a tail that a head-only cut would drop again (such text takes fewer characters a
# token); Latin-script text (English, code, formulas) is cut by head, as before. docs/ENCODER.md has the figures.
HEAD = "head"
NON_LATIN_HEAD_TAIL = "non-latin-head-tail"
CUTS = (HEAD, NON_LATIN_HEAD_TAIL)
# Letters up to Latin Extended-B, and Latin Extended Additional (Vietnamese), count as Latin script.
_LATIN_END = 0x24F
_LATIN_ADDITIONAL = range(0x1E00, 0x1F00)


def mostly_non_latin(text: str) -> bool:
    """Whether more than half of `text`'s letters are outside the Latin script (False when it has none)."""
    letters = non_latin = 0
    for char in text:
        if char.isalpha():
            letters += 1
            code = ord(char)
            non_latin += code > _LATIN_END and code not in _LATIN_ADDITIONAL
    return non_latin * 2 > letters


@dataclass(frozen=True, slots=True)
class EncoderInput:
    """Token ids of one request, special tokens included, at most `max_tokens` long."""

    ids: tuple[int, ...]


class InputBuilder:
    """Turns a `Prompt` (or a plain text pair, in training) into the encoder's token ids."""

    def __init__(self, tokenizer: Tokenizer, max_tokens: int, max_chars: int, cut: str = HEAD) -> None:
        """`tokenizer` must neither pad nor truncate (the builder clips and the batcher pads):
        `from_file` loads one so; a tokenizer configured otherwise is refused, not changed."""
        if max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, not {max_tokens}")
        if cut not in CUTS:
            raise ValueError(f"cut must be one of {CUTS}, not {cut!r}")
        if tokenizer.padding is not None or tokenizer.truncation is not None:
            raise ValueError("the tokenizer must neither pad nor truncate: use InputBuilder.from_file")
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens
        self._max_chars = max_chars
        self._cut = cut
        # How many special tokens a single text and a pair add ([CLS] [SEP], [CLS] [SEP] [SEP], or
        # XLM-R's <s> </s> </s> </s>): the budget left for the texts themselves.
        self._single_extra = len(tokenizer.encode("").ids)
        self._pair_extra = len(tokenizer.encode("", "").ids)

    @classmethod
    def from_file(cls, path: Path, max_tokens: int, max_chars: int, cut: str = HEAD) -> InputBuilder:
        """A builder over the tokenizer saved at `path`, loaded here without padding or truncation."""
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return cls(tokenizer, max_tokens, max_chars, cut)

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def for_prompt(self, prompt: Prompt) -> EncoderInput:
        context = "\n".join(part for part in (*prompt.context[-CONTEXT_TURNS:], prompt.system) if part.strip())
        return self.for_texts(prompt.latest.strip(), context.strip())

    def for_texts(self, latest: str, context: str = "") -> EncoderInput:
        """The ids for `latest` (first segment) and `context` (second, only when it has room)."""
        budget = self._max_tokens - self._single_extra
        first = self._latest(latest, budget)
        room = min(CONTEXT_TOKENS, self._max_tokens - self._pair_extra - len(first.ids))
        if not context or room < 4:
            return EncoderInput(tuple(self._tokenizer.post_process(first).ids))
        second = self._encode(context, room)
        second.truncate(room)
        return EncoderInput(tuple(self._tokenizer.post_process(first, second).ids))

    def _latest(self, text: str, budget: int) -> Encoding:
        clipped = self._clip(text, budget)  # _clip bounds it by max_chars itself
        head = self._tokenizer.encode(clipped, add_special_tokens=False)
        if len(head.ids) <= budget or self._cut == HEAD or not mostly_non_latin(clipped):
            head.truncate(budget)
            return head
        tail = Encoding.merge([head])  # a copy: the text is tokenised once
        head.truncate(budget // 2)
        tail.truncate(budget - budget // 2, direction="left")
        return Encoding.merge([head, tail])

    def _encode(self, text: str, tokens: int) -> Encoding:
        return self._tokenizer.encode(self._clip(text, tokens), add_special_tokens=False)

    def _clip(self, text: str, tokens: int) -> str:
        return clip(text, min(self._max_chars, max(64, tokens * CHARS_PER_TOKEN)))


def pad_batch(inputs: Sequence[EncoderInput], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    """Right-padded ids and attention masks for a batch (training, evaluation)."""
    width = max(len(i.ids) for i in inputs)
    ids = [list(i.ids) + [pad_id] * (width - len(i.ids)) for i in inputs]
    masks = [[1] * len(i.ids) + [0] * (width - len(i.ids)) for i in inputs]
    return ids, masks
