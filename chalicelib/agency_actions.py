"""What an agency may do with an open appeal besides answering it (ZRU-445).

forward (Art 25), merge a duplicate into the original (Art 25), extend the
term (Art 28), take it for additional study (Art 28) and leave it without
consideration (Art 29 and 30). Each action is
one transaction through `appeals.commit_change`, conditional on the appeal's
event sequence, so a concurrent action makes the later one fail with 409.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from chalicelib import appeals, calendars, deadlines
from chalicelib.auth import Principal
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.events import sha256_text
from chalicelib.models import AppealModel
from chalicelib.validation import choice, optional_text, required_text

MAX_REASON_CHARS = 2_000
# ZRU-445 Art 25: an appeal outside the body's competence is sent on to the
# competent body within five days of its receipt.
FORWARD_WINDOW_DAYS = 5
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DISMISS_GROUNDS = ("anonymous", "repeated_without_new_arguments", "withdrawn")


def _require_open(appeal: AppealModel) -> None:
    if appeal.status not in appeals.OPEN_STATUSES:
        raise Conflict("invalid_state", status=appeal.status)


def due_for(appeal: AppealModel, calendar: deadlines.Calendar) -> deadlines.DueDate:
    """Compute the appeal's due date from its stored inputs with `calendar`."""
    received = date.fromisoformat(appeal.received_by_agency_on)
    extension = date.fromisoformat(appeal.extension_until) if appeal.extension_until else None
    try:
        return deadlines.compute_due(appeal.kind, received, calendar, study=bool(appeal.study),
                                     extension_until=extension)
    except ValueError:
        # A new calendar can move the unextended term past the date the head
        # chose; the term then ends on the later of the two.
        plain = deadlines.compute_due(appeal.kind, received, calendar, study=bool(appeal.study))
        if extension is None or plain.due_date >= extension:
            return plain
        raise


def _apply_due(appeal: AppealModel, due: deadlines.DueDate) -> None:
    appeal.due_date = due.due_date.isoformat()
    appeal.due_basis = due.basis


def forward(principal: Principal, appeal_id: str, body: dict, now: datetime) -> dict:
    """Send the appeal to the competent body; it keeps its number and history.

    The receiving body's term runs from its own receipt (ZRU-445 Art 25).

    :raises Conflict: forward_window_passed after five days, invalid_state when closed.
    :raises BadRequest, NotFound: for a missing reason or an unknown or same agency.
    """
    to_agency_id = required_text(body, "to_agency_id", max_chars=100)
    reason = required_text(body, "reason", max_chars=MAX_REASON_CHARS)
    appeal = appeals.agency_appeal(principal, appeal_id)
    _require_open(appeal)
    if to_agency_id == appeal.agency_id:
        raise BadRequest("same_agency", field="to_agency_id")
    appeals.get_agency(to_agency_id, field="to_agency_id")

    today = deadlines.local_date(now)
    received = date.fromisoformat(appeal.received_by_agency_on)
    last_day = received + timedelta(days=FORWARD_WINDOW_DAYS)
    if today > last_day:
        raise Conflict("forward_window_passed", received_on=received.isoformat(), last_day=last_day.isoformat())

    calendar = calendars.current_calendar()
    from_agency_id = appeal.agency_id
    appeal.agency_id = to_agency_id
    appeal.forwarded_from = from_agency_id
    appeal.received_by_agency_on = deadlines.registration_date(now, calendar).isoformat()
    appeal.study = False
    appeal.extended = False
    appeal.extension_until = None
    appeal.breached_at = None
    _apply_due(appeal, due_for(appeal, calendar))

    appeals.commit_change(
        appeal,
        event_type="forwarded",
        payload={"from": from_agency_id, "to": to_agency_id, "reason_sha256": sha256_text(reason),
                 "due_date": appeal.due_date, "due_basis": appeal.due_basis},
        actor=principal.actor,
        now=now,
        counters={"forwarded_in": 1},
        other_counters=[(from_agency_id, today, {"forwarded_out": 1})],
        note=reason,
    )
    return {"appeal_id": appeal.appeal_id, "agency_id": to_agency_id, "forwarded_from": from_agency_id,
            "due_date": appeal.due_date}


def extend(principal: Principal, appeal_id: str, body: dict, now: datetime) -> dict:
    """Extend the term once, by at most one month, with a recorded reason (ZRU-445 Art 28).

    Only the head of the body may do it, and only before the term has passed.

    :raises Forbidden: for an officer's key.
    :raises Conflict: already_extended, extension_too_late, invalid_state.
    :raises BadRequest: for a missing reason or an invalid new_due_date.
    """
    if principal.role != "head":
        raise Forbidden("forbidden_role", role=principal.role, required="head")
    reason = required_text(body, "reason", max_chars=MAX_REASON_CHARS)
    requested = optional_text(body, "new_due_date", max_chars=100)
    appeal = appeals.agency_appeal(principal, appeal_id)
    _require_open(appeal)
    if appeal.extended:
        raise Conflict("already_extended", due_date=appeal.due_date)
    if deadlines.is_overdue(date.fromisoformat(appeal.due_date), now):
        raise Conflict("extension_too_late", due_date=appeal.due_date)

    calendar = calendars.current_calendar()
    current = due_for(appeal, calendar)
    cap = deadlines.extension_cap(current, calendar)
    if requested is None:
        until = cap
    else:
        try:
            if not ISO_DATE.fullmatch(requested):
                raise ValueError(requested)
            until = date.fromisoformat(requested)
        except ValueError:
            raise BadRequest("field_invalid", field="new_due_date", reason="expected a date as YYYY-MM-DD") from None
        if not current.due_date < until <= cap:
            raise BadRequest("extension_out_of_range", field="new_due_date",
                             due_date=current.due_date.isoformat(), cap=cap.isoformat())

    appeal.extended = True
    appeal.extension_until = until.isoformat()
    _apply_due(appeal, due_for(appeal, calendar))
    appeals.commit_change(
        appeal,
        event_type="extended",
        payload={"reason_sha256": sha256_text(reason), "due_date": appeal.due_date, "due_basis": appeal.due_basis},
        actor=principal.actor,
        now=now,
        note=reason,
    )
    return {"appeal_id": appeal.appeal_id, "due_date": appeal.due_date, "due_basis": appeal.due_basis}


