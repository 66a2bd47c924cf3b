"""Fill the local stack with an invented two-month history of appeals: `make demo`.

    python -m scripts.demo --appeals 700 --seed 7 --now 2026-04-30T18:00:00+05:00

Every change goes through the domain layer, as the API and the scheduled jobs
make it, so the counters, events and statistics are the real ones:

1. plan each appeal's life from the seed: agency, submission time, and whether
   and when it is forwarded, extended, dismissed, answered, read and rated;
2. replay all planned steps in time order, with the deadline scan once a day
   at 01:00 Tashkent time, so breaches are recorded on the day they happen;
3. run the deadline scan and `stats-recompute` at --now and print a summary
   from the stored statistics.

The behaviour of each agency (which receive most appeals, which are rated
best and worst, which miss their terms) is fixed in AGENCY_PROFILES below.
A marker item in the counters table records that the demo started, and a
second run on the same data stops unless --force is given.
"""
from __future__ import annotations

import argparse
import logging
import math
import random
import sys
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Callable

from chalicelib import agency_actions, appeals, config, db, deadline_jobs, deadlines, jobs, stats
from chalicelib.auth import Principal, create_key
from chalicelib.models import AgencyModel, CounterModel
from scripts import demo_texts

logger = logging.getLogger(__name__)

HISTORY_DAYS = 61
DEFAULT_APPEALS = 700
DEFAULT_SEED = 2026
# Key of the counters table's item that records a started demo run. It
# survives stats-rebuild, which replaces only the "agency#" items.
MARKER_KEY = ("demo-history", "marker")
DAILY_SCAN_TIME = time(1, 0)

BUSIEST = ["tashkent-city-khokimiyat", "mvd", "minjust", "uzedu", "soliq"]
BEST_RATED = ["xalqbank", "mvd", "edu", "cbu", "raqobat"]
LOWEST_RATED = ["namangan-khokimiyat", "uzavtosanoat", "uzstandard", "uzkommunkhizmat"]
LATE_ANSWERING = ["minzdrav", "sanoatgeokontekhnazorat", "goskomzemgeodezkadastr", "gosarkhitektstroy",
                  "uzkommunkhizmat", "uzbekkino", "navoi-khokimiyat", "uzavtoyul"]

# Relative chance of each score 1 … 5.
SCORES_GOOD = (0, 0, 1, 3, 9)
SCORES_POOR = (6, 4, 2, 1, 0)
SCORES_MIDDLE = (1, 2, 5, 4, 1)

# Relative number of appeals per agency. Agencies not listed get DEFAULT_WEIGHT.
VOLUME_WEIGHTS = {"tashkent-city-khokimiyat": 16, "mvd": 14, "minjust": 12, "uzedu": 11, "soliq": 10}
DEFAULT_WEIGHT = 2

# Forwarded appeals: from an agency to the one that is competent.
FORWARDS = {"tashkent-city-khokimiyat": "uzkommunkhizmat", "mvd": "prokuratura", "uzedu": "edu"}

SHARE_FORWARDED = 0.05  # of the appeals to an agency in FORWARDS
SHARE_DISMISSED = 0.03
SHARE_EXTENDED = 0.04
SHARE_RUSSIAN = 0.3
RATED_SHARE = 0.30  # of the answered appeals
READ_SHARE = 0.65  # of the answered appeals, before the ratings are topped up
# Late-answering agencies answer this share after the due date (34 to 45
# days after receipt) and never answer the rest.
LATE_SHARE = 0.65
# Submissions grow over the two months, as a new portal becomes known: the
# density at the end is (1 + GROWTH) times the density at the start.
GROWTH = 1.2


@dataclass
class AppealPlan:
    """Planned life of one demo appeal. A time of None means that the step does not happen."""

    number: int
    agency_id: str
    kind: str
    language: str
    submitted_at: datetime
    handled_by: str = ""
    forward_at: datetime | None = None
    extend_at: datetime | None = None
    dismiss_at: datetime | None = None
    answer_at: datetime | None = None
    read_at: datetime | None = None
    rate_at: datetime | None = None
    score: int | None = None
    appeal_id: str | None = None
    access_code: str | None = None


