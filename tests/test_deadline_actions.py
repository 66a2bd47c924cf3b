"""Forwarding, extensions, study, dismissal, the deadline scan and calendar changes (ZRU-445)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import agency_actions, appeals, config, deadline_jobs, events
from chalicelib.auth import Principal
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.models import AppealModel, CounterModel, OutboxModel
from tests.conftest import bearer, post_json

TASHKENT = timezone(timedelta(hours=5))
OFFICER = Principal("officer0000000001", "officer", "mvd")
HEAD = Principal("head000000000001", "head", "mvd")


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def register(now: datetime, kind: str = "application", agency_id: str = "mvd", **changes) -> dict:
    body = {
        "agency_id": agency_id,
        "kind": kind,
        "text": "Murojaat matni.",
        "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
        "language": "ru",
    }
    body.update(changes)
    return appeals.submit_appeal(body, now, config.get_settings(), no_captcha)


def stored(appeal_id: str) -> AppealModel:
    return AppealModel.get(appeal_id, consistent_read=True)


def counter(agency_id: str, name: str) -> int:
    return int(getattr(CounterModel.get(f"agency#{agency_id}", "all"), name) or 0)


# ---------------------------------------------------------------- due dates

def test_worked_example_due_date_and_explanation(tables):
    created = register(datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT))

    assert created["due_date"] == "2026-03-24"
    assert "2026" in created["due_explanation"]


def test_friday_late_evening_registers_that_friday(tables):
    created = register(datetime(2026, 3, 13, 23, 30, tzinfo=TASHKENT))

    assert created["registered_on"] == "2026-03-13"


def test_saturday_receipt_registers_on_monday(tables):
    created = register(datetime(2026, 4, 11, 12, 0, tzinfo=TASHKENT))

    assert created["registered_on"] == "2026-04-13"


# ---------------------------------------------------------------- forwarding

def test_forward_moves_appeal_and_restarts_term(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    forwarded_at = datetime(2026, 4, 9, 9, 0, tzinfo=TASHKENT)

    result = agency_actions.forward(OFFICER, created["appeal_id"],
                                    {"to_agency_id": "minjust", "reason": "Adliya vakolatida"}, forwarded_at)

    appeal = stored(created["appeal_id"])
    assert result["agency_id"] == "minjust"
    assert appeal.agency_id == "minjust"
    assert appeal.forwarded_from == "mvd"
    assert appeal.received_by_agency_on == "2026-04-09"
    assert appeal.due_date == "2026-04-24"
    assert appeal.timeline[-1]["reason"] == "Adliya vakolatida"
    assert counter("mvd", "forwarded_out") == 1
    assert counter("minjust", "forwarded_in") == 1
    with pytest.raises(NotFound):
        appeals.agency_appeal(OFFICER, created["appeal_id"])


def test_forward_after_five_days_is_409(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    with pytest.raises(Conflict) as raised:
        agency_actions.forward(OFFICER, created["appeal_id"], {"to_agency_id": "minjust", "reason": "x"},
                               datetime(2026, 4, 12, 9, 0, tzinfo=TASHKENT))

    assert raised.value.code == "forward_window_passed"
    assert raised.value.params["last_day"] == "2026-04-11"


@pytest.mark.parametrize("body, field", [
    ({"to_agency_id": "mvd", "reason": "x"}, "to_agency_id"),
    ({"to_agency_id": "nowhere", "reason": "x"}, "to_agency_id"),
    ({"to_agency_id": "minjust"}, "reason"),
])
def test_forward_rejects_bad_input(tables, body, field):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    with pytest.raises((BadRequest, NotFound)) as raised:
        agency_actions.forward(OFFICER, created["appeal_id"], body, datetime(2026, 4, 7, tzinfo=TASHKENT))

    assert raised.value.field == field
    assert stored(created["appeal_id"]).event_seq == 1


# ---------------------------------------------------------------- extension and study

def test_extension_needs_the_head(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    with pytest.raises(Forbidden):
        agency_actions.extend(OFFICER, created["appeal_id"], {"reason": "Tekshiruv"},
                              datetime(2026, 4, 7, tzinfo=TASHKENT))


def test_extension_once_by_at_most_a_month(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    when = datetime(2026, 4, 7, 9, 0, tzinfo=TASHKENT)

    with pytest.raises(BadRequest) as too_far:
        agency_actions.extend(HEAD, created["appeal_id"], {"reason": "r", "new_due_date": "2026-06-30"}, when)
    result = agency_actions.extend(HEAD, created["appeal_id"], {"reason": "Ekspertiza"}, when)
    with pytest.raises(Conflict) as twice:
        agency_actions.extend(HEAD, created["appeal_id"], {"reason": "Yana"}, when)

    assert too_far.value.code == "extension_out_of_range"
    assert result["due_date"] > created["due_date"]
    assert result["due_date"] <= "2026-05-22"
    assert twice.value.code == "already_extended"


def test_extension_after_due_date_is_409(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    after_due = datetime.fromisoformat(created["due_date"]).replace(tzinfo=TASHKENT) + timedelta(days=1, hours=1)

    with pytest.raises(Conflict) as raised:
        agency_actions.extend(HEAD, created["appeal_id"], {"reason": "Kech"}, after_due)

    assert raised.value.code == "extension_too_late"


def test_study_moves_term_to_one_month(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    result = agency_actions.take_for_study(OFFICER, created["appeal_id"], {"reason": "Hujjatlar kerak"},
                                           datetime(2026, 4, 7, tzinfo=TASHKENT))

    assert result["due_date"] == "2026-05-06"
    assert result["due_basis"]["rule"] == "art28_one_month_study"


def test_study_of_proposal_is_409(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT), kind="proposal")

    with pytest.raises(Conflict) as raised:
        agency_actions.take_for_study(OFFICER, created["appeal_id"], {"reason": "x"},
                                      datetime(2026, 4, 7, tzinfo=TASHKENT))

    assert raised.value.code == "study_not_applicable"


# ---------------------------------------------------------------- dismissal

def test_dismiss_closes_with_ground_and_reason(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    agency_actions.dismiss(OFFICER, created["appeal_id"],
                           {"ground": "repeated_without_new_arguments", "reason": "Avval javob berilgan"},
                           datetime(2026, 4, 7, tzinfo=TASHKENT))

    appeal = stored(created["appeal_id"])
    assert appeal.status == "dismissed"
    assert appeal.close_reason == {"ground": "repeated_without_new_arguments", "reason": "Avval javob berilgan"}
    assert counter("mvd", "dismissed") == 1
    with pytest.raises(Conflict) as raised:
        appeals.answer_appeal(OFFICER, created["appeal_id"], {"text": "Javob"},
                              datetime(2026, 4, 8, tzinfo=TASHKENT), config.get_settings())
    assert raised.value.code == "invalid_state"


def test_dismiss_with_unknown_ground_is_400(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    with pytest.raises(BadRequest) as raised:
        agency_actions.dismiss(OFFICER, created["appeal_id"], {"ground": "boring", "reason": "x"},
                               datetime(2026, 4, 7, tzinfo=TASHKENT))

    assert raised.value.field == "ground"


# ---------------------------------------------------------------- the scan

class QueryCounter:
    """Counts the items DynamoDB Query calls return, through botocore's event hooks."""

    def __init__(self):
        self.items = 0
        self.requests = 0

    def __call__(self, http_response, parsed, model, **_kwargs):
        self.requests += 1
        self.items += parsed.get("Count", 0)

    def attach(self):
        client = AppealModel._get_connection().connection.client
        client.meta.events.register("after-call.dynamodb.Query", self)
        return self


