"""The statistics job, the counter rebuild and the statistics routes."""
from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import agency_actions, appeals, config, deadline_jobs, jobs, stats
from chalicelib.auth import Principal
from chalicelib.errors import BadRequest, Conflict
from chalicelib.models import ALL_MODELS, AppealModel, StatsModel
from tests.conftest import bearer

TASHKENT = timezone(timedelta(hours=5))
AGENCIES = ("mvd", "minjust", "test-agency")
SETTINGS = stats.RankingSettings(prior_weight=5.0, min_ratings=10)


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


TEXT_NUMBERS = itertools.count(1)


def register(now: datetime, agency_id: str = "mvd", kind: str = "application",
             full_name: str = "Karimova Dilnoza") -> dict:
    body = {
        "agency_id": agency_id,
        "kind": kind,
        # A distinct text each time: the same applicant's same text within two
        # minutes is a double click and is not registered again.
        "text": f"Murojaat matni {next(TEXT_NUMBERS)}.",
        "applicant": {"full_name": full_name, "address": "Namangan sh.", "phone": "+998901234567"},
        "language": "uz",
    }
    return appeals.submit_appeal(body, now, config.get_settings(), no_captcha)


def officer(agency_id: str) -> Principal:
    return Principal("officer0000000001", "officer", agency_id)


def answer(created: dict, now: datetime) -> None:
    appeal = AppealModel.get(created["appeal_id"], consistent_read=True)
    appeals.answer_appeal(officer(appeal.agency_id), created["appeal_id"], {"text": "Javob."}, now,
                          config.get_settings())


def read_and_rate(created: dict, now: datetime, score: int, comment: str | None = None) -> None:
    appeals.view_for_citizen(created["appeal_id"], created["access_code"], now, "uz")
    body = {"score": score}
    if comment:
        body["comment"] = comment
    appeals.rate_answer(created["appeal_id"], created["access_code"], body, now)


def stored(scope: str, period: str) -> StatsModel:
    return StatsModel.get(scope, period)


# ---------------------------------------------------------------- periods

@pytest.mark.parametrize("text, expected", [
    (None, "all"),
    ("", "all"),
    ("all", "all"),
    ("2026-04", "2026-04"),
    ("2026-12", "2026-12"),
    ("2026-W01", "2026-W01"),
    ("2026-W53", "2026-W53"),  # 2026 starts on a Thursday, so it has 53 ISO weeks
    ("2025-W53", None),
    ("2020-W53", "2020-W53"),
    ("2026-13", None),
    ("2026-00", None),
    ("2026-W00", None),
    ("2026-4", None),
    ("ALL", None),
    ("2026-04-01", None),
])
def test_parse_period_cases(text, expected):
    if expected is None:
        with pytest.raises(BadRequest) as raised:
            stats.parse_period(text)
        assert raised.value.field == "period"
    else:
        assert stats.parse_period(text) == expected


@pytest.mark.parametrize("period, first, last", [
    ("2026-02", "2026-02-01", "2026-02-28"),
    ("2026-12", "2026-12-01", "2026-12-31"),
    ("2026-W14", "2026-03-30", "2026-04-05"),
    ("2021-W01", "2021-01-04", "2021-01-10"),
])
def test_period_bounds_cases(period, first, last):
    bounds = stats.period_bounds(period)

    assert bounds[0].isoformat() == first
    assert bounds[1].isoformat() == last


def test_settings_read_from_environment():
    settings = stats.ranking_settings({"STATS_MIN_RATINGS": "3", "STATS_PRIOR_WEIGHT": "2.5"})
    defaults = stats.ranking_settings({})

    assert settings == stats.RankingSettings(prior_weight=2.5, min_ratings=3)
    assert defaults == stats.RankingSettings(prior_weight=5.0, min_ratings=10)
    with pytest.raises(config.ConfigurationError):
        stats.ranking_settings({"STATS_MIN_RATINGS": "ten"})


# ---------------------------------------------------------------- satisfaction

def test_satisfaction_shrinks_toward_prior():
    counts = {"rated": 1, "score_sum": 5}

    result = stats.satisfaction(counts, prior_mean=3.0, prior_variance=1.0, settings=SETTINGS)

    assert result["score"] == pytest.approx((5 + 5 * 3.0) / (1 + 5), abs=1e-3)
    assert result["status"] == "not_enough_ratings"
    assert result["interval_95"][0] < result["score"] < result["interval_95"][1]


