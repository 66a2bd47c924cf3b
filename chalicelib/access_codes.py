"""A new access code for a citizen who lost theirs, sent to the e-mail address given with the appeal.

A reset runs in these steps:
1. count the attempt against the client address's limit, then check that
   the appeal exists and has an e-mail address;
2. count it against the appeal's limit;
3. store the new code's hash with an "access_code_reset" event and queue
   the e-mail with the code, in one transaction, so the old code stops
   working exactly when the new one is queued;
4. send that e-mail at once. When SES rejects it, it stays pending and the
   deliver_outbox job, which runs every 10 minutes, sends it.
The code itself is only in the e-mail; the event and the response never
contain it.
"""
from __future__ import annotations

import logging
from datetime import datetime

from pynamodb.transactions import TransactWrite

from chalicelib import appeals, notices, outbox, rate_limits
from chalicelib.config import Settings
from chalicelib.errors import Conflict, NotFound
from chalicelib.events import format_timestamp
from chalicelib.mail import Mailer, MailError
from chalicelib.models import OutboxModel

logger = logging.getLogger(__name__)


def send_new_access_code(appeal_id: str, client_ip: str | None, now: datetime, settings: Settings,
                         mailer: Mailer | None = None) -> dict:
    """Replace the appeal's access code and e-mail the new one to the appeal's address.

    :raises NotFound: appeal_not_found for an invalid or unknown appeal id.
    :raises Conflict: no_email_on_appeal when the appeal has no e-mail address,
        conflict when the appeal changed at the same moment.
    :raises TooManyRequests: rate_limited after too many resets for the
        appeal (3 a day) or from the client's address (3 an hour).
    """
    if not appeals._is_valid_appeal_id(appeal_id):
        raise NotFound("appeal_not_found", appeal_id=appeal_id)
    if client_ip:
        rate_limits.hit(rate_limits.RESETS_PER_IP, rate_limits.ip_subject(client_ip), now)
    appeal = appeals.load_appeal(appeal_id)
    email = appeal.applicant.email
    if not email:
        raise Conflict("no_email_on_appeal", appeal_id=appeal_id)
    rate_limits.hit(rate_limits.RESETS_PER_APPEAL, appeal_id, now)

    access_code = appeals._new_access_code()
    appeal.access_code_hash = appeals._hash_access_code(appeal_id, access_code)
    message = notices.access_code_notice(
        appeal_id=appeal_id, seq=appeal.event_seq + 1, email=email, language=appeal.language,
        access_code=access_code, site_url=settings.site_url, now=now,
    )

    def queue_message(transaction: TransactWrite) -> None:
        outbox.queue_in(transaction, message)

    appeals.commit_change(appeal, event_type="access_code_reset", payload={}, actor="citizen", now=now,
                          extra=queue_message)
    logger.info("New access code queued for appeal %s as %s", appeal_id, message.outbox_id)

    _deliver_now(message, mailer or Mailer(settings), now)
    return {"sent": True}


def _deliver_now(message: OutboxModel, mailer: Mailer, now: datetime) -> None:
    """Send one queued message with the outbox's claim, so the delivery job cannot send it too."""
    # NOTE: these are the per-message steps of outbox.deliver_pending; they
    # belong in the outbox module as a function that both callers use.
    if not outbox._claim(message, now):
        return
    try:
        mailer.send(message_id=message.outbox_id, to=message.recipient, subject=message.subject,
                    text=message.body_text, html=message.body_html)
    except MailError as exc:
        message.update(actions=[OutboxModel.status.set(outbox.PENDING),
                                OutboxModel.last_error.set(str(exc)[:500])])
        logger.warning("Sending outbox message %s failed; the delivery job retries it: %s",
                       message.outbox_id, exc)
        return
    message.update(actions=[
        OutboxModel.status.set(outbox.SENT),
        OutboxModel.sent_at.set(format_timestamp(now)),
        OutboxModel.pending_shard.remove(),
    ])
