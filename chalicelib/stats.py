"""Public statistics: figures per agency and for all agencies, computed from the counters.

`stats_recompute` runs every hour:
1. lists the agencies (a small table, so one Scan),
2. reads each agency's counter items for all time, the current month and the
   last TREND_WEEKS ISO weeks (one BatchGetItem per 100 keys),
3. counts each agency's open appeals past their due date through the inbox
   index (a COUNT query, which still reads the matching overdue items),
4. derives the rates and the shrunk satisfaction score, and ranks the agencies,
5. writes one StatsModel item per (agency, period) and ("ALL", period).
It never reads the appeals table, so its cost grows with the number of
agencies and of overdue appeals, not with the number of appeals.

`stats_rebuild` recomputes the counters from the appeals' events, replaces
the counter items and runs `stats_recompute`. It reads every appeal and event
and is meant for repairs, not for the schedule.

docs/statistics.md defines every figure and its denominator.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, NamedTuple

from chalicelib import calendars, deadlines
from chalicelib.auth import Principal
from chalicelib.config import ConfigurationError
from chalicelib.appeals import overdue_marker
from chalicelib.counters import COUNTER_FIELDS, agency_counter_id, periods_for
from chalicelib.errors import BadRequest
from chalicelib.events import format_timestamp
from chalicelib.models import AgencyModel, AppealEventModel, AppealModel, CounterModel, StatsModel

logger = logging.getLogger(__name__)

ALL_SCOPE = "ALL"
TREND_WEEKS = 8
RANKING_SIZE = 10
DEFAULT_PRIOR_WEIGHT = 5.0
DEFAULT_MIN_RATINGS = 10
# With no ratings at all, the prior is the middle of the 1..5 scale and the
# variance that of a uniform score on 1..5, (5² - 1) / 12 = 2.
FALLBACK_MEAN = 3.0
FALLBACK_VARIANCE = 2.0
Z_95 = 1.959964
OVERDUE_LIST_LIMIT = 100
LATEST_COMMENTS = 10
DUE_SOON_WORKING_DAYS = 2

PERIOD_PATTERN = re.compile(r"^(?:all|(\d{4})-(\d{2})|(\d{4})-W(\d{2}))$")
SCORES = (1, 2, 3, 4, 5)


# ---------------------------------------------------------------- settings and periods

class RankingSettings(NamedTuple):
    prior_weight: float
    min_ratings: int


def ranking_settings(environ: Mapping[str, str] = os.environ) -> RankingSettings:
    """Read STATS_PRIOR_WEIGHT and STATS_MIN_RATINGS at call time, so tests and stages can set them.

    :raises ConfigurationError: for a value that is not a number, or is negative.
    """
    weight_text = environ.get("STATS_PRIOR_WEIGHT") or str(DEFAULT_PRIOR_WEIGHT)
    minimum_text = environ.get("STATS_MIN_RATINGS") or str(DEFAULT_MIN_RATINGS)
    try:
        prior_weight = float(weight_text)
        min_ratings = int(minimum_text)
    except ValueError:
        raise ConfigurationError(
            f"STATS_PRIOR_WEIGHT={weight_text!r} or STATS_MIN_RATINGS={minimum_text!r} is not a number; "
            "set a non-negative number of ratings, such as 5 and 10."
        ) from None
    if prior_weight < 0 or min_ratings < 0 or not math.isfinite(prior_weight):
        raise ConfigurationError("STATS_PRIOR_WEIGHT and STATS_MIN_RATINGS must be zero or more.")
    return RankingSettings(prior_weight, min_ratings)


def parse_period(text: str | None) -> str:
    """Check a period given as "all", "YYYY-MM" or an ISO week "YYYY-Www". None means "all".

    :raises BadRequest: field_invalid naming "period".
    """
    if text is None or text == "":
        return "all"
    match = PERIOD_PATTERN.match(text)
    valid = match is not None
    if match and match.group(2):
        valid = 1 <= int(match.group(2)) <= 12
    elif match and match.group(4):
        try:
            date.fromisocalendar(int(match.group(3)), int(match.group(4)), 1)
        except ValueError:
            valid = False
    if not valid:
        raise BadRequest("field_invalid", field="period",
                         reason="use all, a month as YYYY-MM or an ISO week as YYYY-Www, such as 2026-W14")
    return text


def period_bounds(period: str) -> tuple[date, date] | None:
    """Return the first and last day of a month or ISO week period, or None for "all"."""
    if period == "all":
        return None
    if "-W" in period:
        year, week = period.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        return first, first + timedelta(days=6)
    year, month = (int(part) for part in period.split("-"))
    first = date(year, month, 1)
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return first, next_month - timedelta(days=1)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def recent_weeks(today: date, count: int = TREND_WEEKS) -> list[str]:
    """Return the ISO weeks from `count - 1` weeks before `today`'s week up to it, oldest first."""
    return [iso_week(today - timedelta(weeks=offset)) for offset in range(count - 1, -1, -1)]


