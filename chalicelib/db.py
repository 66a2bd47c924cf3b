"""Binding of the PynamoDB models to the stage's tables, and the transaction helper.

DynamoDB transactions fail with TransactionConflict when another transaction
touches the same item, and PynamoDB does not retry that. `run_transaction`
retries it, and throttling, with jittered backoff a bounded number of times.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

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
})
MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.05

_bound_key: tuple | None = None
_connection: Connection | None = None


def bind(settings: Settings) -> None:
    """Point every model at the stage's table names, region and endpoint."""
    global _bound_key, _connection
    key = (settings.table_prefix, settings.region, settings.endpoint_url)
    if key == _bound_key:
        return
    for model in ALL_MODELS:
        short_name = getattr(model.Meta, "short_name", None) or model.Meta.table_name
        model.Meta.short_name = short_name
        model.Meta.table_name = settings.table_name(short_name)
        model.Meta.region = settings.region
        model.Meta.host = settings.endpoint_url
        model._connection = None
    _connection = None
    _bound_key = key


def connection() -> Connection:
    """Return a low-level PynamoDB connection for transactions, bound like the models."""
    global _connection
    if _connection is None:
        model = ALL_MODELS[0]
        _connection = Connection(region=model.Meta.region, host=model.Meta.host)
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


def is_retryable(exc: PynamoDBException) -> bool:
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
                logger.warning("DynamoDB still failing after %s attempts: %s", attempt, error_code(exc))
                raise ServiceUnavailable(retry_after=2) from exc
            delay = random.uniform(0, BASE_DELAY_SECONDS * 2 ** attempt)
            logger.info("Retrying after transient DynamoDB failure %s (attempt %s)", error_code(exc), attempt)
            sleep(delay)
    raise AssertionError("unreachable")


def transact(build: Callable[[TransactWrite], None]) -> None:
    """Run one DynamoDB write transaction built by `build`, with retries."""

    def attempt() -> None:
        with TransactWrite(connection=connection()) as transaction:
            build(transaction)

    with_retries(attempt)
