"""Binding of the PynamoDB models to the stage's tables, and the transaction helper.

DynamoDB transactions fail with TransactionConflict when another transaction
touches the same item, and PynamoDB does not retry that. `transact`
retries it, throttling and network timeouts, with jittered backoff a bounded
number of times.

A timed-out TransactWriteItems may have committed on the server, so the
attempt after a network failure sends the same ClientRequestToken: DynamoDB
returns success for a repeated token of a committed transaction and writes
nothing again (tokens are kept for 10 minutes, per the TransactWriteItems API
reference). After any answer from the server the next attempt gets a new token.
"""
from __future__ import annotations

import logging
import random
import time
import uuid
from typing import Callable, TypeVar

from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.exceptions import ReadTimeoutError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import Settings
from chalicelib.errors import ServiceUnavailable
from chalicelib.models import ALL_MODELS

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_CODES = frozenset({
    "TransactionConflict",
    "ThrottlingError",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    # A retry with the token of a transaction the server is still running.
    "TransactionInProgressException",
})
MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.05

# DynamoDB answers in milliseconds, but moto, the local endpoint, copies every
# table in each transaction and can take minutes once tables are large. A
# timed-out write that in fact committed would be retried and then reported
# as a conflict, because moto ignores ClientRequestToken, so a custom
# endpoint gets a long read timeout.
LOCAL_ENDPOINT_READ_TIMEOUT_SECONDS = 600

_bound_key: tuple | None = None
_connection: Connection | None = None
_read_timeout_seconds: int | None = None


def bind(settings: Settings) -> None:
    """Point every model at the stage's table names, region and endpoint."""
    global _bound_key, _connection, _read_timeout_seconds
    key = (settings.table_prefix, settings.region, settings.endpoint_url)
    if key == _bound_key:
        return
    _read_timeout_seconds = LOCAL_ENDPOINT_READ_TIMEOUT_SECONDS if settings.endpoint_url else None
    for model in ALL_MODELS:
        short_name = getattr(model.Meta, "short_name", None) or model.Meta.table_name
        model.Meta.short_name = short_name
        model.Meta.table_name = settings.table_name(short_name)
        model.Meta.region = settings.region
        model.Meta.host = settings.endpoint_url
        if _read_timeout_seconds is not None:
            model.Meta.read_timeout_seconds = _read_timeout_seconds
        model._connection = None
    _connection = None
    _bound_key = key


def connection() -> Connection:
    """Return a low-level PynamoDB connection for transactions, bound like the models."""
    global _connection
    if _connection is None:
        model = ALL_MODELS[0]
        options = {} if _read_timeout_seconds is None else {"read_timeout_seconds": _read_timeout_seconds}
        _connection = Connection(region=model.Meta.region, host=model.Meta.host, **options)
    return _connection


def create_tables(wait: bool = False) -> list[str]:
    """Create every table that does not exist yet; return the names created."""
    created = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=wait, billing_mode="PAY_PER_REQUEST")
            created.append(model.Meta.table_name)
    return created


def error_code(exc: PynamoDBException) -> str | None:
    return getattr(exc, "cause_response_code", None)


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Return the per-item cancellation reason codes of a cancelled transaction."""
    return [reason.code if reason else None for reason in exc.cancellation_reasons]


# Connection failures and timeouts: botocore's ConnectionError covers
# ConnectTimeoutError, EndpointConnectionError and ConnectionClosedError.
NETWORK_ERRORS = (BotocoreConnectionError, ReadTimeoutError)


def is_retryable(exc: PynamoDBException) -> bool:
    if isinstance(exc.cause, NETWORK_ERRORS):
        return True
    code = error_code(exc)
    if code in RETRYABLE_CODES:
        return True
    if isinstance(exc, TransactWriteError) and code == "TransactionCanceledException":
        codes = cancellation_codes(exc)
        # Retry only when no item failed its condition; a failed condition is
        # the caller's business (a conflict or a wrong state), not a transient fault.
        return bool(codes) and "ConditionalCheckFailed" not in codes and any(
            code in RETRYABLE_CODES for code in codes
        )
    return False


def failure_name(exc: PynamoDBException) -> str:
    """Return DynamoDB's error code, or the botocore exception's name for a network failure."""
    return error_code(exc) or type(exc.cause).__name__


def with_retries(operation: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `operation`, retrying transient DynamoDB failures with jittered backoff.

    :raises ServiceUnavailable: when every attempt failed transiently.
    :raises PynamoDBException: any non-transient failure, unchanged.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return operation()
        except PynamoDBException as exc:
            if not is_retryable(exc):
                raise
            if attempt == MAX_ATTEMPTS:
                logger.warning("DynamoDB still failing after %s attempts: %s", attempt, failure_name(exc))
                raise ServiceUnavailable(retry_after=2) from exc
            delay = random.uniform(0, BASE_DELAY_SECONDS * 2 ** attempt)
            logger.info("Retrying after transient DynamoDB failure %s (attempt %s)", failure_name(exc), attempt)
            sleep(delay)
    raise AssertionError("unreachable")


def transact(build: Callable[[TransactWrite], None]) -> None:
    """Run one DynamoDB write transaction built by `build`, with retries.

    `build` must add the same items on every attempt, because an attempt after
    a network failure repeats the previous attempt's ClientRequestToken.
    """
    # NOTE: moto 5.2.5 ignores ClientRequestToken, so there a retry after a
    # timeout that had committed fails its conditions and the caller sees 409.
    token = str(uuid.uuid4())

    def attempt() -> None:
        nonlocal token
        try:
            with TransactWrite(connection=connection(), client_request_token=token) as transaction:
                build(transaction)
        except PynamoDBException as exc:
            if not isinstance(exc.cause, NETWORK_ERRORS):
                # The server answered, so this attempt did not commit.
                token = str(uuid.uuid4())
            raise

    with_retries(attempt)