class DemoAlreadyLoaded(RuntimeError):
    """Raised when the demo marker exists and --force was not given."""


# ---------------------------------------------------------------- planning

def _score_weights(agency_id: str) -> tuple[int, ...]:
    if agency_id in BEST_RATED:
        return SCORES_GOOD
    if agency_id in LOWEST_RATED:
        return SCORES_POOR
    return SCORES_MIDDLE


def _submission_time(rng: random.Random, start: datetime, end: datetime, latest_share: float = 1.0) -> datetime:
    # Inverse of the linearly growing density on [0, 1]: F(x) = (x + GROWTH x² / 2) / (1 + GROWTH / 2).
    u = rng.random() * latest_share * (1 + GROWTH / 2)
    x = (-1 + math.sqrt(1 + 2 * GROWTH * u)) / GROWTH
    day = start + (end - start) * x
    local_day = day.astimezone(deadlines.tashkent_timezone()).date()
    hour = rng.randint(8, 19)
    moment = datetime.combine(local_day, time(hour, rng.randint(0, 59)), deadlines.tashkent_timezone())
    return min(moment, end - timedelta(minutes=30))


def _plan_answer(rng: random.Random, plan: AppealPlan, start: datetime, must_answer: bool) -> None:
    """Set when the agency handling the appeal answers it, counting from `start`."""
    if plan.handled_by in LATE_ANSWERING:
        if must_answer or rng.random() < LATE_SHARE:
            # After the one-month term of a proposal too. Guaranteed answers
            # come sooner, so that they are read and rated before `now`.
            low, high = (24, 32) if must_answer else (34, 45)
            plan.answer_at = start + timedelta(days=rng.uniform(low, high))
        else:
            plan.answer_at = None
        return
    # 14 calendar days is within the shortest term (15 days, ZRU-445 Art 28).
    plan.answer_at = start + timedelta(days=rng.uniform(1, 12))


def _agency_sequence(rng: random.Random, agency_ids: list[str], count: int,
                     min_ratings: int) -> list[tuple[str, bool, bool]]:
    """Return (agency id, submitted early, must be answered) per appeal.

    Each rated agency first gets enough appeals, submitted early and always
    answered, to reach the ranking minimum. Each late-answering agency gets
    one early appeal, so that it has an appeal past its term even in a small
    demo. The rest follow VOLUME_WEIGHTS.
    """
    guaranteed = [(agency_id, True, True) for agency_id in BEST_RATED + LOWEST_RATED for _ in range(min_ratings + 1)]
    guaranteed += [(agency_id, True, False) for agency_id in LATE_ANSWERING]
    remaining = max(0, count - len(guaranteed))
    weights = {agency_id: VOLUME_WEIGHTS.get(agency_id, DEFAULT_WEIGHT) for agency_id in agency_ids}
    # Largest-remainder apportionment, so that even a small demo keeps the
    # order of VOLUME_WEIGHTS; only the times and outcomes are random.
    total_weight = sum(weights.values())
    quotas = {agency_id: remaining * weight / total_weight for agency_id, weight in weights.items()}
    shares = {agency_id: int(quota) for agency_id, quota in quotas.items()}
    by_remainder = sorted(agency_ids, key=lambda agency_id: (shares[agency_id] - quotas[agency_id], agency_id))
    for agency_id in by_remainder[:remaining - sum(shares.values())]:
        shares[agency_id] += 1
    drawn = [(agency_id, False, False) for agency_id in agency_ids for _ in range(shares[agency_id])]
    rng.shuffle(drawn)
    return (guaranteed + drawn)[:count]