# ---------------------------------------------------------------- reading counters and overdue appeals

def _counts(item: CounterModel | None) -> dict[str, int]:
    return {name: int(getattr(item, name) or 0) if item is not None else 0 for name in COUNTER_FIELDS}


def read_counters(agency_ids: Iterable[str], periods: Iterable[str]) -> dict[tuple[str, str], dict[str, int]]:
    """Return the counts of each (agency, period) requested. An item never written counts as zeros."""
    agency_ids = list(agency_ids)
    periods = list(dict.fromkeys(periods))
    keys = [(agency_counter_id(agency_id), period) for agency_id in agency_ids for period in periods]
    found = {(item.counter_id, item.period): item for item in CounterModel.batch_get(keys)}
    return {(agency_id, period): _counts(found.get((agency_counter_id(agency_id), period)))
            for agency_id in agency_ids for period in periods}


def open_overdue(counts: dict[str, int]) -> int:
    """Return the open appeals past due of one scope and period, from its counters.

    The deadline scan marks an appeal breached within the hour after its term
    ends, and each change of the appeal keeps the open_breached counter of its
    agency and due date in step. So this is the number of open appeals due in
    the period and marked overdue, at most an hour behind the clock, read
    without querying any appeal.
    """
    return counts["open_breached"]


# ---------------------------------------------------------------- figures

def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def pooled_prior(all_counts: Iterable[dict[str, int]]) -> tuple[float, float, int]:
    """Return the mean score, the variance of single scores and the number of ratings over `all_counts`."""
    total = defaultdict(int)
    for counts in all_counts:
        for score in SCORES:
            total[score] += counts[f"score_{score}"]
    ratings = sum(total.values())
    if ratings == 0:
        return FALLBACK_MEAN, FALLBACK_VARIANCE, 0
    mean = sum(score * total[score] for score in SCORES) / ratings
    if ratings < 2:
        return mean, FALLBACK_VARIANCE, ratings
    variance = sum(total[score] * (score - mean) ** 2 for score in SCORES) / (ratings - 1)
    return mean, variance, ratings


def satisfaction(counts: dict[str, int], prior_mean: float, prior_variance: float,
                 settings: RankingSettings) -> dict:
    """Shrink the agency's mean score toward `prior_mean` and give a 95 % interval around it.

    shrunk = (score_sum + k * m) / (n + k). The interval is shrunk ± 1.96 * s / sqrt(n + k),
    with s² the pooled variance of single scores, clipped to 1..5. It is a
    normal approximation: with few ratings it is wide, which is the point.
    """
    ratings = counts["rated"]
    weight = settings.prior_weight
    if ratings + weight == 0:
        return {"ratings": 0, "score": None, "interval_95": None, "status": "not_enough_ratings"}
    shrunk = (counts["score_sum"] + weight * prior_mean) / (ratings + weight)
    half_width = Z_95 * math.sqrt(prior_variance / (ratings + weight))
    low = max(1.0, shrunk - half_width)
    high = min(5.0, shrunk + half_width)
    ranked = ratings >= settings.min_ratings and ratings > 0
    return {
        "ratings": ratings,
        "score": round(shrunk, 3),
        "interval_95": [round(low, 3), round(high, 3)],
        "status": "ranked" if ranked else "not_enough_ratings",
    }