def test_scan_reads_only_overdue_of_1000(tables):
    overdue_ids = [register(datetime(2026, 3, 2 + day, 10, 0, tzinfo=TASHKENT))["appeal_id"] for day in range(10)]
    template = stored(register(datetime(2026, 4, 20, 10, 0, tzinfo=TASHKENT))["appeal_id"])
    # moto copies every table in each transaction, so 989 more registrations
    # would take minutes; copies of a registered appeal give the scan the same items.
    with AppealModel.batch_write() as batch:
        for number in range(2000, 2989):
            copy = AppealModel.from_raw_data(template.serialize())
            copy.appeal_id = f"2026-{number:06d}"
            copy.inbox_due = f"{copy.due_date}#{copy.appeal_id}"
            copy.pending_due = f"{copy.due_date}#{copy.appeal_id}"
            batch.save(copy)
    assert AppealModel.count() == 1000
    now = datetime(2026, 4, 1, 10, 0, tzinfo=TASHKENT)
    queries = QueryCounter().attach()

    first = deadline_jobs.deadline_scan(now, config.get_settings())
    read_by_first = queries.items
    second = deadline_jobs.deadline_scan(now + timedelta(hours=1), config.get_settings())

    assert first["breached"] == 10
    assert read_by_first == 10
    assert second["breached"] == 0
    assert second["found"] == 0
    for appeal_id in overdue_ids:
        assert [event.type for event in events.history(appeal_id)].count("breached") == 1
    assert counter("mvd", "breached") == 10
    assert len([item for item in OutboxModel.scan() if item.kind == "breach"]) == 10