def plan_history(count: int, now: datetime, seed: int, agency_ids: list[str], min_ratings: int) -> list[AppealPlan]:
    """Plan `count` appeals over the HISTORY_DAYS before `now`, repeatably for one seed."""
    rng = random.Random(seed)
    start = now - timedelta(days=HISTORY_DAYS)
    plans = []
    sequence = _agency_sequence(rng, agency_ids, count, min_ratings)
    for number, (agency_id, early, must_answer) in enumerate(sequence):
        # Early appeals are among the first fifth of the submissions (about
        # 19 days in), so that even a late answer is read before `now`.
        submitted_at = _submission_time(rng, start, now, latest_share=0.2 if early else 1.0)
        plan = AppealPlan(
            number=number,
            agency_id=agency_id,
            kind=rng.choices(appeals.KINDS, weights=(6, 1, 3))[0],
            language="ru" if rng.random() < SHARE_RUSSIAN else "uz",
            submitted_at=submitted_at,
            handled_by=agency_id,
        )
        handling_starts = submitted_at
        draw = rng.random()
        if not early and agency_id in FORWARDS and draw < SHARE_FORWARDED:
            # Within the five days that ZRU-445 Art 25 allows.
            plan.forward_at = submitted_at + timedelta(days=rng.uniform(0.5, 3))
            plan.handled_by = FORWARDS[agency_id]
            handling_starts = plan.forward_at
        elif not early and draw < SHARE_FORWARDED + SHARE_DISMISSED:
            plan.dismiss_at = submitted_at + timedelta(days=rng.uniform(1, 5))
        elif (not early and agency_id not in LATE_ANSWERING
              and draw < SHARE_FORWARDED + SHARE_DISMISSED + SHARE_EXTENDED):
            # Extended a week in, then answered after the first term but
            # within the extension of up to one month.
            plan.extend_at = submitted_at + timedelta(days=rng.uniform(5, 9))
            plan.answer_at = submitted_at + timedelta(days=rng.uniform(18, 30))
        if plan.dismiss_at is None and plan.extend_at is None:
            _plan_answer(rng, plan, handling_starts, must_answer)
        if plan.answer_at is not None and plan.answer_at >= now:
            plan.answer_at = None  # not answered yet
        plans.append(plan)

    _plan_ratings(rng, plans, now, min_ratings)
    return plans


def _plan_ratings(rng: random.Random, plans: list[AppealPlan], now: datetime, min_ratings: int) -> None:
    """Choose which answers are read and rated: RATED_SHARE of the answered, at least
    min_ratings + 1 for each agency in BEST_RATED and LOWEST_RATED where it has the answers."""
    readable = []
    for plan in plans:
        if plan.answer_at is None:
            continue
        read_at = plan.answer_at + timedelta(hours=rng.uniform(2, 72))
        rate_at = read_at + timedelta(minutes=rng.uniform(5, 600))
        if rate_at < now:
            plan.read_at, plan.rate_at = read_at, rate_at
            readable.append(plan)
    answered = sum(1 for plan in plans if plan.answer_at is not None)
    target = round(RATED_SHARE * answered)

    rated: list[AppealPlan] = []
    for agency_id in BEST_RATED + LOWEST_RATED:
        own = [plan for plan in readable if plan.handled_by == agency_id]
        rated.extend(own[:min_ratings + 1])
    chosen = {plan.number for plan in rated}
    others = [plan for plan in readable if plan.number not in chosen]
    rng.shuffle(others)
    rated.extend(others[:max(0, target - len(rated))])
    chosen = {plan.number for plan in rated}

    for plan in readable:
        if plan.number in chosen:
            plan.score = rng.choices(range(1, 6), weights=_score_weights(plan.handled_by))[0]
            continue
        plan.rate_at = None
        # Most citizens who do not rate still open the answer.
        if rng.random() > READ_SHARE:
            plan.read_at = None


# ---------------------------------------------------------------- replaying

