"""DynamoDB requests and capacity of each public and agency use case, driven through the routes.

Requests go through Chalice's in-process test client, so the middleware, API
key checks, idempotency and the domain code are all counted. Run inside
`bench.environment.moto_tables()` or the test suite's `tables` fixture.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from bench.counting import RequestRecorder, summarize
from bench.environment import REGION

CAPTCHA_ANSWER = "BENCH"
APPEAL_BODY = {
    "agency_id": "mvd",
    "kind": "application",
    "text": "Ko'chamizdagi chiroqlar bir oydan beri yonmayapti.",
    "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
    "language": "uz",
}


def _headers(extra: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    headers.update(extra or {})
    return headers


def _bearer(key: str) -> dict:
    return _headers({"Authorization": f"Bearer {key}"})


class UseCaseRunner:
    """Runs each use case once through the routes and keeps its counted requests."""

    def __init__(self, client, recorder: RequestRecorder):
        self.client = client
        self.recorder = recorder
        self.results: dict[str, dict] = {}
        self._appeal_number = 0

    def _call(self, method: str, path: str, headers: dict, body: dict | None = None, expected: int = 200):
        response = self.client.http.request(method, path, headers=headers,
                                            body=json.dumps(body).encode() if body is not None else b"")
        if response.status_code != expected:
            raise RuntimeError(f"{method} {path} returned {response.status_code}, expected {expected}: "
                               f"{response.body[:300]!r}")
        return json.loads(response.body) if response.body else None

    def measure(self, name: str, method: str, path: str, headers: dict, body: dict | None = None,
                expected: int = 200):
        with self.recorder.measure() as requests:
            result = self._call(method, path, headers, body, expected)
        self.results[name] = summarize(requests)
        return result

    def submit(self, name: str | None = None) -> dict:
        """Submit a new appeal, measured under `name` when given; the captcha is stored beforehand, uncounted."""
        from chalicelib import captchas, config

        captcha_id = captchas.store_challenge(CAPTCHA_ANSWER, datetime.now(timezone.utc), config.get_settings())
        self._appeal_number += 1
        body = dict(APPEAL_BODY, text=f"{APPEAL_BODY['text']} ({self._appeal_number})",
                    captcha_id=captcha_id, captcha_answer=CAPTCHA_ANSWER)
        if name is None:
            return self._call("POST", "/v1/appeals", _headers(), body, expected=201)
        return self.measure(name, "POST", "/v1/appeals", _headers(), body, expected=201)


def run_use_cases(client, keys: dict[str, str], recorder: RequestRecorder | None = None) -> dict[str, dict]:
    """Run every use case once and return each one's request summary by name.

    `keys` maps "officer" and "head" to API keys of the agency "mvd".
    """
    from chalicelib import appeals, calendars

    recorder = recorder or RequestRecorder(REGION)
    recorder.attach_models()
    runner = UseCaseRunner(client, recorder)

    runner.measure("captcha", "POST", "/v1/captcha", _headers(), {})
    # A new Lambda instance starts without the agency, the last appeal number
    # and the calendar, which it then keeps (see appeals and calendars).
    appeals.clear_agency_cache()
    calendars._cache = None
    runner.submit("submit (new instance)")
    created = runner.submit("submit")
    _take_number_elsewhere()
    runner.submit("submit after another instance's")
    citizen = _headers({"X-Access-Code": created["access_code"]})
    appeal_path = f"/v1/appeals/{created['appeal_id']}"
    agency_path = f"/v1/agency/appeals/{created['appeal_id']}"

    runner.measure("citizen view", "GET", appeal_path, citizen)
    runner.measure("agency inbox page", "GET", "/v1/agency/appeals", _bearer(keys["officer"]))
    runner.measure("answer", "POST", f"{agency_path}/answer", _bearer(keys["officer"]),
                   {"text": "Chiroqlar 3 kun ichida ta'mirlanadi."})
    runner.measure("first read of an answer", "GET", appeal_path, citizen)
    runner.measure("citizen view of a read answer", "GET", appeal_path, citizen)
    runner.measure("rating", "POST", f"{appeal_path}/rating", citizen, {"score": 4, "comment": "Rahmat"},
                   expected=201)

    to_forward = runner.submit()
    runner.measure("forward", "POST", f"/v1/agency/appeals/{to_forward['appeal_id']}/forward",
                   _bearer(keys["officer"]), {"to_agency_id": "minjust", "reason": "Adliya vakolatida"})
    to_extend = runner.submit()
    runner.measure("extension", "POST", f"/v1/agency/appeals/{to_extend['appeal_id']}/extension",
                   _bearer(keys["head"]), {"reason": "Qo'shimcha tekshiruv"})
    return runner.results


def _take_number_elsewhere() -> None:
    """Move the appeal-number counter on by one, as a submission on another Lambda instance would."""
    from chalicelib.models import CounterModel

    year = str(datetime.now(timezone.utc).year)
    counter = CounterModel.get("appeal-number", year, consistent_read=True)
    counter.update(actions=[CounterModel.last_number.add(1)])


def create_agency_keys() -> dict[str, str]:
    from chalicelib.auth import create_key

    now = datetime.now(timezone.utc)
    return {role: create_key(role, "mvd", now)["key"] for role in ("officer", "head")}


def measure_use_cases() -> dict[str, dict]:
    """Start moto, create the tables and run every use case; return the summaries by name."""
    from chalice.test import Client

    from bench.environment import moto_tables

    with moto_tables():
        import app as app_module

        keys = create_agency_keys()
        with Client(app_module.app, stage_name="test") as client:
            return run_use_cases(client, keys)
