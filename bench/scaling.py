"""Scaling of the deadline scan and the statistics job with the number of appeals.

Moto copies every table a transaction touches, so registering 100,000
appeals one transaction at a time is not feasible in moto. The appeals are
instead copies of one registered appeal written with BatchWriteItem, spread
over the seeded agencies, and 1 % of them are open and past their due date.
The agencies' counter items are written directly in the same way.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from bench.counting import RequestRecorder, summarize
from bench.environment import REGION

TASHKENT = timezone(timedelta(hours=5))
JOB_NOW = datetime(2026, 4, 1, 10, 0, tzinfo=TASHKENT)
# Registered late enough that the registered appeal itself is not overdue at JOB_NOW.
REGISTERED_AT = datetime(2026, 3, 30, 10, 0, tzinfo=TASHKENT)
OVERDUE_DUE_DATE = "2026-03-20"
OPEN_DUE_DATE = "2026-04-20"
OVERDUE_SHARE = 100  # one appeal in 100 is overdue


def _no_captcha(*_args) -> None:
    """Stands in for the captcha check, which is measured with the routes."""


def seed_appeals(count: int) -> int:
    """Store `count` open appeals, one in OVERDUE_SHARE past due, and counters; return the overdue number."""
    from chalicelib import appeals, config, deadlines
    from chalicelib.counters import agency_counter_id, periods_for
    from chalicelib.models import AgencyModel, AppealModel, CounterModel
    from chalicelib.stats import recent_weeks

    body = {
        "agency_id": "mvd",
        "kind": "application",
        "text": "Ko'chamizdagi chiroqlar bir oydan beri yonmayapti.",
        "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
        "language": "uz",
    }
    created = appeals.submit_appeal(body, REGISTERED_AT, config.get_settings(), _no_captcha)
    template = AppealModel.get(created["appeal_id"], consistent_read=True).serialize()
    agency_ids = sorted(agency.agency_id for agency in AgencyModel.scan())

    overdue = 0
    per_agency: dict[str, int] = {}
    with AppealModel.batch_write() as batch:
        for index in range(1, count):
            copy = AppealModel.from_raw_data(template)
            copy.appeal_id = f"2026-{index + 1:06d}"
            copy.number = index + 1
            copy.agency_id = agency_ids[index % len(agency_ids)]
            is_overdue = index % OVERDUE_SHARE == OVERDUE_SHARE - 1
            copy.due_date = OVERDUE_DUE_DATE if is_overdue else OPEN_DUE_DATE
            overdue += is_overdue
            copy.inbox_key = f"{copy.agency_id}#open"
            copy.inbox_due = f"{copy.due_date}#{copy.appeal_id}"
            copy.pending_due = f"{copy.due_date}#{copy.appeal_id}"
            per_agency[copy.agency_id] = per_agency.get(copy.agency_id, 0) + 1
            batch.save(copy)

    today = deadlines.local_date(JOB_NOW)
    periods = list(dict.fromkeys(periods_for(today) + recent_weeks(today)))
    with CounterModel.batch_write() as batch:
        for agency_id, received in per_agency.items():
            for period in periods:
                batch.save(CounterModel(agency_counter_id(agency_id), period, received=received))
    return overdue


def _timed(recorder: RequestRecorder, run) -> tuple[dict, float, object]:
    started = time.perf_counter()
    with recorder.measure() as requests:
        result = run()
    return summarize(requests), time.perf_counter() - started, result


def measure_jobs(count: int, *, run_deadline_scan: bool = True, run_table_scan: bool = True) -> dict:
    """Seed `count` appeals and measure the plain Scan, the deadline scan and the statistics job.

    Without `run_deadline_scan` the deadline scan's own index query is
    measured instead of the whole job, because each breach is a transaction and
    moto copies the whole appeals table in each one. Without `run_table_scan`
    the plain Scan is not run (moto needs minutes for 100,000 items) and its
    items read are the table's item count, since a Scan reads every item.
    Run inside `bench.environment.moto_tables()` or the `tables` fixture.
    """
    from chalicelib import appeals, config, deadline_jobs, deadlines, stats
    from chalicelib.models import AppealModel

    started = time.perf_counter()
    overdue = seed_appeals(count)
    seed_seconds = time.perf_counter() - started

    recorder = RequestRecorder(REGION)
    recorder.attach_models()
    if run_table_scan:
        scan, scan_seconds, _ = _timed(recorder, lambda: sum(1 for _ in AppealModel.scan()))
        scan_kind = "measured"
    else:
        scan = {"requests": None, "items_read": _stored_appeal_count()}
        scan_seconds, scan_kind = None, "not run; items = the table's item count"

    if run_deadline_scan:
        deadline, deadline_seconds, job_counts = _timed(
            recorder, lambda: deadline_jobs.deadline_scan(JOB_NOW, config.get_settings()))
        deadline_kind = "whole job"
    else:
        today = deadlines.local_date(JOB_NOW).isoformat()
        deadline, deadline_seconds, job_counts = _timed(recorder, lambda: {"found": sum(
            1 for _ in AppealModel.pending_due_index.query(
                appeals.PENDING_SHARD, range_key_condition=AppealModel.pending_due < today))})
        deadline_kind = "index query of the job only"

    statistics, stats_seconds, _ = _timed(recorder, lambda: stats.stats_recompute(JOB_NOW))
    return {
        "appeals": count,
        "overdue": overdue,
        "seed_seconds": seed_seconds,
        "scan": scan,
        "scan_seconds": scan_seconds,
        "scan_kind": scan_kind,
        "deadline_scan": deadline,
        "deadline_scan_kind": deadline_kind,
        "deadline_scan_result": job_counts,
        "deadline_scan_seconds": deadline_seconds,
        "stats_recompute": statistics,
        "stats_recompute_seconds": stats_seconds,
    }


def _stored_appeal_count() -> int:
    from moto.dynamodb.models import dynamodb_backends

    from bench.counting import MOTO_ACCOUNT_ID
    from chalicelib.models import AppealModel

    return len(dynamodb_backends[MOTO_ACCOUNT_ID][REGION].tables[AppealModel.Meta.table_name])


def measure_scaling(count: int, *, run_deadline_scan: bool = True, run_table_scan: bool = True) -> dict:
    """Measure the jobs at `count` appeals in a fresh moto backend."""
    from bench.environment import moto_tables

    with moto_tables():
        return measure_jobs(count, run_deadline_scan=run_deadline_scan, run_table_scan=run_table_scan)