class Replayer:
    """Applies the planned steps through the domain functions, with one officer and head key per agency."""

    def __init__(self, settings: config.Settings, seed: int, key_time: datetime) -> None:
        self.settings = settings
        self.rng = random.Random(seed + 1)
        self.key_time = key_time
        self.principals: dict[tuple[str, str], Principal] = {}
        self.counts: dict[str, int] = {}

    def principal(self, agency_id: str, role: str) -> Principal:
        if (agency_id, role) not in self.principals:
            created = create_key(role, agency_id, self.key_time, label="demo")
            self.principals[(agency_id, role)] = Principal(created["key_id"], role, agency_id)
        return self.principals[(agency_id, role)]

    def count(self, step: str) -> None:
        self.counts[step] = self.counts.get(step, 0) + 1

    def submit(self, plan: AppealPlan, now: datetime) -> None:
        applicant, place = demo_texts.applicant(self.rng, plan.number)
        body = {
            "agency_id": plan.agency_id,
            "kind": plan.kind,
            "language": plan.language,
            "text": demo_texts.appeal_text(self.rng, plan.agency_id, plan.language, place),
            "applicant": applicant,
        }
        created = appeals.submit_appeal(body, now, self.settings, skip_captcha)
        plan.appeal_id, plan.access_code = created["appeal_id"], created["access_code"]
        self.count("submitted")

    def forward(self, plan: AppealPlan, now: datetime) -> None:
        body = {"to_agency_id": plan.handled_by, "reason": demo_texts.REASONS["forward"]}
        agency_actions.forward(self.principal(plan.agency_id, "officer"), plan.appeal_id, body, now)
        self.count("forwarded")

    def extend(self, plan: AppealPlan, now: datetime) -> None:
        body = {"reason": demo_texts.REASONS["extend"]}
        agency_actions.extend(self.principal(plan.handled_by, "head"), plan.appeal_id, body, now)
        self.count("extended")

    def dismiss(self, plan: AppealPlan, now: datetime) -> None:
        body = {"ground": "withdrawn", "reason": demo_texts.REASONS["dismiss"]}
        agency_actions.dismiss(self.principal(plan.handled_by, "officer"), plan.appeal_id, body, now)
        self.count("dismissed")

    def answer(self, plan: AppealPlan, now: datetime) -> None:
        body = {"text": demo_texts.answer_text(self.rng, plan.language)}
        appeals.answer_appeal(self.principal(plan.handled_by, "officer"), plan.appeal_id, body, now, self.settings)
        self.count("answered")

    def read(self, plan: AppealPlan, now: datetime) -> None:
        appeals.view_for_citizen(plan.appeal_id, plan.access_code, now, plan.language)
        self.count("read")

    def rate(self, plan: AppealPlan, now: datetime) -> None:
        body = {"score": plan.score}
        comment = demo_texts.rating_comment(self.rng, plan.score)
        if comment:
            body["comment"] = comment
        appeals.rate_answer(plan.appeal_id, plan.access_code, body, now)
        self.count("rated")

    def scan(self, now: datetime) -> None:
        found = deadline_jobs.deadline_scan(now, self.settings)
        self.counts["breached"] = self.counts.get("breached", 0) + found["breached"]


def skip_captcha(*_args) -> None:
    """Stands in for the captcha check: the demo's appeals come from no browser."""


def _steps(plans: list[AppealPlan], replayer: Replayer, start: datetime, now: datetime):
    """Yield (time, order, action) for every planned step and the daily scans."""
    for plan in plans:
        steps: list[tuple[datetime | None, Callable]] = [
            (plan.submitted_at, replayer.submit), (plan.forward_at, replayer.forward),
            (plan.extend_at, replayer.extend), (plan.dismiss_at, replayer.dismiss),
            (plan.answer_at, replayer.answer), (plan.read_at, replayer.read), (plan.rate_at, replayer.rate),
        ]
        for order, (moment, action) in enumerate(steps):
            if moment is not None:
                yield moment, plan.number, order, (lambda at, action=action, plan=plan: action(plan, at))
    day = start.astimezone(deadlines.tashkent_timezone()).date()
    while True:
        moment = datetime.combine(day, DAILY_SCAN_TIME, deadlines.tashkent_timezone())
        if moment > now:
            break
        yield moment, -1, 0, replayer.scan
        day += timedelta(days=1)


def replay(plans: list[AppealPlan], settings: config.Settings, now: datetime, seed: int) -> dict[str, int]:
    start = now - timedelta(days=HISTORY_DAYS + 1)
    replayer = Replayer(settings, seed, start)
    ordered = sorted(_steps(plans, replayer, start, now), key=lambda step: step[:3])
    for index, (moment, _number, _order, action) in enumerate(ordered):
        action(moment)
        if index and index % 500 == 0:
            logger.info("demo: %s of %s steps done, at %s", index, len(ordered), moment.isoformat())
    replayer.scan(now)
    return replayer.counts


# ---------------------------------------------------------------- the run

