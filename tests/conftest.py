"""Shared fixtures: moto's AWS in process, tables built from the models, the Chalice test client."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest
from moto import mock_aws

TEST_ENVIRONMENT = {
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


@pytest.fixture
def aws(monkeypatch):
    """Moto's in-process AWS with the test stage's environment; yields nothing else."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def tables(aws):
    from chalicelib import config, db
    from chalicelib.agencies import seed_agencies

    from chalicelib.appeals import clear_agency_cache

    db.bind(config.get_settings())
    clear_agency_cache()
    db.create_tables()
    seed_agencies(datetime(2026, 3, 1, tzinfo=timezone.utc))
    yield


@pytest.fixture
def client(tables):
    from chalice.test import Client

    import app as app_module

    with Client(app_module.app, stage_name="test") as test_client:
        yield test_client


@pytest.fixture
def keys(tables):
    """An admin key and officer and head keys for two agencies."""
    from chalicelib.auth import create_key

    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    result = {"admin": create_key("admin", None, now)["key"]}
    for agency_id in ("mvd", "minjust"):
        for role in ("officer", "head"):
            result[f"{agency_id}:{role}"] = create_key(role, agency_id, now)["key"]
    return result


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def post_json(client, path, body, headers=None):
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return client.http.post(path, headers=all_headers, body=json.dumps(body))
