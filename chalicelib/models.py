"""PynamoDB models: one class per DynamoDB table, indexes declared beside it.

Table names depend on the stage, so `Meta.table_name` holds only the short
name here; `db.bind()` sets the real name, region and endpoint before use.
The CloudFormation tables in infra/ are checked against these declarations
by a test, so a change here must be made there too.
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class _Meta:
    region = "eu-central-1"
    billing_mode = "PAY_PER_REQUEST"


class LocalizedName(MapAttribute):
    uz = UnicodeAttribute()
    uz_cyrl = UnicodeAttribute(attr_name="uz-Cyrl")
    ru = UnicodeAttribute()
    en = UnicodeAttribute()


class AgencyModel(Model):
    """A connected state body."""

    class Meta(_Meta):
        table_name = "agencies"

    agency_id = UnicodeAttribute(hash_key=True)
    name = LocalizedName()
    search_key = UnicodeAttribute()
    contact_email = UnicodeAttribute()
    head_email = UnicodeAttribute()
    language = UnicodeAttribute(default="uz")
    is_test = BooleanAttribute(default=False)
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()


class InboxIndex(GlobalSecondaryIndex):
    """An agency's appeals, one partition for its open ones and one for the rest, oldest due first."""

    class Meta:
        index_name = "inbox-index"
        projection = AllProjection()

    inbox_key = UnicodeAttribute(hash_key=True)
    inbox_due = UnicodeAttribute(range_key=True)


class PendingDueIndex(GlobalSecondaryIndex):
    """Sparse: only open appeals not yet marked breached, keyed by due date.

    The hourly deadline scan queries it for due dates before today, so it reads
    only the appeals that have just become overdue, whatever the table's size.
    """

    class Meta:
        index_name = "pending-due-index"
        # The whole item is projected so that the scan can mark an appeal
        # breached without reading it again from the table.
        projection = AllProjection()

    pending_shard = UnicodeAttribute(hash_key=True)
    pending_due = UnicodeAttribute(range_key=True)


class RatingReminderIndex(GlobalSecondaryIndex):
    """Sparse: only answered appeals whose answer was read but not rated and not yet reminded of.

    The daily rating-reminders job queries it for read times before its cut-off.
    """

    class Meta:
        index_name = "rating-reminder-index"
        projection = AllProjection()

    reminder_shard = UnicodeAttribute(hash_key=True)
    reminder_read_at = UnicodeAttribute(range_key=True)


class Applicant(MapAttribute):
    full_name = UnicodeAttribute()
    address = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)


class AppealModel(Model):
    """The current state of one appeal; its history lives in AppealEventModel."""

    class Meta(_Meta):
        table_name = "appeals"

    appeal_id = UnicodeAttribute(hash_key=True)
    year = NumberAttribute()
    number = NumberAttribute()
    agency_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    language = UnicodeAttribute()
    status = UnicodeAttribute()
    text = UnicodeAttribute()
    text_hidden = JSONAttribute(null=True)
    applicant = Applicant()
    applicant_key = UnicodeAttribute()
    access_code_hash = UnicodeAttribute()
    # Wrong access codes in the current window (rate_limits.WRONG_CODES_PER_APPEAL),
    # kept on the appeal so that checking them costs no read of its own.
    # NOTE: a change of the appeal puts the whole item back with the count it
    # read, so wrong codes counted between that read and the put are lost.
    code_failures = NumberAttribute(null=True)
    code_failures_window = UnicodeAttribute(null=True)
    submitted_at = UnicodeAttribute()
    registered_on = UnicodeAttribute()
    received_by_agency_on = UnicodeAttribute()
    due_date = UnicodeAttribute()
    due_basis = JSONAttribute()
    study = BooleanAttribute(default=False)
    extended = BooleanAttribute(default=False)
    extension_until = UnicodeAttribute(null=True)
    forwarded_from = UnicodeAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    # "<agency_id>|<due date>" while this appeal is counted in that agency's
    # open_breached counter for the periods of that date, else absent.
    overdue_counted = UnicodeAttribute(null=True)
    breached_at = UnicodeAttribute(null=True)
    answer_text = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    answered_on_time = BooleanAttribute(null=True)
    answer_read_at = UnicodeAttribute(null=True)
    rating_score = NumberAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    rated_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    close_reason = JSONAttribute(null=True)
    timeline = JSONAttribute(null=True)
    event_seq = NumberAttribute()
    last_event_hash = UnicodeAttribute()

    inbox_key = UnicodeAttribute()
    inbox_due = UnicodeAttribute()
    pending_shard = UnicodeAttribute(null=True)
    pending_due = UnicodeAttribute(null=True)
    rating_reminded_at = UnicodeAttribute(null=True)
    reminder_shard = UnicodeAttribute(null=True)
    reminder_read_at = UnicodeAttribute(null=True)

    inbox_index = InboxIndex()
    pending_due_index = PendingDueIndex()
    rating_reminder_index = RatingReminderIndex()


class DayIndex(GlobalSecondaryIndex):
    """All events of one Tashkent date in the order they happened, for the ledger's daily root."""

    class Meta:
        index_name = "day-index"
        projection = AllProjection()

    day = UnicodeAttribute(hash_key=True)
    day_order = UnicodeAttribute(range_key=True)


