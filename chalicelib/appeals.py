"""Appeals: registration, the citizen's view and rating, and the agency's inbox and answer.

Every change of an appeal is one DynamoDB transaction that
1. puts the appeal item, on condition that its `event_seq` is still the one read,
2. adds the next event of the appeal's hash chain, on condition that it is new,
3. adds to the agency's counters for the periods of the change.
So a change is either complete or absent, and of two concurrent changes only
one can win; the other gets a 409.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import secrets
import time
from datetime import date, datetime, timedelta
from typing import Callable, NamedTuple

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import calendars, config, db, deadlines, rate_limits
from chalicelib.auth import Principal
from chalicelib.config import Settings
from chalicelib.counters import CounterUpdates, add_counter_updates
from chalicelib.errors import BadRequest, Conflict, NotFound, ServiceUnavailable, Unauthorized
from chalicelib.events import GENESIS_HASH, build_event, format_timestamp, sha256_text
from chalicelib.models import (
    AgencyModel, AppealEventModel, AppealModel, Applicant, CounterModel, IdempotencyModel,
)
from chalicelib.text import is_valid_email, normalize_phone
from chalicelib.cursors import decode_cursor, encode_cursor
from chalicelib.validation import choice, integer_in_range, optional_text, required_text, sub_object

logger = logging.getLogger(__name__)

KINDS = ("application", "proposal", "complaint")
LANGUAGES = ("uz", "uz-Cyrl", "ru", "en")

# The statuses and the changes allowed from each. Overdue is not a status: an
# open appeal is overdue from local midnight after its due date.
REGISTERED = "registered"
ANSWERED = "answered"
DISMISSED = "dismissed"
MERGED = "merged"
OPEN_STATUSES = frozenset({REGISTERED})
CLOSED_STATUSES = frozenset({ANSWERED, DISMISSED, MERGED})

MAX_NAME_CHARS = 200
MAX_ADDRESS_CHARS = 500
MAX_COMMENT_CHARS = 2_000
ACCESS_CODE_BYTES = 12  # 96 bits
# From the second lost number on, an attempt waits a random time of up to
# NUMBER_RETRY_DELAY_SECONDS * attempt and then reads the counter. Without the
# wait and with 8 attempts, some of 20 simultaneous submissions failed with
# 503. Retrying after the wait with the counter value of the cancelled
# transaction, which is stale by then, failed some of 40.
NUMBER_ATTEMPTS = 16
NUMBER_RETRY_DELAY_SECONDS = 0.02
PENDING_SHARD = "open"
REMINDER_SHARD = "pending"
INBOX_PAGE_SIZE = 50


# ---------------------------------------------------------------- registration

class Submission(NamedTuple):
    agency_id: str
    kind: str
    text: str
    language: str
    full_name: str
    address: str
    email: str | None
    phone: str | None


def parse_submission(body: dict, settings: Settings) -> Submission:
    """Check a submission's fields in the order a citizen fills them in.

    :raises BadRequest: naming the first field that is missing or invalid; a
        missing name or address is `anonymous_appeal` (ZRU-445 Art 6 and 29).
    :raises PayloadTooLarge: when the text is longer than allowed.
    """
    agency_id = required_text(body, "agency_id", max_chars=100)
    kind = choice(body, "kind", KINDS)
    text = required_text(body, "text", max_chars=settings.max_text_chars)
    language = choice(body, "language", LANGUAGES, default="uz")
    applicant = sub_object(body, "applicant")

    # ZRU-445 Art 6: an individual's appeal gives the surname, name and place of
    # residence; without them it is anonymous and Art 29 leaves it unconsidered.
    names = {}
    for key, limit in (("full_name", MAX_NAME_CHARS), ("address", MAX_ADDRESS_CHARS)):
        try:
            names[key] = required_text(applicant, key, path=f"applicant.{key}", max_chars=limit)
        except BadRequest as exc:
            if exc.code == "field_required":
                raise BadRequest("anonymous_appeal", field=f"applicant.{key}") from None
            raise

    email = optional_text(applicant, "email", path="applicant.email", max_chars=254)
    if email is not None and not is_valid_email(email):
        raise BadRequest("invalid_email", field="applicant.email")
    phone_text = optional_text(applicant, "phone", path="applicant.phone", max_chars=40)
    phone = None
    if phone_text is not None:
        phone = normalize_phone(phone_text)
        if phone is None:
            raise BadRequest("invalid_phone", field="applicant.phone")
    if email is None and phone is None:
        raise BadRequest("contact_required", field="applicant.email")

    return Submission(agency_id, kind, text, language, names["full_name"], names["address"], email, phone)


AGENCY_CACHE_SECONDS = 60
_agency_cache: dict[tuple[str, str], tuple[float, AgencyModel]] = {}
# The last appeal number this process allocated, per table and year. The next
# submission tries the number after it without reading the counter. When
# another process took numbers meanwhile, the transaction fails, and its
# cancellation reason contains the counter's value for the retry.
_number_hints: dict[tuple[str, int], int] = {}


def clear_agency_cache() -> None:
    """Forget what this process cached: agencies and the last appeal numbers (for tests)."""
    _agency_cache.clear()
    _number_hints.clear()


def get_agency(agency_id: str, field: str = "agency_id") -> AgencyModel:
    """Return an active agency, from a per-process cache of up to a minute when possible.

    Agencies change rarely (connecting one is an admin action), and the cache
    saves a read on every submission.

    :raises NotFound: agency_not_found, naming `field`.
    """
    cache_key = (AgencyModel.Meta.table_name, agency_id)
    cached = _agency_cache.get(cache_key)
    if cached is not None and time.monotonic() - cached[0] < AGENCY_CACHE_SECONDS:
        return cached[1]
    try:
        agency = AgencyModel.get(agency_id)
    except DoesNotExist:
        agency = None
    if agency is None or not agency.active:
        raise NotFound("agency_not_found", field=field, agency_id=agency_id)
    _agency_cache[cache_key] = (time.monotonic(), agency)
    return agency


def _hash_access_code(appeal_id: str, code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"access:{appeal_id}:{normalized}".encode("utf-8")).hexdigest()


def _new_access_code() -> str:
    raw = secrets.token_bytes(ACCESS_CODE_BYTES)
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _applicant_key(submission: Submission) -> str:
    parts = [submission.full_name, submission.address, submission.email or "", submission.phone or ""]
    normalized = "\n".join(" ".join(part.casefold().split()) for part in parts)
    return sha256_text(normalized)


# ZRU-445 Art 3 calls a copy of the same person's appeal a duplicate; one
# sent again within this window is a double click and is not registered.
DUPLICATE_WINDOW = timedelta(minutes=2)


def _duplicate_key(submission: Submission) -> str:
    """Return the key of a submission's fingerprint: applicant, agency, kind and text, whitespace ignored."""
    content = "\n".join([submission.agency_id, submission.kind, " ".join(submission.text.split())])
    return f"dedup#{_applicant_key(submission)}#{sha256_text(content)}"


