"""The statistics page's charts in Debian's chromium, after a small demo history.

The module starts its own stack, loads 150 demo appeals into it with
scripts/demo.py (with a ranking minimum of 3 ratings, so that the small
history ranks agencies) and checks every chart against GET /v1/stats.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from tests.test_web import (  # noqa: F401  (fixtures are used by name)
    LANGUAGES,
    MAX_FIRST_LOAD_BYTES,
    NARROW,
    PROJECT_ROOT,
    axe_script,
    browser,
    open_page,
    page,
    stack,
)
from tests.web_helpers import TransferMeter, axe_violations, describe_violations

DEMO_APPEALS = 150
DEMO_NOW = "2026-04-30T18:00:00+05:00"
DEMO_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="module")
def published(stack):
    """Load the demo history into the stack and return GET /v1/stats?period=all."""
    from scripts.local_stack import DUMMY_AWS_ENVIRONMENT, local_stage_environment

    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MOTO_"))}
    environment.update(DUMMY_AWS_ENVIRONMENT)
    environment.update(local_stage_environment())
    environment.update({"STAGE": "local", "AWS_ENDPOINT_URL": stack.aws_url, "NO_PROXY": "127.0.0.1",
                        "STATS_MIN_RATINGS": "3"})
    command = [sys.executable, "-m", "scripts.demo", "--appeals", str(DEMO_APPEALS), "--seed", "5",
               "--now", DEMO_NOW]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True,
                            timeout=DEMO_TIMEOUT_SECONDS, check=False)
    assert result.returncode == 0, result.stderr[-2000:]

    session = requests.Session()
    session.trust_env = False  # never send requests for 127.0.0.1 through a proxy
    response = session.get(f"{stack.api_url}/v1/stats", timeout=30)
    response.raise_for_status()
    return response.json()


def show_stats(page, stack, language: str = "en") -> None:
    open_page(page, stack, "stats.html", language)
    page.wait_for_selector("#stats-content:not([hidden])")


def count(page, selector: str) -> int:
    return page.locator(selector).count()


def test_volume_chart_has_bar_per_agency(page, stack, published):
    show_stats(page, stack)

    with_appeals = [agency for agency in published["agencies"] if agency["figures"]["appeals"]]
    assert count(page, "#stats-bars svg") == len(with_appeals)
    assert count(page, "#stats-bars .bar-received") == len(with_appeals)
    assert f"Appeals received{published['totals']['appeals']}" in page.text_content("#stats-totals")


def test_rates_chart_shows_completion_and_on_time(page, stack, published):
    show_stats(page, stack)

    matured = [agency for agency in published["agencies"] if agency["figures"]["matured"]]
    assert count(page, "#stats-rates svg") == len(matured)
    assert count(page, "#stats-rates .rate-completed") == len(matured)
    assert count(page, "#stats-rates .rate-on-time") == len(matured)
    best = max(matured, key=lambda agency: (agency["figures"]["completion_rate"], agency["figures"]["on_time_rate"]))
    first_row = page.text_content("#stats-rates li:first-child")
    assert f"Answered: {round(100 * best['figures']['completion_rate'])}%" in first_row


def test_satisfaction_chart_shows_interval(page, stack, published):
    show_stats(page, stack)

    ranked = [agency for agency in published["agencies"]
              if agency["figures"]["satisfaction"]["status"] == "ranked"]
    assert len(ranked) >= 9
    assert count(page, "#stats-satisfaction svg") == len(ranked)
    assert count(page, "#stats-satisfaction .satisfaction-interval") == len(ranked)
    top = published["rankings"]["most_satisfied"][0]
    first_row = page.text_content("#stats-satisfaction li:first-child")
    top_name = next(agency["name"]["en"] for agency in ranked if agency["agency_id"] == top["agency_id"])
    assert top_name in first_row
    assert f"{top['score']:.2f} of 5" in first_row


def test_trend_chart_and_table_by_week(page, stack, published):
    show_stats(page, stack)

    weeks = published["totals"]["trend"]
    with_reads = [week for week in weeks if week["answers_read"]]
    assert with_reads
    assert count(page, "#stats-trend-chart .trend-bar") == len(with_reads)
    assert count(page, "#stats-trend tbody tr") == len(weeks)
    last = with_reads[-1]
    row = page.locator("#stats-trend tbody tr").nth(weeks.index(last))
    coverage = round(100 * last["rated"] / last["answers_read"])
    assert row.locator("td").all_text_contents() == [str(last["answers_read"]), str(last["rated"]), f"{coverage}%"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_stats_charts_pass_axe(page, stack, axe_script, published, language):
    show_stats(page, stack, language)

    violations = axe_violations(page, axe_script)

    assert violations == [], describe_violations(violations)


def test_stats_charts_fit_narrow_screen(page, stack, published):
    page.set_viewport_size({"width": NARROW, "height": 800})
    meter = TransferMeter(page)

    show_stats(page, stack, "uz")

    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= NARROW, f"stats.html is {scroll_width} px wide at {NARROW} px"
    assert meter.total <= MAX_FIRST_LOAD_BYTES, f"{meter.total} bytes; largest: {meter.largest()}"
