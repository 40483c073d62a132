"""Text that agent harnesses inject into user turns: not the user's task, so it never decides a route.

Coding agents wrap machine-written context in XML-like tags inside user messages: reminders
(Claude Code's `<system-reminder>`), environment listings (`<env>`, Cline and Roo Code's
`<environment_details>`, Codex CLI's `<environment_context>`), instruction files the harness
re-sends (`<user_instructions>`), IDE state and hook or command output. Each complete
`<tag>...</tag>` pair below is cut out before classification; text outside the tags (what the
user typed) stays. An opening tag without its closing tag is left as it is: only what the harness
demonstrably delimited is removed.
"""

from __future__ import annotations

import re
from typing import Final

INJECTED_TAGS: Final[tuple[str, ...]] = (
    "system-reminder",
    "env",
    "environment_details",
    "environment_context",
    "user_instructions",
    "ide_opened_file",
    "ide_selection",
    "ide_diagnostics",
    "local-command-stdout",
    "local-command-stderr",
    "user-prompt-submit-hook",
)
_CLOSE: Final = {tag: f"</{tag}>" for tag in INJECTED_TAGS}
_OPEN: Final = re.compile(r"<(" + "|".join(re.escape(t) for t in INJECTED_TAGS) + r")(?:\s[^<>]*)?>")


def strip_injected(text: str) -> str:
    """`text` without the injected blocks; linear in its length (each closing tag is searched for
    once per opening tag, and a tag name found unclosed is not searched for again)."""
    if "<" not in text:
        return text
    whole = _OPEN.match(text)
    if whole is not None:  # the common case: a reminder sent as a text block of its own
        close = _CLOSE[whole.group(1)]
        end = text.find(close, whole.end())
        if end >= 0 and not text[end + len(close):].strip():
            return ""
    kept: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    scan = 0
    while (match := _OPEN.search(text, scan)) is not None:
        name = match.group(1)
        end = -1 if name in unclosed else text.find(_CLOSE[name], match.end())
        if end < 0:
            unclosed.add(name)
            scan = match.end()
            continue
        kept.append(text[pos:match.start()])
        pos = scan = end + len(name) + 3
    if pos == 0:
        return text
    kept.append(text[pos:])
    return "".join(kept)
