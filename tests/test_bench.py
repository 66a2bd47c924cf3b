"""Smoke tests of the benchmark's counting, at tiny sizes and without timing checks."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import run, scaling, startup, use_cases
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
    # Request counts do not depend on the machine, so a regression shows here
    # and not only in `make bench`.
    assert [check.name for check in checks if not check.passed] == []


def test_stale_number_costs_one_cancelled_transaction(client, agency_keys):
    results = use_cases.run_use_cases(client, agency_keys)

    stale = results["submit after another instance's"]["sequence"]
    assert stale[0] == "UpdateItem(captchas)"
    assert stale[1].startswith("TransactWriteItems(")
    assert stale[1].endswith("[TransactionCanceledException]")
    assert stale[2].startswith("TransactWriteItems(")
    assert "Exception" not in stale[2]
    assert len(stale) == 3


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


def _record_interpreter(log: Path) -> str:
    """Return code that appends its interpreter's bytecode settings to `log` and prints a timing."""
    return ("import json, sys; "
            f"open({str(log)!r}, 'a').write(json.dumps([sys.flags.dont_write_bytecode, sys.pycache_prefix]) + '\\n'); "
            "print(0.25)")


def test_bytecode_timing_warms_fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    log = tmp_path / "runs.jsonl"

    timings = startup.import_seconds_with_bytecode(_record_interpreter(log), 2)

    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert timings == [0.25, 0.25]
    assert len(runs) == 3, "expected one untimed warm-up run before the two timed runs"
    assert {dont_write for dont_write, _prefix in runs} == {0}
    prefixes = {prefix for _dont_write, prefix in runs}
    assert len(prefixes) == 1
    assert None not in prefixes
    assert not os.path.exists(prefixes.pop()), "the bytecode cache was not removed"


def test_timing_without_bytecode_sets_flag(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "cache"))
    log = tmp_path / "runs.jsonl"

    startup.import_seconds_without_bytecode(_record_interpreter(log), 1)

    assert [json.loads(line) for line in log.read_text().splitlines()] == [[1, None]]


def test_cold_start_output_names_every_figure(capsys):
    cold = {"runs": 3, "app": 0.11, "baseline": 0.1, "baseline_with_models": 0.105, "ratio": 1.1,
            "ratio_with_models": 0.11 / 0.105, "app_without_bytecode": 0.14, "ratio_without_bytecode": 1.4}

    run.print_cold_start(cold)
    check = run.check_cold_start(cold)

    output = capsys.readouterr().out
    assert "`import app` 0.110 s" in output
    assert "without the project's bytecode (PYTHONDONTWRITEBYTECODE=1): 0.140 s (ratio 1.40)" in output
    assert check.passed is True