def check_marker(force: bool) -> None:
    """:raises DemoAlreadyLoaded: when an earlier run left its marker and `force` is False."""
    try:
        marker = CounterModel.get(*MARKER_KEY, consistent_read=True)
    except CounterModel.DoesNotExist:
        return
    if not force:
        raise DemoAlreadyLoaded(
            f"A demo history of {int(marker.last_number or 0)} appeals was loaded already, or its run "
            "stopped part way. Another run adds a second history on top: pass --force to do that anyway, "
            "or stop `make run`, delete .local/ and start it again to begin with empty tables.")


def write_marker(total_appeals: int) -> None:
    try:
        earlier = int(CounterModel.get(*MARKER_KEY, consistent_read=True).last_number or 0)
    except CounterModel.DoesNotExist:
        earlier = 0
    CounterModel(*MARKER_KEY, last_number=earlier + total_appeals).save()


def public_agency_ids() -> list[str]:
    return sorted(agency.agency_id for agency in AgencyModel.scan() if not agency.is_test and agency.active)


def run_demo(count: int, now: datetime, seed: int, force: bool = False) -> dict:
    """Plan and replay the history, run stats-recompute at `now` and return the summary.

    :raises DemoAlreadyLoaded: see check_marker.
    """
    check_marker(force)
    settings = config.get_settings()
    min_ratings = stats.ranking_settings().min_ratings
    plans = plan_history(count, now, seed, public_agency_ids(), min_ratings)
    # Written before the replay, so that a run stopped part way also blocks
    # a second run on its half-loaded data.
    write_marker(count)
    counts = replay(plans, settings, now, seed)
    stats.stats_recompute(now)
    return summarize(stats.public_stats("all"), counts)


def summarize(published: dict, counts: dict[str, int]) -> dict:
    totals = published["totals"]
    rankings = published["rankings"]
    appeals_total = totals["appeals"] or 0
    return {
        "steps": counts,
        "appeals": appeals_total,
        "completed": totals["completed"],
        "completed_share": round(totals["completed"] / appeals_total, 3) if appeals_total else None,
        "rated_share_of_answered": round(totals["rated"] / totals["completed"], 3) if totals["completed"] else None,
        "most_appeals": [entry["agency_id"] for entry in rankings["most_appeals"][:5]],
        "most_satisfied": [entry["agency_id"] for entry in rankings["most_satisfied"][:5]],
        "low_satisfaction": [entry["agency_id"] for entry in rankings["low_satisfaction"][:4]],
        "exceeded_terms": [entry["agency_id"] for entry in rankings["exceeded_terms"]],
    }


def print_summary(summary: dict) -> None:
    def percent(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.0f} %"

    print(f"Appeals: {summary['appeals']}, completed: {summary['completed']} "
          f"({percent(summary['completed_share'])}), rated: {percent(summary['rated_share_of_answered'])} "
          "of the answered")
    print("Steps: " + ", ".join(f"{name} {value}" for name, value in sorted(summary["steps"].items())))
    for key, title in (("most_appeals", "Most appeals"), ("most_satisfied", "Rated best"),
                       ("low_satisfaction", "Rated lowest"), ("exceeded_terms", "Terms exceeded")):
        print(f"{title}: {', '.join(summary[key]) or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=DEFAULT_APPEALS,
                        help=f"number of appeals to submit (default {DEFAULT_APPEALS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the random plan; one seed gives one history (default {DEFAULT_SEED})")
    parser.add_argument("--now", help="end of the two-month history, ISO 8601 with offset (default: now)")
    parser.add_argument("--force", action="store_true", help="run even if the demo history is loaded already")
    args = parser.parse_args(argv)
    if args.appeals < 1:
        parser.error(f"--appeals must be at least 1, got {args.appeals}")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    # The daily scans and the replayed steps log a line each; keep the summary readable.
    logging.getLogger("chalicelib").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        now = jobs.parse_now(args.now)
    except ValueError as exc:
        parser.error(str(exc))

    jobs.use_local_stack()
    db.bind(config.get_settings())
    try:
        summary = run_demo(args.appeals, now, args.seed, args.force)
    except DemoAlreadyLoaded as exc:
        print(exc, file=sys.stderr)
        return 1
    print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