def _content_digest(appeal: AppealModel) -> str:
    applicant = appeal.applicant
    parts = [appeal.text, applicant.full_name, applicant.address, applicant.email or "", applicant.phone or ""]
    return sha256_text("\n\x1f".join(parts))


def submit_appeal(body: dict, now: datetime, settings: Settings,
                  check_captcha: Callable[[object, object, datetime, Settings], rate_limits.Guard | None]) -> dict:
    """Register a citizen's appeal and return its number, access code and due date.

    The fields are checked before the captcha is used up, so a citizen who
    mistyped a field does not have to solve a new picture.

    :raises BadRequest, NotFound, PayloadTooLarge: for invalid input.
    :raises Conflict: duplicate_submission, naming the first appeal, when the
        same applicant sent the same appeal within DUPLICATE_WINDOW.
    :raises TooManyRequests: rate_limited, from the guard `check_captcha` returns.
    :raises ServiceUnavailable: when no number could be allocated after retries.
    """
    submission = parse_submission(body, settings)
    get_agency(submission.agency_id)
    guard = check_captcha(body.get("captcha_id"), body.get("captcha_answer"), now, settings)

    calendar = calendars.current_calendar()
    # ZRU-445 Art 23: registered on the day of receipt, or on the next working day.
    registered_on = deadlines.registration_date(now, calendar)
    due = deadlines.compute_due(submission.kind, registered_on, calendar)
    year = deadlines.local_date(now).year
    access_code = _new_access_code()

    last_number = _number_hints.get((CounterModel.Meta.table_name, year))
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        if last_number is None:
            last_number = _last_number(year)
        number = last_number + 1
        appeal_id = f"{year}-{number:06d}"
        appeal = AppealModel(
            appeal_id,
            year=year,
            number=number,
            agency_id=submission.agency_id,
            kind=submission.kind,
            language=submission.language,
            status=REGISTERED,
            text=submission.text,
            applicant=Applicant(
                full_name=submission.full_name,
                address=submission.address,
                email=submission.email,
                phone=submission.phone,
            ),
            applicant_key=_applicant_key(submission),
            access_code_hash=_hash_access_code(appeal_id, access_code),
            submitted_at=format_timestamp(now),
            registered_on=registered_on.isoformat(),
            received_by_agency_on=registered_on.isoformat(),
            due_date=due.due_date.isoformat(),
            due_basis=due.basis,
            timeline=[{"type": "submitted", "at": format_timestamp(now), "agency_id": submission.agency_id}],
            event_seq=1,
        )
        _set_index_keys(appeal)
        event = build_event(
            appeal_id=appeal_id,
            seq=1,
            event_type="submitted",
            now=now,
            actor="citizen",
            agency_id=submission.agency_id,
            payload={
                "number": number,
                "kind": submission.kind,
                "language": submission.language,
                "registered_on": appeal.registered_on,
                "due_date": appeal.due_date,
                "due_basis": due.basis,
                "content_sha256": _content_digest(appeal),
            },
            prev_hash=GENESIS_HASH,
        )
        appeal.last_event_hash = event.hash

        duplicate_marker = IdempotencyModel(
            _duplicate_key(submission),
            request_hash="submission",
            created_at=format_timestamp(now),
            expires_at=now + DUPLICATE_WINDOW,
            status_code=201,
            response={"appeal_id": appeal_id},
        )

        def build(transaction: TransactWrite, expected: int = last_number, number: int = number) -> None:
            if guard is not None:
                guard.add_to(transaction)
            # ALL_OLD returns the item that failed its condition. That identifies
            # the marker or the counter, and gives the counter's current value.
            transaction.save(duplicate_marker, return_values="ALL_OLD", condition=(
                IdempotencyModel.key.does_not_exist() | (IdempotencyModel.expires_at < now)))
            counter = CounterModel("appeal-number", str(year), last_number=number)
            if expected == 0:
                transaction.save(counter, condition=CounterModel.counter_id.does_not_exist(),
                                 return_values="ALL_OLD")
            else:
                transaction.update(
                    counter,
                    actions=[CounterModel.last_number.set(number)],
                    condition=CounterModel.last_number == expected,
                    return_values="ALL_OLD",
                )
            transaction.save(appeal, condition=AppealModel.appeal_id.does_not_exist())
            transaction.save(event, condition=AppealEventModel.appeal_id.does_not_exist())
            add_counter_updates(transaction, submission.agency_id, deadlines.local_date(now), {"received": 1})
            _queue_citizen_notice(transaction, appeal, event, None, now)

        try:
            db.transact(build)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            # NOTE: this relies on PynamoDB 6.1 sending ConditionChecks before
            # Puts and Updates, which makes the guard's reason the first one.
            # tests/test_captcha_limits.py checks it against moto.
            first = reasons[0] if reasons else None
            if guard is not None and first is not None and first.code == "ConditionalCheckFailed":
                raise guard.error() from None
            failed = [reason for reason in reasons if reason is not None and reason.code == "ConditionalCheckFailed"]
            if not failed:
                raise
            _number_hints.pop((CounterModel.Meta.table_name, year), None)
            for reason in failed:
                old = reason.raw_item or {}
                if old.get("key", {}).get("S") == duplicate_marker.key:
                    marker = IdempotencyModel.from_raw_data(old)
                    raise Conflict("duplicate_submission", appeal_id=marker.response["appeal_id"]) from None
            # Another submission took this number first. The counter's
            # current value comes with the cancellation when it exists, and
            # a first miss (usually a stale guess) retries with it at once.
            last_number = _counter_value(failed, year)
            if attempt > 1 or last_number is None:
                # Submissions at the same moment: wait, then read the counter,
                # because others may have taken numbers during the wait.
                time.sleep(random.uniform(0, NUMBER_RETRY_DELAY_SECONDS * attempt))
                last_number = None
            continue
        _number_hints[(CounterModel.Meta.table_name, year)] = number
        return {
            "appeal_id": appeal_id,
            "access_code": access_code,
            "status": REGISTERED,
            "agency_id": submission.agency_id,
            "registered_on": appeal.registered_on,
            "due_date": appeal.due_date,
            "due_explanation": deadlines.explain(due.basis, submission.language),
        }
    logger.warning("No appeal number after %d attempts for year %d; returning 503", NUMBER_ATTEMPTS, year)
    raise ServiceUnavailable(retry_after=1)


