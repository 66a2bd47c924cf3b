"""Moto's AWS in process with the test stage's tables, for the benchmarks."""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from moto import mock_aws

# The same settings as the test suite's fixtures (tests/conftest.py).
ENVIRONMENT = {
    "STAGE": "test",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "TABLE_PREFIX": "murojaat-test-",
    "SITE_ORIGIN": "http://127.0.0.1:8080",
    "CAPTCHA_TEST_ANSWER": "",
}
REGION = ENVIRONMENT["AWS_DEFAULT_REGION"]
SEEDED_AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


@contextmanager
def moto_tables() -> Iterator[None]:
    """Set the test environment, start moto and create the tables and agencies; restore everything after."""
    saved = {name: os.environ.get(name) for name in (*ENVIRONMENT, "AWS_ENDPOINT_URL")}
    os.environ.update(ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            from chalicelib import config, db
            from chalicelib.agencies import seed_agencies

            db.bind(config.get_settings())
            db.create_tables()
            seed_agencies(SEEDED_AT)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