def test_scan_respects_tashkent_midnight(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    due = datetime.fromisoformat(created["due_date"])
    last_minute = due.replace(hour=23, minute=59, tzinfo=TASHKENT)

    before = deadline_jobs.deadline_scan(last_minute, config.get_settings())
    after = deadline_jobs.deadline_scan(last_minute + timedelta(minutes=1), config.get_settings())

    assert before["breached"] == 0
    assert after["breached"] == 1


def test_answered_appeal_is_never_breached(tables):
    created = register(datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT))
    appeals.answer_appeal(OFFICER, created["appeal_id"], {"text": "Javob"},
                          datetime(2026, 3, 3, tzinfo=TASHKENT), config.get_settings())

    result = deadline_jobs.deadline_scan(datetime(2026, 6, 1, tzinfo=TASHKENT), config.get_settings())

    assert result["breached"] == 0


def scheduled_event(time: str, name: str) -> dict:
    return {
        "version": "0", "id": "test", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": time, "region": "eu-central-1",
        "resources": [f"arn:aws:events:eu-central-1:123456789012:rule/{name}"], "detail": {},
    }


def test_scheduled_scan_sends_agency_email(client, tmp_path, monkeypatch, keys):
    import boto3

    monkeypatch.setenv("MAIL_DIR", str(tmp_path))
    boto3.client("ses", region_name="eu-central-1").verify_email_identity(
        EmailAddress=config.get_settings().mail_from)
    created = register(datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT))

    client.lambda_.invoke("deadline_scan", scheduled_event("2026-04-01T05:05:00Z", "deadline_scan"))

    mails = list(tmp_path.glob("breach*.eml"))
    assert len(mails) == 1
    content = mails[0].read_text()
    assert created["appeal_id"] in content
    assert "Karimova" not in content
    inbox = json.loads(client.http.get("/v1/agency/appeals?status=overdue",
                                       headers=bearer(keys["mvd:officer"])).body)
    assert [item["appeal_id"] for item in inbox["appeals"]] == [created["appeal_id"]]
    assert inbox["appeals"][0]["breached"] is True


