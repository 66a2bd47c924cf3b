"""The demo history of scripts/demo.py, replayed in process against moto at a small size.

The full demo has 700 appeals and needs 10 ratings per ranked agency. Here
150 appeals and a ranking minimum of 3 keep the run short, because moto copies
every table on each transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from moto import mock_aws

from chalicelib import stats
from scripts import demo
from tests.conftest import TEST_ENVIRONMENT

TASHKENT = timezone(timedelta(hours=5))
NOW = datetime(2026, 4, 30, 18, 0, tzinfo=TASHKENT)
APPEALS = 150
SEED = 5
MIN_RATINGS = 3


@pytest.fixture(scope="module")
def demo_run():
    """Replay the demo once for the module (about half a minute) in a fresh moto.

    Yields the demo's summary and GET /v1/stats's body. The steps repeat the
    `tables` fixture of conftest.py at module scope, because that one runs per test.
    """
    from chalicelib import config, db
    from chalicelib.agencies import seed_agencies

    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.setenv("STATS_MIN_RATINGS", str(MIN_RATINGS))
        with mock_aws():
            db.bind(config.get_settings())
            db.create_tables()
            seed_agencies(datetime(2026, 3, 1, tzinfo=timezone.utc))
            summary = demo.run_demo(APPEALS, NOW, SEED)
            yield summary, stats.public_stats("all")


@pytest.fixture
def demo_summary(demo_run):
    return demo_run[0]


@pytest.fixture
def published(demo_run):
    return demo_run[1]


def ids(entries: list[dict]) -> list[str]:
    return [entry["agency_id"] for entry in entries]


def test_demo_submits_every_appeal(demo_summary, published):
    assert demo_summary["steps"]["submitted"] == APPEALS
    assert published["totals"]["appeals"] == APPEALS


def test_demo_completes_about_73_percent(published):
    totals = published["totals"]

    assert totals["completed"] / totals["appeals"] == pytest.approx(0.73, abs=0.05)


def test_demo_rates_about_30_percent_of_answers(published):
    totals = published["totals"]

    assert totals["rated"] / totals["completed"] == pytest.approx(0.30, abs=0.05)
    assert totals["answers_read"] > totals["rated"]


def test_demo_busiest_agencies(published):
    busiest = ids(published["rankings"]["most_appeals"][:5])

    assert set(busiest) == set(demo.BUSIEST)


def test_demo_best_and_lowest_rated(published):
    rankings = published["rankings"]

    assert set(ids(rankings["most_satisfied"][:5])) == set(demo.BEST_RATED)
    assert set(ids(rankings["low_satisfaction"][:4])) == set(demo.LOWEST_RATED)
    assert all(entry["ratings"] >= MIN_RATINGS for entry in rankings["most_satisfied"])


def test_demo_breaches_only_late_agencies(published):
    breached = set(ids(published["rankings"]["exceeded_terms"]))

    assert breached == set(demo.LATE_ANSWERING)


def test_demo_keeps_test_agencies_out(published):
    rankings = published["rankings"]
    listed = set()
    for name in ("most_appeals", "most_satisfied", "low_satisfaction", "exceeded_terms"):
        listed |= set(ids(rankings[name]))

    assert "test-agency" not in listed
    assert "test-agency" not in ids(published["agencies"])


def test_demo_trend_has_rating_coverage(published):
    trend = published["totals"]["trend"]

    assert len(trend) == stats.TREND_WEEKS
    assert sum(week["answers_read"] for week in trend) > 0
    assert all(week["rated"] <= week["answers_read"] for week in trend)


def test_demo_second_run_rejected(demo_run):
    with pytest.raises(demo.DemoAlreadyLoaded, match="--force"):
        demo.run_demo(10, NOW, SEED)


def test_demo_plan_repeatable_for_seed():
    agency_ids = ["mvd", "minjust", *demo.BEST_RATED, *demo.LOWEST_RATED, *demo.LATE_ANSWERING]
    agency_ids = sorted(set(agency_ids))

    first = demo.plan_history(60, NOW, SEED, agency_ids, MIN_RATINGS)
    second = demo.plan_history(60, NOW, SEED, agency_ids, MIN_RATINGS)

    assert first == second
    assert all(plan.submitted_at < NOW for plan in first)
    assert all(plan.rate_at is None or plan.read_at < plan.rate_at < NOW for plan in first)