def _counter_value(failed: list, year: int) -> int | None:
    """Return the appeal-number counter's value from the cancellation reasons, or None when absent."""
    for reason in failed:
        old = reason.raw_item or {}
        if old.get("counter_id", {}).get("S") == "appeal-number" and old.get("period", {}).get("S") == str(year):
            return int(CounterModel.from_raw_data(old).last_number or 0)
    return None


def _last_number(year: int) -> int:
    try:
        return int(CounterModel.get("appeal-number", str(year), consistent_read=True).last_number or 0)
    except DoesNotExist:
        return 0


def _set_index_keys(appeal: AppealModel) -> None:
    """Keep the index attributes in step with the appeal's status and due date."""
    is_open = appeal.status in OPEN_STATUSES
    appeal.inbox_key = f"{appeal.agency_id}#{'open' if is_open else 'closed'}"
    appeal.inbox_due = f"{appeal.due_date}#{appeal.appeal_id}"
    if is_open and not appeal.breached_at:
        appeal.pending_shard = PENDING_SHARD
        appeal.pending_due = f"{appeal.due_date}#{appeal.appeal_id}"
    else:
        appeal.pending_shard = None
        appeal.pending_due = None
    # The rating reminder waits for an answer that was read, is not rated yet
    # and has not been reminded of; see chalicelib.rating_reminders.
    awaits_reminder = (appeal.answer_read_at is not None and appeal.rating_score is None
                       and appeal.rating_reminded_at is None)
    if awaits_reminder:
        appeal.reminder_shard = REMINDER_SHARD
        appeal.reminder_read_at = f"{appeal.answer_read_at}#{appeal.appeal_id}"
    else:
        appeal.reminder_shard = None
        appeal.reminder_read_at = None


