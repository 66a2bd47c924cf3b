"""Opaque pagination cursors: a DynamoDB LastEvaluatedKey, checked before it is used again."""
from __future__ import annotations

import base64
import binascii
import json

from chalicelib.errors import BadRequest

MAX_CURSOR_CHARS = 2_000


def encode_cursor(last_evaluated_key: dict) -> str:
    raw = json.dumps(last_evaluated_key, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


INBOX_KEY_ATTRIBUTES = frozenset({"inbox_key", "inbox_due", "appeal_id"})


def decode_cursor(cursor: str, expected_partition: str, partition_attribute: str = "inbox_key",
                  key_attributes: frozenset[str] = INBOX_KEY_ATTRIBUTES) -> dict:
    """Decode a cursor made by `encode_cursor` for the same partition.

    A cursor is accepted only when every value is a plain DynamoDB string and
    its partition is the caller's own, so a forged cursor can neither reach
    another agency's partition nor make DynamoDB fail.

    :raises BadRequest: field_invalid on the `cursor` field.
    """
    invalid = BadRequest("field_invalid", field="cursor",
                         reason="not a cursor returned by this list; start again without it")
    if len(cursor) > MAX_CURSOR_CHARS:
        raise invalid
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid from None
    if not isinstance(key, dict) or set(key) != key_attributes:
        raise invalid
    for value in key.values():
        if not (isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str)):
            raise invalid
    if key.get(partition_attribute, {}).get("S") != expected_partition:
        raise invalid
    return key
