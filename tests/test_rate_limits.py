"""Fixed-window rate limits, and the limits on wrong access codes."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import appeals, config, rate_limits
from chalicelib.errors import TooManyRequests, Unauthorized
from chalicelib.models import AppealModel, RateLimitModel

NOW = datetime(2026, 3, 10, 12, 20, tzinfo=timezone.utc)
THREE_PER_HOUR = rate_limits.Limit("test", 3, timedelta(hours=1))


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def register(now: datetime) -> dict:
    body = {"agency_id": "mvd", "kind": "application", "text": f"Murojaat matni ({uuid.uuid4().hex[:8]}).", "language": "uz",
            "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"}}
    return appeals.submit_appeal(body, now, config.get_settings(), no_captcha)


# ---------------------------------------------------------------- the counter

def test_hit_counts_up_to_limit(tables):
    counts = [rate_limits.hit(THREE_PER_HOUR, "a", NOW) for _ in range(3)]

    assert counts == [1, 2, 3]
    with pytest.raises(TooManyRequests) as raised:
        rate_limits.hit(THREE_PER_HOUR, "a", NOW)
    assert raised.value.code == "rate_limited"
    assert raised.value.headers["Retry-After"] == str(40 * 60)


def test_rejected_hit_is_not_counted(tables):
    for _ in range(3):
        rate_limits.hit(THREE_PER_HOUR, "a", NOW)
    for _ in range(2):
        with pytest.raises(TooManyRequests):
            rate_limits.hit(THREE_PER_HOUR, "a", NOW)

    items = list(RateLimitModel.scan())
    assert len(items) == 1
    assert items[0].count == 3


def test_next_window_starts_from_zero(tables):
    for _ in range(3):
        rate_limits.hit(THREE_PER_HOUR, "a", NOW)

    assert rate_limits.hit(THREE_PER_HOUR, "a", datetime(2026, 3, 10, 13, 0, tzinfo=timezone.utc)) == 1


def test_subjects_are_counted_apart(tables):
    for _ in range(3):
        rate_limits.hit(THREE_PER_HOUR, "a", NOW)

    assert rate_limits.hit(THREE_PER_HOUR, "b", NOW) == 1


def test_item_expires_after_window(tables):
    rate_limits.hit(THREE_PER_HOUR, "a", NOW)

    item = list(RateLimitModel.scan())[0]
    assert item.expires_at == datetime(2026, 3, 11, 13, 0, tzinfo=timezone.utc)
    assert item.window_start == "2026-03-10T12:00:00.000000Z"


def test_ip_subject_stores_no_address():
    subject = rate_limits.ip_subject("203.0.113.7")

    assert "203.0.113.7" not in subject
    assert subject == rate_limits.ip_subject("203.0.113.7")
    assert subject != rate_limits.ip_subject("203.0.113.8")


# ---------------------------------------------------------------- wrong access codes

def test_eleventh_wrong_code_is_429(tables):
    appeal_id = register(NOW)["appeal_id"]

    for index in range(10):
        with pytest.raises(Unauthorized):
            appeals.view_for_citizen(appeal_id, "WRONG-CODE", NOW, "uz", f"10.0.0.{index}")
    with pytest.raises(TooManyRequests):
        appeals.view_for_citizen(appeal_id, "WRONG-CODE", NOW, "uz", "10.0.0.99")


def test_right_code_after_limit_is_429(tables):
    # The limit is checked before the code is compared, so a guesser learns
    # nothing from the answer once the limit is used up, not even for the right code.
    created = register(NOW)
    for _ in range(10):
        with pytest.raises(Unauthorized):
            appeals.view_for_citizen(created["appeal_id"], "WRONG-CODE", NOW, "uz")

    with pytest.raises(TooManyRequests):
        appeals.view_for_citizen(created["appeal_id"], created["access_code"], NOW, "uz")
    later = NOW + timedelta(hours=1)
    assert appeals.view_for_citizen(created["appeal_id"], created["access_code"], later, "uz")["appeal_id"]


def test_right_codes_are_not_counted(tables):
    created = register(NOW)

    for _ in range(15):
        appeals.view_for_citizen(created["appeal_id"], created["access_code"], NOW, "uz", "10.0.0.1")

    assert list(RateLimitModel.scan()) == []
    assert AppealModel.get(created["appeal_id"]).code_failures is None


def test_wrong_codes_keep_event_chain(tables):
    created = register(NOW)
    before = AppealModel.get(created["appeal_id"])

    for _ in range(3):
        with pytest.raises(Unauthorized):
            appeals.view_for_citizen(created["appeal_id"], "WRONG-CODE", NOW, "uz")

    after = AppealModel.get(created["appeal_id"])
    assert after.code_failures == 3
    assert after.event_seq == before.event_seq
    assert after.last_event_hash == before.last_event_hash
    # The count does not stop the citizen, and does not break the ledger.
    assert appeals.view_for_citizen(created["appeal_id"], created["access_code"], NOW, "uz")["status"] == "registered"


def test_count_starts_again_in_next_window(tables):
    created = register(NOW)
    for _ in range(10):
        with pytest.raises(Unauthorized):
            appeals.view_for_citizen(created["appeal_id"], "WRONG-CODE", NOW, "uz")

    later = NOW + timedelta(hours=1)
    with pytest.raises(Unauthorized):
        appeals.view_for_citizen(created["appeal_id"], "WRONG-CODE", later, "uz")

    assert AppealModel.get(created["appeal_id"]).code_failures == 1


def use_up_address_limit(client_ip: str) -> None:
    """Send the address's allowed wrong codes, spread over four other appeals so that none is locked."""
    other_ids = [register(NOW + timedelta(seconds=index + 1))["appeal_id"] for index in range(4)]
    for attempt in range(rate_limits.WRONG_CODES_PER_IP.max_count):
        with pytest.raises(Unauthorized):
            appeals.view_for_citizen(other_ids[attempt % 4], "WRONG-CODE", NOW, "uz", client_ip)