def test_due_soon_reminder_is_queued_once_per_day(tables):
    register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    day_before = datetime(2026, 4, 20, 9, 0, tzinfo=TASHKENT)

    first = deadline_jobs.due_soon_reminders(day_before)
    again = deadline_jobs.due_soon_reminders(day_before + timedelta(minutes=30))

    assert first["queued"] == 1
    assert again["queued"] == 0
    message = OutboxModel.get("due-soon#mvd#2026-04-20")
    assert "2026-04-21" in message.body_text


# ---------------------------------------------------------------- calendar changes

def test_new_holiday_moves_open_appeal_only(client, keys):
    from chalicelib import calendars

    open_one = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    closed_one = register(datetime(2026, 4, 6, 9, 5, tzinfo=TASHKENT))
    appeals.answer_appeal(OFFICER, closed_one["appeal_id"], {"text": "Javob"},
                          datetime(2026, 4, 7, tzinfo=TASHKENT), config.get_settings())
    assert open_one["due_date"] == "2026-04-21"
    current = calendars.calendar_view(calendars.current_calendar(fresh=True))
    body = {"holidays": current["holidays"] + ["2026-04-21"], "working_days": current["working_days"],
            "note": "Decree: extra day off"}

    response = client.http.put("/v1/admin/calendar", headers=bearer(keys["admin"]), body=json.dumps(body))

    assert response.status_code == 200
    assert json.loads(response.body)["recomputed"]["moved"] == 1
    moved = stored(open_one["appeal_id"])
    assert moved.due_date == "2026-04-22"
    assert moved.due_basis["calendar_version"] == 2
    assert events.history(open_one["appeal_id"])[-1].type == "due_date_recomputed"
    assert stored(closed_one["appeal_id"]).due_date == "2026-04-21"


def test_calendar_with_bad_date_is_400(client, keys):
    response = client.http.put("/v1/admin/calendar", headers=bearer(keys["admin"]),
                               body=json.dumps({"holidays": ["2026-02-30"]}))

    assert response.status_code == 400
    assert json.loads(response.body)["error"]["field"] == "holidays"


def test_agency_actions_over_http(client, keys):
    created = json.loads(post_json(client, "/v1/captcha", {}).body)
    assert created["captcha_id"]
    appeal = register(datetime.now(timezone.utc))
    path = f"/v1/agency/appeals/{appeal['appeal_id']}"

    officer_extension = client.http.post(f"{path}/extension", headers=bearer(keys["mvd:officer"]),
                                         body=json.dumps({"reason": "x"}))
    head_extension = client.http.post(f"{path}/extension", headers=bearer(keys["mvd:head"]),
                                      body=json.dumps({"reason": "Ekspertiza"}))
    forward = client.http.post(f"{path}/forward", headers=bearer(keys["mvd:officer"]),
                               body=json.dumps({"to_agency_id": "minjust", "reason": "Vakolat"}))
    dismissed = client.http.post(f"/v1/agency/appeals/{appeal['appeal_id']}/dismiss",
                                 headers=bearer(keys["minjust:officer"]),
                                 body=json.dumps({"ground": "withdrawn", "reason": "Arizachi qaytarib oldi"}))

    assert officer_extension.status_code == 403
    assert head_extension.status_code == 200
    assert forward.status_code == 200
    assert dismissed.status_code == 200


# ---------------------------------------------------------------- notices to the applicant

def test_applicant_is_told_of_forwarding_and_extension(tables):
    created = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT),
                       applicant={"full_name": "Karimova Dilnoza", "address": "Namangan sh.",
                                  "email": "dilnoza@example.org"})
    appeal_id = created["appeal_id"]
    agency_actions.forward(OFFICER, appeal_id, {"to_agency_id": "minjust", "reason": "Adliya vakolatida"},
                           datetime(2026, 4, 7, 9, 0, tzinfo=TASHKENT))
    minjust_head = Principal("head000000000002", "head", "minjust")
    agency_actions.extend(minjust_head, appeal_id, {"reason": "Ekspertiza kerak"},
                          datetime(2026, 4, 8, 9, 0, tzinfo=TASHKENT))

    notices = {item.kind: item for item in OutboxModel.scan() if item.recipient == "dilnoza@example.org"}

    assert set(notices) == {"citizen_submitted", "citizen_forwarded", "citizen_extended"}
    assert "Adliya vakolatida" in notices["citizen_forwarded"].body_text
    assert "Ekspertiza kerak" in notices["citizen_extended"].body_text
    assert created["access_code"] not in notices["citizen_submitted"].body_text
    assert f"follow.html?id={appeal_id}" in notices["citizen_submitted"].body_text