def derive_figures(counts: dict[str, int], open_overdue: int, period: str, prior_mean: float,
                   prior_variance: float, settings: RankingSettings) -> dict:
    """Return the published figures of one scope and period; docs/statistics.md defines each."""
    # A duplicate merged into an earlier appeal of the same person is not counted twice.
    appeals = counts["received"] + counts["forwarded_in"] - counts["forwarded_out"] - counts["merged"]
    matured = counts["completed"] + open_overdue
    rated = counts["rated"]
    figures = dict(counts)
    figures.update({
        "appeals": appeals,
        # Appeals still open are a running total, so they exist only for all time.
        "open": appeals - counts["completed"] - counts["dismissed"] if period == "all" else None,
        "open_overdue": open_overdue,
        "matured": matured,
        "completion_rate": _ratio(counts["completed"], matured),
        "on_time_rate": _ratio(counts["completed_on_time"], matured),
        "overdue_rate": _ratio(open_overdue, matured),
        "breach_rate": _ratio(counts["breached"], matured),
        "rating_coverage": _ratio(rated, counts["answers_read"]),
        "scores": {str(score): counts[f"score_{score}"] for score in SCORES},
        "mean_score": round(counts["score_sum"] / rated, 3) if rated else None,
        "satisfaction": satisfaction(counts, prior_mean, prior_variance, settings),
    })
    return figures


def empty_figures(period: str, settings: RankingSettings) -> dict:
    zero = {name: 0 for name in COUNTER_FIELDS}
    return derive_figures(zero, 0, period, FALLBACK_MEAN, FALLBACK_VARIANCE, settings)


def weekly_trend(counts_by_week: Mapping[str, dict[str, int]], weeks: Iterable[str]) -> list[dict]:
    trend = []
    for week in weeks:
        counts = counts_by_week[week]
        trend.append({
            "week": week,
            "received": counts["received"],
            "forwarded_in": counts["forwarded_in"],
            "completed": counts["completed"],
            "completed_on_time": counts["completed_on_time"],
            "breached": counts["breached"],
            "answers_read": counts["answers_read"],
            "rated": counts["rated"],
            "mean_score": round(counts["score_sum"] / counts["rated"], 3) if counts["rated"] else None,
        })
    return trend


def rank(agency_figures: Mapping[str, dict], settings: RankingSettings) -> dict:
    """Rank the non-test agencies of one period; `agency_figures` must hold only those."""
    def entry(agency_id: str, **fields) -> dict:
        return {"agency_id": agency_id, **fields}

    by_appeals = sorted(agency_figures.items(), key=lambda pair: (-pair[1]["appeals"], pair[0]))
    ranked = [(agency_id, figures) for agency_id, figures in agency_figures.items()
              if figures["satisfaction"]["status"] == "ranked"]
    by_satisfaction = sorted(ranked, key=lambda pair: (-pair[1]["satisfaction"]["score"], pair[0]))
    by_low_satisfaction = sorted(ranked, key=lambda pair: (pair[1]["satisfaction"]["score"], pair[0]))
    breached = [(agency_id, figures) for agency_id, figures in agency_figures.items() if figures["breached"]]
    by_breaches = sorted(breached, key=lambda pair: (-pair[1]["breached"], -(pair[1]["breach_rate"] or 0), pair[0]))

    def satisfaction_entry(agency_id: str, figures: dict) -> dict:
        rating = figures["satisfaction"]
        return entry(agency_id, score=rating["score"], interval_95=rating["interval_95"], ratings=rating["ratings"])

    return {
        "prior_weight": settings.prior_weight,
        "min_ratings": settings.min_ratings,
        "most_appeals": [entry(agency_id, appeals=figures["appeals"])
                         for agency_id, figures in by_appeals[:RANKING_SIZE] if figures["appeals"]],
        "most_satisfied": [satisfaction_entry(*pair) for pair in by_satisfaction[:RANKING_SIZE]],
        "low_satisfaction": [satisfaction_entry(*pair) for pair in by_low_satisfaction[:RANKING_SIZE]],
        "exceeded_terms": [entry(agency_id, breached=figures["breached"], breach_rate=figures["breach_rate"],
                                 matured=figures["matured"])
                           for agency_id, figures in by_breaches[:RANKING_SIZE]],
        "not_enough_ratings": sorted(agency_id for agency_id, figures in agency_figures.items()
                                     if figures["satisfaction"]["status"] != "ranked"),
    }


def empty_rankings(settings: RankingSettings) -> dict:
    return rank({}, settings)


# ---------------------------------------------------------------- the hourly job

