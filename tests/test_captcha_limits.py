"""Wrong captcha answers are limited per client address."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib import captchas, config, rate_limits
from chalicelib.errors import BadRequest, TooManyRequests
from chalicelib.models import RateLimitModel
from tests.test_appeal_routes import appeal_body, error_of, solved_captcha

NOW = datetime(2026, 4, 6, 5, 0, tzinfo=timezone.utc)


def wrong_attempt(client_ip: str) -> None:
    captcha_id = captchas.store_challenge("ABCDE", NOW, config.get_settings())
    captchas.consume(captcha_id, "WRONG", NOW, config.get_settings(), client_ip=client_ip)


def test_address_over_limit_gets_429(tables):
    for _ in range(rate_limits.WRONG_CAPTCHAS_PER_IP.max_count):
        with pytest.raises(BadRequest):
            wrong_attempt("203.0.113.7")
    captcha_id = captchas.store_challenge("ABCDE", NOW, config.get_settings())

    with pytest.raises(TooManyRequests) as limited:
        captchas.consume(captcha_id, "ABCDE", NOW, config.get_settings(), client_ip="203.0.113.7")
    captchas.consume(captcha_id, "ABCDE", NOW, config.get_settings(), client_ip="198.51.100.9")

    assert limited.value.code == "rate_limited"
    assert int(limited.value.headers["Retry-After"]) > 0


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