def test_no_notice_without_email(tables):
    register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))

    assert [item for item in OutboxModel.scan() if item.kind.startswith("citizen")] == []


# ---------------------------------------------------------------- duplicates

def test_duplicate_is_merged_into_original(tables):
    original = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    duplicate = register(datetime(2026, 4, 8, 9, 0, tzinfo=TASHKENT), text="Oʻsha murojaat yana.")

    result = agency_actions.merge_duplicate(OFFICER, duplicate["appeal_id"],
                                            {"into_appeal_id": original["appeal_id"], "reason": "Takror"},
                                            datetime(2026, 4, 9, tzinfo=TASHKENT))

    merged = stored(duplicate["appeal_id"])
    kept = stored(original["appeal_id"])
    assert result["status"] == "merged"
    assert merged.status == "merged"
    assert merged.merged_into == original["appeal_id"]
    assert kept.status == "registered"
    assert events.history(duplicate["appeal_id"])[-1].type == "merged"
    assert events.history(original["appeal_id"])[-1].type == "duplicate_merged"
    assert counter("mvd", "merged") == 1


def test_merge_of_other_applicant_is_409(tables):
    original = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    other = register(datetime(2026, 4, 8, 9, 0, tzinfo=TASHKENT),
                     applicant={"full_name": "Boshqa Odam", "address": "Buxoro", "phone": "+998911112233"})

    with pytest.raises(Conflict) as raised:
        agency_actions.merge_duplicate(OFFICER, other["appeal_id"], {"into_appeal_id": original["appeal_id"]},
                                       datetime(2026, 4, 9, tzinfo=TASHKENT))

    assert raised.value.code == "not_a_duplicate"
    assert stored(other["appeal_id"]).status == "registered"
    assert stored(original["appeal_id"]).event_seq == 1


def test_merge_into_later_or_closed_appeal_is_409(tables):
    first = register(datetime(2026, 4, 6, 9, 0, tzinfo=TASHKENT))
    second = register(datetime(2026, 4, 8, 9, 0, tzinfo=TASHKENT), text="Yana bir.")
    when = datetime(2026, 4, 9, tzinfo=TASHKENT)

    with pytest.raises(Conflict) as into_later:
        agency_actions.merge_duplicate(OFFICER, first["appeal_id"], {"into_appeal_id": second["appeal_id"]}, when)
    appeals.answer_appeal(OFFICER, first["appeal_id"], {"text": "Javob"}, when, config.get_settings())
    with pytest.raises(Conflict) as into_closed:
        agency_actions.merge_duplicate(OFFICER, second["appeal_id"], {"into_appeal_id": first["appeal_id"]}, when)

    assert into_later.value.code == "not_a_duplicate"
    assert into_closed.value.code == "invalid_state"


@pytest.mark.parametrize("body, field", [
    ({}, "into_appeal_id"),
    ({"into_appeal_id": "2026-999999"}, "into_appeal_id"),
])
def test_merge_rejects_bad_original(tables, body, field):
    duplicate = register(datetime(2026, 4, 8, 9, 0, tzinfo=TASHKENT))

    with pytest.raises((BadRequest, NotFound)) as raised:
        agency_actions.merge_duplicate(OFFICER, duplicate["appeal_id"], body, datetime(2026, 4, 9, tzinfo=TASHKENT))

    assert raised.value.field == field
