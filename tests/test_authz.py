"""Authorization of every agency and admin route, read from app.routes, and what the refusals reveal."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.conftest import bearer

TEXT = "Mahallamizdagi maktab tomi oqadi, bolalar sovuqda oʻqiydi."
APPLICANT = {
    "full_name": "Rahimova Sevara Anvarovna",
    "address": "Buxoro sh., Navoiy koʻchasi, 14-uy",
    "email": "sevara.rahimova@example.org",
    "phone": "+998935551122",
}
PRIVATE_VALUES = [TEXT, *APPLICANT.values()]

# A valid body for each agency action, so that a request from another agency
# reaches the ownership check instead of failing on its fields.
ACTION_BODIES = {
    "answer": {"text": "Tom taʼmirlandi."},
    "forward": {"to_agency_id": "tashkent-city-khokimiyat", "reason": "Hokimiyat vakolatida."},
    "merge": {"into_appeal_id": "2020-000001", "reason": "Takroriy murojaat."},
    "extension": {"reason": "Qoʻshimcha tekshiruv kerak."},
    "study": {"reason": "Joyida oʻrganish kerak."},
    "dismiss": {"ground": "withdrawn", "reason": "Arizachi qaytarib oldi."},
}
HEAD_ONLY_ACTIONS = {"extension"}


def routes(prefix: str) -> list[tuple[str, str]]:
    import app as app_module

    return sorted((path, method) for path, entries in app_module.app.routes.items() if path.startswith(prefix)
                  for method in entries if method != "OPTIONS")


AGENCY_ROUTES = routes("/v1/agency/")
ADMIN_ROUTES = routes("/v1/admin/")


@pytest.fixture
def appeal(tables) -> dict:
    """An open appeal of the mvd agency, with recognisable text and applicant data."""
    from chalicelib import appeals, config

    body = {"agency_id": "mvd", "kind": "complaint", "text": TEXT, "applicant": APPLICANT, "language": "uz"}
    return appeals.submit_appeal(body, datetime.now(timezone.utc), config.get_settings(), lambda *_args: None)


@pytest.fixture
def revoked_key(tables) -> str:
    from chalicelib.auth import create_key, revoke_key

    created = create_key("head", "mvd", datetime(2026, 3, 1, tzinfo=timezone.utc))
    revoke_key(created["key_id"], datetime(2026, 3, 2, tzinfo=timezone.utc))
    return created["key"]


def action_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def request(client, method: str, path: str, appeal_id: str, headers: dict):
    path = path.replace("{appeal_id}", appeal_id).replace("{key_id}", "0123456789abcdef")
    body = json.dumps(ACTION_BODIES.get(action_of(path), {}))
    all_headers = {"Content-Type": "application/json", **headers}
    return client.http.request(method, path, headers=all_headers, body=body if method != "GET" else b"")


def assert_refused(response, status: int, code: str, route: str = "") -> None:
    assert response.status_code == status, f"{route}: {response.body!r}"
    assert json.loads(response.body)["error"]["code"] == code, route
    text = response.body.decode("utf-8")
    for value in PRIVATE_VALUES:
        assert value not in text, f"{route} echoes {value!r}"


ALL_ROUTES = AGENCY_ROUTES + ADMIN_ROUTES
APPEAL_ROUTES = [(path, method) for path, method in AGENCY_ROUTES if "{appeal_id}" in path]


def test_matrix_covers_agency_and_admin_routes():
    assert len(AGENCY_ROUTES) >= 8
    assert len(ADMIN_ROUTES) >= 5


def test_missing_key_is_401(client, appeal):
    for path, method in ALL_ROUTES:
        response = request(client, method, path, appeal["appeal_id"], {})

        assert_refused(response, 401, "auth_required", f"{method} {path}")
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "Token mrj_0123"])
def test_non_bearer_header_is_401(client, appeal, header):
    for path, method in ALL_ROUTES:
        response = request(client, method, path, appeal["appeal_id"], {"Authorization": header})

        assert_refused(response, 401, "auth_required", f"{method} {path}")


MALFORMED_KEYS = [
    "not-a-key",
    "mrj_0123456789abcdef_short",
    "mrj_0123456789abcdef_" + "A" * 43,  # well-formed, unknown id
    "mrj_ZZZZ456789abcdef_" + "A" * 43,
    "' OR '1'='1",
    "mrj_" + "0" * 5000,
]


@pytest.mark.parametrize("key", MALFORMED_KEYS)
def test_malformed_or_unknown_key_is_401(client, appeal, key):
    for path, method in ALL_ROUTES:
        response = request(client, method, path, appeal["appeal_id"], {"Authorization": f"Bearer {key}"})

        assert_refused(response, 401, "api_key_invalid", f"{method} {path}")


def test_wrong_secret_of_real_key_is_401(client, appeal, keys):
    for path, method in ALL_ROUTES:
        real = keys["mvd:head"] if path.startswith("/v1/agency/") else keys["admin"]
        forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")

        response = request(client, method, path, appeal["appeal_id"], {"Authorization": f"Bearer {forged}"})

        assert_refused(response, 401, "api_key_invalid", f"{method} {path}")


def test_revoked_key_is_401(client, appeal, revoked_key):
    for path, method in ALL_ROUTES:
        response = request(client, method, path, appeal["appeal_id"], {"Authorization": f"Bearer {revoked_key}"})

        assert_refused(response, 401, "api_key_invalid", f"{method} {path}")


def test_admin_key_on_agency_route_is_403(client, appeal, keys):
    for path, method in AGENCY_ROUTES:
        response = request(client, method, path, appeal["appeal_id"], bearer(keys["admin"]))

        assert_refused(response, 403, "forbidden_role", f"{method} {path}")


@pytest.mark.parametrize("role", ["officer", "head"])
def test_agency_key_on_admin_route_is_403(client, appeal, keys, role):
    for path, method in ADMIN_ROUTES:
        response = request(client, method, path, appeal["appeal_id"], bearer(keys[f"mvd:{role}"]))

        assert_refused(response, 403, "forbidden_role", f"{method} {path}")


@pytest.mark.parametrize("role", ["officer", "head"])
def test_other_agency_gets_404(client, appeal, keys, role):
    from chalicelib.models import AppealModel

    for path, method in APPEAL_ROUTES:
        before = AppealModel.get(appeal["appeal_id"], consistent_read=True).event_seq

        response = request(client, method, path, appeal["appeal_id"], bearer(keys[f"minjust:{role}"]))

        route = f"{method} {path}"
        if role == "officer" and action_of(path) in HEAD_ONLY_ACTIONS:
            # The role is checked before the appeal is read, so this reveals nothing either.
            assert_refused(response, 403, "forbidden_role", route)
        else:
            assert_refused(response, 404, "appeal_not_found", route)
        assert AppealModel.get(appeal["appeal_id"], consistent_read=True).event_seq == before, route


def test_every_appeal_action_has_a_body():
    actions = {action_of(path) for path, method in APPEAL_ROUTES if method == "POST"}

    assert actions <= set(ACTION_BODIES)


@pytest.mark.parametrize("path", ["/v1/agency/appeals", "/v1/agency/appeals?status=open",
                                  "/v1/agency/appeals?status=closed", "/v1/agency/stats"])
def test_other_agency_lists_nothing_of_ours(client, appeal, keys, path):
    response = client.http.get(path, headers=bearer(keys["minjust:officer"]))

    assert response.status_code == 200, response.body
    text = response.body.decode("utf-8")
    assert appeal["appeal_id"] not in text
    for value in PRIVATE_VALUES:
        assert value not in text


@pytest.mark.parametrize("action", sorted(HEAD_ONLY_ACTIONS))
def test_officer_on_head_action_is_403(client, appeal, keys, action):
    from chalicelib.models import AppealModel

    path = f"/v1/agency/appeals/{{appeal_id}}/{action}"

    response = request(client, "POST", path, appeal["appeal_id"], bearer(keys["mvd:officer"]))

    assert_refused(response, 403, "forbidden_role")
    assert AppealModel.get(appeal["appeal_id"], consistent_read=True).event_seq == 1


def test_head_on_head_action_succeeds(client, appeal, keys):
    response = request(client, "POST", "/v1/agency/appeals/{appeal_id}/extension", appeal["appeal_id"],
                       bearer(keys["mvd:head"]))

    assert response.status_code == 200, response.body


def test_revoking_key_stops_it_at_once(client, appeal, keys):
    from chalicelib.auth import revoke_key

    key = keys["mvd:officer"]
    path = f"/v1/agency/appeals/{appeal['appeal_id']}"
    assert client.http.get(path, headers=bearer(key)).status_code == 200

    revoke_key(key.split("_")[1], datetime.now(timezone.utc))

    assert_refused(client.http.get(path, headers=bearer(key)), 401, "api_key_invalid")


def test_unknown_appeal_and_foreign_appeal_look_alike(client, appeal, keys):
    foreign = client.http.get(f"/v1/agency/appeals/{appeal['appeal_id']}", headers=bearer(keys["minjust:officer"]))
    missing = client.http.get("/v1/agency/appeals/2026-999999", headers=bearer(keys["minjust:officer"]))

    assert foreign.status_code == missing.status_code == 404
    foreign_error = json.loads(foreign.body)["error"]
    missing_error = json.loads(missing.body)["error"]
    assert foreign_error["code"] == missing_error["code"]
    assert foreign_error["message"].replace(appeal["appeal_id"], "X") == \
        missing_error["message"].replace("2026-999999", "X")