# ---------------------------------------------------------------- changes

def prepare_change(appeal: AppealModel, *, event_type: str, payload: dict, actor: str, now: datetime,
                   note: str | None = None) -> tuple[int, AppealEventModel]:
    """Append the next event to `appeal` in memory; return the event sequence read and the event.

    The caller saves both in one transaction, on condition that the appeal's
    `event_seq` is still the returned one.
    """
    expected_seq = appeal.event_seq
    seq = expected_seq + 1
    event = build_event(
        appeal_id=appeal.appeal_id,
        seq=seq,
        event_type=event_type,
        now=now,
        actor=actor,
        agency_id=appeal.agency_id,
        payload=payload,
        prev_hash=appeal.last_event_hash,
    )
    appeal.event_seq = seq
    appeal.last_event_hash = event.hash
    timeline = list(appeal.timeline or [])
    entry = {"type": event_type, "at": event.at, "agency_id": appeal.agency_id}
    if note:
        entry["reason"] = note
    timeline.append(entry)
    appeal.timeline = timeline
    _set_index_keys(appeal)
    return expected_seq, event


def overdue_marker(agency_id: str, due_date: str, is_open: bool, is_breached: bool) -> str | None:
    """Return how an appeal is counted in open_breached: "<agency>|<due date>", or None when not counted."""
    return f"{agency_id}|{due_date}" if is_open and is_breached else None


