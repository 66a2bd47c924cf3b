"""Parsing and checking of request bodies. Every failure names the JSON path of the field."""
from __future__ import annotations

import json
from typing import Any, Iterable

from chalicelib.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from chalicelib.text import clean_text, has_visible_char


def parse_json_object(raw_body: bytes | None, content_type: str | None, max_bytes: int) -> dict:
    """Decode a request body that must be a JSON object of at most `max_bytes` bytes.

    :raises PayloadTooLarge: when the body is larger than `max_bytes`.
    :raises UnsupportedMediaType: when the Content-Type is given and is not JSON.
    :raises BadRequest: when the body is not valid UTF-8 JSON or not an object.
    """
    body = raw_body or b""
    if len(body) > max_bytes:
        raise PayloadTooLarge("payload_too_large", limit=max_bytes)
    if content_type and "json" not in content_type.lower():
        raise UnsupportedMediaType("unsupported_media_type")
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("invalid_json") from None
    if not isinstance(value, dict):
        raise BadRequest("body_not_object")
    return value


def required_text(data: dict, key: str, *, path: str | None = None, max_chars: int,
                  error_status=BadRequest) -> str:
    """Return the cleaned, non-empty string at `key`.

    :raises BadRequest: when it is missing, empty, not a string or too long.
    """
    path = path or key
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRequest("field_required", field=path)
    cleaned = _checked_text(value, path, max_chars)
    if not has_visible_char(cleaned):
        raise BadRequest("field_required", field=path)
    return cleaned


def optional_text(data: dict, key: str, *, path: str | None = None, max_chars: int) -> str | None:
    """Return the cleaned string at `key`, or None when it is absent or blank."""
    path = path or key
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    cleaned = _checked_text(value, path, max_chars)
    # Only invisible characters, such as zero-width spaces, count as absent.
    return cleaned if has_visible_char(cleaned) else None


def _checked_text(value: Any, path: str, max_chars: int) -> str:
    if not isinstance(value, str):
        raise BadRequest("field_invalid", field=path, reason="expected a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # JSON allows lone surrogate escapes such as \ud800, which no UTF-8 text can hold.
        raise BadRequest("field_invalid", field=path, reason="contains an invalid character") from None
    cleaned = clean_text(value)
    if len(cleaned) > max_chars:
        raise PayloadTooLarge("field_too_long", field=path, limit=max_chars)
    return cleaned


def choice(data: dict, key: str, choices: Iterable[str], *, path: str | None = None,
           default: str | None = None) -> str:
    """Return the value at `key`, which must be one of `choices`.

    :raises BadRequest: when it is missing (and there is no default) or not one of them.
    """
    path = path or key
    options = tuple(choices)
    value = data.get(key, default)
    if value is None:
        raise BadRequest("field_required", field=path)
    if not isinstance(value, str) or value not in options:
        raise BadRequest("invalid_choice", field=path, choices=", ".join(options))
    return value


def integer_in_range(data: dict, key: str, low: int, high: int) -> int:
    """Return the integer at `key`, which must lie in [low, high].

    :raises BadRequest: when it is missing, not an integer or out of range.
    """
    value = data.get(key)
    if value is None:
        raise BadRequest("field_required", field=key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest("field_invalid", field=key, reason=f"expected a whole number from {low} to {high}")
    return value


def sub_object(data: dict, key: str) -> dict:
    """Return the JSON object at `key`, or raise BadRequest naming it."""
    value = data.get(key)
    if value is None:
        raise BadRequest("field_required", field=key)
    if not isinstance(value, dict):
        raise BadRequest("field_invalid", field=key, reason="expected a JSON object")
    return value