def stats_recompute(now: datetime, settings: RankingSettings | None = None) -> dict:
    """Recompute and store the figures and rankings for all time, this month and this ISO week.

    Safe to re-run: each run overwrites the same items with figures from the
    counters at that moment.
    """
    settings = settings or ranking_settings()
    today = deadlines.local_date(now)
    published = periods_for(today)
    weeks = recent_weeks(today)
    computed_at = format_timestamp(now)

    agencies = list(AgencyModel.scan())
    agency_ids = [agency.agency_id for agency in agencies]
    public_ids = [agency.agency_id for agency in agencies if not agency.is_test]
    counters = read_counters(agency_ids, published + weeks)

    items: list[StatsModel] = []
    for period in published:
        prior_mean, prior_variance, _ = pooled_prior(counters[(agency_id, period)] for agency_id in public_ids)
        figures_by_agency = {}
        for agency_id in agency_ids:
            overdue = open_overdue(counters[(agency_id, period)])
            figures = derive_figures(counters[(agency_id, period)], overdue, period, prior_mean, prior_variance,
                                     settings)
            if period == "all":
                figures["trend"] = weekly_trend({week: counters[(agency_id, week)] for week in weeks}, weeks)
            figures_by_agency[agency_id] = figures
            items.append(StatsModel(agency_id, period, figures=figures, computed_at=computed_at))

        totals = {name: sum(counters[(agency_id, period)][name] for agency_id in public_ids)
                  for name in COUNTER_FIELDS}
        total_overdue = sum(figures_by_agency[agency_id]["open_overdue"] for agency_id in public_ids)
        total_figures = derive_figures(totals, total_overdue, period, prior_mean, prior_variance, settings)
        if period == "all":
            total_weeks = {week: {name: sum(counters[(agency_id, week)][name] for agency_id in public_ids)
                                  for name in COUNTER_FIELDS} for week in weeks}
            total_figures["trend"] = weekly_trend(total_weeks, weeks)
        rankings = rank({agency_id: figures_by_agency[agency_id] for agency_id in public_ids}, settings)
        items.append(StatsModel(ALL_SCOPE, period, figures=total_figures, rankings=rankings,
                                computed_at=computed_at))

    with StatsModel.batch_write() as batch:
        for item in items:
            batch.save(item)
    counts = {"agencies": len(agency_ids), "periods": len(published), "items": len(items)}
    logger.info("stats_recompute now=%s agencies=%s items=%s", now.isoformat(), counts["agencies"], counts["items"])
    return counts


# ---------------------------------------------------------------- rebuilding the counters

CounterKey = tuple[str, str]


def _add(totals: dict[CounterKey, dict[str, int]], agency_id: str, day: date, increments: dict[str, int]) -> None:
    for period in periods_for(day):
        bucket = totals[(agency_counter_id(agency_id), period)]
        for name, amount in increments.items():
            bucket[name] = bucket.get(name, 0) + amount


def _replay(events: Iterable[AppealEventModel], totals: dict[CounterKey, dict[str, int]]) -> None:
    """Add one appeal's events to `totals` the way the live transactions add them."""
    answered_day = None
    state = {"agency_id": None, "due_date": None, "open": True, "breached": False}
    counted = None
    for event in events:
        day = date.fromisoformat(event.day)
        payload = json.loads(event.payload)
        _replay_counts(event, day, payload, answered_day, totals)
        if event.type == "answered":
            answered_day = day

        # Mirror appeals._recount_overdue: follow the state the event leaves behind.
        if event.type in ("submitted", "forwarded"):
            state.update(agency_id=payload.get("to", event.agency_id), due_date=payload["due_date"], breached=False)
        elif event.type in ("extended", "study", "due_date_recomputed"):
            state["due_date"] = payload["due_date"]
        elif event.type == "breached":
            state["breached"] = True
        elif event.type in ("answered", "dismissed", "merged"):
            state["open"] = False
        marker = overdue_marker(state["agency_id"], state["due_date"], state["open"], state["breached"])
        if marker != counted:
            for old_or_new, amount in ((counted, -1), (marker, 1)):
                if old_or_new:
                    agency_id, due_date = old_or_new.split("|")
                    _add(totals, agency_id, date.fromisoformat(due_date), {"open_breached": amount})
            counted = marker