def test_address_over_limit_adds_nothing_to_appeals(tables):
    target = register(NOW)
    use_up_address_limit("198.51.100.4")

    for _ in range(rate_limits.WRONG_CODES_PER_APPEAL.max_count + 1):
        with pytest.raises(TooManyRequests):
            appeals.view_for_citizen(target["appeal_id"], "WRONG-CODE", NOW, "uz", "198.51.100.4")

    assert AppealModel.get(target["appeal_id"]).code_failures is None
    view = appeals.view_for_citizen(target["appeal_id"], target["access_code"], NOW, "uz", "203.0.113.50")
    assert view["appeal_id"] == target["appeal_id"]


def test_address_limit_spares_right_code(tables):
    # Many citizens share one carrier-grade NAT address; a scanner behind it
    # must not lock them out of their own appeals.
    created = register(NOW)
    use_up_address_limit("198.51.100.4")
    with pytest.raises(TooManyRequests):
        appeals.view_for_citizen(created["appeal_id"], "WRONG-CODE", NOW, "uz", "198.51.100.4")

    view = appeals.view_for_citizen(created["appeal_id"], created["access_code"], NOW, "uz", "198.51.100.4")

    assert view["appeal_id"] == created["appeal_id"]


def test_wrong_codes_from_one_address_limited_across_appeals(tables):
    appeal_ids = [register(NOW + timedelta(seconds=index))["appeal_id"] for index in range(4)]

    for attempt in range(30):
        with pytest.raises(Unauthorized):
            appeals.view_for_citizen(appeal_ids[attempt % 4], "WRONG-CODE", NOW, "uz", "198.51.100.4")
    with pytest.raises(TooManyRequests):
        appeals.view_for_citizen(appeal_ids[0], "WRONG-CODE", NOW, "uz", "198.51.100.4")
    with pytest.raises(Unauthorized):
        appeals.view_for_citizen(appeal_ids[0], "WRONG-CODE", NOW, "uz", "198.51.100.5")


def test_rating_with_wrong_code_counts_too(tables):
    appeal_id = register(NOW)["appeal_id"]

    for _ in range(10):
        with pytest.raises(Unauthorized):
            appeals.rate_answer(appeal_id, "WRONG-CODE", {"score": 5}, NOW)
    with pytest.raises(TooManyRequests):
        appeals.rate_answer(appeal_id, "WRONG-CODE", {"score": 5}, NOW)


def test_route_returns_429_with_retry_after(client):
    appeal_id = register(datetime.now(timezone.utc))["appeal_id"]
    headers = {"X-Access-Code": "WRONG-CODE", "Accept-Language": "ru"}

    statuses = [client.http.get(f"/v1/appeals/{appeal_id}", headers=headers).status_code for _ in range(11)]

    assert statuses == [401] * 10 + [429]
    response = client.http.get(f"/v1/appeals/{appeal_id}", headers=headers)
    error = json.loads(response.body)["error"]
    assert error["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert error["message"].startswith("Слишком много попыток")