def _recount_overdue(appeal: AppealModel) -> list[tuple[str, date, int]]:
    """Move the appeal between open_breached counters to match its state; return the increments.

    An open appeal that the deadline scan marked breached counts once, for its
    agency and the periods of its due date, so the statistics job reads open
    overdue appeals from counters instead of querying them.
    """
    new = overdue_marker(appeal.agency_id, appeal.due_date, appeal.status in OPEN_STATUSES,
                         appeal.breached_at is not None)
    old = appeal.overdue_counted
    if new == old:
        return []
    changes = []
    for marker, amount in ((old, -1), (new, 1)):
        if marker:
            agency_id, due_date = marker.split("|")
            changes.append((agency_id, date.fromisoformat(due_date), amount))
    appeal.overdue_counted = new
    return changes


def save_change_in(transaction: TransactWrite, appeal: AppealModel, expected_seq: int,
                   event: AppealEventModel) -> None:
    """Add a prepared change of `appeal` and its event to `transaction`."""
    transaction.save(appeal, condition=AppealModel.event_seq == expected_seq)
    transaction.save(event, condition=AppealEventModel.appeal_id.does_not_exist())


def commit_change(appeal: AppealModel, *, event_type: str, payload: dict, actor: str, now: datetime,
                  counters: dict[str, int] | None = None, counter_agency: str | None = None,
                  counter_day: date | None = None,
                  extra: Callable[[TransactWrite], None] | None = None,
                  note: str | None = None,
                  other_counters: list[tuple[str, date, dict[str, int]]] | None = None) -> AppealEventModel:
    """Save `appeal` (already changed in memory) with its next event, in one transaction.

    `note` is a reason the applicant must be given, such as an extension's. It is
    shown in the appeal's history, while the event stores only its hash.
    `other_counters` are increments of (agency, day) pairs besides `counters`;
    all counter increments go through here, because a transaction may touch
    each counter item only once.

    :raises Conflict: when the appeal changed since it was read.
    """
    expected_seq, event = prepare_change(appeal, event_type=event_type, payload=payload, actor=actor,
                                         now=now, note=note)
    updates = CounterUpdates()
    if counters:
        updates.add(counter_agency or appeal.agency_id, counter_day or deadlines.local_date(now), counters)
    for agency_id, day, increments in other_counters or []:
        updates.add(agency_id, day, increments)
    for agency_id, day, amount in _recount_overdue(appeal):
        updates.add(agency_id, day, {"open_breached": amount})

    def build(transaction: TransactWrite) -> None:
        save_change_in(transaction, appeal, expected_seq, event)
        updates.apply(transaction)
        if extra:
            extra(transaction)
        _queue_citizen_notice(transaction, appeal, event, note, now)

    try:
        db.transact(build)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in db.cancellation_codes(exc):
            raise Conflict("conflict") from None
        raise
    return event


def _queue_citizen_notice(transaction: TransactWrite, appeal: AppealModel, event: AppealEventModel,
                          reason: str | None, now: datetime) -> None:
    from chalicelib import notices, outbox

    message = notices.citizen_notice(
        appeal_id=appeal.appeal_id, seq=event.seq, event_type=event.type, email=appeal.applicant.email,
        language=appeal.language, agency_id=appeal.agency_id, due_date=appeal.due_date, reason=reason,
        site_url=config.get_settings().site_url, now=now,
    )
    if message is not None:
        outbox.queue_in(transaction, message)