def _replay_counts(event: AppealEventModel, day: date, payload: dict, answered_day: date | None,
               totals: dict[CounterKey, dict[str, int]]) -> None:
    """Add the counts one event adds in its own transaction, apart from open_breached."""
    if event.type == "submitted":
        _add(totals, event.agency_id, day, {"received": 1})
    elif event.type == "forwarded":
        _add(totals, payload["to"], day, {"forwarded_in": 1})
        _add(totals, payload["from"], day, {"forwarded_out": 1})
    elif event.type == "answered":
        _add(totals, event.agency_id, day, {"completed": 1, "completed_on_time": 1 if payload["on_time"] else 0})
    elif event.type == "answer_read":
        _add(totals, event.agency_id, answered_day, {"answers_read": 1})
    elif event.type == "rated":
        _add(totals, event.agency_id, answered_day, _rating_increments(payload))
    elif event.type == "dismissed":
        _add(totals, event.agency_id, day, {"dismissed": 1})
    elif event.type == "merged":
        _add(totals, event.agency_id, day, {"merged": 1})
    elif event.type == "breached":
        _add(totals, event.agency_id, day, {"breached": 1})


def _rating_increments(payload: dict) -> dict[str, int]:
    score = int(payload["score"])
    previous = payload.get("replaces_score")
    if previous is None:
        return {"rated": 1, "score_sum": score, f"score_{score}": 1}
    previous = int(previous)
    increments = {"score_sum": score - previous}
    if score != previous:
        increments[f"score_{previous}"] = -1
        increments[f"score_{score}"] = 1
    return increments


def _without_zeros(totals: Mapping[CounterKey, Mapping[str, int]]) -> dict[CounterKey, dict[str, int]]:
    cleaned = {}
    for key, counts in totals.items():
        nonzero = {name: value for name, value in counts.items() if value}
        if nonzero:
            cleaned[key] = nonzero
    return cleaned


def rebuild_counters() -> dict[CounterKey, dict[str, int]]:
    """Recompute every agency counter from the appeals' events, without writing. Zero counts are left out."""
    totals: dict[CounterKey, dict[str, int]] = defaultdict(dict)
    for appeal in AppealModel.scan(attributes_to_get=["appeal_id"]):
        _replay(AppealEventModel.query(appeal.appeal_id, scan_index_forward=True, consistent_read=True), totals)
    return _without_zeros(totals)


def stored_counters() -> dict[CounterKey, dict[str, int]]:
    """Return the agency counter items as stored, in the form `rebuild_counters` returns."""
    totals = {}
    for item in CounterModel.scan(CounterModel.counter_id.startswith("agency#"), consistent_read=True):
        totals[(item.counter_id, item.period)] = _counts(item)
    return _without_zeros(totals)


def write_counters(rebuilt: Mapping[CounterKey, Mapping[str, int]]) -> dict:
    """Replace the agency counter items with `rebuilt`; items missing from it are deleted.

    NOTE: appeal changes committed while this runs can be lost from the
    counters, so run it while the API is closed to writes.
    """
    existing = {(item.counter_id, item.period) for item in
                CounterModel.scan(CounterModel.counter_id.startswith("agency#"), attributes_to_get=["counter_id", "period"])}
    stale = existing - set(rebuilt)
    with CounterModel.batch_write() as batch:
        for counter_id, period in stale:
            batch.delete(CounterModel(counter_id, period))
        for (counter_id, period), counts in rebuilt.items():
            batch.save(CounterModel(counter_id, period, **counts))
    return {"written": len(rebuilt), "deleted": len(stale)}


def stats_rebuild(now: datetime, settings: RankingSettings | None = None) -> dict:
    """Recompute the counters from the events, replace the stored ones, then recompute the statistics."""
    rebuilt = rebuild_counters()
    before = stored_counters()
    changed = sum(1 for key in set(rebuilt) | set(before) if rebuilt.get(key) != before.get(key))
    counts = write_counters(rebuilt)
    counts["changed"] = changed
    counts["stats"] = stats_recompute(now, settings)
    logger.info("stats_rebuild now=%s written=%s deleted=%s changed=%s", now.isoformat(),
                counts["written"], counts["deleted"], changed)
    return counts


# ---------------------------------------------------------------- API views

def _stored(scope: str, period: str) -> StatsModel | None:
    items = list(StatsModel.batch_get([(scope, period)]))
    return items[0] if items else None


