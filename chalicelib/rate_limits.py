"""Fixed-window rate limits kept in DynamoDB, for the public routes that guess or send secrets.

A limit allows `max_count` attempts per subject (an appeal id or a client IP
address) in each window of `window` length, counted from the Unix epoch. So a
client may make up to twice `max_count` attempts around a window boundary.
Each attempt is one atomic ADD on the window's item, conditional on the count
being below the limit, so concurrent requests cannot push it past the limit.
Client IP addresses are stored only as SHA-256 digests.

A route that ends in a write transaction need not read the window's item
first: `Guard.add_to` puts the same "below the limit" condition into the
transaction as a ConditionCheck. PynamoDB sends ConditionChecks before the
other items, so the guard's cancellation reason comes first.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import TooManyRequests
from chalicelib.events import format_timestamp
from chalicelib.models import RateLimitModel


class Limit(NamedTuple):
    name: str
    max_count: int
    window: timedelta


# A wrong access code counts against both the appeal and the client's address.
# An access code has 96 random bits, so guessing one is hopeless even without
# a limit. The limits stop scripted scans and keep their cost bounded. The
# appeal's count is kept on the appeal item (see appeals._check_access).
WRONG_CODES_PER_APPEAL = Limit("wrong-code-appeal", 10, timedelta(hours=1))
WRONG_CODES_PER_IP = Limit("wrong-code-ip", 30, timedelta(hours=1))
# Each reset sends an e-mail, so resets are limited to keep the portal from
# being used to flood a citizen's mailbox.
RESETS_PER_APPEAL = Limit("code-reset-appeal", 3, timedelta(hours=24))
RESETS_PER_IP = Limit("code-reset-ip", 3, timedelta(hours=1))
# A captcha is single-use, so each guess costs a new picture; this limit caps
# how many wrong answers one address may send, which bounds an OCR brute force.
WRONG_CAPTCHAS_PER_IP = Limit("wrong-captcha-ip", 30, timedelta(hours=1))


def ip_subject(client_ip: str) -> str:
    """Return the subject under which a client IP address is counted: its SHA-256, never the address."""
    return "ip:" + hashlib.sha256(client_ip.encode("utf-8")).hexdigest()


def _window(limit: Limit, now: datetime) -> tuple[datetime, datetime]:
    seconds = int(limit.window.total_seconds())
    start_epoch = int(now.timestamp()) // seconds * seconds
    start = datetime.fromtimestamp(start_epoch, tz=timezone.utc)
    return start, start + limit.window


def _key(limit: Limit, subject: str, start: datetime) -> str:
    return f"{limit.name}#{subject}#{int(start.timestamp())}"


def _retry_after(end: datetime, now: datetime) -> int:
    return max(1, math.ceil((end - now).total_seconds()))


def _below_limit(limit: Limit):
    return RateLimitModel.count.does_not_exist() | (RateLimitModel.count < limit.max_count)


class Guard(NamedTuple):
    """A limit to be checked inside a write transaction instead of by a read before it."""

    limit: Limit
    subject: str
    now: datetime

    @property
    def key(self) -> str:
        return _key(self.limit, self.subject, _window(self.limit, self.now)[0])

    def add_to(self, transaction: TransactWrite) -> None:
        """Make `transaction` fail unless the subject is still below the limit; count nothing."""
        # A missing item passes, because attribute_not_exists is true for each of its attributes.
        transaction.condition_check(RateLimitModel, self.key, condition=_below_limit(self.limit))

    def error(self) -> TooManyRequests:
        """Return the error for a transaction that this guard cancelled."""
        return too_many(self.limit, self.now)


def window_id(limit: Limit, now: datetime) -> str:
    """Return a name of the window of `limit` that contains `now`, for counts kept on other items."""
    return format_timestamp(_window(limit, now)[0])


def too_many(limit: Limit, now: datetime) -> TooManyRequests:
    """Return the 429 for `limit` used up at `now`, with Retry-After until the window ends."""
    return TooManyRequests(_retry_after(_window(limit, now)[1], now))


def hit(limit: Limit, subject: str, now: datetime) -> int:
    """Count one attempt of `subject` against `limit` and return the window's count after it.

    :raises TooManyRequests: rate_limited, when the window's count has reached
        the limit already; the attempt is then not counted.
    """
    start, end = _window(limit, now)
    item = RateLimitModel(_key(limit, subject, start))
    below_limit = _below_limit(limit)
    try:
        item.update(
            actions=[
                RateLimitModel.count.add(1),
                RateLimitModel.window_start.set(format_timestamp(start)),
                # Kept a day past the window's end, so that the item outlives
                # any clock difference between Lambda and DynamoDB.
                RateLimitModel.expires_at.set(end + timedelta(days=1)),
            ],
            condition=below_limit,
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise TooManyRequests(_retry_after(end, now)) from None
        raise
    return int(item.count)
