"""The local stack over real HTTP: moto's server, `chalice local` and the static web server.

One stack without persistence serves every test but the restart test, which
starts its own stack twice on the same data folder.
"""
from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
import requests

from scripts import aws_recording
from scripts.local_stack import start_stack, stop_stack

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def local_captcha_answer() -> str:
    chalice_config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return chalice_config["stages"]["local"]["environment_variables"]["CAPTCHA_TEST_ANSWER"]


CAPTCHA_ANSWER = local_captcha_answer()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("stack"), persist=False)
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def http():
    session = requests.Session()
    session.trust_env = False  # requests to 127.0.0.1 must not go through a proxy
    yield session
    session.close()


def unique_text() -> str:
    # The API rejects a second identical appeal from the same applicant for a
    # few minutes, so every submission here gets its own text.
    return f"Koʻchamizdagi chiroqlar ikki oydan beri yonmaydi. ({uuid.uuid4().hex[:8]})"


def appeal_body(**changes) -> dict:
    body = {
        "agency_id": "mvd",
        "kind": "complaint",
        "text": unique_text(),
        "applicant": {
            "full_name": "Aliyev Vali Karimovich",
            "address": "Toshkent sh., Chilonzor t., 5-uy",
            "email": "vali@example.org",
        },
        "language": "uz",
    }
    body.update(changes)
    return body


