"""No log line and no standard output carries a citizen's personal data, an access code or an API key.

The whole lifecycle runs through the Chalice test client with recognisable
values while a handler records every logger's output: ours at DEBUG, and
botocore and PynamoDB at INFO, because botocore's DEBUG logs contain request
bodies by design.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import bearer, post_json

FULL_NAME = "Zzyzx Qwertyuiop"
ADDRESS = "Xylofonobod tumani, Qwertyuiop ko'chasi 777-uy"
EMAIL = "zzyzx.qwertyuiop@example.org"
PHONE = "+998 90 777 31 13"
PHONE_DIGITS = "907773113"
TEXT = "Zzyzx murojaati: Marmaladka ko'prigi qulab tushdi."
COMMENT = "Zzyzx izohi: javob krokodilcha edi."
ANSWER = "Zzyzx javobi: ko'prik tiklanadi."
REASON = "Zzyzx sababi: hujjatlar kutilmoqda."


class RecordingHandler(logging.Handler):
    """Keeps the formatted text of every record it receives, with its arguments and exception."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.getMessage(), repr(vars(record))]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        self.lines.append("\n".join(parts))


OUR_LOGGERS = ["", "murojaat", "chalicelib", "app", "scripts"]
LIBRARY_LOGGERS = ["botocore", "boto3", "pynamodb", "urllib3"]


@pytest.fixture
def recorded_logs():
    handler = RecordingHandler()
    saved = {}
    for name, level in [(name, logging.DEBUG) for name in OUR_LOGGERS] + \
                       [(name, logging.INFO) for name in LIBRARY_LOGGERS]:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(level)
        logger.addHandler(handler)
    yield handler
    for name, level in saved.items():
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.setLevel(level)


def solved_captcha() -> dict:
    from chalicelib import captchas, config

    captcha_id = captchas.store_challenge("ABCDE", datetime.now(timezone.utc), config.get_settings())
    return {"captcha_id": captcha_id, "captcha_answer": "abcde"}


def submit(client, text: str = TEXT) -> dict:
    body = {
        "agency_id": "mvd",
        "kind": "complaint",
        "text": text,
        "applicant": {"full_name": FULL_NAME, "address": ADDRESS, "email": EMAIL, "phone": PHONE},
        "language": "uz",
        **solved_captcha(),
    }
    response = post_json(client, "/v1/appeals", body)
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def scheduled_event(name: str, moment: datetime) -> dict:
    return {
        "version": "0", "id": "test", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "eu-central-1",
        "resources": [f"arn:aws:events:eu-central-1:123456789012:rule/{name}"], "detail": {},
    }


def run_lifecycle(client, keys) -> list[str]:
    """Send, view, answer, read, rate, forward, extend, dismiss and run the jobs; return the secrets used."""
    import boto3

    from chalicelib import config

    boto3.client("ses", region_name="eu-central-1").verify_email_identity(
        EmailAddress=config.get_settings().mail_from)
    officer, head = bearer(keys["mvd:officer"]), bearer(keys["mvd:head"])

    created = submit(client)
    appeal_id, code = created["appeal_id"], created["access_code"]
    citizen = {"X-Access-Code": code}
    assert client.http.get(f"/v1/appeals/{appeal_id}", headers=citizen).status_code == 200
    assert client.http.get(f"/v1/appeals/{appeal_id}", headers={"X-Access-Code": code[::-1]}).status_code == 401
    assert client.http.get("/v1/agency/appeals", headers=officer).status_code == 200
    assert client.http.get(f"/v1/agency/appeals/{appeal_id}", headers=officer).status_code == 200
    assert post_json(client, f"/v1/appeals/{appeal_id}/rating", {"score": 5, "comment": COMMENT},
                     citizen).status_code == 409
    assert post_json(client, f"/v1/agency/appeals/{appeal_id}/answer", {"text": ANSWER},
                     officer).status_code == 200
    assert client.http.get(f"/v1/appeals/{appeal_id}", headers=citizen).status_code == 200
    assert post_json(client, f"/v1/appeals/{appeal_id}/rating", {"score": 2, "comment": COMMENT},
                     citizen).status_code == 201
    assert post_json(client, f"/v1/appeals/{appeal_id}/rating", {"score": 6, "comment": COMMENT},
                     citizen).status_code == 400

    second = submit(client, text=TEXT + " Ikkinchi.")
    assert post_json(client, f"/v1/agency/appeals/{second['appeal_id']}/extension", {"reason": REASON},
                     head).status_code == 200
    assert post_json(client, f"/v1/agency/appeals/{second['appeal_id']}/forward",
                     {"to_agency_id": "minjust", "reason": REASON}, officer).status_code == 200
    third = submit(client, text=TEXT + " Uchinchi.")
    assert post_json(client, f"/v1/agency/appeals/{third['appeal_id']}/dismiss",
                     {"ground": "withdrawn", "reason": REASON}, officer).status_code == 200
    reset = client.http.post(f"/v1/appeals/{appeal_id}/access-code", headers={"Content-Type": "application/json"},
                             body=b"{}")
    assert reset.status_code in (202, 429), reset.body

    created_key = post_json(client, "/v1/admin/api-keys", {"role": "officer", "agency_id": "mvd"},
                            bearer(keys["admin"]))
    assert created_key.status_code == 201
    new_key = json.loads(created_key.body)["key"]
    assert client.http.get("/v1/agency/appeals", headers=bearer(new_key)).status_code == 200
    assert client.http.get("/v1/agency/appeals", headers=bearer(new_key[:-1] + "x")).status_code == 401

    later = datetime.now(timezone.utc) + timedelta(days=60)
    for job in ("deadline_scan", "due_soon_reminders", "deliver_outbox", "stats_recompute"):
        client.lambda_.invoke(job, scheduled_event(job, later))

    return [code, second["access_code"], third["access_code"], new_key, *keys.values()]


def test_lifecycle_logs_no_personal_data(client, keys, recorded_logs, capsys):
    secrets = run_lifecycle(client, keys)
    captured = capsys.readouterr()

    logged = "\n".join(recorded_logs.lines)
    assert any(line.startswith("chalicelib.") for line in recorded_logs.lines), "no record of chalicelib captured"
    outputs = {"logs": logged, "stdout": captured.out, "stderr": captured.err}
    personal = [FULL_NAME, "Qwertyuiop", ADDRESS, EMAIL, PHONE, PHONE_DIGITS, TEXT, "Marmaladka", COMMENT,
                ANSWER, REASON]
    for where, text in outputs.items():
        for value in personal:
            assert value not in text, f"{where} contains {value!r}"
        for secret in secrets:
            assert secret not in text, f"{where} contains a secret"
            # An API key is mrj_<key id>_<secret>, and its secret may contain "_" itself.
            secret_part = secret.split("_", 2)[2] if secret.startswith("mrj_") else secret
            assert secret_part not in text, f"{where} contains a key's secret part"


def test_app_leaves_botocore_debug_off(client):
    import app  # noqa: F401  (imported for its logging setup)

    for name in LIBRARY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() > logging.DEBUG, name
