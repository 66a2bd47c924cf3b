"""The appeal lifecycle through the Chalice test client against moto's DynamoDB."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.conftest import bearer, post_json


def solved_captcha() -> dict:
    from chalicelib import captchas, config

    captcha_id = captchas.store_challenge("ABCDE", datetime.now(timezone.utc), config.get_settings())
    return {"captcha_id": captcha_id, "captcha_answer": "abcde"}


def appeal_body(**changes) -> dict:
    body = {
        "agency_id": "mvd",
        "kind": "complaint",
        "text": "Koʻchamizdagi chiroqlar ikki oydan beri yonmaydi.",
        "applicant": {
            "full_name": "Aliyev Vali Karimovich",
            "address": "Toshkent sh., Chilonzor t., 5-uy",
            "email": "vali@example.org",
        },
        "language": "uz",
    }
    body.update(changes)
    return body


def submit(client, **changes):
    body = appeal_body(**changes)
    body.update(solved_captcha())
    return post_json(client, "/v1/appeals", body)


def error_of(response) -> dict:
    return json.loads(response.body)["error"]


def test_agencies_lists_seeded_bodies(client):
    response = client.http.get("/v1/agencies")

    assert response.status_code == 200
    agencies = json.loads(response.body)["agencies"]
    ids = {agency["id"] for agency in agencies}
    assert {"mvd", "minjust", "tashkent-city-khokimiyat", "uzavtoyul"} <= ids
    mvd = next(agency for agency in agencies if agency["id"] == "mvd")
    assert set(mvd["name"]) == {"uz", "uz-Cyrl", "ru", "en"}


def test_captcha_returns_png_data_url(client):
    response = post_json(client, "/v1/captcha", {})

    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["image"].startswith("data:image/png;base64,")
    assert len(body["captcha_id"]) == 32


def test_submit_returns_number_code_and_due_date(client):
    response = submit(client)

    assert response.status_code == 201
    body = json.loads(response.body)
    year = datetime.now(timezone.utc).year
    assert body["appeal_id"] == f"{year}-000001"
    assert len(body["access_code"].replace("-", "")) >= 16
    assert body["status"] == "registered"
    assert body["due_date"] > body["registered_on"]


def test_numbers_are_sequential(client):
    first = json.loads(submit(client, text="Birinchi murojaat.").body)["appeal_id"]
    second = json.loads(submit(client, text="Ikkinchi murojaat.").body)["appeal_id"]

    assert int(second.split("-")[1]) == int(first.split("-")[1]) + 1


def test_number_taken_elsewhere_leaves_no_gap(client):
    from chalicelib.models import CounterModel

    first = json.loads(submit(client, text="Birinchi murojaat.").body)["appeal_id"]
    year = first.split("-")[0]
    # Another Lambda instance registered numbers 2 to 5 meanwhile, so this
    # process's guess of number 2 is stale.
    CounterModel("appeal-number", year, last_number=5).save()

    response = submit(client, text="Ikkinchi murojaat.")

    assert response.status_code == 201
    assert json.loads(response.body)["appeal_id"] == f"{year}-000006"
    assert CounterModel.get("appeal-number", year).last_number == 6


@pytest.mark.parametrize("invisible", ["\u200b\u200b\u200b", "\ufeff\u200d", "\u3164"])
def test_invisible_text_is_required_error(client, invisible):
    response = submit(client, text=invisible)

    assert response.status_code == 400
    assert error_of(response)["code"] == "field_required"
    assert error_of(response)["field"] == "text"


def test_invisible_name_is_anonymous(client):
    body = appeal_body()
    body["applicant"]["full_name"] = "\u200b"

    response = submit(client, applicant=body["applicant"])

    assert response.status_code == 400
    assert error_of(response)["code"] == "anonymous_appeal"
    assert error_of(response)["field"] == "applicant.full_name"


@pytest.mark.parametrize("field", ["full_name", "address"])
def test_submit_without_name_or_address_is_anonymous(client, field):
    body = appeal_body()
    del body["applicant"][field]

    response = submit(client, applicant=body["applicant"])

    assert response.status_code == 400
    assert error_of(response)["code"] == "anonymous_appeal"
    assert error_of(response)["field"] == f"applicant.{field}"


def test_submit_without_contact_is_rejected(client):
    applicant = {"full_name": "Aliyev Vali", "address": "Toshkent"}

    response = submit(client, applicant=applicant)

    assert response.status_code == 400
    assert error_of(response)["code"] == "contact_required"


def test_submit_error_message_follows_accept_language(client):
    body = appeal_body(kind="letter")
    body.update(solved_captcha())

    response = post_json(client, "/v1/appeals", body, {"Accept-Language": "ru-RU,ru;q=0.9"})

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_choice"
    assert error["field"] == "kind"
    assert any("\u0400" <= ch <= "\u04ff" for ch in error["message"])


def test_submit_with_wrong_captcha_is_rejected(client):
    body = appeal_body()
    body.update(solved_captcha())
    body["captcha_answer"] = "WRONG"

    response = post_json(client, "/v1/appeals", body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "captcha_wrong"
    assert error_of(response)["field"] == "captcha_answer"


def test_captcha_cannot_be_reused(client):
    body = appeal_body()
    body.update(solved_captcha())
    assert post_json(client, "/v1/appeals", body).status_code == 201
    body["text"] = "Boshqa matn, oʻsha rasm bilan."

    response = post_json(client, "/v1/appeals", body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "captcha_expired"


def test_field_error_leaves_captcha_usable(client):
    captcha = solved_captcha()
    bad = appeal_body(kind="letter")
    bad.update(captcha)
    assert post_json(client, "/v1/appeals", bad).status_code == 400

    good = appeal_body()
    good.update(captcha)
    response = post_json(client, "/v1/appeals", good)

    assert response.status_code == 201


def test_unknown_agency_is_404_naming_field(client):
    response = submit(client, agency_id="no-such-body")

    assert response.status_code == 404
    assert error_of(response)["field"] == "agency_id"


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_body_is_400(client, raw):
    response = client.http.post("/v1/appeals", headers={"Content-Type": "application/json"}, body=raw)

    assert response.status_code == 400
    assert error_of(response)["code"] in ("invalid_json", "body_not_object")


def test_oversized_text_is_413(client):
    response = submit(client, text="a" * 20_001)

    assert response.status_code == 413
    assert error_of(response)["field"] == "text"


def test_apostrophes_are_normalised(client):
    created = json.loads(submit(client, text="O'zbekiston va g`alaba, ma'lumot").body)

    view = client.http.get(f"/v1/appeals/{created['appeal_id']}",
                           headers={"X-Access-Code": created["access_code"]})

    assert json.loads(view.body)["text"] == "Oʻzbekiston va gʻalaba, maʼlumot"


def test_citizen_view_requires_the_access_code(client):
    created = json.loads(submit(client).body)
    path = f"/v1/appeals/{created['appeal_id']}"

    missing = client.http.get(path)
    wrong = client.http.get(path, headers={"X-Access-Code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    right = client.http.get(path, headers={"X-Access-Code": created["access_code"].lower()})

    assert missing.status_code == 401
    assert error_of(missing)["code"] == "access_code_required"
    assert wrong.status_code == 401
    assert error_of(wrong)["code"] == "access_code_invalid"
    assert right.status_code == 200
    assert json.loads(right.body)["answer"] is None


def test_unknown_appeal_is_404(client):
    response = client.http.get("/v1/appeals/2026-999999", headers={"X-Access-Code": "X"})

    assert response.status_code == 404
    assert error_of(response)["code"] == "appeal_not_found"


def test_full_lifecycle_answer_read_rate(client, keys):
    created = json.loads(submit(client).body)
    appeal_id = created["appeal_id"]
    citizen = {"X-Access-Code": created["access_code"], "Content-Type": "application/json"}
    officer = bearer(keys["mvd:officer"])

    inbox = json.loads(client.http.get("/v1/agency/appeals", headers=officer).body)
    assert [item["appeal_id"] for item in inbox["appeals"]] == [appeal_id]
    detail = json.loads(client.http.get(f"/v1/agency/appeals/{appeal_id}", headers=officer).body)
    assert detail["applicant"]["email"] == "vali@example.org"

    early_rating = client.http.post(f"/v1/appeals/{appeal_id}/rating", headers=citizen,
                                    body=json.dumps({"score": 5}))
    assert early_rating.status_code == 409
    assert error_of(early_rating)["code"] == "rating_not_answered"

    answer = client.http.post(f"/v1/agency/appeals/{appeal_id}/answer", headers=officer,
                              body=json.dumps({"text": "Chiroqlar taʼmirlandi."}))
    assert answer.status_code == 200
    second = client.http.post(f"/v1/agency/appeals/{appeal_id}/answer", headers=officer,
                              body=json.dumps({"text": "Yana bir javob."}))
    assert second.status_code == 409
    assert error_of(second)["code"] == "already_answered"

    view = json.loads(client.http.get(f"/v1/appeals/{appeal_id}", headers=citizen).body)
    assert view["status"] == "answered"
    assert view["answer"]["text"] == "Chiroqlar taʼmirlandi."
    assert view["answer"]["read_at"] is not None

    rating = client.http.post(f"/v1/appeals/{appeal_id}/rating", headers=citizen,
                              body=json.dumps({"score": 4, "comment": "<b>Rahmat</b>"}))
    assert rating.status_code == 201
    replaced = client.http.post(f"/v1/appeals/{appeal_id}/rating", headers=citizen,
                                body=json.dumps({"score": 2}))
    assert replaced.status_code == 201

    final = json.loads(client.http.get(f"/v1/appeals/{appeal_id}", headers=citizen).body)
    assert final["rating"]["score"] == 2
    types = [item["type"] for item in final["history"]]
    assert types == ["submitted", "answered", "answer_read", "rated", "rated"]


def test_rating_before_reading_is_409(client, keys):
    created = json.loads(submit(client).body)
    appeal_id = created["appeal_id"]
    client.http.post(f"/v1/agency/appeals/{appeal_id}/answer", headers=bearer(keys["mvd:officer"]),
                     body=json.dumps({"text": "Javob."}))

    response = client.http.post(f"/v1/appeals/{appeal_id}/rating",
                                headers={"X-Access-Code": created["access_code"],
                                         "Content-Type": "application/json"},
                                body=json.dumps({"score": 5}))

    assert response.status_code == 409
    assert error_of(response)["code"] == "rating_before_read"


@pytest.mark.parametrize("score", [0, 6, "5", 4.5, None, True])
def test_rating_score_must_be_1_to_5(client, keys, score):
    created = json.loads(submit(client).body)
    headers = {"X-Access-Code": created["access_code"], "Content-Type": "application/json"}

    response = client.http.post(f"/v1/appeals/{created['appeal_id']}/rating", headers=headers,
                                body=json.dumps({"score": score}))

    assert response.status_code == 400
    assert error_of(response)["field"] == "score"


def test_other_agency_sees_404(client, keys):
    appeal_id = json.loads(submit(client).body)["appeal_id"]
    other = bearer(keys["minjust:officer"])

    view = client.http.get(f"/v1/agency/appeals/{appeal_id}", headers=other)
    answer = client.http.post(f"/v1/agency/appeals/{appeal_id}/answer", headers=other,
                              body=json.dumps({"text": "Javob."}))
    inbox = json.loads(client.http.get("/v1/agency/appeals", headers=other).body)

    assert view.status_code == 404
    assert answer.status_code == 404
    assert inbox["appeals"] == []


@pytest.mark.parametrize("authorization, status, code", [
    (None, 401, "auth_required"),
    ("Basic abc", 401, "auth_required"),
    ("Bearer not-a-key", 401, "api_key_invalid"),
    ("Bearer mrj_0000000000000000_" + "A" * 43, 401, "api_key_invalid"),
])
def test_agency_routes_reject_bad_keys(client, authorization, status, code):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.http.get("/v1/agency/appeals", headers=headers)

    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_admin_key_is_forbidden_on_agency_routes(client, keys):
    response = client.http.get("/v1/agency/appeals", headers=bearer(keys["admin"]))

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden_role"


def test_revoked_key_stops_working(client, keys):
    admin = bearer(keys["admin"])
    created = json.loads(post_json(client, "/v1/admin/api-keys", {"role": "officer", "agency_id": "mvd"},
                                   admin).body)
    officer = bearer(created["key"])
    assert client.http.get("/v1/agency/appeals", headers=officer).status_code == 200

    revoked = client.http.delete(f"/v1/admin/api-keys/{created['key_id']}", headers=admin)

    assert revoked.status_code == 200
    after = client.http.get("/v1/agency/appeals", headers=officer)
    assert after.status_code == 401
    assert error_of(after)["code"] == "api_key_invalid"


def test_officer_cannot_use_admin_routes(client, keys):
    response = post_json(client, "/v1/admin/api-keys", {"role": "admin"}, bearer(keys["mvd:officer"]))

    assert response.status_code == 403


def test_admin_connects_agency(client, keys):
    body = {
        "id": "samarqand-test",
        "name": {"uz": "Sinov", "uz-Cyrl": "Синов", "ru": "Тест", "en": "Test"},
        "contact_email": "a@example.org",
        "head_email": "b@example.org",
    }
    admin = bearer(keys["admin"])

    created = post_json(client, "/v1/admin/agencies", body, admin)
    duplicate = post_json(client, "/v1/admin/agencies", body, admin)
    bad_email = post_json(client, "/v1/admin/agencies", dict(body, id="other", head_email="nope"), admin)

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert bad_email.status_code == 400
    assert error_of(bad_email)["field"] == "head_email"


def test_inbox_pages_with_cursor(client, keys, monkeypatch):
    from chalicelib import appeals

    monkeypatch.setattr(appeals, "INBOX_PAGE_SIZE", 2)
    for number in range(5):
        assert submit(client, text=f"Murojaat {number}.").status_code == 201
    officer = bearer(keys["mvd:officer"])

    seen, cursor = [], None
    for _ in range(5):
        path = "/v1/agency/appeals" + (f"?cursor={cursor}" if cursor else "")
        page = json.loads(client.http.get(path, headers=officer).body)
        seen += [item["appeal_id"] for item in page["appeals"]]
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert len(seen) == 5
    assert len(set(seen)) == 5


def test_forged_cursor_is_400(client, keys):
    from chalicelib.cursors import encode_cursor

    forged = encode_cursor({"inbox_key": {"S": "minjust#open"}, "inbox_due": {"S": "x"},
                            "appeal_id": {"S": "2026-000001"}})

    response = client.http.get(f"/v1/agency/appeals?cursor={forged}", headers=bearer(keys["mvd:officer"]))

    assert response.status_code == 400
    assert error_of(response)["field"] == "cursor"


def test_events_form_a_hash_chain(client, keys):
    from chalicelib.events import GENESIS_HASH, history, recompute_hash

    created = json.loads(submit(client).body)
    client.http.post(f"/v1/agency/appeals/{created['appeal_id']}/answer",
                     headers=bearer(keys["mvd:officer"]), body=json.dumps({"text": "Javob."}))

    events = history(created["appeal_id"])

    assert [event.seq for event in events] == [1, 2]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert all(recompute_hash(event) == event.hash for event in events)
    assert "Aliyev" not in events[0].payload


@pytest.mark.parametrize("raw", [b"[" * 30_000, b'{"a":' * 10_000])
def test_deeply_nested_json_is_400(client, raw):
    response = client.http.post("/v1/appeals", headers={"Content-Type": "application/json"}, body=raw)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize("field", ["text", "agency_id"])
def test_lone_surrogate_is_400(client, field):
    body = appeal_body()
    body.update(solved_captcha())
    body[field] = "x\ud800y"

    response = client.http.post("/v1/appeals", headers={"Content-Type": "application/json"},
                                body=json.dumps(body).encode("ascii"))

    assert response.status_code == 400
    assert error_of(response)["field"] == field


def test_cursor_without_sort_key_is_400(client, keys):
    from chalicelib.cursors import encode_cursor

    cursor = encode_cursor({"inbox_key": {"S": "mvd#open"}})

    response = client.http.get(f"/v1/agency/appeals?cursor={cursor}", headers=bearer(keys["mvd:officer"]))

    assert response.status_code == 400
    assert error_of(response)["field"] == "cursor"


def test_cyrillic_captcha_answer_is_400(client):
    body = appeal_body()
    body.update(solved_captcha())
    body["captcha_answer"] = "ТЕСТ1"

    response = post_json(client, "/v1/appeals", body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "captcha_wrong"


def test_long_path_id_is_not_echoed_whole(client):
    response = client.http.get("/v1/appeals/" + "9" * 5000, headers={"X-Access-Code": "X"})

    assert response.status_code == 404
    assert len(error_of(response)["message"]) < 300