def take_for_study(principal: Principal, appeal_id: str, body: dict, now: datetime) -> dict:
    """Move an application's or complaint's term to one month for additional study (ZRU-445 Art 28).

    :raises Conflict: study_not_applicable for a proposal (already one month),
        already_studied, already_extended, extension_too_late, invalid_state.
    """
    reason = required_text(body, "reason", max_chars=MAX_REASON_CHARS)
    appeal = appeals.agency_appeal(principal, appeal_id)
    _require_open(appeal)
    if appeal.kind == "proposal":
        raise Conflict("study_not_applicable")
    if appeal.study:
        raise Conflict("already_studied")
    if appeal.extended:
        raise Conflict("already_extended", due_date=appeal.due_date)
    if deadlines.is_overdue(date.fromisoformat(appeal.due_date), now):
        raise Conflict("extension_too_late", due_date=appeal.due_date)

    appeal.study = True
    _apply_due(appeal, due_for(appeal, calendars.current_calendar()))
    appeals.commit_change(
        appeal,
        event_type="study",
        payload={"reason_sha256": sha256_text(reason), "due_date": appeal.due_date, "due_basis": appeal.due_basis},
        actor=principal.actor,
        now=now,
        note=reason,
    )
    return {"appeal_id": appeal.appeal_id, "due_date": appeal.due_date, "due_basis": appeal.due_basis}


def dismiss(principal: Principal, appeal_id: str, body: dict, now: datetime) -> dict:
    """Leave the appeal without consideration on a ground of ZRU-445 Art 29 or 30, with the reason recorded.

    :raises Conflict: invalid_state when it is closed already.
    """
    ground = choice(body, "ground", DISMISS_GROUNDS)
    reason = required_text(body, "reason", max_chars=MAX_REASON_CHARS)
    appeal = appeals.agency_appeal(principal, appeal_id)
    _require_open(appeal)

    appeal.status = appeals.DISMISSED
    appeal.closed_at = appeals.format_timestamp(now)
    appeal.close_reason = {"ground": ground, "reason": reason}
    appeals.commit_change(
        appeal,
        event_type="dismissed",
        payload={"ground": ground, "reason_sha256": sha256_text(reason)},
        actor=principal.actor,
        now=now,
        counters={"dismissed": 1},
        note=reason,
    )
    return {"appeal_id": appeal.appeal_id, "status": appeal.status, "ground": ground}


def merge_duplicate(principal: Principal, appeal_id: str, body: dict, now: datetime) -> dict:
    """Merge a duplicate into the same person's earlier appeal that is still under consideration.

    ZRU-445 Art 25 has a duplicate considered together with the original, and
    Art 3 defines a duplicate as a copy of the same person's appeal. Both
    appeals change in one transaction: the duplicate closes as merged, and the
    original records the duplicate in its history.

    :raises Conflict: not_a_duplicate when the applicants differ or the
        original is not earlier, invalid_state when either appeal is closed.
    :raises BadRequest, NotFound: for a missing or unknown original.
    """
    into_id = required_text(body, "into_appeal_id", max_chars=20)
    reason = optional_text(body, "reason", max_chars=MAX_REASON_CHARS)
    if into_id == appeal_id:
        raise BadRequest("field_invalid", field="into_appeal_id", reason="an appeal cannot be merged into itself")
    duplicate = appeals.agency_appeal(principal, appeal_id)
    try:
        original = appeals.agency_appeal(principal, into_id)
    except NotFound:
        raise NotFound("appeal_not_found", field="into_appeal_id", appeal_id=into_id) from None
    _require_open(duplicate)
    _require_open(original)
    if duplicate.applicant_key != original.applicant_key or original.submitted_at >= duplicate.submitted_at:
        raise Conflict("not_a_duplicate", appeal_id=appeal_id, into_appeal_id=into_id)

    duplicate.status = appeals.MERGED
    duplicate.merged_into = into_id
    duplicate.closed_at = appeals.format_timestamp(now)
    duplicate.close_reason = {"ground": "duplicate", "into": into_id, "reason": reason}
    original_seq, original_event = appeals.prepare_change(
        original, event_type="duplicate_merged", payload={"duplicate": appeal_id}, actor=principal.actor, now=now,
    )

    def save_original(transaction) -> None:
        appeals.save_change_in(transaction, original, original_seq, original_event)

    appeals.commit_change(
        duplicate,
        event_type="merged",
        payload={"into": into_id, "reason_sha256": sha256_text(reason) if reason else None},
        actor=principal.actor,
        now=now,
        counters={"merged": 1},
        extra=save_original,
        note=reason,
    )
    return {"appeal_id": appeal_id, "status": duplicate.status, "merged_into": into_id}
