"""Concurrent requests over HTTP against a local stack: one winner per change, exact counters, gapless numbers."""
from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

from scripts.local_stack import REGION, local_stage_environment, start_stack, stop_stack

pytestmark = pytest.mark.slow

TIMEOUT_SECONDS = 60
CONNECT_ATTEMPTS = 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("race-stack"), persist=False)
    yield running
    stop_stack(running)


def call(method: str, url: str, **kwargs) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # never through a proxy
        return session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)


def call_with_reconnect(method: str, url: str, **kwargs) -> requests.Response:
    """Send a request whose repetition is harmless, again when the connection is reset.

    chalice local listens with a backlog of 5 connections, so some of 20
    simultaneous connections are reset before the request is read.
    """
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            return call(method, url, **kwargs)
        except requests.ConnectionError:
            if attempt == CONNECT_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def submit(stack, text: str) -> requests.Response:
    captcha = call_with_reconnect("POST", f"{stack.api_url}/v1/captcha", json={})
    assert captcha.status_code == 200, captcha.text
    body = {
        "agency_id": "mvd",
        "kind": "complaint",
        "text": text,
        "applicant": {"full_name": "Yusupov Jasur", "address": "Farg'ona sh., 3-uy", "phone": "+998907770011"},
        "language": "uz",
        "captcha_id": captcha.json()["captcha_id"],
        "captcha_answer": local_stage_environment()["CAPTCHA_TEST_ANSWER"],
    }
    # The Idempotency-Key makes a repeated submission return the first one's result.
    headers = {"Idempotency-Key": secrets.token_hex(16)}
    return call_with_reconnect("POST", f"{stack.api_url}/v1/appeals", json=body, headers=headers)


def submitted(stack, text: str) -> dict:
    response = submit(stack, text)
    assert response.status_code == 201, response.text
    return response.json()


def agency_counters(stack, agency_id: str = "mvd") -> dict[str, int]:
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=stack.aws_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    table = local_stage_environment()["TABLE_PREFIX"] + "counters"
    item = dynamodb.get_item(TableName=table, ConsistentRead=True,
                             Key={"counter_id": {"S": f"agency#{agency_id}"}, "period": {"S": "all"}}).get("Item", {})
    return {name: int(value["N"]) for name, value in item.items() if "N" in value}


def delta(before: dict, after: dict, name: str) -> int:
    return after.get(name, 0) - before.get(name, 0)


def run_concurrently(count: int, task) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_concurrent_answers_have_one_winner(stack):
    officer = stack.credentials["agencies"]["mvd"]["officer"]
    appeal_id = submitted(stack, "Bir vaqtda javob berish sinovi.")["appeal_id"]
    before = agency_counters(stack)

    responses = run_concurrently(8, lambda index: call(
        "POST", f"{stack.api_url}/v1/agency/appeals/{appeal_id}/answer",
        json={"text": f"Javob raqami {index}."}, headers=bearer(officer)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 7, [response.text for response in responses]
    after = agency_counters(stack)
    assert delta(before, after, "completed") == 1
    view = call("GET", f"{stack.api_url}/v1/agency/appeals/{appeal_id}", headers=bearer(officer)).json()
    winner = next(response for response in responses if response.status_code == 200)
    assert view["answer"]["answered_at"] == winner.json()["answered_at"]
    assert [item["type"] for item in view["history"]].count("answered") == 1


def test_concurrent_ratings_leave_last_committed(stack):
    officer = stack.credentials["agencies"]["mvd"]["officer"]
    created = submitted(stack, "Bir vaqtda baholash sinovi.")
    appeal_id, code = created["appeal_id"], created["access_code"]
    answer = call("POST", f"{stack.api_url}/v1/agency/appeals/{appeal_id}/answer", json={"text": "Javob."},
                  headers=bearer(officer))
    assert answer.status_code == 200, answer.text
    assert call("GET", f"{stack.api_url}/v1/appeals/{appeal_id}", headers={"X-Access-Code": code}).status_code == 200
    before = agency_counters(stack)

    responses = run_concurrently(8, lambda index: call(
        "POST", f"{stack.api_url}/v1/appeals/{appeal_id}/rating",
        json={"score": index % 5 + 1}, headers={"X-Access-Code": code}))

    assert {response.status_code for response in responses} <= {201, 409}, [r.text for r in responses]
    committed = [response.json()["score"] for response in responses if response.status_code == 201]
    assert committed
    view = call("GET", f"{stack.api_url}/v1/appeals/{appeal_id}", headers={"X-Access-Code": code}).json()
    final = view["rating"]["score"]
    assert final in committed
    after = agency_counters(stack)
    assert delta(before, after, "rated") == 1
    assert sum(delta(before, after, f"score_{score}") for score in range(1, 6)) == 1
    assert delta(before, after, f"score_{final}") == 1
    assert delta(before, after, "score_sum") == final
    assert [item["type"] for item in view["history"]].count("rated") == len(committed)


def test_concurrent_extensions_have_one_winner(stack):
    head = stack.credentials["agencies"]["mvd"]["head"]
    appeal_id = submitted(stack, "Bir vaqtda muddat uzaytirish sinovi.")["appeal_id"]

    responses = run_concurrently(8, lambda index: call(
        "POST", f"{stack.api_url}/v1/agency/appeals/{appeal_id}/extension",
        json={"reason": f"Sabab {index}."}, headers=bearer(head)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 7, [response.text for response in responses]
    view = call("GET", f"{stack.api_url}/v1/agency/appeals/{appeal_id}", headers=bearer(head)).json()
    assert [item["type"] for item in view["history"]].count("extended") == 1


SIMULTANEOUS_SUBMISSIONS = 40


def test_concurrent_submissions_get_gapless_numbers(stack):
    before = agency_counters(stack)

    responses = run_concurrently(SIMULTANEOUS_SUBMISSIONS,
                                 lambda index: submit(stack, f"Parallel murojaat raqami {index}."))

    statuses = [response.status_code for response in responses]
    assert statuses == [201] * SIMULTANEOUS_SUBMISSIONS, [r.text for r in responses if r.status_code != 201]
    numbers = sorted(int(response.json()["appeal_id"].split("-")[1]) for response in responses)
    assert numbers == list(range(numbers[0], numbers[0] + SIMULTANEOUS_SUBMISSIONS))
    assert delta(before, agency_counters(stack), "received") == SIMULTANEOUS_SUBMISSIONS


def test_simultaneous_wrong_codes_all_counted(stack):
    appeal_id = submitted(stack, "Notoʻgʻri kodlar bir vaqtda yuboriladi.")["appeal_id"]

    responses = run_concurrently(6, lambda index: call_with_reconnect(
        "GET", f"{stack.api_url}/v1/appeals/{appeal_id}", headers={"X-Access-Code": f"WRONG-{index}"}))

    assert [response.status_code for response in responses] == [401] * 6, [r.text for r in responses]
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=stack.aws_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    table = local_stage_environment()["TABLE_PREFIX"] + "appeals"
    item = dynamodb.get_item(TableName=table, ConsistentRead=True, Key={"appeal_id": {"S": appeal_id}})["Item"]
    assert item["code_failures"]["N"] == "6"


def test_ledger_verifies_after_races(stack):
    # Runs last in this module, after every race above.
    response = call("GET", f"{stack.api_url}/v1/admin/ledger/verify", headers=bearer(stack.credentials["admin"]))

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["findings"] == []
    assert result["ok"] is True
    assert result["appeals_checked"] >= 23
