"""Credentials out of URLs before they leave the process (response headers, logs, endpoints).

An operator may write `http://user:password@host/v1` as a deployment's api_base (a backend behind
basic auth). LiteLLM 1.108.7 echoes the served api_base in its `x-litellm-model-api-base`
response header with only the query string cut; what the bundle shows must carry neither.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def without_credentials(url: str) -> str:
    """`http://u:p@h:8080/v1?k=v` -> `http://h:8080/v1`: no user info, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparseable url>"
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
