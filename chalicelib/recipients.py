"""Administrators' addresses for the weekly digest, managed through the admin API."""
from __future__ import annotations

import secrets
from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.errors import BadRequest, NotFound
from chalicelib.events import format_timestamp
from chalicelib.messages import LANGUAGES
from chalicelib.models import AdminRecipientModel
from chalicelib.text import is_valid_email
from chalicelib.validation import choice, required_text

MAX_NAME_CHARS = 200
MAX_EMAIL_CHARS = 254


def recipient_view(recipient: AdminRecipientModel) -> dict:
    return {
        "recipient_id": recipient.recipient_id,
        "name": recipient.name,
        "email": recipient.email,
        "language": recipient.language,
        "active": recipient.active,
        "created_at": recipient.created_at,
    }


def create_recipient(data: dict, now: datetime) -> dict:
    """Add an administrator who receives the weekly digest.

    :raises BadRequest: for a missing name or e-mail, an invalid e-mail
        (invalid_email naming "email") or a language other than uz, uz-Cyrl, ru, en.
    """
    name = required_text(data, "name", max_chars=MAX_NAME_CHARS)
    email = required_text(data, "email", max_chars=MAX_EMAIL_CHARS)
    if not is_valid_email(email):
        raise BadRequest("invalid_email", field="email")
    language = choice(data, "language", LANGUAGES)

    recipient = AdminRecipientModel(
        secrets.token_hex(8),
        name=name,
        email=email,
        language=language,
        active=True,
        created_at=format_timestamp(now),
    )
    recipient.save(condition=AdminRecipientModel.recipient_id.does_not_exist())
    return recipient_view(recipient)


def list_recipients() -> dict:
    """Return every recipient, active or not, oldest first. The table contains a few items, so one Scan reads them."""
    recipients = sorted(AdminRecipientModel.scan(), key=lambda item: (item.created_at, item.recipient_id))
    return {"recipients": [recipient_view(recipient) for recipient in recipients]}


def active_recipients() -> list[AdminRecipientModel]:
    return [recipient for recipient in AdminRecipientModel.scan() if recipient.active]


def deactivate_recipient(recipient_id: str) -> dict:
    """Stop sending the digest to a recipient. The item is kept, with `active` false.

    :raises NotFound: recipient_not_found when there is no such recipient.
    """
    recipient = AdminRecipientModel(recipient_id)
    try:
        recipient.update(actions=[AdminRecipientModel.active.set(False)],
                         condition=AdminRecipientModel.recipient_id.exists())
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound("recipient_not_found", field="recipient_id") from None
        raise
    return recipient_view(recipient)