def new_captcha_id(http, stack) -> str:
    response = http.post(f"{stack.api_url}/v1/captcha", json={}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["captcha_id"]


def submit(http, stack, captcha_answer: str = CAPTCHA_ANSWER, **changes) -> requests.Response:
    body = appeal_body(**changes)
    body.update(captcha_id=new_captcha_id(http, stack), captcha_answer=captcha_answer)
    return http.post(f"{stack.api_url}/v1/appeals", json=body, timeout=30)


def submitted(http, stack, **changes) -> dict:
    response = submit(http, stack, **changes)
    assert response.status_code == 201, response.text
    return response.json()


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def officer(stack, agency_id: str = "mvd") -> dict:
    return bearer(stack.credentials["agencies"][agency_id]["officer"])


def citizen(created: dict) -> dict:
    return {"X-Access-Code": created["access_code"]}


def answer(http, stack, appeal_id: str, text: str = "Chiroqlar taʼmirlandi.") -> requests.Response:
    return http.post(f"{stack.api_url}/v1/agency/appeals/{appeal_id}/answer", headers=officer(stack),
                     json={"text": text}, timeout=30)


def error_code(response: requests.Response) -> str:
    return response.json()["error"]["code"]


def test_lifecycle_over_http(stack, http):
    agencies = http.get(f"{stack.api_url}/v1/agencies", timeout=30)
    assert agencies.status_code == 200
    assert "mvd" in {agency["id"] for agency in agencies.json()["agencies"]}

    captcha = http.post(f"{stack.api_url}/v1/captcha", json={}, timeout=30)
    assert captcha.status_code == 200
    assert captcha.json()["image"].startswith("data:image/png;base64,")

    body = appeal_body(captcha_id=captcha.json()["captcha_id"], captcha_answer=CAPTCHA_ANSWER)
    created = http.post(f"{stack.api_url}/v1/appeals", json=body, timeout=30)
    assert created.status_code == 201, created.text
    appeal_id = created.json()["appeal_id"]

    inbox = http.get(f"{stack.api_url}/v1/agency/appeals", headers=officer(stack), timeout=30)
    assert inbox.status_code == 200
    assert appeal_id in [item["appeal_id"] for item in inbox.json()["appeals"]]

    answered = answer(http, stack, appeal_id)
    assert answered.status_code == 200, answered.text

    view = http.get(f"{stack.api_url}/v1/appeals/{appeal_id}", headers=citizen(created.json()), timeout=30)
    assert view.status_code == 200
    assert view.json()["status"] == "answered"
    assert view.json()["answer"]["text"] == "Chiroqlar taʼmirlandi."
    assert view.json()["answer"]["read_at"] is not None

    rating = http.post(f"{stack.api_url}/v1/appeals/{appeal_id}/rating", headers=citizen(created.json()),
                       json={"score": 5, "comment": "Rahmat"}, timeout=30)
    assert rating.status_code == 201, rating.text
    assert rating.json()["score"] == 5


def test_submit_without_name_is_anonymous(stack, http):
    applicant = {"address": "Toshkent sh., Chilonzor t., 5-uy", "email": "vali@example.org"}

    response = submit(http, stack, applicant=applicant)

    assert response.status_code == 400, response.text
    assert error_code(response) == "anonymous_appeal"


def test_wrong_captcha_answer_is_rejected(stack, http):
    response = submit(http, stack, captcha_answer="WRONG1")

    assert response.status_code == 400, response.text
    assert error_code(response) == "captcha_wrong"


def test_captcha_cannot_be_reused(stack, http):
    captcha = {"captcha_id": new_captcha_id(http, stack), "captcha_answer": CAPTCHA_ANSWER}
    first = http.post(f"{stack.api_url}/v1/appeals", json=appeal_body(**captcha), timeout=30)
    assert first.status_code == 201, first.text

    second = http.post(f"{stack.api_url}/v1/appeals", json=appeal_body(**captcha), timeout=30)

    assert second.status_code == 400, second.text
    assert error_code(second) == "captcha_expired"


def test_wrong_access_code_is_401(stack, http):
    created = submitted(http, stack)

    response = http.get(f"{stack.api_url}/v1/appeals/{created['appeal_id']}",
                        headers={"X-Access-Code": "AAAA-BBBB-CCCC-DDDD-EEEE"}, timeout=30)

    assert response.status_code == 401, response.text
    assert error_code(response) == "access_code_invalid"


def test_other_agency_officer_gets_404(stack, http):
    created = submitted(http, stack)

    response = http.get(f"{stack.api_url}/v1/agency/appeals/{created['appeal_id']}",
                        headers=officer(stack, "minjust"), timeout=30)

    assert response.status_code == 404, response.text
    assert error_code(response) == "appeal_not_found"


def test_revoked_key_is_401(stack, http):
    admin = bearer(stack.credentials["admin"])
    created = http.post(f"{stack.api_url}/v1/admin/api-keys", headers=admin,
                        json={"role": "officer", "agency_id": "mvd"}, timeout=30)
    assert created.status_code == 201, created.text
    new_officer = bearer(created.json()["key"])
    assert http.get(f"{stack.api_url}/v1/agency/appeals", headers=new_officer, timeout=30).status_code == 200

    revoked = http.delete(f"{stack.api_url}/v1/admin/api-keys/{created.json()['key_id']}", headers=admin,
                          timeout=30)
    assert revoked.status_code == 200

    response = http.get(f"{stack.api_url}/v1/agency/appeals", headers=new_officer, timeout=30)
    assert response.status_code == 401, response.text
    assert error_code(response) == "api_key_invalid"


def test_rating_before_reading_is_409(stack, http):
    created = submitted(http, stack)
    assert answer(http, stack, created["appeal_id"]).status_code == 200

    response = http.post(f"{stack.api_url}/v1/appeals/{created['appeal_id']}/rating",
                         headers=citizen(created), json={"score": 4}, timeout=30)

    assert response.status_code == 409, response.text
    assert error_code(response) == "rating_before_read"


def test_second_answer_is_409(stack, http):
    created = submitted(http, stack)
    assert answer(http, stack, created["appeal_id"]).status_code == 200

    response = answer(http, stack, created["appeal_id"], text="Yana bir javob.")

    assert response.status_code == 409, response.text
    assert error_code(response) == "already_answered"


def test_cors_preflight_allows_web_origin(stack, http):
    response = http.options(f"{stack.api_url}/v1/appeals", timeout=30, headers={
        "Origin": stack.web_url,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type",
    })

    assert 200 <= response.status_code < 300
    assert response.headers.get("Access-Control-Allow-Origin") == stack.web_url, (
        "chalice local did not take SITE_ORIGIN from the stack; "
        "the local stage in .chalice/config.json must not set it"
    )


@pytest.mark.parametrize("path, method", [
    ("/v1/appeals/2026-000001", "GET"),
    ("/v1/appeals/2026-000001/rating", "POST"),
    ("/v1/agencies", "GET"),
    ("/v1/captcha", "POST"),
])
def test_preflight_of_every_public_route(stack, http, path, method):
    response = http.options(f"{stack.api_url}{path}", timeout=30, headers={
        "Origin": stack.web_url,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "X-Access-Code, Content-Type",
    })

    assert 200 <= response.status_code < 300
    assert response.headers.get("Access-Control-Allow-Origin") == stack.web_url
    assert "X-Access-Code" in response.headers.get("Access-Control-Allow-Headers", "")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415_json(stack, http, content_type):
    response = http.post(f"{stack.api_url}/v1/appeals", data="x=1", timeout=30,
                         headers={"Content-Type": content_type, "Accept-Language": "ru"})

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_web_server_serves_config_js(stack, http):
    response = http.get(f"{stack.web_url}/config.js", timeout=30)

    assert response.status_code == 200
    assert json.dumps({"apiBaseUrl": stack.api_url}) in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_stack_file_names_the_urls(stack):
    stack_file = json.loads((stack.data_dir / "stack.json").read_text(encoding="utf-8"))

    assert stack_file == {"api_url": stack.api_url, "web_url": stack.web_url, "aws_url": stack.aws_url}


def test_data_survives_restart(tmp_path):
    session = requests.Session()
    session.trust_env = False
    text = unique_text()
    first = start_stack(tmp_path, persist=True)
    try:
        created = submitted(session, first, text=text)
        assert answer(session, first, created["appeal_id"]).status_code == 200
    finally:
        stop_stack(first)
    assert not (tmp_path / "stack.json").exists()

    second = start_stack(tmp_path, persist=True)
    try:
        view = session.get(f"{second.api_url}/v1/appeals/{created['appeal_id']}", headers=citizen(created),
                           timeout=30)
        inbox = session.get(f"{second.api_url}/v1/agency/appeals?status=answered", headers=officer(second),
                            timeout=30)
        next_appeal = submitted(session, second)
    finally:
        stop_stack(second)
        session.close()

    assert second.credentials == first.credentials
    assert view.status_code == 200
    assert view.json()["text"] == text
    assert view.json()["answer"]["text"] == "Chiroqlar taʼmirlandi."
    assert inbox.status_code == 200
    assert created["appeal_id"] in [item["appeal_id"] for item in inbox.json()["appeals"]]
    year, number = created["appeal_id"].split("-")
    assert next_appeal["appeal_id"] == f"{year}-{int(number) + 1:06d}"


def recorded_request(method: str, url: str, body: bytes = b"", **headers) -> str:
    entry = {"headers": headers, "method": method, "url": url,
             "body": base64.b64encode(body).decode("ascii"), "body_encoded": True}
    return json.dumps(entry)


def test_compaction_keeps_only_writes(tmp_path):
    moto_url = "http://127.0.0.1:5000/"
    put_item = recorded_request("POST", moto_url, b'{"TableName": "t"}',
                                **{"X-Amz-Target": "DynamoDB_20120810.PutItem"})
    get_item = recorded_request("POST", moto_url, b'{"TableName": "t"}',
                                **{"X-Amz-Target": "DynamoDB_20120810.GetItem"})
    verify_sender = recorded_request("POST", moto_url, b"Action=VerifyEmailIdentity&EmailAddress=a%40b.org",
                                     **{"Content-Type": "application/x-www-form-urlencoded"})
    list_senders = recorded_request("POST", moto_url, b"Action=ListIdentities",
                                    **{"Content-Type": "application/x-www-form-urlencoded"})
    put_object = recorded_request("PUT", "http://127.0.0.1:5000/ledger/2026/day.json", bytes(range(256)))
    get_object = recorded_request("GET", "http://127.0.0.1:5000/ledger/2026/day.json")
    # An abrupt kill cuts a line short, and moto appends the next request to it.
    torn = put_item[:40] + put_item
    recording = tmp_path / "aws-recording.jsonl"
    recording.write_text("\n".join([put_item, get_item, verify_sender, list_senders, put_object,
                                    get_object, torn, ""]), encoding="utf-8")

    result = aws_recording.compact_recording(recording)

    assert result.kept_requests == 3
    assert result.dropped_reads == 3
    assert result.dropped_invalid == 1
    assert recording.read_text(encoding="utf-8").splitlines() == [put_item, verify_sender, put_object]
