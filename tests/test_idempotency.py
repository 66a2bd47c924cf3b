"""Idempotency-Key retries and double-submission protection, through the Chalice test client."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import idempotency
from chalicelib.errors import BadRequest, Conflict
from chalicelib.models import AppealEventModel, CounterModel, IdempotencyModel
from tests.conftest import bearer, post_json
from tests.test_appeal_routes import appeal_body, error_of, solved_captcha

NOW = datetime(2026, 3, 5, 10, 0, tzinfo=timezone.utc)


def last_number() -> int:
    year = str(datetime.now(timezone.utc).year)
    return int(CounterModel.get("appeal-number", year, consistent_read=True).last_number)


def submit_with_key(client, key: str, body: dict):
    return post_json(client, "/v1/appeals", body, {"Idempotency-Key": key})


def signed_body(**changes) -> dict:
    body = appeal_body(**changes)
    body.update(solved_captcha())
    return body


# ---------------------------------------------------------------- Idempotency-Key on submission

def test_submit_retry_returns_stored_response(client):
    body = signed_body()

    first = submit_with_key(client, "retry-key-1", body)
    second = submit_with_key(client, "retry-key-1", body)

    assert first.status_code == 201
    assert second.status_code == 201
    assert json.loads(second.body) == json.loads(first.body)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert last_number() == 1


def test_submit_retry_ignores_json_layout(client):
    body = signed_body()
    first = submit_with_key(client, "layout-key", body)

    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    second = client.http.post("/v1/appeals", body=reordered,
                              headers={"Content-Type": "application/json", "Idempotency-Key": "layout-key"})

    assert second.status_code == 201
    assert json.loads(second.body)["appeal_id"] == json.loads(first.body)["appeal_id"]
    assert last_number() == 1


def test_submit_key_with_other_body_is_422(client):
    assert submit_with_key(client, "reused-key", signed_body()).status_code == 201

    response = submit_with_key(client, "reused-key", signed_body(text="Boshqa murojaat matni."))

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert error_of(response)["field"] == "Idempotency-Key"
    assert last_number() == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "kalit\u02bb", "tab\there"])
def test_submit_invalid_key_is_400(client, key):
    response = submit_with_key(client, key, signed_body())

    assert response.status_code == 400
    assert error_of(response)["code"] == "idempotency_key_invalid"
    assert error_of(response)["field"] == "Idempotency-Key"


def test_submit_error_is_not_stored(client):
    failed = submit_with_key(client, "after-error", signed_body(kind="letter"))

    retried = submit_with_key(client, "after-error", signed_body(kind="letter"))

    assert failed.status_code == 400
    assert retried.status_code == 400
    assert error_of(retried)["code"] == "invalid_choice"


def test_same_key_scoped_by_route(client, keys):
    created = json.loads(submit_with_key(client, "shared-key", signed_body()).body)

    answer = client.http.post(f"/v1/agency/appeals/{created['appeal_id']}/answer",
                              headers={**bearer(keys["mvd:officer"]), "Idempotency-Key": "shared-key"},
                              body=json.dumps({"text": "Javob."}))

    assert answer.status_code == 200


# ---------------------------------------------------------------- Idempotency-Key on agency actions

def test_answer_retry_records_one_event(client, keys):
    appeal_id = json.loads(post_json(client, "/v1/appeals", signed_body()).body)["appeal_id"]
    headers = {**bearer(keys["mvd:officer"]), "Idempotency-Key": "answer-once"}
    path = f"/v1/agency/appeals/{appeal_id}/answer"

    first = client.http.post(path, headers=headers, body=json.dumps({"text": "Chiroqlar taʼmirlandi."}))
    second = client.http.post(path, headers=headers, body=json.dumps({"text": "Chiroqlar taʼmirlandi."}))

    assert first.status_code == 200
    assert second.status_code == 200
    assert json.loads(second.body) == json.loads(first.body)
    types = [event.type for event in AppealEventModel.query(appeal_id)]
    assert types.count("answered") == 1


def test_answer_key_on_other_appeal_is_422(client, keys):
    first_id = json.loads(post_json(client, "/v1/appeals", signed_body()).body)["appeal_id"]
    second_id = json.loads(post_json(client, "/v1/appeals", signed_body(text="Boshqa matn.")).body)["appeal_id"]
    headers = {**bearer(keys["mvd:officer"]), "Idempotency-Key": "one-answer"}

    client.http.post(f"/v1/agency/appeals/{first_id}/answer", headers=headers, body=json.dumps({"text": "Javob."}))
    other = client.http.post(f"/v1/agency/appeals/{second_id}/answer", headers=headers,
                             body=json.dumps({"text": "Javob."}))

    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"


def test_keys_of_two_officers_are_separate(client, keys):
    appeal_id = json.loads(post_json(client, "/v1/appeals", signed_body()).body)["appeal_id"]
    path = f"/v1/agency/appeals/{appeal_id}/answer"
    body = json.dumps({"text": "Javob."})

    officer = client.http.post(path, headers={**bearer(keys["mvd:officer"]), "Idempotency-Key": "k1"}, body=body)
    head = client.http.post(path, headers={**bearer(keys["mvd:head"]), "Idempotency-Key": "k1"}, body=body)

    assert officer.status_code == 200
    assert head.status_code == 409
    assert error_of(head)["code"] == "already_answered"


def test_study_retry_returns_stored_response(client, keys):
    appeal_id = json.loads(post_json(client, "/v1/appeals", signed_body(kind="application")).body)["appeal_id"]
    headers = {**bearer(keys["mvd:head"]), "Idempotency-Key": "study-1"}
    path = f"/v1/agency/appeals/{appeal_id}/study"
    body = json.dumps({"reason": "Joyida oʻrganish kerak"})

    first = client.http.post(path, headers=headers, body=body)
    second = client.http.post(path, headers=headers, body=body)

    assert first.status_code == 200
    assert second.status_code == 200
    assert json.loads(second.body) == json.loads(first.body)


# ---------------------------------------------------------------- concurrency and expiry

def test_in_progress_key_is_409(tables):
    def handler():
        return idempotency.idempotent("scope", "same", None, b"{}", lambda: {"inner": True}, NOW)

    with pytest.raises(Conflict) as raised:
        idempotency.idempotent("scope", "same", None, b"{}", handler, NOW)

    assert raised.value.code == "idempotency_in_progress"
    assert raised.value.field == "Idempotency-Key"
    # The outer request failed, so its marker is gone and the key can be used again.
    assert idempotency.idempotent("scope", "same", None, b"{}", lambda: {"n": 1}, NOW) == {"n": 1}


def test_stale_in_progress_marker_taken_over(tables):
    idempotency.claim(idempotency.item_key_for("scope", "stale"), idempotency.request_hash(None, b"{}"), NOW, idempotency.RESULT_TTL)

    with pytest.raises(Conflict):
        idempotency.idempotent("scope", "stale", None, b"{}", lambda: {"n": 1}, NOW + timedelta(seconds=59))
    result = idempotency.idempotent("scope", "stale", None, b"{}", lambda: {"n": 2},
                                    NOW + timedelta(seconds=61))

    assert result == {"n": 2}
    assert IdempotencyModel.get(idempotency.item_key_for("scope", "stale")).response == {"n": 2}


def test_stored_result_expires_after_a_day(tables):
    calls = []

    def handler():
        calls.append(1)
        return {"call": len(calls)}

    idempotency.idempotent("scope", "daily", None, b"{}", handler, NOW)
    within = idempotency.idempotent("scope", "daily", None, b"{}", handler, NOW + timedelta(hours=23))
    after = idempotency.idempotent("scope", "daily", None, b"{}", handler, NOW + timedelta(hours=24, seconds=1))

    assert within.body == {"call": 1}
    assert after == {"call": 2}


def test_stored_item_has_ttl(tables):
    idempotency.idempotent("scope", "ttl", None, b"{}", lambda: {"n": 1}, NOW)

    item = IdempotencyModel.get(idempotency.item_key_for("scope", "ttl"), consistent_read=True)

    assert item.expires_at == NOW + timedelta(hours=24)
    assert item.status_code == 200


def test_check_key_accepts_printable_ascii():
    assert idempotency.check_key("a") == "a"
    assert idempotency.check_key("~ !" * 66) == "~ !" * 66
    with pytest.raises(BadRequest):
        idempotency.check_key("\x7f")


# ---------------------------------------------------------------- double submission

def test_double_click_creates_one_appeal(client):
    first = post_json(client, "/v1/appeals", signed_body())
    spaced = signed_body(text="  Koʻchamizdagi   chiroqlar ikki oydan\nberi yonmaydi.  ")
    second = post_json(client, "/v1/appeals", spaced)

    assert first.status_code == 201
    assert second.status_code == 409
    assert error_of(second)["code"] == "duplicate_submission"
    assert json.loads(first.body)["appeal_id"] in error_of(second)["message"]
    assert last_number() == 1


def test_two_applicants_same_text_two_appeals(client):
    other = appeal_body()["applicant"] | {"full_name": "Karimova Dilnoza", "email": "dilnoza@example.org"}

    first = post_json(client, "/v1/appeals", signed_body())
    second = post_json(client, "/v1/appeals", signed_body(applicant=other))

    assert first.status_code == 201
    assert second.status_code == 201
    assert last_number() == 2


def test_same_applicant_after_window_creates_second(tables):
    from chalicelib import appeals, config

    body = appeal_body()
    settings = config.get_settings()

    def submit(moment):
        return appeals.submit_appeal(body, moment, settings, lambda *_args: None)

    first = submit(NOW)
    with pytest.raises(Conflict) as raised:
        submit(NOW + timedelta(seconds=119))
    later = submit(NOW + timedelta(minutes=2, seconds=1))

    assert raised.value.code == "duplicate_submission"
    assert raised.value.params["appeal_id"] == first["appeal_id"]
    assert later["appeal_id"] != first["appeal_id"]


def test_failed_submission_frees_fingerprint(client):
    wrong = signed_body()
    wrong["captcha_answer"] = "WRONG"
    assert post_json(client, "/v1/appeals", wrong).status_code == 400

    response = post_json(client, "/v1/appeals", signed_body())

    assert response.status_code == 201


def test_stored_access_code_is_sealed(client):
    body = appeal_body()
    body.update(solved_captcha())
    headers = {"Content-Type": "application/json", "Idempotency-Key": "5f0c8a6e-2b1d-4c3e-9a7f-1e2d3c4b5a69"}
    first = json.loads(client.http.post("/v1/appeals", headers=headers, body=json.dumps(body)).body)

    stored = [item for item in IdempotencyModel.scan() if item.response and "access_code" in item.response]
    replay = json.loads(client.http.post("/v1/appeals", headers=headers, body=json.dumps(body)).body)

    assert len(stored) == 1
    assert first["access_code"] not in json.dumps(stored[0].response)
    assert "5f0c8a6e" not in stored[0].key
    assert replay["access_code"] == first["access_code"]
