"""Hiding an appeal's text: a reason code, a visible stub, an event, and nothing deleted."""
from __future__ import annotations

import json

import pytest

from chalicelib import ledger
from chalicelib.events import history
from chalicelib.models import AppealModel
from tests.conftest import bearer, post_json
from tests.test_appeal_routes import error_of, submit


def test_hidden_text_leaves_stub_and_event(client, keys):
    created = json.loads(submit(client, text="Qoʻshnim Aliyev Vali, pasport AA1234567.").body)
    path = f"/v1/admin/appeals/{created['appeal_id']}/hide-text"

    response = post_json(client, path, {"reason_code": "third_party_personal_data"}, bearer(keys["admin"]))

    assert response.status_code == 200
    citizen = json.loads(client.http.get(f"/v1/appeals/{created['appeal_id']}",
                                         headers={"X-Access-Code": created["access_code"]}).body)
    assert citizen["text"] is None
    assert citizen["text_hidden"]["reason_code"] == "third_party_personal_data"
    agency = json.loads(client.http.get(f"/v1/agency/appeals/{created['appeal_id']}",
                                        headers=bearer(keys["mvd:officer"])).body)
    assert "AA1234567" in agency["text"]
    assert history(created["appeal_id"])[-1].type == "text_hidden"
    assert ledger.verify_chain(AppealModel.get(created["appeal_id"])) == []


def test_hide_twice_is_409(client, keys):
    created = json.loads(submit(client).body)
    path = f"/v1/admin/appeals/{created['appeal_id']}/hide-text"
    post_json(client, path, {"reason_code": "personal_data"}, bearer(keys["admin"]))

    again = post_json(client, path, {"reason_code": "personal_data"}, bearer(keys["admin"]))

    assert again.status_code == 409
    assert error_of(again)["code"] == "text_already_hidden"


@pytest.mark.parametrize("body", [{}, {"reason_code": "boring"}])
def test_hide_needs_a_known_reason_code(client, keys, body):
    created = json.loads(submit(client).body)

    response = post_json(client, f"/v1/admin/appeals/{created['appeal_id']}/hide-text", body,
                         bearer(keys["admin"]))

    assert response.status_code == 400
    assert error_of(response)["field"] == "reason_code"


def test_hide_needs_an_admin_key(client, keys):
    created = json.loads(submit(client).body)

    response = post_json(client, f"/v1/admin/appeals/{created['appeal_id']}/hide-text",
                         {"reason_code": "personal_data"}, bearer(keys["mvd:head"]))

    assert response.status_code == 403
