"""Checks of request parameters shared by the surfaces: type and range, with the parameter named.

A check passes a missing or `null` parameter (the API's default applies) and raises PromptError
naming the parameter otherwise; the hook turns that into a 400 before any backend is called.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

from plugins.prompt import PromptError

# A client's value is echoed back in the error only this far (it may be large).
_SHOWN: Final = 40
# OpenAI's rule for function tool names.
FUNCTION_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def integer(body: Mapping[str, Any], name: str, low: int, high: int | None = None) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise PromptError(f"`{name}` must be an integer {bound}, not {shown(value)}", name)


def number(body: Mapping[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or not low <= value <= high):
        raise PromptError(f"`{name}` must be a number between {low:g} and {high:g}, not {shown(value)}",
                          name)


def boolean(body: Mapping[str, Any], name: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise PromptError(f"`{name}` must be true or false, not {shown(value)}", name)


def string(body: Mapping[str, Any], name: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise PromptError(f"`{name}` must be a string, not {shown(value)}", name)


def obj(body: Mapping[str, Any], name: str) -> None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise PromptError(f"`{name}` must be an object, not {shown(value)}", name)


def strings(body: Mapping[str, Any], name: str, max_items: int, allow_single: bool = True) -> None:
    """A string (when `allow_single`) or a list of at most `max_items` strings."""
    value = body.get(name)
    if value is None or (allow_single and isinstance(value, str)):
        return
    if (not isinstance(value, list) or len(value) > max_items
            or not all(isinstance(item, str) for item in value)):
        single = "a string or " if allow_single else ""
        raise PromptError(f"`{name}` must be {single}a list of at most {max_items} strings, "
                          f"not {shown(value)}", name)


def items(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """A list of objects (e.g. `tools`); [] when absent."""
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PromptError(f"`{name}` must be a list, not {shown(value)}", name)
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise PromptError(f"`{name}[{index}]` must be an object, not {shown(item)}",
                              f"{name}[{index}]")
    return value


def require(body: Mapping[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise PromptError(f"`{name}` is required", name)
    return body[name]


def named(item: Mapping[str, Any], where: str, key: str = "name") -> None:
    """`item[key]` is a non-empty string (a tool's or a call's name or id)."""
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise PromptError(f"`{where}.{key}` must be a non-empty string, not {shown(value)}",
                          f"{where}.{key}")


def function_name(value: Any, where: str) -> None:
    if not isinstance(value, str) or FUNCTION_NAME.fullmatch(value) is None:
        raise PromptError(f"`{where}` must be 1-64 letters, digits, '_' or '-', not {shown(value)}",
                          where)


def schema(holder: Mapping[str, Any], where: str, key: str = "parameters") -> None:
    """`holder[key]`, when given, is a JSON Schema object."""
    value = holder.get(key)
    if value is not None and not isinstance(value, dict):
        raise PromptError(f"`{where}.{key}` must be a JSON Schema object", f"{where}.{key}")


# OpenAI's response formats; LiteLLM 1.108.7 answers 500 to anything else (found by the fuzz suite).
RESPONSE_FORMATS: Final = ("text", "json_object", "json_schema")


def response_format(body: Mapping[str, Any], name: str = "response_format") -> None:
    """`{"type": "text" | "json_object" | "json_schema", ...}`; json_schema needs its object."""
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, dict) or value.get("type") not in RESPONSE_FORMATS:
        raise PromptError(f"`{name}` must be an object whose `type` is one of {', '.join(RESPONSE_FORMATS)}, "
                          f"not {shown(value)}", name)
    if value["type"] == "json_schema" and not isinstance(value.get("json_schema"), dict):
        raise PromptError(f"`{name}.json_schema` must be an object", f"{name}.json_schema")

