"""The e-mail outbox: messages queued inside transactions and sent afterwards.

A message is queued as an OutboxModel item in the same transaction as the
change it reports, under an id that names that change, so it is queued exactly
once. `deliver_pending` then sends it:
1. claim the item (pending -> sending) with a conditional update,
2. hand it to SES,
3. mark it sent, or put it back to pending with the error for the next run.
A claim older than CLAIM_TIMEOUT counts as abandoned by a crashed run, and
another run may send the message again; a crash between steps 2 and 3 is the
one case that can send a message twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.events import format_timestamp
from chalicelib.mail import Mailer, MailError
from chalicelib.models import OutboxModel

logger = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
PENDING_SHARD = "pending"
CLAIM_TIMEOUT = timedelta(minutes=15)
MAX_ATTEMPTS = 8


def new_message(outbox_id: str, *, kind: str, recipient: str, language: str, subject: str,
                text: str, html: str | None, now: datetime) -> OutboxModel:
    return OutboxModel(
        outbox_id,
        kind=kind,
        recipient=recipient,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        status=PENDING,
        attempts=0,
        created_at=format_timestamp(now),
        pending_shard=PENDING_SHARD,
    )


def queue_in(transaction: TransactWrite, message: OutboxModel) -> None:
    """Add `message` to `transaction`; the transaction fails if the id was queued before."""
    transaction.save(message, condition=OutboxModel.outbox_id.does_not_exist())


def queue(message: OutboxModel) -> bool:
    """Queue `message` on its own; return False when a message with its id exists already."""
    from pynamodb.exceptions import PutError

    try:
        message.save(condition=OutboxModel.outbox_id.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _claim(message: OutboxModel, now: datetime) -> bool:
    stale_before = format_timestamp(now - CLAIM_TIMEOUT)
    claimable = (OutboxModel.status == PENDING) | (
        (OutboxModel.status == SENDING) & (OutboxModel.claimed_at < stale_before)
    )
    try:
        message.update(
            actions=[OutboxModel.status.set(SENDING), OutboxModel.claimed_at.set(format_timestamp(now)),
                     OutboxModel.attempts.add(1)],
            condition=claimable,
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def deliver_pending(mailer: Mailer, now: datetime, *, limit: int = 500) -> dict:
    """Send up to `limit` waiting messages, oldest first; return counts by outcome."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for message in OutboxModel.pending_index.query(PENDING_SHARD, limit=limit):
        if not _claim(message, now):
            counts["skipped"] += 1
            continue
        try:
            mailer.send(message_id=message.outbox_id, to=message.recipient, subject=message.subject,
                        text=message.body_text, html=message.body_html)
        except MailError as exc:
            gave_up = message.attempts >= MAX_ATTEMPTS
            message.update(actions=[
                OutboxModel.status.set(FAILED if gave_up else PENDING),
                OutboxModel.last_error.set(str(exc)[:500]),
                OutboxModel.pending_shard.remove() if gave_up else OutboxModel.pending_shard.set(PENDING_SHARD),
            ])
            logger.warning("Sending outbox message %s failed (attempt %s): %s",
                           message.outbox_id, message.attempts, exc)
            counts["failed"] += 1
            continue
        message.update(actions=[
            OutboxModel.status.set(SENT),
            OutboxModel.sent_at.set(format_timestamp(now)),
            OutboxModel.pending_shard.remove(),
        ])
        counts["sent"] += 1
    return counts