def test_satisfaction_interval_clipped_and_narrows():
    few = stats.satisfaction({"rated": 10, "score_sum": 50}, 4.0, 1.0, SETTINGS)
    many = stats.satisfaction({"rated": 1000, "score_sum": 4000}, 4.0, 1.0, SETTINGS)

    assert few["interval_95"][1] <= 5.0
    assert few["status"] == "ranked"
    assert many["interval_95"][1] - many["interval_95"][0] < few["interval_95"][1] - few["interval_95"][0]


def test_pooled_prior_mean_and_variance():
    counts = [{"score_1": 1, "score_2": 0, "score_3": 0, "score_4": 0, "score_5": 1}]

    mean, variance, ratings = stats.pooled_prior(counts)

    assert mean == 3.0
    assert variance == pytest.approx(8.0)
    assert ratings == 2


# ---------------------------------------------------------------- the job

def test_recompute_figures_and_denominators(tables):
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT)
    on_time = register(monday)
    late = register(monday)
    overdue = register(monday)
    dismissed = register(monday)
    fresh = register(datetime(2026, 4, 20, 10, 0, tzinfo=TASHKENT))
    register(monday, agency_id="test-agency")
    answer(on_time, datetime(2026, 3, 10, 10, 0, tzinfo=TASHKENT))
    answer(late, datetime(2026, 4, 15, 10, 0, tzinfo=TASHKENT))
    agency_actions.dismiss(officer("mvd"), dismissed["appeal_id"], {"ground": "withdrawn", "reason": "Qaytarib olindi"},
                           datetime(2026, 3, 3, 10, 0, tzinfo=TASHKENT))
    read_and_rate(on_time, datetime(2026, 4, 16, 10, 0, tzinfo=TASHKENT), 4)
    appeals.view_for_citizen(late["appeal_id"], late["access_code"], datetime(2026, 4, 16, tzinfo=TASHKENT), "uz")
    now = datetime(2026, 4, 21, 12, 0, tzinfo=TASHKENT)
    deadline_jobs.deadline_scan(now, config.get_settings())

    result = stats.stats_recompute(now, SETTINGS)

    mvd = stored("mvd", "all").figures
    assert result["items"] == 3 * (24 + 1)
    assert mvd["appeals"] == 5
    assert mvd["open"] == 2
    assert mvd["open_overdue"] == 1
    assert mvd["matured"] == 3
    assert mvd["completion_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert mvd["on_time_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert mvd["overdue_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert mvd["rating_coverage"] == 0.5
    assert mvd["scores"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert mvd["mean_score"] == 4.0
    assert mvd["satisfaction"]["status"] == "not_enough_ratings"
    assert len(mvd["trend"]) == stats.TREND_WEEKS
    assert mvd["trend"][-1]["week"] == "2026-W17"
    assert fresh["due_date"] > "2026-04-21"


def test_recompute_excludes_test_agencies(tables):
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT)
    register(monday, agency_id="mvd")
    for _ in range(3):
        register(monday, agency_id="test-agency")

    stats.stats_recompute(datetime(2026, 3, 3, 10, 0, tzinfo=TASHKENT), SETTINGS)

    totals = stored("ALL", "all")
    assert totals.figures["received"] == 1
    assert stored("test-agency", "all").figures["received"] == 3
    ranked_ids = [entry["agency_id"] for entry in totals.rankings["most_appeals"]]
    assert ranked_ids == ["mvd"]
    assert "test-agency" not in totals.rankings["not_enough_ratings"]


def test_month_and_week_periods(tables):
    register(datetime(2026, 3, 30, 10, 0, tzinfo=TASHKENT))  # in March and in week 2026-W14
    register(datetime(2026, 4, 1, 10, 0, tzinfo=TASHKENT))   # in April and in week 2026-W14

    stats.stats_recompute(datetime(2026, 4, 2, 10, 0, tzinfo=TASHKENT), SETTINGS)

    assert stored("mvd", "2026-04").figures["received"] == 1
    assert stored("mvd", "2026-W14").figures["received"] == 2
    assert stored("mvd", "2026-04").figures["open"] is None
    assert stored("ALL", "2026-W14").rankings["most_appeals"][0] == {"agency_id": "mvd", "appeals": 2}


def test_month_counts_overdue_due_in_it(tables):
    register(datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT))   # due 2026-03-20
    register(datetime(2026, 3, 23, 10, 0, tzinfo=TASHKENT))  # due in April
    deadline_jobs.deadline_scan(datetime(2026, 4, 28, 10, 0, tzinfo=TASHKENT), config.get_settings())

    stats.stats_recompute(datetime(2026, 4, 28, 10, 0, tzinfo=TASHKENT), SETTINGS)

    assert stored("mvd", "all").figures["open_overdue"] == 2
    assert stored("mvd", "2026-04").figures["open_overdue"] == 1
    assert stored("mvd", "2026-04").figures["matured"] == 1


def test_single_perfect_rating_never_tops(tables, monkeypatch):
    monkeypatch.setenv("STATS_MIN_RATINGS", "3")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT)
    for score in (4, 4, 5, 4):
        created = register(start, agency_id="minjust")
        answer(created, start + timedelta(days=1))
        read_and_rate(created, start + timedelta(days=2), score)
    perfect = register(start, agency_id="mvd")
    answer(perfect, start + timedelta(days=1))
    read_and_rate(perfect, start + timedelta(days=2), 5)

    stats.stats_recompute(start + timedelta(days=3))

    rankings = stored("ALL", "all").rankings
    mvd = stored("mvd", "all").figures["satisfaction"]
    assert rankings["min_ratings"] == 3
    assert [entry["agency_id"] for entry in rankings["most_satisfied"]] == ["minjust"]
    assert "mvd" in rankings["not_enough_ratings"]
    assert mvd["status"] == "not_enough_ratings"
    assert mvd["score"] < 5.0
    assert stored("ALL", "all").figures["mean_score"] == pytest.approx(22 / 5, abs=1e-3)