def public_stats(period_text: str | None) -> dict:
    """Return the stored figures of a period for everyone: no appeal or applicant data.

    A period the job has not computed returns zero figures with computed_at None.

    :raises BadRequest: field_invalid naming "period".
    """
    period = parse_period(period_text)
    settings = ranking_settings()
    total = _stored(ALL_SCOPE, period)
    if total is None:
        return {"period": period, "computed_at": None, "totals": empty_figures(period, settings),
                "rankings": empty_rankings(settings), "agencies": []}

    public = {agency.agency_id: agency for agency in AgencyModel.scan() if not agency.is_test}
    stored = {item.scope: item for item in StatsModel.batch_get([(agency_id, period) for agency_id in public])}
    agencies = []
    for agency_id in sorted(stored):
        name = public[agency_id].name
        agencies.append({
            "agency_id": agency_id,
            "name": {"uz": name.uz, "uz-Cyrl": name.uz_cyrl, "ru": name.ru, "en": name.en},
            "figures": stored[agency_id].figures,
        })
    return {"period": period, "computed_at": total.computed_at, "totals": total.figures,
            "rankings": total.rankings, "agencies": agencies}


def _due_list(inbox_key: str, condition) -> list[dict]:
    results = AppealModel.inbox_index.query(inbox_key, range_key_condition=condition,
                                            limit=OVERDUE_LIST_LIMIT, attributes_to_get=["appeal_id", "due_date"])
    return [{"appeal_id": appeal.appeal_id, "due_date": appeal.due_date} for appeal in results]


def latest_comments(agency_id: str) -> list[dict]:
    """Return up to LATEST_COMMENTS rating comments on the agency's answers, newest answer first.

    NOTE: the closed partition is sorted by due date, not answer date, so these
    are the comments on the appeals due most recently, then sorted by answer
    time. When few ratings have comments, the query reads far back.
    """
    results = AppealModel.inbox_index.query(
        f"{agency_id}#closed",
        scan_index_forward=False,
        filter_condition=AppealModel.rating_comment.exists(),
        limit=LATEST_COMMENTS,
        attributes_to_get=["appeal_id", "answered_at", "rating_score", "rating_comment", "rated_at"],
    )
    comments = [{"appeal_id": appeal.appeal_id, "answered_at": appeal.answered_at,
                 "score": int(appeal.rating_score), "comment": appeal.rating_comment, "rated_at": appeal.rated_at}
                for appeal in results]
    comments.sort(key=lambda comment: comment["answered_at"] or "", reverse=True)
    return comments


def agency_stats(principal: Principal, period_text: str | None, now: datetime) -> dict:
    """Return the agency's own figures, weekly trend, overdue and due-soon appeals and latest comments.

    :raises BadRequest: field_invalid naming "period".
    """
    period = parse_period(period_text)
    settings = ranking_settings()
    agency_id = principal.agency_id
    today = deadlines.local_date(now)
    stored = _stored(agency_id, period)
    figures = stored.figures if stored else empty_figures(period, settings)

    weeks = recent_weeks(today)
    counters = read_counters([agency_id], weeks)
    trend = weekly_trend({week: counters[(agency_id, week)] for week in weeks}, weeks)

    inbox_key = f"{agency_id}#open"
    overdue_condition = AppealModel.inbox_due < today.isoformat()
    horizon = today
    calendar = calendars.current_calendar()
    for _ in range(DUE_SOON_WORKING_DAYS):
        horizon = calendar.next_working_day(horizon + timedelta(days=1))
    due_soon_condition = AppealModel.inbox_due.between(today.isoformat(), f"{horizon.isoformat()}#~")

    return {
        "agency_id": agency_id,
        "period": period,
        "computed_at": stored.computed_at if stored else None,
        "figures": figures,
        "scores": figures["scores"],
        "trend": trend,
        "overdue": {
            "count": AppealModel.inbox_index.count(inbox_key, range_key_condition=overdue_condition),
            "appeals": _due_list(inbox_key, overdue_condition),
        },
        "due_soon": {
            "until": horizon.isoformat(),
            "count": AppealModel.inbox_index.count(inbox_key, range_key_condition=due_soon_condition),
            "appeals": _due_list(inbox_key, due_soon_condition),
        },
        "latest_comments": latest_comments(agency_id),
    }
