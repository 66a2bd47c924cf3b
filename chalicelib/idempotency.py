"""Safe retries: the Idempotency-Key header. Double-clicked submissions are caught in appeals.submit_appeal.

A request with an Idempotency-Key runs in three steps:
1. a conditional put stores an in-progress marker under the SHA-256 of "<scope>#<key>".
   When an item is there already, a request with the same body gets the
   stored response again. Another body gets 422 idempotency_key_reused, and
   a request whose first attempt still runs gets 409 idempotency_in_progress;
2. the route's handler runs;
3. a 2xx result is stored on the marker for RESULT_TTL. When the handler
   raises, the marker is deleted, so the client may retry with the same key.

A marker whose request died (a Lambda timeout, say) is taken over after
IN_PROGRESS_TAKEOVER. Items past `expires_at` count as absent, because
DynamoDB's TTL deletes them only some time later and moto never does.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from chalice import Response
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib import db
from chalicelib.errors import BadRequest, Conflict, Unprocessable
from chalicelib.events import canonical_json, format_timestamp, sha256_text
from chalicelib.models import IdempotencyModel

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 200
RESULT_TTL = timedelta(hours=24)
IN_PROGRESS_TAKEOVER = timedelta(seconds=60)
DUPLICATE_WINDOW = timedelta(minutes=2)
REPLAY_HEADER = "Idempotent-Replayed"

Result = Response | dict


def check_key(value: str) -> str:
    """Return the header's value when it is 1 to MAX_KEY_CHARS printable ASCII characters.

    :raises BadRequest: idempotency_key_invalid, naming the header.
    """
    if not 1 <= len(value) <= MAX_KEY_CHARS or not all(" " <= char <= "~" for char in value):
        raise BadRequest("idempotency_key_invalid", field=HEADER)
    return value


def item_key_for(scope: str, key: str) -> str:
    """Return the stored item's key: a SHA-256 of scope and Idempotency-Key, so the key itself is never stored."""
    return "sha256:" + sha256_text(f"{scope}#{key}")


SEALED_FIELD = "access_code"


def _keystream(scope: str, key: str, length: int) -> bytes:
    stream = hashlib.sha256(f"seal:{scope}#{key}".encode("utf-8")).digest()
    if length > len(stream):
        raise ValueError(f"cannot seal more than {len(stream)} bytes")
    return stream[:length]


def seal(body: object, scope: str, key: str) -> object:
    """Return `body` with its access code encrypted by a pad derived from the Idempotency-Key.

    Only a client that sends the same key again can read the stored code, and
    the table holds only a hash of that key.
    NOTE: a short, guessable Idempotency-Key can be found from its hash, and
    the code with it; the web site sends random keys.
    """
    if not isinstance(body, dict) or not isinstance(body.get(SEALED_FIELD), str):
        return body
    plain = body[SEALED_FIELD].encode("utf-8")
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(scope, key, len(plain))))
    return {**body, SEALED_FIELD: {"sealed": cipher.hex()}}


def unseal(body: object, scope: str, key: str) -> object:
    """Reverse `seal` for a stored body."""
    if not isinstance(body, dict) or not isinstance(body.get(SEALED_FIELD), dict):
        return body
    cipher = bytes.fromhex(body[SEALED_FIELD]["sealed"])
    plain = bytes(a ^ b for a, b in zip(cipher, _keystream(scope, key, len(cipher))))
    return {**body, SEALED_FIELD: plain.decode("utf-8")}


def request_hash(uri_params: dict | None, raw_body: bytes | None) -> str:
    """Return the SHA-256 that identifies a request's path parameters and body.

    A JSON body is hashed in canonical form, so a retry that orders keys or
    spaces differently still counts as the same request.
    """
    text = (raw_body or b"").decode("utf-8", errors="replace")
    try:
        body = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):
        body = text
    return sha256_text(canonical_json({"params": uri_params or {}, "body": body}))


def _parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _is_stale(item: IdempotencyModel, now: datetime) -> bool:
    if item.expires_at <= now:
        return True
    in_progress = item.status_code is None
    return in_progress and _parse_timestamp(item.created_at) + IN_PROGRESS_TAKEOVER <= now


def _is_condition_failure(exc: PutError | DeleteError) -> bool:
    return db.error_code(exc) == "ConditionalCheckFailedException"


