"""Scheduled deadline work: the hourly breach scan, the daily due-soon reminders
and the recomputation of due dates after the day-off calendar changed.

Each job takes `now` as an argument and is safe to re-run or to run twice at
once: every change is conditional on the appeal's event sequence, and every
e-mail is an outbox item whose id names what it reports.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from chalicelib import appeals, calendars, deadlines, notices, outbox
from chalicelib.agency_actions import due_for
from chalicelib.config import Settings
from chalicelib.errors import Conflict
from chalicelib.models import AgencyModel, AppealModel

logger = logging.getLogger(__name__)


def deadline_scan(now: datetime, settings: Settings) -> dict:
    """Mark every open appeal whose due date has passed as breached, once, and queue the agency's e-mail.

    Reads only the sparse pending-due index for due dates before today
    (Tashkent), so the cost follows the number of newly overdue appeals, not
    the table's size.
    """
    today = deadlines.local_date(now)
    counts = {"found": 0, "breached": 0, "skipped": 0}
    agencies: dict[str, AgencyModel] = {}
    results = AppealModel.pending_due_index.query(
        appeals.PENDING_SHARD,
        range_key_condition=AppealModel.pending_due < today.isoformat(),
    )
    for appeal in results:
        counts["found"] += 1
        # An appeal becomes overdue at local midnight after its due date.
        if appeal.status not in appeals.OPEN_STATUSES or not deadlines.is_overdue(
                date.fromisoformat(appeal.due_date), now):
            counts["skipped"] += 1
            continue
        agency = agencies.get(appeal.agency_id) or AgencyModel.get(appeal.agency_id)
        agencies[appeal.agency_id] = agency
        message = notices.breach_notice(agency, appeal.appeal_id, appeal.due_date, settings.site_url, now)

        appeal.breached_at = appeals.format_timestamp(now)
        try:
            appeals.commit_change(
                appeal,
                event_type="breached",
                payload={"due_date": appeal.due_date},
                actor="system",
                now=now,
                counters={"breached": 1},
                extra=lambda transaction, message=message: outbox.queue_in(transaction, message),
            )
        except Conflict:
            # Changed since the index was read: answered, or marked by a
            # concurrent run. The next run sees its current state.
            counts["skipped"] += 1
            continue
        counts["breached"] += 1
    logger.info("deadline_scan now=%s found=%s breached=%s skipped=%s", now.isoformat(),
                counts["found"], counts["breached"], counts["skipped"])
    return counts


def due_soon_horizon(today, calendar: deadlines.Calendar, working_days: int = 2):
    horizon = today
    for _ in range(working_days):
        horizon = calendar.next_working_day(horizon + timedelta(days=1))
    return horizon


def due_soon_reminders(now: datetime) -> dict:
    """Queue one e-mail per agency listing its open appeals due within two working days."""
    today = deadlines.local_date(now)
    horizon = due_soon_horizon(today, calendars.current_calendar())
    counts = {"agencies": 0, "queued": 0, "appeals": 0}
    for agency in AgencyModel.scan():
        if not agency.active:
            continue
        counts["agencies"] += 1
        due = [
            (appeal.appeal_id, appeal.due_date)
            for appeal in AppealModel.inbox_index.query(
                f"{agency.agency_id}#open",
                range_key_condition=AppealModel.inbox_due.between(today.isoformat(), f"{horizon.isoformat()}#~"),
            )
        ]
        if not due:
            continue
        counts["appeals"] += len(due)
        if outbox.queue(notices.due_soon_notice(agency, today.isoformat(), due, now)):
            counts["queued"] += 1
    logger.info("due_soon_reminders now=%s agencies=%s queued=%s appeals=%s", now.isoformat(),
                counts["agencies"], counts["queued"], counts["appeals"])
    return counts


def recompute_open_appeals(now: datetime, calendar: deadlines.Calendar, actor: str) -> dict:
    """Recompute the due dates of open appeals computed with an older calendar version.

    Closed appeals keep theirs. Each moved due date is an event on the appeal.
    """
    counts = {"checked": 0, "moved": 0, "unchanged": 0, "conflicts": 0}
    for agency in AgencyModel.scan():
        for appeal in AppealModel.inbox_index.query(f"{agency.agency_id}#open"):
            counts["checked"] += 1
            if appeal.due_basis.get("calendar_version") == calendar.version:
                counts["unchanged"] += 1
                continue
            due = due_for(appeal, calendar)
            previous = appeal.due_date
            if due.due_date.isoformat() == previous:
                # Nothing moved; the next run checks it again at no write cost.
                counts["unchanged"] += 1
                continue
            appeal.due_date = due.due_date.isoformat()
            appeal.due_basis = due.basis
            try:
                appeals.commit_change(
                    appeal,
                    event_type="due_date_recomputed",
                    payload={"previous_due_date": previous, "due_date": appeal.due_date,
                             "calendar_version": calendar.version},
                    actor=actor,
                    now=now,
                )
            except Conflict:
                counts["conflicts"] += 1
                continue
            counts["moved"] += 1
    logger.info("recompute_open_appeals version=%s checked=%s moved=%s conflicts=%s", calendar.version,
                counts["checked"], counts["moved"], counts["conflicts"])
    return counts