def test_exceeded_terms_ranking(tables):
    for agency_id, count in (("mvd", 2), ("minjust", 1)):
        for _ in range(count):
            register(datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT), agency_id=agency_id)
    deadline_jobs.deadline_scan(datetime(2026, 4, 1, 10, 0, tzinfo=TASHKENT), config.get_settings())

    stats.stats_recompute(datetime(2026, 4, 1, 11, 0, tzinfo=TASHKENT), SETTINGS)

    exceeded = stored("ALL", "all").rankings["exceeded_terms"]
    assert [entry["agency_id"] for entry in exceeded] == ["mvd", "minjust"]
    assert exceeded[0]["breached"] == 2
    assert exceeded[0]["breach_rate"] == 1.0


def test_recompute_is_a_registered_job():
    assert "stats-recompute" in jobs.JOBS
    assert "stats-rebuild" in jobs.JOBS


# ---------------------------------------------------------------- items read

class ItemsRead:
    """Counter of the items DynamoDB returns to every model's client, fed by botocore's event hooks."""

    def __init__(self):
        self.items = 0
        self.by_operation: dict[str, int] = {}

    def __call__(self, parsed, model, **_kwargs):
        name = model.name
        if name in ("Query", "Scan"):
            read = parsed.get("Count", 0)
        elif name == "GetItem":
            read = 1 if "Item" in parsed else 0
        elif name == "BatchGetItem":
            read = sum(len(items) for items in parsed.get("Responses", {}).values())
        else:
            read = 0
        self.items += read
        self.by_operation[name] = self.by_operation.get(name, 0) + read

    def attach(self):
        clients = {}
        for model in ALL_MODELS:
            client = model._get_connection().connection.client
            clients[id(client)] = client
        for client in clients.values():
            client.meta.events.register("after-call.dynamodb.*", self)
        return self

    def detach(self):
        for model in ALL_MODELS:
            model._get_connection().connection.client.meta.events.unregister("after-call.dynamodb.*", self)


def measure_recompute(now: datetime) -> dict[str, int]:
    counter = ItemsRead().attach()
    try:
        stats.stats_recompute(now, SETTINGS)
    finally:
        counter.detach()
    return dict(counter.by_operation, total=counter.items)


