"""API keys for agency officers, agency heads and administrators.

A key reads `mrj_<key_id>_<secret>`. Only a SHA-256 of the secret is stored, so
the key is shown once, when it is created. Looking a key up is one GetItem by
its id, and the secret is compared in constant time.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.errors import BadRequest, Forbidden, NotFound, Unauthorized
from chalicelib.events import format_timestamp
from chalicelib.models import AgencyModel, ApiKeyModel

ROLES = ("officer", "head", "admin")
KEY_PATTERN = re.compile(r"^mrj_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class Principal(NamedTuple):
    key_id: str
    role: str
    agency_id: str | None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def authenticate(authorization: str | None, allowed_roles: tuple[str, ...]) -> Principal:
    """Return the principal of a `Bearer` Authorization header whose role is allowed.

    :raises Unauthorized: auth_required when the header is missing or not a
        Bearer token, api_key_invalid when the key is malformed, unknown or revoked.
    :raises Forbidden: forbidden_role when the key's role is not allowed here.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("auth_required", headers={"WWW-Authenticate": "Bearer"})
    match = KEY_PATTERN.match(token.strip())
    if not match:
        raise Unauthorized("api_key_invalid", headers={"WWW-Authenticate": "Bearer"})
    key_id, secret = match.groups()

    try:
        key = ApiKeyModel.get(key_id, consistent_read=True)
    except DoesNotExist:
        raise Unauthorized("api_key_invalid", headers={"WWW-Authenticate": "Bearer"}) from None
    if key.revoked_at or not hmac.compare_digest(key.secret_hash, _secret_hash(secret)):
        raise Unauthorized("api_key_invalid", headers={"WWW-Authenticate": "Bearer"})

    if key.role not in allowed_roles:
        raise Forbidden("forbidden_role", role=key.role, required="/".join(allowed_roles))
    return Principal(key_id=key.key_id, role=key.role, agency_id=key.agency_id)


def create_key(role: str, agency_id: str | None, now: datetime, label: str | None = None) -> dict:
    """Store a new key and return its id and the full key, which is never shown again.

    :raises BadRequest: for an unknown role, an agency key without an agency or
        an admin key with one.
    :raises NotFound: agency_not_found when the agency does not exist.
    """
    if role not in ROLES:
        raise BadRequest("invalid_choice", field="role", choices=", ".join(ROLES))
    if agency_id is not None and (not isinstance(agency_id, str) or len(agency_id) > 100):
        raise BadRequest("field_invalid", field="agency_id", reason="expected an agency id")
    if role == "admin" and agency_id:
        raise BadRequest("field_invalid", field="agency_id", reason="an admin key belongs to no agency; leave it out")
    if role != "admin":
        if not agency_id:
            raise BadRequest("field_required", field="agency_id")
        try:
            AgencyModel.get(agency_id)
        except DoesNotExist:
            raise NotFound("agency_not_found", field="agency_id", agency_id=agency_id) from None

    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    ApiKeyModel(
        key_id,
        secret_hash=_secret_hash(secret),
        role=role,
        agency_id=agency_id or None,
        label=label,
        created_at=format_timestamp(now),
    ).save(condition=ApiKeyModel.key_id.does_not_exist())
    return {"key_id": key_id, "key": f"mrj_{key_id}_{secret}", "role": role, "agency_id": agency_id or None}


def revoke_key(key_id: str, now: datetime) -> dict:
    """Mark a key revoked; it stops working at once because lookups read consistently.

    :raises NotFound: key_not_found when there is no such key.
    """
    key = ApiKeyModel(key_id)
    try:
        key.update(
            actions=[ApiKeyModel.revoked_at.set(format_timestamp(now))],
            condition=ApiKeyModel.key_id.exists(),
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound("key_not_found", key_id=key_id) from None
        raise
    return {"key_id": key_id, "revoked_at": key.revoked_at}