def load_appeal(appeal_id: str) -> AppealModel:
    """Return an appeal read consistently.

    :raises NotFound: appeal_not_found.
    """
    try:
        return AppealModel.get(appeal_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("appeal_not_found", appeal_id=appeal_id) from None


def _is_valid_appeal_id(appeal_id: str) -> bool:
    year, _, number = appeal_id.partition("-")
    return len(year) == 4 and year.isdigit() and len(number) == 6 and number.isdigit()


# ---------------------------------------------------------------- the citizen

def _check_access(appeal_id: str, access_code: str | None, now: datetime,
                  client_ip: str | None = None) -> AppealModel:
    """Return the appeal when `access_code` is its code.

    The appeal's wrong-code count is kept on the appeal item and checked
    before the code is compared, so once an appeal has used up its limit even
    the right code gets a 429 until the window ends. The client address's
    count is checked only after a wrong code: an address over its limit gets
    429 for wrong codes but still opens an appeal with the right one, so that
    citizens behind one carrier-grade NAT address with a scanner are not
    locked out. Checking the address first would cost a read on every view.

    :raises NotFound, Unauthorized: for an unknown appeal or a missing or wrong code.
    :raises TooManyRequests: rate_limited, after too many wrong codes.
    """
    if not _is_valid_appeal_id(appeal_id):
        raise NotFound("appeal_not_found", appeal_id=appeal_id)
    if not access_code or not access_code.strip():
        raise Unauthorized("access_code_required", field="X-Access-Code")
    limit = rate_limits.WRONG_CODES_PER_APPEAL
    window = rate_limits.window_id(limit, now)

    appeal = load_appeal(appeal_id)
    if appeal.code_failures_window == window and int(appeal.code_failures or 0) >= limit.max_count:
        raise rate_limits.too_many(limit, now)
    if hmac.compare_digest(appeal.access_code_hash, _hash_access_code(appeal_id, access_code)):
        return appeal
    if client_ip:
        # An address over its limit gets 429 here, before its guess counts
        # against the appeal, so it cannot lock citizens out of their appeals.
        rate_limits.hit(rate_limits.WRONG_CODES_PER_IP, rate_limits.ip_subject(client_ip), now)
    if not _count_wrong_code(appeal_id, window):
        raise rate_limits.too_many(limit, now)
    raise Unauthorized("access_code_invalid", field="X-Access-Code")


def _count_wrong_code(appeal_id: str, window: str) -> bool:
    """Add one wrong code to the appeal's count for `window`; return False when the limit was reached.

    The update leaves `event_seq` alone, so it never conflicts with a change
    of the appeal, and it creates nothing when the appeal is gone.
    """
    limit = rate_limits.WRONG_CODES_PER_APPEAL
    appeal = AppealModel(appeal_id)
    same_window = AppealModel.appeal_id.exists() & (AppealModel.code_failures_window == window)
    new_window = AppealModel.appeal_id.exists() & (
        AppealModel.code_failures_window.does_not_exist() | (AppealModel.code_failures_window != window))
    add_one = ([AppealModel.code_failures.add(1)], same_window & (AppealModel.code_failures < limit.max_count))
    start_window = ([AppealModel.code_failures_window.set(window), AppealModel.code_failures.set(1)], new_window)
    # The second add_one is for a concurrent wrong code that started the window first.
    attempts = [add_one, start_window, add_one]
    for actions, condition in attempts:
        try:
            appeal.update(actions=actions, condition=condition)
            return True
        except UpdateError as exc:
            if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
    return False


def view_for_citizen(appeal_id: str, access_code: str | None, now: datetime, language: str,
                     client_ip: str | None = None) -> dict:
    """Return what the citizen may see; the first view of an answer records that it was read.

    :raises NotFound, Unauthorized, TooManyRequests: see `_check_access`.
    """
    appeal = _check_access(appeal_id, access_code, now, client_ip)
    if appeal.answer_text is not None and appeal.answer_read_at is None:
        appeal.answer_read_at = format_timestamp(now)
        try:
            commit_change(
                appeal,
                event_type="answer_read",
                payload={},
                actor="citizen",
                now=now,
                counters={"answers_read": 1},
                # Counted in the period of the answer, like ratings, so that
                # rating coverage compares figures of the same answers.
                counter_day=_answered_day(appeal),
            )
        except Conflict:
            # A concurrent view recorded the read first; show what is stored now.
            appeal = load_appeal(appeal_id)
    return citizen_view(appeal, now, language)


def citizen_view(appeal: AppealModel, now: datetime, language: str) -> dict:
    hidden = appeal.text_hidden is not None
    return {
        "appeal_id": appeal.appeal_id,
        "agency_id": appeal.agency_id,
        "kind": appeal.kind,
        "language": appeal.language,
        "status": appeal.status,
        "overdue": is_overdue(appeal, now),
        "text": None if hidden else appeal.text,
        "text_hidden": appeal.text_hidden,
        "submitted_at": appeal.submitted_at,
        "registered_on": appeal.registered_on,
        "due_date": appeal.due_date,
        "due_basis": appeal.due_basis,
        "due_explanation": deadlines.explain(appeal.due_basis, language),
        "answer": None if appeal.answer_text is None else {
            "text": appeal.answer_text,
            "answered_at": appeal.answered_at,
            "read_at": appeal.answer_read_at,
        },
        "rating": None if appeal.rating_score is None else {
            "score": int(appeal.rating_score),
            "comment": appeal.rating_comment,
            "rated_at": appeal.rated_at,
        },
        "close_reason": appeal.close_reason,
        "history": [{"type": item["type"], "at": item["at"], "agency_id": item.get("agency_id"),
                     "reason": item.get("reason")}
                    for item in (appeal.timeline or [])],
    }


def _answered_day(appeal: AppealModel) -> date:
    return deadlines.local_date(datetime.fromisoformat(appeal.answered_at.replace("Z", "+00:00")))


def is_overdue(appeal: AppealModel, now: datetime) -> bool:
    return appeal.status in OPEN_STATUSES and deadlines.is_overdue(date.fromisoformat(appeal.due_date), now)


def rate_answer(appeal_id: str, access_code: str | None, body: dict, now: datetime,
                client_ip: str | None = None) -> dict:
    """Record the citizen's score (1 to 5) and comment; a new rating replaces the old in view.

    :raises Conflict: rating_not_answered before an answer exists,
        rating_before_read before the citizen has read it, conflict on a race.
    """
    appeal = _check_access(appeal_id, access_code, now, client_ip)
    score = integer_in_range(body, "score", 1, 5)
    comment = optional_text(body, "comment", max_chars=MAX_COMMENT_CHARS)
    if appeal.answer_text is None:
        raise Conflict("rating_not_answered", status=appeal.status)
    if appeal.answer_read_at is None:
        raise Conflict("rating_before_read")

    previous = None if appeal.rating_score is None else int(appeal.rating_score)
    if previous is None:
        counters = {"rated": 1, "score_sum": score, f"score_{score}": 1}
    else:
        counters = {"score_sum": score - previous}
        if score != previous:
            counters[f"score_{previous}"] = -1
            counters[f"score_{score}"] = 1
    # Counted in the period of the answer, so that a replaced rating moves no
    # figure between weeks.
    answered_day = _answered_day(appeal)

    appeal.rating_score = score
    appeal.rating_comment = comment
    appeal.rated_at = format_timestamp(now)
    commit_change(
        appeal,
        event_type="rated",
        payload={
            "score": score,
            "comment_sha256": sha256_text(comment) if comment else None,
            "replaces_score": previous,
        },
        actor="citizen",
        now=now,
        counters=counters,
        counter_day=answered_day,
    )
    return {"appeal_id": appeal.appeal_id, "score": score, "comment": comment, "rated_at": appeal.rated_at}


# ---------------------------------------------------------------- the agency

def agency_appeal(principal: Principal, appeal_id: str) -> AppealModel:
    """Return the agency's own appeal; another agency's appeal is reported as not found.

    :raises NotFound: appeal_not_found.
    """
    if not _is_valid_appeal_id(appeal_id):
        raise NotFound("appeal_not_found", appeal_id=appeal_id)
    appeal = load_appeal(appeal_id)
    if appeal.agency_id != principal.agency_id:
        raise NotFound("appeal_not_found", appeal_id=appeal_id)
    return appeal


def agency_summary(appeal: AppealModel, now: datetime) -> dict:
    return {
        "appeal_id": appeal.appeal_id,
        "kind": appeal.kind,
        "status": appeal.status,
        "overdue": is_overdue(appeal, now),
        "language": appeal.language,
        "submitted_at": appeal.submitted_at,
        "registered_on": appeal.registered_on,
        "due_date": appeal.due_date,
        "breached": appeal.breached_at is not None,
    }


def agency_view(appeal: AppealModel, now: datetime, language: str) -> dict:
    view = citizen_view(appeal, now, language)
    view["applicant"] = {
        "full_name": appeal.applicant.full_name,
        "address": appeal.applicant.address,
        "email": appeal.applicant.email,
        "phone": appeal.applicant.phone,
    }
    view["text"] = appeal.text
    view["breached_at"] = appeal.breached_at
    view["study"] = appeal.study
    view["extended"] = appeal.extended
    view["forwarded_from"] = appeal.forwarded_from
    return view


def answer_appeal(principal: Principal, appeal_id: str, body: dict, now: datetime, settings: Settings) -> dict:
    """Record the agency's answer; the appeal is then completed.

    :raises Conflict: already_answered when it has an answer (also for the
        loser of two concurrent answers), invalid_state when it is otherwise closed.
    """
    text = required_text(body, "text", max_chars=settings.max_text_chars)
    appeal = agency_appeal(principal, appeal_id)
    _require_open_for_answer(appeal)

    on_time = deadlines.local_date(now) <= date.fromisoformat(appeal.due_date)
    appeal.status = ANSWERED
    appeal.answer_text = text
    appeal.answered_at = format_timestamp(now)
    appeal.answered_on_time = on_time
    appeal.closed_at = appeal.answered_at
    try:
        commit_change(
            appeal,
            event_type="answered",
            payload={"answer_sha256": sha256_text(text), "on_time": on_time},
            actor=principal.actor,
            now=now,
            counters={"completed": 1, "completed_on_time": 1 if on_time else 0},
        )
    except Conflict:
        _require_open_for_answer(load_appeal(appeal_id))
        raise
    return {"appeal_id": appeal.appeal_id, "status": ANSWERED, "answered_at": appeal.answered_at,
            "on_time": on_time}


def _require_open_for_answer(appeal: AppealModel) -> None:
    if appeal.status == ANSWERED:
        raise Conflict("already_answered", status=appeal.status)
    if appeal.status not in OPEN_STATUSES:
        raise Conflict("invalid_state", status=appeal.status)


INBOX_FILTERS = ("open", "overdue", "due_soon", "closed", "answered", "dismissed")


def inbox(principal: Principal, status: str | None, cursor: str | None, now: datetime) -> dict:
    """Return one page of the agency's appeals, oldest due first, and the next page's cursor.

    :raises BadRequest: for an unknown status filter or a malformed cursor.
    """
    status = status or "open"
    if status not in INBOX_FILTERS:
        raise BadRequest("invalid_choice", field="status", choices=", ".join(INBOX_FILTERS))
    partition = "closed" if status in ("closed", "answered", "dismissed") else "open"
    inbox_key = f"{principal.agency_id}#{partition}"
    start_key = decode_cursor(cursor, inbox_key) if cursor else None

    today = deadlines.local_date(now)
    range_condition = None
    if status == "overdue":
        range_condition = AppealModel.inbox_due < today.isoformat()
    elif status == "due_soon":
        calendar = calendars.current_calendar()
        horizon = today
        for _ in range(2):
            horizon = calendar.next_working_day(horizon + timedelta(days=1))
        range_condition = AppealModel.inbox_due.between(today.isoformat(), f"{horizon.isoformat()}#~")
    filter_condition = None
    if status in ("answered", "dismissed"):
        filter_condition = AppealModel.status == status

    results = AppealModel.inbox_index.query(
        inbox_key,
        range_key_condition=range_condition,
        filter_condition=filter_condition,
        limit=INBOX_PAGE_SIZE,
        page_size=INBOX_PAGE_SIZE,
        last_evaluated_key=start_key,
    )
    # The iterator's last_evaluated_key is known only once its page is consumed.
    appeals = [agency_summary(appeal, now) for appeal in results]
    next_key = results.last_evaluated_key
    return {"appeals": appeals, "next_cursor": encode_cursor(next_key) if next_key else None}
