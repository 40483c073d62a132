"""Secrets out of captured text before it is written: named patterns, each replaced by
`[REDACTED:<name>]`. Credentials only: personal data such as names and e-mail addresses is NOT
removed (the README says so); a capture directory is as sensitive as the prompts themselves."""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

# Order matters where patterns overlap: a private key block may contain anything, so it goes first;
# URL credentials before bearer tokens (a URL's password is not a bearer token).
PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    "private_key": re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
                              re.DOTALL),
    "url_credentials": re.compile(r"(?<=://)[^\s/@:]+:[^\s/@]+(?=@)"),
    # OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), LiteLLM virtual keys (sk-...): 16+ token characters.
    "api_key": re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    "bearer_token": re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/\-]{8,}=*"),
    "aws_access_key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    # The 40-character secret after its usual name (env files, JSON, INI), separator kept.
    "aws_secret_key": re.compile(r"(?i)(?<=aws_secret_access_key)([\"']?\s*[:=]\s*[\"']?)"
                                 r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"),
}


def scrub(text: str) -> tuple[str, Counter[str]]:
    """`text` with every match replaced, and how many of each pattern were found."""
    found: Counter[str] = Counter()
    for name, pattern in PATTERNS.items():
        marker = f"[REDACTED:{name}]"

        def replace(match: re.Match[str], marker: str = marker) -> str:
            # aws_secret_key keeps its `= ` separator (group 1); the others have no group.
            return (match.group(1) if match.groups() else "") + marker

        text, count = pattern.subn(replace, text)
        if count:
            found[name] += count
    return text, found
