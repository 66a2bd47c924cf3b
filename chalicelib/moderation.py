"""Hiding an appeal's text from the citizen-facing view, for personal data found in it.

Nothing is deleted: the text stays in the appeal item for the agency, and its
SHA-256 stays in the submission event, so the ledger still verifies. The
citizen-facing view shows a stub with the reason code instead, and the hiding
is an event of its own.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib import appeals
from chalicelib.auth import Principal
from chalicelib.errors import Conflict, NotFound
from chalicelib.events import format_timestamp
from chalicelib.validation import choice, optional_text

REASON_CODES = ("personal_data", "third_party_personal_data", "offensive_content", "court_order")
MAX_NOTE_CHARS = 500


def hide_text(admin: Principal, appeal_id: str, body: dict, now: datetime) -> dict:
    """Hide the appeal's text from the citizen-facing view, with a reason code.

    :raises BadRequest: for a missing or unknown reason_code.
    :raises NotFound: appeal_not_found.
    :raises Conflict: text_already_hidden, or conflict on a concurrent change.
    """
    reason_code = choice(body, "reason_code", REASON_CODES)
    note = optional_text(body, "note", max_chars=MAX_NOTE_CHARS)
    if not appeals._is_valid_appeal_id(appeal_id):
        raise NotFound("appeal_not_found", appeal_id=appeal_id)
    appeal = appeals.load_appeal(appeal_id)
    if appeal.text_hidden is not None:
        raise Conflict("text_already_hidden", field="reason_code")

    appeal.text_hidden = {"reason_code": reason_code, "hidden_at": format_timestamp(now), "note": note}
    appeals.commit_change(
        appeal,
        event_type="text_hidden",
        payload={"reason_code": reason_code},
        actor=admin.actor,
        now=now,
    )
    return {"appeal_id": appeal_id, "text_hidden": appeal.text_hidden}
