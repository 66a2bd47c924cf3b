"""A new access code by e-mail: POST /v1/appeals/{appeal_id}/access-code and its limits."""
from __future__ import annotations

import email
import json
import uuid
import re
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import access_codes, appeals, config, outbox
from chalicelib.errors import Conflict, NotFound, TooManyRequests
from chalicelib.models import AppealEventModel, OutboxModel
from tests.conftest import post_json

CODE_PATTERN = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{1,4})+")
EMAIL = "dilnoza@example.uz"


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def register(now: datetime, *, email_address: str | None = EMAIL, language: str = "ru") -> dict:
    applicant = {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"}
    if email_address:
        applicant["email"] = email_address
    body = {"agency_id": "mvd", "kind": "application", "text": f"Murojaat matni ({uuid.uuid4().hex[:8]}).", "applicant": applicant,
            "language": language}
    return appeals.submit_appeal(body, now, config.get_settings(), no_captcha)


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MAIL_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def ses(aws):
    boto3.client("ses", region_name="eu-central-1").verify_email_identity(
        EmailAddress=config.get_settings().mail_from)


def new_code_from_mail(mail_dir, appeal_id: str) -> tuple[str, email.message.Message]:
    files = sorted(mail_dir.glob(f"access-code_{appeal_id}_*.eml"))
    assert len(files) == 1, [path.name for path in mail_dir.iterdir()]
    message = email.message_from_bytes(files[0].read_bytes())
    text = message.get_payload(decode=True).decode("utf-8")
    found = CODE_PATTERN.findall(text)
    assert len(found) == 1, text
    return found[0], message


def view(client, appeal_id: str, code: str):
    return client.http.get(f"/v1/appeals/{appeal_id}", headers={"X-Access-Code": code})


def reset(client, appeal_id: str):
    return post_json(client, f"/v1/appeals/{appeal_id}/access-code", {})


def error_of(response) -> dict:
    return json.loads(response.body)["error"]


# ---------------------------------------------------------------- the route

def test_reset_replaces_code_and_mails_new_one(client, ses, mail_dir):
    created = register(datetime.now(timezone.utc))
    appeal_id = created["appeal_id"]

    response = reset(client, appeal_id)

    assert response.status_code == 202
    assert json.loads(response.body) == {"sent": True}
    new_code, message = new_code_from_mail(mail_dir, appeal_id)
    assert message["To"] == EMAIL
    assert new_code != created["access_code"]
    assert view(client, appeal_id, created["access_code"]).status_code == 401
    assert view(client, appeal_id, new_code).status_code == 200


def test_reset_mail_is_in_appeal_language(client, ses, mail_dir):
    created = register(datetime.now(timezone.utc), language="uz-Cyrl")

    reset(client, created["appeal_id"])

    _, message = new_code_from_mail(mail_dir, created["appeal_id"])
    text = message.get_payload(decode=True).decode("utf-8")
    assert "Янги кириш коди" in text
    assert f"follow.html?id={created['appeal_id']}" in text


def test_reset_event_and_response_omit_code(client, ses, mail_dir):
    created = register(datetime.now(timezone.utc))
    appeal_id = created["appeal_id"]

    response = reset(client, appeal_id)

    new_code, _ = new_code_from_mail(mail_dir, appeal_id)
    events = list(AppealEventModel.query(appeal_id))
    assert events[-1].type == "access_code_reset"
    assert new_code not in events[-1].payload
    assert new_code not in response.body.decode("utf-8")
    stored = appeals.load_appeal(appeal_id)
    assert [entry["type"] for entry in stored.timeline][-1] == "access_code_reset"


def test_reset_outbox_id_names_event(client, ses, mail_dir):
    created = register(datetime.now(timezone.utc))

    reset(client, created["appeal_id"])

    message = OutboxModel.get(f"access-code#{created['appeal_id']}#000002")
    assert message.kind == "access_code"
    assert message.status == "sent"


def test_reset_without_email_is_409(client):
    created = register(datetime.now(timezone.utc), email_address=None)

    response = reset(client, created["appeal_id"])

    assert response.status_code == 409
    assert error_of(response)["code"] == "no_email_on_appeal"
    assert created["appeal_id"] in error_of(response)["message"]
    assert view(client, created["appeal_id"], created["access_code"]).status_code == 200


@pytest.mark.parametrize("appeal_id", ["2026-999999", "not-an-id", "2026-00001"])
def test_reset_unknown_or_invalid_appeal_is_404(client, appeal_id):
    response = reset(client, appeal_id)

    assert response.status_code == 404
    assert error_of(response)["code"] == "appeal_not_found"


def test_reset_accepts_empty_body(client, ses, mail_dir):
    created = register(datetime.now(timezone.utc))

    response = client.http.post(f"/v1/appeals/{created['appeal_id']}/access-code")

    assert response.status_code == 202


def test_reset_preflight_allows_site_origin(client):
    response = client.http.request("OPTIONS", "/v1/appeals/2026-000001/access-code")

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_fourth_reset_from_one_address_is_429(client, ses, mail_dir):
    now = datetime.now(timezone.utc)
    created = [register(now + timedelta(seconds=index))["appeal_id"] for index in range(4)]

    statuses = [reset(client, appeal_id).status_code for appeal_id in created]

    assert statuses == [202, 202, 202, 429]
    last = reset(client, created[3])
    assert int(last.headers["Retry-After"]) >= 1
    assert error_of(last)["code"] == "rate_limited"


# ---------------------------------------------------------------- the domain

def test_fourth_reset_of_one_appeal_is_429(tables, ses, mail_dir):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    appeal_id = register(now)["appeal_id"]
    settings = config.get_settings()

    for index in range(3):
        access_codes.send_new_access_code(appeal_id, f"10.0.0.{index}", now + timedelta(minutes=index), settings)
    with pytest.raises(TooManyRequests) as raised:
        access_codes.send_new_access_code(appeal_id, "10.0.0.9", now + timedelta(minutes=5), settings)

    # The appeal's window is the UTC day, so the limit lifts at midnight.
    assert raised.value.headers["Retry-After"] == str(int(timedelta(hours=11, minutes=55).total_seconds()))
    next_day = now + timedelta(hours=12)
    assert access_codes.send_new_access_code(appeal_id, "10.0.0.9", next_day, settings) == {"sent": True}


def test_reset_without_email_queues_nothing(tables):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    appeal_id = register(now, email_address=None)["appeal_id"]

    with pytest.raises(Conflict):
        access_codes.send_new_access_code(appeal_id, "10.0.0.1", now, config.get_settings())

    assert [item.outbox_id for item in OutboxModel.scan() if item.kind == "access_code"] == []


def test_reset_of_unknown_appeal_raises_not_found(tables):
    with pytest.raises(NotFound):
        access_codes.send_new_access_code("2026-000077", "10.0.0.1", datetime.now(timezone.utc),
                                          config.get_settings())


def test_failed_immediate_send_leaves_message_pending(tables, mail_dir):
    # No verified SES identity, so moto rejects the message and the job sends it later.
    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    appeal_id = register(now)["appeal_id"]

    result = access_codes.send_new_access_code(appeal_id, "10.0.0.1", now, config.get_settings())

    assert result == {"sent": True}
    message = OutboxModel.get(f"access-code#{appeal_id}#000002")
    assert message.status == "pending"
    assert message.attempts == 1


def test_reset_mail_sent_despite_outbox_backlog(tables, ses, mail_dir):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    for index in range(15):
        outbox.queue(outbox.new_message(f"backlog#{index}", kind="test", recipient="x@example.uz", language="uz",
                                        subject="s", text="t", html=None, now=now - timedelta(hours=1)))
    appeal_id = register(now)["appeal_id"]

    access_codes.send_new_access_code(appeal_id, "10.0.0.1", now, config.get_settings())

    new_code_from_mail(mail_dir, appeal_id)
    assert OutboxModel.get("backlog#0").status == "pending"
