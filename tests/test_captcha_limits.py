"""Wrong captcha answers are limited per client address."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib import appeals, captchas, config, rate_limits
from chalicelib.errors import BadRequest, TooManyRequests
from chalicelib.models import AppealModel, RateLimitModel
from tests.test_appeal_routes import appeal_body, error_of, solved_captcha

NOW = datetime(2026, 4, 6, 5, 0, tzinfo=timezone.utc)


def wrong_attempt(client_ip: str) -> None:
    captcha_id = captchas.store_challenge("ABCDE", NOW, config.get_settings())
    captchas.consume(captcha_id, "WRONG", NOW, config.get_settings(), client_ip=client_ip)


def submit_from(client_ip: str, answer: str = "ABCDE") -> dict:
    captcha_id = captchas.store_challenge("ABCDE", NOW, config.get_settings())
    body = dict(appeal_body(text=f"Appeal from {client_ip}"), captcha_id=captcha_id, captcha_answer=answer)
    return appeals.submit_appeal(
        body, NOW, config.get_settings(),
        lambda captcha, typed, at, stage: captchas.consume(captcha, typed, at, stage, client_ip=client_ip))


def test_address_over_limit_gets_429_for_any_answer(tables):
    for _ in range(rate_limits.WRONG_CAPTCHAS_PER_IP.max_count):
        with pytest.raises(BadRequest):
            wrong_attempt("203.0.113.7")

    with pytest.raises(TooManyRequests) as wrong:
        wrong_attempt("203.0.113.7")
    with pytest.raises(TooManyRequests) as right:
        submit_from("203.0.113.7")
    other = submit_from("198.51.100.9")

    assert wrong.value.code == right.value.code == "rate_limited"
    assert int(right.value.headers["Retry-After"]) > 0
    # The rejected submission wrote nothing: the other address got number 1.
    assert other["appeal_id"].endswith("-000001")
    assert [appeal.appeal_id for appeal in AppealModel.scan()] == [other["appeal_id"]]


def test_address_just_below_limit_can_submit(tables):
    for _ in range(rate_limits.WRONG_CAPTCHAS_PER_IP.max_count - 1):
        with pytest.raises(BadRequest):
            wrong_attempt("203.0.113.7")

    registered = submit_from("203.0.113.7")

    assert registered["status"] == "registered"


def test_right_answers_are_not_counted(tables):
    for _ in range(rate_limits.WRONG_CAPTCHAS_PER_IP.max_count + 1):
        captcha_id = captchas.store_challenge("ABCDE", NOW, config.get_settings())
        captchas.consume(captcha_id, "abcde", NOW, config.get_settings(), client_ip="203.0.113.8")


def test_wrong_captcha_over_http_is_counted(client):
    body = appeal_body()
    body.update(solved_captcha())
    body["captcha_answer"] = "WRONG"

    response = client.http.post("/v1/appeals", headers={"Content-Type": "application/json"}, body=json.dumps(body))

    assert response.status_code == 400
    assert error_of(response)["code"] == "captcha_wrong"
    counted = [item for item in RateLimitModel.scan() if "wrong-captcha-ip" in item.key]
    assert len(counted) == 1