def test_recompute_reads_do_not_grow_with_appeals(tables):
    old = datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT)
    recent = datetime(2026, 4, 27, 10, 0, tzinfo=TASHKENT)
    now = datetime(2026, 4, 28, 10, 0, tzinfo=TASHKENT)
    for agency_id in ("mvd", "minjust", "uzedu"):
        register(old, agency_id=agency_id)
    for index in range(17):
        created = register(recent, agency_id=AGENCIES[index % 3])
        if index % 3 == 0:
            answer(created, recent + timedelta(hours=2))
    with_20 = measure_recompute(now)

    for index in range(180):
        created = register(recent, agency_id=AGENCIES[index % 3])
        if index % 3 == 0:
            answer(created, recent + timedelta(hours=2))
    with_200 = measure_recompute(now)

    assert AppealModel.count() == 200
    assert with_20["total"] == with_200["total"]
    assert with_20 == with_200
    # Open overdue appeals come from counters too, so no appeal is queried at all.
    assert "Query" not in with_20


# ---------------------------------------------------------------- rebuild

NEEDED_STAGE = {"answer": ("open",), "forward": ("open",), "dismiss": ("open",),
                "read": ("answered", "read"), "rate": ("read",), "scan": ("open", "answered", "read", "closed")}
STAGE_AFTER = {"answer": "answered", "read": "read", "dismiss": "closed"}


def play_random_actions(seed: int, steps: int = 80) -> dict[str, int]:
    """Drive the domain through a random mix of actions over about two months.

    Returns the number of successful actions of each kind.

    Most actions pick an appeal in a state that allows them; one in five picks
    any appeal, so that rejected actions are part of the sequence too.
    """
    rng = random.Random(seed)
    done: dict[str, int] = {}
    now = datetime(2026, 3, 2, 9, 0, tzinfo=TASHKENT)
    created: list[dict] = []
    stage: dict[str, str] = {}
    for _ in range(steps):
        now += timedelta(hours=rng.randint(3, 40))
        action = rng.choice(["submit", "submit", "answer", "read", "rate", "forward", "dismiss", "scan"])
        if action == "submit" or not created:
            appeal = register(now, agency_id=rng.choice(AGENCIES), kind=rng.choice(appeals.KINDS))
            created.append(appeal)
            stage[appeal["appeal_id"]] = "open"
            done["submit"] = done.get("submit", 0) + 1
            continue
        fitting = [item for item in created if stage[item["appeal_id"]] in NEEDED_STAGE[action]]
        target = rng.choice(fitting if fitting and rng.random() < 0.8 else created)
        appeal = AppealModel.get(target["appeal_id"], consistent_read=True)
        try:
            if action == "answer":
                answer(target, now)
            elif action == "read":
                appeals.view_for_citizen(target["appeal_id"], target["access_code"], now, "uz")
            elif action == "rate":
                appeals.rate_answer(target["appeal_id"], target["access_code"],
                                    {"score": rng.randint(1, 5), "comment": rng.choice([None, "Rahmat"])}, now)
            elif action == "forward":
                to_agency = rng.choice([agency for agency in AGENCIES if agency != appeal.agency_id])
                agency_actions.forward(officer(appeal.agency_id), target["appeal_id"],
                                       {"to_agency_id": to_agency, "reason": "Vakolat"}, now)
            elif action == "dismiss":
                agency_actions.dismiss(officer(appeal.agency_id), target["appeal_id"],
                                       {"ground": "withdrawn", "reason": "Qaytarib olindi"}, now)
            elif action == "scan":
                deadline_jobs.deadline_scan(now, config.get_settings())
        except Conflict:
            continue  # the appeal's state rejects the action, so the sequence goes on
        if action == "read" and appeal.answer_text is None:
            continue  # viewing an unanswered appeal changes nothing
        stage[target["appeal_id"]] = STAGE_AFTER.get(action, stage[target["appeal_id"]])
        done[action] = done.get(action, 0) + 1
    return done


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuild_matches_incremental_counters(tables, seed):
    done = play_random_actions(seed)

    rebuilt = stats.rebuild_counters()
    incremental = stats.stored_counters()

    assert set(done) == {"submit", "answer", "read", "rate", "forward", "dismiss", "scan"}, done
    assert set(rebuilt) == set(incremental)
    for key in sorted(rebuilt):
        assert rebuilt[key] == incremental[key], key


