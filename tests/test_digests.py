"""Weekly digests: recipients, figures, idempotency, retries, catch-up, escaping and the routes."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from chalicelib import appeals, config, digests
from chalicelib.auth import Principal
from chalicelib.mail import Mailer
from chalicelib.models import AdminRecipientModel, AgencyModel, OutboxModel
from chalicelib.recipients import create_recipient
from tests.conftest import bearer, post_json
from tests.test_deadline_actions import scheduled_event

TASHKENT = timezone(timedelta(hours=5))
ROOT = Path(__file__).resolve().parent.parent
# ISO week 2026-W15 runs from Monday 6 April to Sunday 12 April 2026.
WEEK = "2026-W15"
WEEK_START = datetime(2026, 4, 6, 10, 0, tzinfo=TASHKENT)
# The scheduled run: Monday 13 April, 09:00 in Tashkent.
RUN_AT = datetime(2026, 4, 13, 9, 0, tzinfo=TASHKENT)


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def officer(agency_id: str) -> Principal:
    return Principal("officer0000000001", "officer", agency_id)


def register(now: datetime, agency_id: str) -> dict:
    body = {
        "agency_id": agency_id,
        "kind": "complaint",
        "text": "Koʻchamizdagi chiroqlar yonmayapti.",
        "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
        "language": "uz",
    }
    return appeals.submit_appeal(body, now, config.get_settings(), no_captcha)


def answer_and_rate(created: dict, agency_id: str, answered_at: datetime, score: int, comment: str) -> None:
    appeals.answer_appeal(officer(agency_id), created["appeal_id"], {"text": "Javob."}, answered_at,
                          config.get_settings())
    appeals.view_for_citizen(created["appeal_id"], created["access_code"], answered_at, "uz")
    appeals.rate_answer(created["appeal_id"], created["access_code"], {"score": score, "comment": comment},
                        answered_at)


class FailingSes:
    """An SES client whose every send fails, as when SES is unreachable."""

    def __init__(self) -> None:
        self.calls = 0

    def send_raw_email(self, **_kwargs):
        self.calls += 1
        raise ConnectionError("SES endpoint unreachable")


@pytest.fixture
def ses(tables):
    boto3.client("ses", region_name="eu-central-1").verify_domain_identity(Domain="murojaat.example.org")


@pytest.fixture
def admins(tables):
    english = create_recipient({"name": "Aziz Nazarov", "email": "aziz@gov.example.uz", "language": "en"},
                               WEEK_START)
    russian = create_recipient({"name": "Olga Kim", "email": "olga@gov.example.uz", "language": "ru"},
                               WEEK_START)
    return english, russian


@pytest.fixture
def activity(tables):
    """Three appeals to mvd and one to minjust in the week. mvd completes two, rated 5 and 1."""
    mvd = [register(WEEK_START + timedelta(hours=hour), "mvd") for hour in range(3)]
    minjust = register(WEEK_START, "minjust")
    answer_and_rate(mvd[0], "mvd", WEEK_START + timedelta(days=2), 5, "Rahmat.")
    answer_and_rate(mvd[1], "mvd", WEEK_START + timedelta(days=3), 1, "<script>alert(1)</script>")
    return {"mvd": mvd, "minjust": minjust}


def real_mailer() -> Mailer:
    return Mailer(config.get_settings())


def digest_items(week: str = WEEK) -> dict[str, OutboxModel]:
    return {item.outbox_id: item for item in OutboxModel.scan(OutboxModel.outbox_id.startswith(f"digest#{week}#"))}


def head_item(agency_id: str, week: str = WEEK) -> OutboxModel:
    return OutboxModel.get(f"digest#{week}#head-{agency_id}")


def active_agency_count() -> int:
    return sum(1 for agency in AgencyModel.scan() if agency.active)


# ---------------------------------------------------------------- weeks

@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 4, 13, 9, 0, tzinfo=TASHKENT), "2026-W15"),
    (datetime(2026, 4, 13, 0, 0, tzinfo=TASHKENT), "2026-W15"),
    (datetime(2026, 4, 12, 23, 59, tzinfo=TASHKENT), "2026-W14"),
    # 19:30 UTC on Sunday is already Monday 00:30 in Tashkent.
    (datetime(2026, 4, 12, 19, 30, tzinfo=timezone.utc), "2026-W15"),
    (datetime(2026, 1, 5, 9, 0, tzinfo=TASHKENT), "2026-W01"),
    (datetime(2027, 1, 4, 9, 0, tzinfo=TASHKENT), "2026-W53"),
])
def test_previous_full_week_in_tashkent(now, expected):
    assert digests.previous_full_week(now).label == expected


@pytest.mark.parametrize("text", ["2026-W54", "2026-15", "W15", "2026-W1", "2026-W00", "next"])
def test_parse_week_rejects_malformed(text):
    with pytest.raises(digests.BadRequest) as raised:
        digests.parse_week(text, RUN_AT)
    assert raised.value.field == "week"


# ---------------------------------------------------------------- the weekly job

def test_week_sends_one_digest_per_recipient(ses, admins, activity):
    counts = digests.weekly_digest(RUN_AT, real_mailer())

    items = digest_items()
    english, russian = admins
    assert counts["weeks"] == [WEEK]
    assert len(items) == 2 + active_agency_count()
    assert counts["mail"]["sent"] == len(items)
    assert all(item.status == "sent" for item in items.values())
    assert items[f"digest#{WEEK}#{english['recipient_id']}"].recipient == "aziz@gov.example.uz"
    assert items[f"digest#{WEEK}#{russian['recipient_id']}"].language == "ru"


def test_admin_digest_figures(ses, admins, activity):
    digests.weekly_digest(RUN_AT, real_mailer())

    text = OutboxModel.get(f"digest#{WEEK}#{admins[0]['recipient_id']}").body_text
    assert "Week 2026-W15: 2026-04-06 to 2026-04-12" in text
    assert "- Appeals received: 4 / 0 / +4" in text
    assert "- Appeals completed: 2 / 0 / +2" in text
    assert "- Mean score (1 to 5): 3.00 / — / —" in text
    assert "- Rated answers among those read: 100.0 % / — / —" in text
    assert "Ministry of Internal Affairs of the Republic of Uzbekistan: 3" in text
    assert "sent late" not in text


def test_admin_digest_in_russian(ses, admins, activity):
    digests.weekly_digest(RUN_AT, real_mailer())

    item = OutboxModel.get(f"digest#{WEEK}#{admins[1]['recipient_id']}")
    assert item.subject == "Еженедельная сводка по обращениям за 2026-W15"
    assert "- Поступило обращений: 4 / 0 / +4" in item.body_text
    assert "- Средняя оценка (от 1 до 5): 3,00 / — / —" in item.body_text
    assert "Министерство внутренних дел Республики Узбекистан: 3" in item.body_text


def test_agency_digest_figures(ses, activity):
    digests.weekly_digest(RUN_AT, real_mailer())

    item = head_item("mvd")
    text = item.body_text
    assert item.recipient == "rahbar@mvd.example.org"
    assert item.language == "uz"
    assert "- Kelib tushgan murojaatlar: 3 / 0" in text
    assert "- Koʻrib chiqilgan murojaatlar: 2 / 0" in text
    assert "- 1: 1" in text
    assert "- 5: 1" in text
    assert "- Eng koʻp murojaat: 1 / 2" in text
    # The open appeal is due on 24 April: neither overdue nor due in the coming week.
    assert "Muddati oʻtgan ochiq murojaatlar: 0" in text
    assert activity["mvd"][2]["appeal_id"] not in text
    assert "Karimova" not in text
    assert "Karimova" not in item.body_html
    assert "Namangan" not in text


def test_agency_digest_lists_overdue_and_due_soon(ses, tables):
    # Registered on 26 March, due on 10 April: overdue when the week ends.
    overdue = register(datetime(2026, 3, 26, 10, 0, tzinfo=TASHKENT), "minjust")
    # Registered on 30 March, due on 14 April: in the coming week.
    due_soon = register(datetime(2026, 3, 30, 10, 0, tzinfo=TASHKENT), "minjust")

    digests.weekly_digest(RUN_AT, real_mailer())

    text = head_item("minjust").body_text
    assert overdue["due_date"] == "2026-04-10"
    assert due_soon["due_date"] == "2026-04-14"
    assert "Muddati oʻtgan ochiq murojaatlar: 1" in text
    assert f"- {overdue['appeal_id']}: 2026-04-10" in text
    assert "(2026-04-13 — 2026-04-19) muddati tugaydigan ochiq murojaatlar: 1" in text
    assert f"- {due_soon['appeal_id']}: 2026-04-14" in text


def test_admin_digest_counts_due_next_week(ses, admins, tables):
    register(datetime(2026, 3, 30, 10, 0, tzinfo=TASHKENT), "minjust")
    register(datetime(2026, 3, 31, 10, 0, tzinfo=TASHKENT), "minjust")

    digests.weekly_digest(RUN_AT, real_mailer())

    text = OutboxModel.get(f"digest#{WEEK}#{admins[0]['recipient_id']}").body_text
    assert "Open appeals due in the coming week, 2026-04-13 to 2026-04-19:\n" \
           "- Ministry of Justice of the Republic of Uzbekistan: 2" in text


def test_comment_markup_escaped_in_html(ses, activity):
    digests.weekly_digest(RUN_AT, real_mailer())

    item = head_item("mvd")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in item.body_html
    assert "<script>" not in item.body_html
    assert "<script>alert(1)</script>" in item.body_text


def test_second_run_sends_nothing_new(ses, admins, activity):
    first = digests.weekly_digest(RUN_AT, real_mailer())
    second = digests.weekly_digest(RUN_AT + timedelta(minutes=5), real_mailer())

    assert first["mail"]["sent"] == 2 + active_agency_count()
    assert second["weeks"] == []
    assert second["queued"] == 0
    assert second["mail"]["sent"] == 0


def test_failed_send_retried_next_run(ses, admins, activity):
    failing = FailingSes()
    first = digests.weekly_digest(RUN_AT, Mailer(config.get_settings(), ses_client=failing))

    expected = 2 + active_agency_count()
    assert first["mail"]["failed"] == expected
    assert failing.calls == expected
    assert all(item.status == "pending" for item in digest_items().values())

    second = digests.weekly_digest(RUN_AT + timedelta(minutes=10), real_mailer())

    items = digest_items()
    assert second["weeks"] == []
    assert second["mail"]["sent"] == expected
    assert all(item.status == "sent" for item in items.values())
    assert all(item.attempts == 2 for item in items.values())

    third = digests.weekly_digest(RUN_AT + timedelta(minutes=20), real_mailer())
    assert third["mail"]["sent"] == 0


def test_two_hours_late_covers_same_week(ses, admins, activity):
    counts = digests.weekly_digest(RUN_AT + timedelta(hours=2), real_mailer())

    assert counts["weeks"] == [WEEK]
    text = OutboxModel.get(f"digest#{WEEK}#{admins[0]['recipient_id']}").body_text
    assert "sent late" not in text


def test_missed_week_caught_up(ses, admins):
    digests.weekly_digest(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT), real_mailer())

    counts = digests.weekly_digest(datetime(2026, 4, 20, 9, 0, tzinfo=TASHKENT), real_mailer())

    assert counts["weeks"] == ["2026-W15", "2026-W16"]
    late = OutboxModel.get(f"digest#2026-W15#{admins[0]['recipient_id']}").body_text
    on_time = OutboxModel.get(f"digest#2026-W16#{admins[0]['recipient_id']}").body_text
    assert "This digest is sent late: its week ended on 2026-04-13." in late
    assert "sent late" not in on_time
    assert len(digest_items("2026-W14")) == 2 + active_agency_count()


def test_catch_up_limited_to_newest_weeks(ses, admins):
    digests.weekly_digest(datetime(2026, 1, 5, 9, 0, tzinfo=TASHKENT), real_mailer())

    counts = digests.weekly_digest(RUN_AT, real_mailer())

    assert len(counts["weeks"]) == digests.MAX_CATCH_UP_WEEKS
    assert counts["weeks"][-1] == WEEK


def test_invalid_address_reported_not_sent(ses, admins, activity):
    AdminRecipientModel("broken0000000001", name="Broken Address", email="not-an-address", language="en",
                        active=True, created_at="2026-04-01T00:00:00.000000Z").save()
    agency = AgencyModel.get("minjust")
    agency.update(actions=[AgencyModel.head_email.set("rahbar@@minjust")])

    counts = digests.weekly_digest(RUN_AT, real_mailer())

    items = digest_items()
    assert counts["invalid"] == 2
    assert f"digest#{WEEK}#broken0000000001" not in items
    assert f"digest#{WEEK}#head-minjust" not in items
    assert len(items) == 2 + active_agency_count() - 1
    assert all(item.status == "sent" for item in items.values())
    text = items[f"digest#{WEEK}#{admins[0]['recipient_id']}"].body_text
    assert "administrator Broken Address: not-an-address" in text
    assert "head of Ministry of Justice of the Republic of Uzbekistan: rahbar@@minjust" in text


def test_anomalies_reported(ses, admins, tables):
    for hour in range(12):
        register(WEEK_START + timedelta(hours=hour), "minjust")
    OutboxModel("breach#2026-000999#mvd", kind="breach", recipient="murojaat@mvd.example.org", language="uz",
                subject="s", body_text="t", status="failed", attempts=8,
                created_at="2026-04-08T05:00:00.000000Z").save()

    digests.weekly_digest(RUN_AT, real_mailer())

    text = OutboxModel.get(f"digest#{WEEK}#{admins[0]['recipient_id']}").body_text
    assert "Ministry of Justice of the Republic of Uzbekistan: 12 appeals, against 0 the week before." in text
    assert "Khokimiyat of Tashkent city: no activity at all in the week." in text
    assert ("Ministry of Internal Affairs of the Republic of Uzbekistan: e-mails to the body that failed "
            "or needed more than one attempt: 1.") in text


# ---------------------------------------------------------------- routes and the scheduled function

def test_recipient_routes(client, keys):
    admin = bearer(keys["admin"])
    created = post_json(client, "/v1/admin/recipients",
                        {"name": "Aziz Nazarov", "email": "aziz@gov.example.uz", "language": "uz-Cyrl"}, admin)
    assert created.status_code == 201
    recipient_id = json.loads(created.body)["recipient_id"]

    listed = json.loads(client.http.get("/v1/admin/recipients", headers=admin).body)["recipients"]
    assert [item["recipient_id"] for item in listed] == [recipient_id]
    assert listed[0]["active"] is True

    removed = client.http.delete(f"/v1/admin/recipients/{recipient_id}", headers=admin)
    assert removed.status_code == 200
    listed = json.loads(client.http.get("/v1/admin/recipients", headers=admin).body)["recipients"]
    assert listed[0]["active"] is False

    missing = client.http.delete("/v1/admin/recipients/nosuchrecipient", headers=admin)
    assert missing.status_code == 404
    assert json.loads(missing.body)["error"]["code"] == "recipient_not_found"


@pytest.mark.parametrize("body, field", [
    ({"name": "A", "email": "not-an-address", "language": "en"}, "email"),
    ({"name": "A", "language": "en"}, "email"),
    ({"email": "a@gov.example.uz", "language": "en"}, "name"),
    ({"name": "A", "email": "a@gov.example.uz", "language": "de"}, "language"),
])
def test_recipient_rejects_bad_input(client, keys, body, field):
    response = post_json(client, "/v1/admin/recipients", body, bearer(keys["admin"]))

    assert response.status_code == 400
    assert json.loads(response.body)["error"]["field"] == field


def test_recipient_routes_need_admin(client, keys):
    response = client.http.get("/v1/admin/recipients", headers=bearer(keys["mvd:head"]))

    assert response.status_code == 403


def test_preview_returns_html(client, keys, activity):
    response = client.http.get(f"/v1/admin/digest/preview?week={WEEK}",
                               headers={**bearer(keys["admin"]), "Accept-Language": "en"})

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    body = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    assert body.startswith("<!DOCTYPE html>")
    assert "Week 2026-W15: 2026-04-06 to 2026-04-12" in body
    assert OutboxModel.count() == 0


def test_preview_rejects_bad_week(client, keys):
    response = client.http.get("/v1/admin/digest/preview?week=2026-W99", headers=bearer(keys["admin"]))

    assert response.status_code == 400
    assert json.loads(response.body)["error"]["field"] == "week"


def test_scheduled_function_sends_digests(client, ses, admins, activity):
    client.lambda_.invoke("weekly_digest", scheduled_event("2026-04-13T04:00:00Z", "weekly_digest"))

    items = digest_items()
    assert len(items) == 2 + active_agency_count()
    assert all(item.status == "sent" for item in items.values())


def test_app_import_loads_no_jinja2():
    script = "import sys, app\nassert 'jinja2' not in sys.modules, 'app imported jinja2'\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