class AppealEventModel(Model):
    """One state change of an appeal. Items are only ever added, never updated or deleted."""

    class Meta(_Meta):
        table_name = "appeal-events"

    appeal_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    payload = UnicodeAttribute()
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()
    day = UnicodeAttribute()
    day_order = UnicodeAttribute()

    day_index = DayIndex()


class ApiKeyModel(Model):
    """An agency officer's, agency head's or administrator's API key, stored as a hash."""

    class Meta(_Meta):
        table_name = "api-keys"

    key_id = UnicodeAttribute(hash_key=True)
    secret_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    agency_id = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)


class CaptchaModel(Model):
    """A captcha challenge; the answer is stored hashed and DynamoDB's TTL removes old items."""

    class Meta(_Meta):
        table_name = "captchas"

    captcha_id = UnicodeAttribute(hash_key=True)
    answer_hash = UnicodeAttribute()
    expires_at = TTLAttribute()
    used_at = UnicodeAttribute(null=True)


class CounterModel(Model):
    """Counters updated inside the transactions that change appeals.

    counter_id "appeal-number" with period = year contains the last appeal number
    issued that year. counter_id "agency#<id>" with period "all", "YYYY-MM" or
    "YYYY-Www" contains that agency's event counts for the period. counter_id
    "digest-progress" has one item per ISO week whose weekly digests were queued.
    """

    class Meta(_Meta):
        table_name = "counters"

    counter_id = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    last_number = NumberAttribute(null=True)
    received = NumberAttribute(null=True)
    forwarded_in = NumberAttribute(null=True)
    forwarded_out = NumberAttribute(null=True)
    completed = NumberAttribute(null=True)
    completed_on_time = NumberAttribute(null=True)
    dismissed = NumberAttribute(null=True)
    merged = NumberAttribute(null=True)
    open_breached = NumberAttribute(null=True)
    breached = NumberAttribute(null=True)
    answers_read = NumberAttribute(null=True)
    rated = NumberAttribute(null=True)
    score_sum = NumberAttribute(null=True)
    score_1 = NumberAttribute(null=True)
    score_2 = NumberAttribute(null=True)
    score_3 = NumberAttribute(null=True)
    score_4 = NumberAttribute(null=True)
    score_5 = NumberAttribute(null=True)


class CalendarModel(Model):
    """One version of the day-off calendar. Versions are only added, so every past one is kept."""

    class Meta(_Meta):
        table_name = "calendars"

    calendar_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    holidays = JSONAttribute()
    working_days = JSONAttribute()
    note = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class PendingOutboxIndex(GlobalSecondaryIndex):
    """Sparse: only messages still waiting to be sent, oldest first."""

    class Meta:
        index_name = "pending-index"
        projection = AllProjection()

    pending_shard = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OutboxModel(Model):
    """An e-mail to send, written in the same transaction as the change it reports.

    The item's id names what the message is about (for example
    "breach#2026-000123"), so the same notice can never be queued twice.
    """

    class Meta(_Meta):
        table_name = "outbox"

    outbox_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    recipient = UnicodeAttribute()
    language = UnicodeAttribute()
    subject = UnicodeAttribute()
    body_text = UnicodeAttribute()
    body_html = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    claimed_at = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    pending_shard = UnicodeAttribute(null=True)

    pending_index = PendingOutboxIndex()


class StatsModel(Model):
    """Figures computed by the statistics job from the counters, one item per scope and period.

    scope is an agency id, or "ALL" for the sums over the non-test agencies,
    whose item also stores the rankings. period is "all", "YYYY-MM" or "YYYY-Www".
    """

    class Meta(_Meta):
        table_name = "stats"

    scope = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    figures = JSONAttribute()
    rankings = JSONAttribute(null=True)
    computed_at = UnicodeAttribute()


class IdempotencyModel(Model):
    """A stored result of a request sent with an Idempotency-Key, or a recent submission's fingerprint.

    `key` is "sha256:" and the SHA-256 of "<scope>#<Idempotency-Key>" for a request, and
    "dedup#<applicant key>#<content hash>" for a submission. An item without
    `status_code` is an in-progress marker. DynamoDB's TTL removes items some
    time after `expires_at`, so readers also compare `expires_at` with the time.
    """

    class Meta(_Meta):
        table_name = "idempotency"

    key = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute(null=True)
    response = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class RateLimitModel(Model):
    """One fixed-window counter of attempts, such as wrong access codes for one appeal in one hour.

    `key` is "<limit name>#<subject>#<window start>", where the subject is an
    appeal id or the SHA-256 of a client IP address. DynamoDB's TTL removes
    items some time after `expires_at`, the end of their window.
    """

    class Meta(_Meta):
        table_name = "rate-limits"

    key = UnicodeAttribute(hash_key=True)
    window_start = UnicodeAttribute()
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class AdminRecipientModel(Model):
    """An administrator's address for the weekly digest. Removing one sets `active` to false."""

    class Meta(_Meta):
        table_name = "admin-recipients"

    recipient_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    language = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    created_at = UnicodeAttribute()


ALL_MODELS = (
    AgencyModel,
    AppealModel,
    AppealEventModel,
    ApiKeyModel,
    CaptchaModel,
    CounterModel,
    CalendarModel,
    OutboxModel,
    StatsModel,
    IdempotencyModel,
    AdminRecipientModel,
    RateLimitModel,
)
