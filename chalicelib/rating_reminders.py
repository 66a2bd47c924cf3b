"""One reminder to rate an answer that the citizen read but did not rate within REMINDER_DELAY.

appeals._set_index_keys puts an appeal into the sparse rating-reminder-index
when its answer is read, and takes it out when it is rated. The daily job:
1. queries the index for answers read before now - REMINDER_DELAY;
2. for each appeal, in one transaction conditional on its event_seq being
   unchanged, records `rating_reminded_at`, removes the index attributes and,
   when the appeal has an e-mail address, queues the reminder. Appeals without
   an e-mail address only leave the index;
3. sends the queued messages.
A reminder is not an event of the appeal, so it adds nothing to its history.
An appeal that changed during the run is left in the index for the next run.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import appeals, db, notices, outbox
from chalicelib.config import Settings
from chalicelib.events import format_timestamp
from chalicelib.models import AppealModel

logger = logging.getLogger(__name__)

REMINDER_DELAY = timedelta(days=3)
MAX_REMINDERS_PER_RUN = 1_000


def send_rating_reminders(now: datetime, settings: Settings) -> dict:
    """Queue the reminders that are due at `now` and return counts by outcome."""
    cutoff = format_timestamp(now - REMINDER_DELAY)
    counts = {"reminded": 0, "without_email": 0, "conflicts": 0}
    due = AppealModel.rating_reminder_index.query(
        appeals.REMINDER_SHARD,
        range_key_condition=AppealModel.reminder_read_at < cutoff,
        limit=MAX_REMINDERS_PER_RUN,
    )
    for appeal in due:
        outcome = _remind(appeal, now, settings)
        counts[outcome] += 1
    logger.info("Rating reminders at %s: %s", format_timestamp(now), counts)
    return counts


def _remind(appeal: AppealModel, now: datetime, settings: Settings) -> str:
    email = appeal.applicant.email
    message = None
    if email:
        message = notices.rating_reminder_notice(
            appeal_id=appeal.appeal_id, email=email, language=appeal.language,
            agency_id=appeal.agency_id, site_url=settings.site_url, now=now,
        )

    def build(transaction: TransactWrite) -> None:
        unchanged = AppealModel.event_seq == appeal.event_seq
        transaction.update(
            AppealModel(appeal.appeal_id),
            actions=[
                AppealModel.rating_reminded_at.set(format_timestamp(now)),
                AppealModel.reminder_shard.remove(),
                AppealModel.reminder_read_at.remove(),
            ],
            condition=unchanged,
        )
        if message is not None:
            outbox.queue_in(transaction, message)

    try:
        db.transact(build)
    except TransactWriteError as exc:
        if "ConditionalCheckFailed" in db.cancellation_codes(exc):
            logger.info("Appeal %s changed during the rating reminder; it is tried again next run",
                        appeal.appeal_id)
            return "conflicts"
        raise
    return "reminded" if message is not None else "without_email"
