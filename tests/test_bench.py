"""Smoke tests of the benchmark's counting, at tiny sizes and without timing checks."""
from __future__ import annotations

import pytest

from bench import run, scaling, use_cases
from bench.counting import attribute_value_size, item_size


@pytest.fixture
def agency_keys(tables):
    return use_cases.create_agency_keys()


def test_item_size_follows_dynamodb_rules():
    assert item_size({"id": {"S": "abc"}}) == 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert attribute_value_size({"BOOL": True}) == 1
    assert attribute_value_size({"L": [{"S": "ab"}, {"NULL": True}]}) == 3 + (1 + 2) + (1 + 1)
    assert attribute_value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert item_size(None) == 0


def test_use_case_counts(client, agency_keys):
    results = use_cases.run_use_cases(client, agency_keys)

    submit = results["submit"]
    assert submit["by_operation"]["TransactWriteItems"] == 1
    assert "UpdateItem(captchas)" in submit["sequence"]
    assert submit["write_units"] > 0
    for name in ("answer", "forward", "extension", "rating", "first read of an answer"):
        assert results[name]["by_operation"]["TransactWriteItems"] == 1, name
    assert "TransactWriteItems" not in results["citizen view"]["by_operation"]
    assert "GetItem(appeals)" in results["citizen view"]["sequence"]
    assert results["captcha"]["sequence"] == ["PutItem(captchas)"]


def test_use_case_checks_name_every_target(client, agency_keys):
    results = use_cases.run_use_cases(client, agency_keys)

    checks = run.check_use_cases(results)

    assert {check.name for check in checks} == {
        "submit", "answer", "forward", "extension", "rating", "citizen view", "first read of an answer"}
    assert all(check.passed is not None for check in checks)


def test_jobs_read_only_overdue_appeals(tables):
    row = scaling.measure_jobs(200)

    assert row["overdue"] == 2
    assert row["scan"]["items_read"] == 200
    assert row["deadline_scan_result"]["breached"] == 2
    assert row["deadline_scan"]["items_read_by_table"]["appeals"] == 2
    assert row["deadline_scan"]["by_operation"]["TransactWriteItems"] == 2
    assert row["stats_recompute"]["items_read_by_table"].get("appeals", 0) == 0


def test_jobs_without_table_scan_use_item_count(tables):
    row = scaling.measure_jobs(100, run_deadline_scan=False, run_table_scan=False)

    assert row["scan"]["items_read"] == 100
    assert row["deadline_scan_result"]["found"] == 1
    assert row["deadline_scan"]["items_read"] == 1


def test_scaling_checks_skip_ratio_below_target_size():
    summary = {"items_read": 10, "items_read_by_table": {"appeals": 1}}
    row = {"appeals": 100, "overdue": 1, "scan": {"items_read": 100},
           "deadline_scan": summary, "stats_recompute": summary}

    checks = {check.name: check for check in run.check_scaling([row])}

    assert checks["deadline_scan at 100"].passed is True
    assert checks["stats_recompute vs Scan at 100"].passed is None
    assert checks["stats_recompute items read"].passed is None
