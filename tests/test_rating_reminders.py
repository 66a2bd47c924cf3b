"""The one reminder to rate an answer that was read but not rated."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import access_codes, appeals, config, jobs, rating_reminders
from chalicelib.auth import Principal
from chalicelib.models import AppealModel, OutboxModel

TASHKENT = timezone(timedelta(hours=5))
OFFICER = Principal("officer0000000001", "officer", "mvd")
SUBMITTED = datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT)
ANSWERED = datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT)
READ = datetime(2026, 3, 6, 18, 0, tzinfo=TASHKENT)
EMAIL = "dilnoza@example.uz"


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def read_answer(*, email: str | None = EMAIL, language: str = "uz") -> dict:
    """Register an appeal, answer it and read the answer at READ; return the registration."""
    applicant = {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"}
    if email:
        applicant["email"] = email
    body = {"agency_id": "mvd", "kind": "application", "text": f"Murojaat matni ({uuid.uuid4().hex[:8]}).", "applicant": applicant,
            "language": language}
    created = appeals.submit_appeal(body, SUBMITTED, config.get_settings(), no_captcha)
    appeals.answer_appeal(OFFICER, created["appeal_id"], {"text": "Javob."}, ANSWERED, config.get_settings())
    appeals.view_for_citizen(created["appeal_id"], created["access_code"], READ, "uz")
    return created


def run(now: datetime) -> dict:
    return rating_reminders.send_rating_reminders(now, config.get_settings())


def reminders() -> list[OutboxModel]:
    return [item for item in OutboxModel.scan() if item.kind == "rating_reminder"]


def test_reading_answer_enters_index(tables):
    created = read_answer()

    appeal = AppealModel.get(created["appeal_id"])
    assert appeal.reminder_shard == appeals.REMINDER_SHARD
    assert appeal.reminder_read_at.endswith(f"#{created['appeal_id']}")


def test_unread_answer_is_not_indexed(tables):
    created = appeals.submit_appeal(
        {"agency_id": "mvd", "kind": "application", "text": "Matn.", "language": "uz",
         "applicant": {"full_name": "Aliyev Vali", "address": "Toshkent", "email": EMAIL}},
        SUBMITTED, config.get_settings(), no_captcha)
    appeals.answer_appeal(OFFICER, created["appeal_id"], {"text": "Javob."}, ANSWERED, config.get_settings())

    assert AppealModel.get(created["appeal_id"]).reminder_shard is None


def test_no_reminder_before_three_days(tables):
    read_answer()

    counts = run(READ + timedelta(days=3) - timedelta(minutes=1))

    assert counts == {"reminded": 0, "without_email": 0, "conflicts": 0}
    assert reminders() == []


def test_reminder_sent_once(tables):
    created = read_answer()

    first = run(READ + timedelta(days=3, hours=1))
    second = run(READ + timedelta(days=4, hours=1))

    assert first["reminded"] == 1
    assert second["reminded"] == 0
    sent = reminders()
    assert [item.outbox_id for item in sent] == [f"rate-reminder#{created['appeal_id']}"]
    assert sent[0].recipient == EMAIL
    appeal = AppealModel.get(created["appeal_id"])
    assert appeal.reminder_shard is None
    assert appeal.rating_reminded_at is not None


def test_reminder_has_link_and_no_code(tables):
    created = read_answer(language="ru")

    run(READ + timedelta(days=3, hours=1))

    message = reminders()[0]
    assert message.language == "ru"
    assert f"/follow.html?id={created['appeal_id']}" in message.body_text
    assert created["access_code"] not in message.body_text
    assert "Оцените" in message.subject


def test_rated_appeal_gets_no_reminder(tables):
    created = read_answer()
    appeals.rate_answer(created["appeal_id"], created["access_code"], {"score": 4}, READ + timedelta(days=1))

    counts = run(READ + timedelta(days=3, hours=1))

    assert counts["reminded"] == 0
    assert reminders() == []
    assert AppealModel.get(created["appeal_id"]).reminder_shard is None


def test_reminded_appeal_does_not_reenter_index(tables):
    created = read_answer()
    run(READ + timedelta(days=3, hours=1))

    # A later change of the appeal recomputes the index keys.
    appeals.rate_answer(created["appeal_id"], created["access_code"], {"score": 2}, READ + timedelta(days=5))

    assert AppealModel.get(created["appeal_id"]).reminder_shard is None


def test_appeal_without_email_leaves_index(tables):
    created = read_answer(email=None)

    counts = run(READ + timedelta(days=3, hours=1))

    assert counts == {"reminded": 0, "without_email": 1, "conflicts": 0}
    assert reminders() == []
    assert AppealModel.get(created["appeal_id"]).reminder_shard is None


def test_changed_appeal_is_left_for_next_run(tables):
    created = read_answer()
    stale = next(iter(AppealModel.rating_reminder_index.query(appeals.REMINDER_SHARD)))
    # A new access code is a change that keeps the appeal waiting for a reminder.
    access_codes.send_new_access_code(created["appeal_id"], None, READ + timedelta(days=1), config.get_settings())

    outcome = rating_reminders._remind(stale, READ + timedelta(days=3, hours=1), config.get_settings())

    assert outcome == "conflicts"
    assert reminders() == []
    assert AppealModel.get(created["appeal_id"]).reminder_shard == appeals.REMINDER_SHARD


def test_job_sends_reminder_mail(tables, tmp_path, monkeypatch):
    monkeypatch.setenv("MAIL_DIR", str(tmp_path))
    boto3.client("ses", region_name="eu-central-1").verify_email_identity(
        EmailAddress=config.get_settings().mail_from)
    created = read_answer()

    counts = jobs.run("rating-reminders", READ + timedelta(days=3, hours=1))

    assert counts["reminded"] == 1
    assert counts["mail"]["sent"] >= 1
    assert list(tmp_path.glob(f"rate-reminder_{created['appeal_id']}.eml"))


@pytest.mark.parametrize("language", ["uz", "uz-Cyrl", "ru", "en"])
def test_reminder_template_in_every_language(tables, language):
    read_answer(language=language)

    run(READ + timedelta(days=3, hours=1))

    message = reminders()[0]
    assert message.language == language
    assert message.subject
    assert "{" not in message.body_text