def test_rebuild_replaces_damaged_counters(tables):
    from chalicelib.models import CounterModel

    play_random_actions(4, steps=30)
    expected = stats.rebuild_counters()
    CounterModel("agency#mvd", "all", received=999).save()
    CounterModel("agency#uzedu", "2020-01", received=1).save()

    result = stats.stats_rebuild(datetime(2026, 5, 10, 10, 0, tzinfo=TASHKENT), SETTINGS)

    assert stats.stored_counters() == expected
    assert result["changed"] >= 1
    assert result["deleted"] >= 1
    assert stored("ALL", "all").figures["received"] == sum(
        counts.get("received", 0) for (counter_id, period), counts in expected.items()
        if period == "all" and counter_id != "agency#test-agency")


# ---------------------------------------------------------------- routes

def test_public_stats_route(client):
    created = register(datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT), full_name="Yusupov Jasur")
    answer(created, datetime(2026, 3, 3, 10, 0, tzinfo=TASHKENT))
    stats.stats_recompute(datetime(2026, 3, 4, 10, 0, tzinfo=TASHKENT), SETTINGS)

    response = client.http.get("/v1/stats")
    body = json.loads(response.body)

    assert response.status_code == 200
    assert body["period"] == "all"
    assert body["computed_at"] is not None
    assert body["totals"]["completed"] == 1
    assert "most_satisfied" in body["rankings"]
    assert {agency["agency_id"] for agency in body["agencies"]} >= {"mvd", "minjust"}
    assert "test-agency" not in {agency["agency_id"] for agency in body["agencies"]}
    assert "Yusupov" not in response.body.decode("utf-8")
    assert created["appeal_id"] not in response.body.decode("utf-8")
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"


def test_public_stats_bad_period_is_400(client):
    response = client.http.get("/v1/stats?period=2026-13")

    assert response.status_code == 400
    assert json.loads(response.body)["error"]["field"] == "period"


def test_public_stats_uncomputed_period(client):
    response = client.http.get("/v1/stats?period=2025-W10")
    body = json.loads(response.body)

    assert response.status_code == 200
    assert body["computed_at"] is None
    assert body["totals"]["received"] == 0
    assert body["agencies"] == []


def test_stats_preflight_allows_site(client):
    response = client.http.options("/v1/stats")

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"


def test_agency_stats_needs_key(client):
    response = client.http.get("/v1/agency/stats")

    assert response.status_code == 401


def test_agency_stats_route(client, keys):
    now = datetime.now(timezone.utc)
    overdue = register(now - timedelta(days=60))
    rated = register(now - timedelta(days=3))
    answer(rated, now - timedelta(days=2))
    read_and_rate(rated, now - timedelta(days=1), 2, comment="Javob toʻliq emas")
    register(now - timedelta(days=1), agency_id="minjust")
    stats.stats_recompute(now, SETTINGS)

    response = client.http.get("/v1/agency/stats", headers=bearer(keys["mvd:head"]))
    body = json.loads(response.body)

    assert response.status_code == 200
    assert body["agency_id"] == "mvd"
    assert body["computed_at"] is not None
    assert body["figures"]["received"] == 2
    assert body["scores"]["2"] == 1
    assert len(body["trend"]) == stats.TREND_WEEKS
    assert body["overdue"]["count"] == 1
    assert body["overdue"]["appeals"] == [{"appeal_id": overdue["appeal_id"], "due_date": overdue["due_date"]}]
    assert body["latest_comments"][0]["comment"] == "Javob toʻliq emas"
    assert body["latest_comments"][0]["score"] == 2
    assert "applicant" not in response.body.decode("utf-8")
    assert "Karimova" not in response.body.decode("utf-8")


def test_agency_stats_bad_period_is_400(client, keys):
    response = client.http.get("/v1/agency/stats?period=W14", headers=bearer(keys["mvd:officer"]))

    assert response.status_code == 400
    assert json.loads(response.body)["error"]["field"] == "period"


def test_scheduled_stats_job(client):
    register(datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT))
    event = {"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": "2026-03-02T06:15:00Z", "region": "eu-central-1",
             "resources": [], "detail": {}}

    client.lambda_.invoke("stats_recompute", event)

    assert stored("ALL", "2026-03").figures["received"] == 1