def claim(item_key: str, fingerprint: str, now: datetime,
          lifetime: timedelta) -> tuple[IdempotencyModel | None, IdempotencyModel | None]:
    """Store an in-progress marker under `item_key`.

    Returns (marker, None) when this request holds the key now, or
    (None, existing) when a live item blocks it.
    """
    marker = IdempotencyModel(
        item_key,
        request_hash=fingerprint,
        created_at=format_timestamp(now),
        expires_at=now + lifetime,
    )
    try:
        marker.save(condition=IdempotencyModel.key.does_not_exist())
        return marker, None
    except PutError as exc:
        if not _is_condition_failure(exc):
            raise

    try:
        existing = IdempotencyModel.get(item_key, consistent_read=True)
    except DoesNotExist:
        # The holder deleted its marker between the put and this read, so the
        # key is free: the conditional put below claims it.
        existing = None
    if existing is not None and not _is_stale(existing, now):
        return None, existing

    # Taking over is conditional on the item read, so of two requests that
    # find the same stale item only one wins.
    if existing is None:
        condition = IdempotencyModel.key.does_not_exist()
    else:
        condition = IdempotencyModel.created_at == existing.created_at
    try:
        marker.save(condition=condition)
    except PutError as exc:
        if not _is_condition_failure(exc):
            raise
        # Another request claimed the key in the same moment, so report it as running.
        return None, IdempotencyModel(item_key, request_hash=fingerprint, created_at=marker.created_at,
                                      expires_at=marker.expires_at)
    if existing is not None:
        logger.info("Took over a stale idempotency item %s created at %s", item_key, existing.created_at)
    return marker, None


def release(marker: IdempotencyModel) -> None:
    """Delete this request's marker; a marker already taken over by another request is left alone."""
    try:
        marker.delete(condition=IdempotencyModel.created_at == marker.created_at)
    except DeleteError as exc:
        if not _is_condition_failure(exc):
            raise
        logger.warning("Idempotency item %s was taken over before it could be released", marker.key)


def complete(marker: IdempotencyModel, status_code: int, response: dict, expires_at: datetime) -> None:
    """Store the result on this request's marker, unless another request took the marker over."""
    marker.status_code = status_code
    marker.response = response
    marker.expires_at = expires_at
    try:
        marker.save(condition=IdempotencyModel.created_at == marker.created_at)
    except PutError as exc:
        if not _is_condition_failure(exc):
            raise
        logger.warning("Idempotency item %s was taken over; its result was not stored", marker.key)


def _status_and_body(result: Result) -> tuple[int, object]:
    if isinstance(result, Response):
        return result.status_code, result.body
    return 200, result


def idempotent(scope: str, key: str | None, uri_params: dict | None, raw_body: bytes | None,
               handler: Callable[[], Result], now: datetime) -> Result:
    """Run `handler` once per Idempotency-Key within `scope`, and replay its stored result on a retry.

    Without a key the handler simply runs. `scope` names the route and the
    caller (an API key's id), so two callers never share a key.

    :raises BadRequest: idempotency_key_invalid for a malformed key.
    :raises Unprocessable: idempotency_key_reused when the key was used for another request.
    :raises Conflict: idempotency_in_progress while a request with the same key runs.
    """
    if key is None:
        return handler()
    item_key = item_key_for(scope, check_key(key))
    fingerprint = request_hash(uri_params, raw_body)

    marker, existing = claim(item_key, fingerprint, now, RESULT_TTL)
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise Unprocessable("idempotency_key_reused", field=HEADER)
        if existing.status_code is None:
            raise Conflict("idempotency_in_progress", field=HEADER, headers={"Retry-After": "2"})
        return Response(body=unseal(existing.response, scope, key), status_code=int(existing.status_code),
                        headers={REPLAY_HEADER: "true"})

    try:
        result = handler()
    except BaseException:
        release(marker)
        raise

    status_code, body = _status_and_body(result)
    if 200 <= status_code < 300:
        # A client that lost a submission's response needs its access code
        # again, so the code is stored, but sealed with the Idempotency-Key.
        complete(marker, status_code, seal(body, scope, key), now + RESULT_TTL)
    else:
        release(marker)
    return result
