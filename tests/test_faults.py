"""DynamoDB and SES faults on every write path: retried, or 503 with nothing half-written.

Faults are raised by a botocore `before-call` handler on the transaction
client, so the request never reaches moto, and by a stub SES client passed to
the Mailer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from chalicelib import appeals, config, db, deadline_jobs, events, ledger, outbox
from chalicelib.mail import Mailer
from chalicelib.models import ALL_MODELS, AppealModel, CaptchaModel, CounterModel, OutboxModel, RateLimitModel
from tests.conftest import bearer, post_json

TASHKENT = timezone(timedelta(hours=5))


# ---------------------------------------------------------------- faults

def cancelled(reason: str, position: int = 0) -> ClientError:
    """Build a cancelled transaction whose item at `position` failed for `reason`."""
    reasons = [{"Code": "None"}, {"Code": "None"}, {"Code": "None"}]
    reasons[position] = {"Code": reason}
    response = {
        "Error": {"Code": "TransactionCanceledException", "Message": f"Transaction cancelled: [{reason}]"},
        "CancellationReasons": reasons,
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    return ClientError(response, "TransactWriteItems")


def service_error(code: str) -> ClientError:
    response = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return ClientError(response, "TransactWriteItems")


TRANSIENT_FAULTS = {
    "transaction_conflict": lambda: cancelled("TransactionConflict"),
    "throughput_exceeded": lambda: service_error("ProvisionedThroughputExceededException"),
    "throttling": lambda: service_error("ThrottlingException"),
    "read_timeout": lambda: ReadTimeoutError(endpoint_url="http://dynamodb.test"),
    "connect_timeout": lambda: ConnectTimeoutError(endpoint_url="http://dynamodb.test"),
}


class TransactionFaults:
    """Raises a fault from the first `times` TransactWriteItems calls, before they reach DynamoDB."""

    def __init__(self, make_fault: Callable[[], Exception], times: int):
        self.make_fault = make_fault
        self.remaining = times
        self.calls = 0

    def __call__(self, **_kwargs):
        self.calls += 1
        if self.remaining > 0:
            self.remaining -= 1
            raise self.make_fault()
        return None

    def attach(self) -> "TransactionFaults":
        db.connection().client.meta.events.register("before-call.dynamodb.TransactWriteItems", self)
        return self

    def detach(self) -> None:
        db.connection().client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", self)


@pytest.fixture
def fast_retries(monkeypatch):
    """Short backoff, so that a persistent fault costs milliseconds rather than seconds."""
    monkeypatch.setattr(db, "BASE_DELAY_SECONDS", 0.001)


def item_counts() -> dict[str, int]:
    """Count the items of every table but captchas and rate limits.

    The submit request adds its captcha itself, and an access-code reset counts
    the attempt before its transaction, by design.
    """
    return {model.Meta.table_name: sum(1 for _ in model.scan(consistent_read=True))
            for model in ALL_MODELS if model not in (CaptchaModel, RateLimitModel)}


def agency_counter(agency_id: str, name: str) -> int:
    try:
        item = CounterModel.get(f"agency#{agency_id}", "all", consistent_read=True)
    except CounterModel.DoesNotExist:
        return 0
    return int(getattr(item, name) or 0)


def appeal_events(appeal_id: str) -> list[str]:
    return [event.type for event in events.history(appeal_id)]


# ---------------------------------------------------------------- write paths over HTTP

def solved_captcha() -> dict:
    from chalicelib import captchas

    captcha_id = captchas.store_challenge("ABCDE", datetime.now(timezone.utc), config.get_settings())
    return {"captcha_id": captcha_id, "captcha_answer": "abcde"}


def submit(client, text: str = "Hovlimizdagi quvur uch haftadan beri oqmoqda.") -> tuple:
    body = {
        "agency_id": "mvd",
        "kind": "complaint",
        "text": text,
        "applicant": {"full_name": "Tursunov Bekzod", "address": "Samarqand sh., 12-uy",
                      "email": "bekzod@example.org"},
        "language": "uz",
    }
    body.update(solved_captcha())
    return post_json(client, "/v1/appeals", body)


def submitted(client, text: str | None = None) -> dict:
    response = submit(client) if text is None else submit(client, text)
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def answered(client, keys) -> dict:
    created = submitted(client)
    response = post_json(client, f"/v1/agency/appeals/{created['appeal_id']}/answer", {"text": "Tuzatildi."},
                         bearer(keys["mvd:officer"]))
    assert response.status_code == 200, response.body
    view = client.http.get(f"/v1/appeals/{created['appeal_id']}",
                           headers={"X-Access-Code": created["access_code"]})
    assert view.status_code == 200, view.body
    return created


def duplicate_pair(client, keys) -> dict:
    """Submit an appeal and a later copy of it from the same applicant; return the copy and the first id."""
    first = submitted(client)
    copy = submitted(client, "Hovlimizdagi quvur uch haftadan beri oqmoqda. Yana yozyapman.")
    return dict(copy, into=first["appeal_id"])


@dataclass
class WritePath:
    """One write route: its setup, its request, its success status, its event and its counter."""

    prepare: Callable
    act: Callable
    success: int
    event: str
    counter: str


def agency_action(action: str, role: str, body: dict) -> Callable:
    def act(client, keys, created):
        return post_json(client, f"/v1/agency/appeals/{created['appeal_id']}/{action}", body,
                         bearer(keys[f"mvd:{role}"]))
    return act


WRITE_PATHS = {
    "submit": WritePath(lambda client, keys: None, lambda client, keys, created: submit(client), 201,
                        "submitted", "received"),
    "answer": WritePath(lambda client, keys: submitted(client),
                        agency_action("answer", "officer", {"text": "Javob berildi."}), 200,
                        "answered", "completed"),
    "rating": WritePath(answered, lambda client, keys, created: post_json(
        client, f"/v1/appeals/{created['appeal_id']}/rating", {"score": 4},
        {"X-Access-Code": created["access_code"]}), 201, "rated", "rated"),
    "forward": WritePath(lambda client, keys: submitted(client),
                         agency_action("forward", "officer", {"to_agency_id": "minjust",
                                                              "reason": "Adliya vazirligi vakolatida."}),
                         200, "forwarded", "forwarded_in"),
    "extension": WritePath(lambda client, keys: submitted(client),
                           agency_action("extension", "head", {"reason": "Qoʻshimcha tekshiruv kerak."}),
                           200, "extended", ""),
    "study": WritePath(lambda client, keys: submitted(client),
                       agency_action("study", "officer", {"reason": "Qoʻshimcha hujjatlar soʻraldi."}),
                       200, "study", ""),
    "merge": WritePath(duplicate_pair, lambda client, keys, created: post_json(
        client, f"/v1/agency/appeals/{created['appeal_id']}/merge", {"into_appeal_id": created["into"]},
        bearer(keys["mvd:officer"])), 200, "merged", "merged"),
    "access_code_reset": WritePath(lambda client, keys: submitted(client), lambda client, keys, created: post_json(
        client, f"/v1/appeals/{created['appeal_id']}/access-code", {}), 202, "access_code_reset", ""),
    "dismiss": WritePath(lambda client, keys: submitted(client),
                         agency_action("dismiss", "officer", {"ground": "withdrawn",
                                                              "reason": "Arizachi qaytarib oldi."}),
                         200, "dismissed", "dismissed"),
}


def counter_total(path: WritePath) -> int:
    if not path.counter:
        return 0
    agency_id = "minjust" if path.event == "forwarded" else "mvd"
    return agency_counter(agency_id, path.counter)


def only_appeal_id() -> str:
    ids = [appeal.appeal_id for appeal in AppealModel.scan(consistent_read=True)]
    assert len(ids) == 1
    return ids[0]


@pytest.mark.parametrize("fault", sorted(TRANSIENT_FAULTS))
@pytest.mark.parametrize("path_name", sorted(WRITE_PATHS))
def test_transient_fault_is_retried(client, keys, fast_retries, path_name, fault):
    path = WRITE_PATHS[path_name]
    created = path.prepare(client, keys)
    counter_before = counter_total(path)
    faults = TransactionFaults(TRANSIENT_FAULTS[fault], times=2).attach()

    response = path.act(client, keys, created)
    faults.detach()

    assert response.status_code == path.success, response.body
    assert faults.calls == 3
    appeal_id = created["appeal_id"] if created else only_appeal_id()
    history = appeal_events(appeal_id)
    assert history.count(path.event) == 1
    assert len(history) == int(AppealModel.get(appeal_id, consistent_read=True).event_seq)
    if path.counter:
        assert counter_total(path) == counter_before + 1
    assert ledger.verify_chain(AppealModel.get(appeal_id, consistent_read=True)) == []


@pytest.mark.parametrize("fault", ["transaction_conflict", "throttling", "read_timeout"])
@pytest.mark.parametrize("path_name", sorted(WRITE_PATHS))
def test_persistent_fault_is_503_and_writes_nothing(client, keys, fast_retries, path_name, fault):
    path = WRITE_PATHS[path_name]
    created = path.prepare(client, keys)
    before = item_counts()
    counter_before = counter_total(path)
    faults = TransactionFaults(TRANSIENT_FAULTS[fault], times=1000).attach()

    response = path.act(client, keys, created)
    faults.detach()

    assert response.status_code == 503, response.body
    assert response.headers["Retry-After"].isdigit()
    assert json.loads(response.body)["error"]["code"] == "unavailable"
    assert faults.calls == db.MAX_ATTEMPTS
    assert item_counts() == before
    assert counter_total(path) == counter_before


@pytest.mark.parametrize("path_name", sorted(set(WRITE_PATHS) - {"submit"}))
def test_condition_failure_is_409_not_retried(client, keys, fast_retries, path_name):
    path = WRITE_PATHS[path_name]
    created = path.prepare(client, keys)
    before = item_counts()
    faults = TransactionFaults(lambda: cancelled("ConditionalCheckFailed"), times=1).attach()

    response = path.act(client, keys, created)
    faults.detach()

    assert response.status_code == 409, response.body
    assert faults.calls == 1
    assert item_counts() == before


# A submission's transaction starts with the ConditionCheck of the client
# address's wrong-captcha count, then puts the double-click marker and, for
# the year's first appeal, the appeal-number counter. So position 2 is a
# number taken by another submission, and position 0 an address over its limit.
GUARD_POSITION = 0
COUNTER_POSITION = 2


def test_submit_condition_failure_takes_next_number(client, keys, fast_retries):
    faults = TransactionFaults(lambda: cancelled("ConditionalCheckFailed", COUNTER_POSITION), times=1).attach()

    response = submit(client)
    faults.detach()

    assert response.status_code == 201, response.body
    assert faults.calls == 2
    assert json.loads(response.body)["appeal_id"].endswith("-000001")
    assert agency_counter("mvd", "received") == 1


def test_submit_over_address_limit_is_429(client, keys, fast_retries):
    before = item_counts()
    faults = TransactionFaults(lambda: cancelled("ConditionalCheckFailed", GUARD_POSITION), times=1).attach()

    response = submit(client)
    faults.detach()

    assert response.status_code == 429, response.body
    assert json.loads(response.body)["error"]["code"] == "rate_limited"
    assert faults.calls == 1
    assert item_counts() == before


def test_persistent_submit_condition_failure_is_503(client, keys, fast_retries):
    before = item_counts()
    faults = TransactionFaults(lambda: cancelled("ConditionalCheckFailed", COUNTER_POSITION), times=1000).attach()

    response = submit(client)
    faults.detach()

    assert response.status_code == 503, response.body
    assert faults.calls == appeals.NUMBER_ATTEMPTS
    assert item_counts() == before


# ---------------------------------------------------------------- the deadline scan

def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def register_overdue(count: int) -> list[str]:
    ids = []
    for day in range(count):
        body = {
            "agency_id": "mvd", "kind": "application", "text": f"Murojaat {day}.",
            "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
            "language": "uz",
        }
        moment = datetime(2026, 3, 2 + day, 10, 0, tzinfo=TASHKENT)
        ids.append(appeals.submit_appeal(body, moment, config.get_settings(), no_captcha)["appeal_id"])
    return ids


SCAN_TIME = datetime(2026, 5, 1, 10, 0, tzinfo=TASHKENT)


@pytest.mark.parametrize("fault", ["transaction_conflict", "read_timeout"])
def test_scan_retries_transient_fault(tables, fast_retries, fault):
    appeal_ids = register_overdue(2)
    faults = TransactionFaults(TRANSIENT_FAULTS[fault], times=2).attach()

    counts = deadline_jobs.deadline_scan(SCAN_TIME, config.get_settings())
    faults.detach()

    assert counts["breached"] == 2
    for appeal_id in appeal_ids:
        assert appeal_events(appeal_id).count("breached") == 1
    assert agency_counter("mvd", "breached") == 2


class CrashAfter:
    """Lets `allowed` transactions through, then raises a non-retryable error, like a crashed run."""

    def __init__(self, allowed: int):
        self.allowed = allowed

    def __call__(self, **_kwargs):
        if self.allowed <= 0:
            raise RuntimeError("the scheduled job stopped here")
        self.allowed -= 1


def test_crashed_scan_rerun_completes_once(tables):
    appeal_ids = register_overdue(4)
    crash = CrashAfter(allowed=2)
    client = db.connection().client
    client.meta.events.register("before-call.dynamodb.TransactWriteItems", crash)

    with pytest.raises(RuntimeError):
        deadline_jobs.deadline_scan(SCAN_TIME, config.get_settings())
    client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", crash)
    assert agency_counter("mvd", "breached") == 2

    rerun = deadline_jobs.deadline_scan(SCAN_TIME, config.get_settings())
    again = deadline_jobs.deadline_scan(SCAN_TIME, config.get_settings())

    assert rerun["breached"] == 2
    assert again["breached"] == 0
    for appeal_id in appeal_ids:
        assert appeal_events(appeal_id).count("breached") == 1
    assert agency_counter("mvd", "breached") == 4
    breach_mails = [item for item in OutboxModel.scan() if item.kind == "breach"]
    assert len(breach_mails) == 4


def test_persistent_fault_in_scan_writes_nothing(tables, fast_retries):
    register_overdue(2)
    before = item_counts()
    faults = TransactionFaults(TRANSIENT_FAULTS["throttling"], times=1000).attach()

    with pytest.raises(Exception) as raised:
        deadline_jobs.deadline_scan(SCAN_TIME, config.get_settings())
    faults.detach()

    assert type(raised.value).__name__ == "ServiceUnavailable"
    assert item_counts() == before
    assert agency_counter("mvd", "breached") == 0


# ---------------------------------------------------------------- SES

class FailingSes:
    """An SES client whose every send fails as if SES were unreachable."""

    def __init__(self):
        self.calls = 0

    def send_raw_email(self, **_kwargs):
        self.calls += 1
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "SES is down"}}, "SendRawEmail")


def test_ses_failure_keeps_appeal_and_pending_outbox(client, keys):
    created = submitted(client)
    answer = post_json(client, f"/v1/agency/appeals/{created['appeal_id']}/answer", {"text": "Javob."},
                       bearer(keys["mvd:officer"]))
    assert answer.status_code == 200
    queued = {item.outbox_id for item in OutboxModel.scan(consistent_read=True)}
    assert queued
    ses = FailingSes()

    result = outbox.deliver_pending(Mailer(config.get_settings(), ses_client=ses), datetime.now(timezone.utc))

    assert ses.calls == len(queued)
    assert result.get("sent", 0) == 0
    stored = {item.outbox_id: item for item in OutboxModel.scan(consistent_read=True)}
    assert set(stored) == queued
    assert {item.status for item in stored.values()} == {outbox.PENDING}
    appeal = AppealModel.get(created["appeal_id"], consistent_read=True)
    assert appeal.status == "answered"
    assert appeal_events(created["appeal_id"]) == ["submitted", "answered"]
