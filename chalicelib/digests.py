"""Weekly e-mail digests for the administrators and for each agency's head.

`weekly_digest` runs every Monday:
1. picks the weeks to cover: every full Tashkent week (Monday 00:00 to
   Monday 00:00) after the last one recorded as done, up to the week that
   ended before `now`, at most MAX_CATCH_UP_WEEKS of them,
2. for each week, builds the figures from the counters with the statistics
   module's functions, renders one message per recipient in the recipient's
   language and queues it in the outbox under "digest#<week>#<recipient>",
3. records the week as done,
4. sends what is waiting in the outbox.
Re-running it queues nothing twice, because an outbox id can be queued only
once, and a message whose sending failed stays pending for the next run.

Jinja2 is imported on first rendering, so importing the API does not load it.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from chalicelib import deadlines, outbox, stats
from chalicelib.counters import COUNTER_FIELDS
from chalicelib.errors import BadRequest
from chalicelib.events import format_timestamp
from chalicelib.mail import Mailer
from chalicelib.models import AdminRecipientModel, AgencyModel, AppealModel, CounterModel, OutboxModel
from chalicelib.recipients import active_recipients
from chalicelib.text import is_valid_email

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("uz", "uz-Cyrl", "ru", "en")
DEFAULT_LANGUAGE = "uz"
PROGRESS_COUNTER_ID = "digest-progress"
MAX_CATCH_UP_WEEKS = 8
# A digest composed more than this long after its week ended is marked late.
LATE_AFTER = timedelta(days=1)
# Anomaly thresholds. They are first guesses, to be tuned once real weekly
# volumes are known.
SPIKE_FACTOR = 3
SPIKE_MINIMUM = 10
OVERDUE_JUMP_FACTOR = 2
OVERDUE_JUMP_MINIMUM = 5
LIST_LIMIT = 50
LOW_SCORE_COMMENTS = 5
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


# ---------------------------------------------------------------- weeks

@dataclass(frozen=True)
class Week:
    label: str
    start: date
    # The Monday after the week, at whose 00:00 (Tashkent) the week ends.
    end: date

    @property
    def previous(self) -> "Week":
        return week_starting(self.start - timedelta(days=7))

    @property
    def next(self) -> "Week":
        return week_starting(self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def ended_at(self) -> datetime:
        return datetime.combine(self.end, time(0), deadlines.tashkent_timezone())


def week_starting(monday: date) -> Week:
    return Week(stats.iso_week(monday), monday, monday + timedelta(days=7))


def previous_full_week(now: datetime) -> Week:
    """Return the last Tashkent week that has fully ended at `now`."""
    today = deadlines.local_date(now)
    this_monday = today - timedelta(days=today.weekday())
    return week_starting(this_monday - timedelta(days=7))


def parse_week(text: str | None, now: datetime) -> Week:
    """Parse an ISO week "YYYY-Www". None or "" means the previous full week.

    :raises BadRequest: field_invalid naming "week".
    """
    if not text:
        return previous_full_week(now)
    match = WEEK_PATTERN.match(text)
    try:
        if match is None:
            raise ValueError(text)
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise BadRequest("field_invalid", field="week",
                         reason="use an ISO week as YYYY-Www, such as 2026-W14") from None
    return week_starting(monday)


# ---------------------------------------------------------------- figures

def agency_names(agency: AgencyModel) -> dict[str, str]:
    name = agency.name
    return {"uz": name.uz, "uz-Cyrl": name.uz_cyrl, "ru": name.ru, "en": name.en}


@dataclass
class WeekFigures:
    """The figures of one week and the week before, per agency and summed over the non-test agencies."""

    week: Week
    agencies: dict[str, AgencyModel]
    counts: dict[tuple[str, str], dict[str, int]]
    figures: dict[str, dict]
    previous_figures: dict[str, dict]
    totals: dict
    previous_totals: dict
    rankings: dict


def _period_figures(agency_ids: list[str], public_ids: list[str], counts: dict, period: str,
                    today: date, settings: stats.RankingSettings) -> tuple[dict[str, dict], dict, dict]:
    prior_mean, prior_variance, _ = stats.pooled_prior(counts[(agency_id, period)] for agency_id in public_ids)
    figures = {}
    for agency_id in agency_ids:
        overdue = stats.open_overdue(counts[(agency_id, period)])
        figures[agency_id] = stats.derive_figures(counts[(agency_id, period)], overdue, period, prior_mean,
                                                  prior_variance, settings)
    summed = {name: sum(counts[(agency_id, period)][name] for agency_id in public_ids) for name in COUNTER_FIELDS}
    total_overdue = sum(figures[agency_id]["open_overdue"] for agency_id in public_ids)
    totals = stats.derive_figures(summed, total_overdue, period, prior_mean, prior_variance, settings)
    rankings = stats.rank({agency_id: figures[agency_id] for agency_id in public_ids}, settings)
    return figures, totals, rankings


def week_figures(week: Week, settings: stats.RankingSettings | None = None) -> WeekFigures:
    """Compute the week's figures and rankings from the counters, as the statistics job does for a week.

    Overdue counts are taken at the end of the week: open appeals due within
    the week and still open when the job reads them.
    """
    settings = settings or stats.ranking_settings()
    agencies = {agency.agency_id: agency for agency in AgencyModel.scan() if agency.active}
    agency_ids = sorted(agencies)
    public_ids = [agency_id for agency_id in agency_ids if not agencies[agency_id].is_test]
    counts = stats.read_counters(agency_ids, [week.label, week.previous.label])
    figures, totals, rankings = _period_figures(agency_ids, public_ids, counts, week.label, week.end, settings)
    previous_figures, previous_totals, _ = _period_figures(agency_ids, public_ids, counts, week.previous.label,
                                                           week.end, settings)
    return WeekFigures(week, agencies, counts, figures, previous_figures, totals, previous_totals, rankings)


def _due_between(agency_id: str, first: date | None, last: date) -> tuple[int, list[dict]]:
    """Count and list (up to LIST_LIMIT) the agency's open appeals due from `first` (or ever) to `last`."""
    if first is None:
        condition = AppealModel.inbox_due < (last + timedelta(days=1)).isoformat()
    else:
        condition = AppealModel.inbox_due.between(first.isoformat(), f"{last.isoformat()}#~")
    inbox_key = f"{agency_id}#open"
    count = AppealModel.inbox_index.count(inbox_key, range_key_condition=condition)
    appeals = [{"appeal_id": appeal.appeal_id, "due_date": appeal.due_date}
               for appeal in AppealModel.inbox_index.query(inbox_key, range_key_condition=condition,
                                                           limit=LIST_LIMIT,
                                                           attributes_to_get=["appeal_id", "due_date"])]
    return count, appeals


def _delivery_problems(agencies: dict[str, AgencyModel], week: Week) -> dict[str, int]:
    """Count, per agency, the week's outbox messages to its addresses that failed or needed a retry.

    NOTE: this scans the whole outbox table with a filter on created_at. Once
    a week that is acceptable, but the cost grows with the table's size. An
    index on creation time would remove the scan.
    """
    owners: dict[str, str] = {}
    for agency_id, agency in agencies.items():
        owners.setdefault(agency.contact_email.casefold(), agency_id)
        owners.setdefault(agency.head_email.casefold(), agency_id)
    first = format_timestamp(datetime.combine(week.start, time(0), deadlines.tashkent_timezone()))
    last = format_timestamp(week.ended_at())
    problems: dict[str, int] = {}
    results = OutboxModel.scan(OutboxModel.created_at.between(first, last),
                               attributes_to_get=["outbox_id", "recipient", "status", "attempts", "created_at"])
    for message in results:
        if message.outbox_id.startswith("digest#") or message.created_at >= last:
            continue
        agency_id = owners.get(message.recipient.casefold())
        if agency_id is None:
            continue
        if message.status == outbox.FAILED or (message.attempts or 0) > 1:
            problems[agency_id] = problems.get(agency_id, 0) + 1
    return problems


def find_anomalies(data: WeekFigures) -> list[dict]:
    """List the agencies whose week looks wrong: no activity, a spike in appeals, a jump in breaches."""
    found = []
    for agency_id, agency in sorted(data.agencies.items()):
        if agency.is_test:
            continue
        current = data.counts[(agency_id, data.week.label)]
        previous = data.counts[(agency_id, data.week.previous.label)]
        if not any(current.values()):
            found.append({"kind": "no_activity", "agency_id": agency_id})
            continue
        received, received_before = data.figures[agency_id]["appeals"], data.previous_figures[agency_id]["appeals"]
        if received >= SPIKE_MINIMUM and received >= SPIKE_FACTOR * received_before:
            found.append({"kind": "spike", "agency_id": agency_id, "current": received,
                          "previous": received_before})
        breached, breached_before = current["breached"], previous["breached"]
        if breached >= OVERDUE_JUMP_MINIMUM and breached >= OVERDUE_JUMP_FACTOR * breached_before:
            found.append({"kind": "overdue_jump", "agency_id": agency_id, "current": breached,
                          "previous": breached_before})
    return found


def invalid_addresses(admins: list[AdminRecipientModel], agencies: dict[str, AgencyModel]) -> list[dict]:
    invalid = [{"kind": "admin", "name": admin.name, "email": admin.email}
               for admin in admins if not is_valid_email(admin.email)]
    invalid += [{"kind": "head", "agency_id": agency_id, "email": agency.head_email}
                for agency_id, agency in sorted(agencies.items()) if not is_valid_email(agency.head_email)]
    return invalid


def _change(current, previous):
    if current is None or previous is None:
        return None
    return round(current - previous, 4)


TOTAL_ROWS = ("received", "completed", "completion_rate", "on_time_rate", "rating_coverage", "mean_score")


def _total_rows(data: WeekFigures) -> list[dict]:
    rows = []
    for name in TOTAL_ROWS:
        current, previous = data.totals[name], data.previous_totals[name]
        rows.append({"name": name, "current": current, "previous": previous, "change": _change(current, previous)})
    return rows


def admin_context(data: WeekFigures, admins: list[AdminRecipientModel], now: datetime | None) -> dict:
    """Gather everything the administrators' digest shows. `now` None means a preview, which is never late."""
    week = data.week
    breaches = [{"agency_id": agency_id, "breached": figures["breached"]}
                for agency_id, figures in sorted(data.figures.items(), key=lambda pair: (-pair[1]["breached"], pair[0]))
                if figures["breached"] and not data.agencies[agency_id].is_test]
    coming = week.next
    due_next_week = []
    for agency_id in sorted(data.agencies):
        count, _ = _due_between(agency_id, coming.start, coming.last_day)
        if count:
            due_next_week.append({"agency_id": agency_id, "count": count})
    due_next_week.sort(key=lambda item: (-item["count"], item["agency_id"]))

    anomalies = find_anomalies(data)
    for agency_id, count in sorted(_delivery_problems(data.agencies, week).items()):
        anomalies.append({"kind": "delivery", "agency_id": agency_id, "count": count})
    return {
        "week": week,
        "late": now is not None and now - week.ended_at() > LATE_AFTER,
        "totals": _total_rows(data),
        "rankings": data.rankings,
        "breaches": breaches,
        "coming": coming,
        "due_next_week": due_next_week,
        "anomalies": anomalies,
        "invalid": invalid_addresses(admins, data.agencies),
    }


def _low_score_comments(agency_id: str, week: Week) -> list[dict]:
    """Return the newest comments with a score of 1 or 2 given before the week ended, newest first."""
    before = format_timestamp(week.ended_at())
    results = AppealModel.inbox_index.query(
        f"{agency_id}#closed",
        scan_index_forward=False,
        filter_condition=AppealModel.rating_comment.exists() & (AppealModel.rating_score <= 2)
        & (AppealModel.rated_at < before),
        limit=LOW_SCORE_COMMENTS,
        attributes_to_get=["appeal_id", "rating_score", "rating_comment", "rated_at"],
    )
    comments = [{"appeal_id": appeal.appeal_id, "score": int(appeal.rating_score), "comment": appeal.rating_comment,
                 "rated_at": appeal.rated_at} for appeal in results]
    comments.sort(key=lambda comment: comment["rated_at"], reverse=True)
    return comments


def _places(agency_id: str, rankings: dict) -> list[dict]:
    places = []
    for name in ("most_appeals", "most_satisfied", "low_satisfaction"):
        listed = [entry["agency_id"] for entry in rankings[name]]
        place = listed.index(agency_id) + 1 if agency_id in listed else None
        places.append({"name": name, "place": place, "total": len(listed)})
    return places


def agency_context(data: WeekFigures, agency_id: str) -> dict:
    """Gather one agency's week for its head: figures and appeal numbers, never applicants' data."""
    week = data.week
    overdue_count, overdue = _due_between(agency_id, None, week.last_day)
    coming = week.next
    due_count, due = _due_between(agency_id, coming.start, coming.last_day)
    figures = data.figures[agency_id]
    return {
        "week": week,
        "figures": figures,
        "previous": data.previous_figures[agency_id],
        "overdue": {"count": overdue_count, "appeals": overdue},
        "due_soon": {"count": due_count, "appeals": due},
        "coming": coming,
        "scores": [{"score": score, "count": figures["scores"][str(score)]} for score in stats.SCORES],
        "comments": _low_score_comments(agency_id, week),
        "places": _places(agency_id, data.rankings),
        "ranked": not data.agencies[agency_id].is_test,
        "min_ratings": data.rankings["min_ratings"],
    }


# ---------------------------------------------------------------- rendering

@lru_cache(maxsize=1)
def _environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        # Escape in the HTML templates only. Citizens' comments reach them.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    # The filters read the decimal separator of the message's language from the context.
    environment.filters["percent"] = jinja2.pass_context(_percent)
    environment.filters["number"] = jinja2.pass_context(_number)
    environment.filters["signed"] = jinja2.pass_context(_signed)
    return environment


@lru_cache(maxsize=1)
def _strings() -> dict[str, dict[str, str]]:
    return json.loads((TEMPLATE_DIR / "strings.json").read_text(encoding="utf-8"))


def _decimal(context, text: str) -> str:
    return text.replace(".", context["t"]["decimal_separator"])


def _percent(context, value) -> str:
    return "—" if value is None else _decimal(context, f"{value * 100:.1f} %")


def _number(context, value) -> str:
    if value is None:
        return "—"
    return _decimal(context, f"{value:.2f}") if isinstance(value, float) else str(value)


def _signed(context, value, points_unit: str | None = None) -> str:
    """Format a change with its sign; a change of a rate is shown in percentage points."""
    if value is None:
        return "—"
    if points_unit:
        return _decimal(context, f"{value * 100:+.1f}") + f" {points_unit}"
    return _decimal(context, f"{value:+.2f}") if isinstance(value, float) else f"{value:+d}"


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def render(template: str, language: str, context: dict, names: dict[str, dict[str, str]]) -> tuple[str, str, str]:
    """Render a digest's subject, plain text and HTML in `language`."""
    strings = _strings()[language]
    environment = _environment()

    def agency(agency_id: str) -> str:
        return names.get(agency_id, {}).get(language) or agency_id

    variables = {**context, "t": strings, "agency": agency, "language": language}
    text = environment.get_template(f"{template}.txt.j2").render(variables)
    html = environment.get_template(f"{template}.html.j2").render(variables)
    subject = strings[f"{template}_subject"].format(week=context["week"].label,
                                                    agency=agency(context.get("agency_id", "")))
    return subject, text, html


def preview_admin_digest(week_text: str | None, language: str, now: datetime) -> str:
    """Render the administrators' digest of a week as HTML, without sending it.

    :raises BadRequest: field_invalid naming "week" for a malformed week.
    """
    week = parse_week(week_text, now)
    data = week_figures(week)
    context = admin_context(data, active_recipients(), None)
    names = {agency_id: agency_names(agency) for agency_id, agency in data.agencies.items()}
    return render("admin_digest", _language(language), context, names)[2]


# ---------------------------------------------------------------- the weekly job

def last_week_done() -> str | None:
    items = CounterModel.query(PROGRESS_COUNTER_ID, scan_index_forward=False, limit=1, consistent_read=True)
    return next((item.period for item in items), None)


def weeks_to_cover(now: datetime, last_done: str | None) -> list[Week]:
    """Return the weeks after `last_done` up to the previous full week, the newest MAX_CATCH_UP_WEEKS of them."""
    target = previous_full_week(now)
    if last_done is None:
        return [target]
    done = parse_week(last_done, now)
    weeks = []
    week = done.next
    while week.start <= target.start:
        weeks.append(week)
        week = week.next
    if len(weeks) > MAX_CATCH_UP_WEEKS:
        logger.warning("weekly_digest skips %s missed weeks from %s, and sends only the newest %s",
                       len(weeks) - MAX_CATCH_UP_WEEKS, weeks[0].label, MAX_CATCH_UP_WEEKS)
        weeks = weeks[-MAX_CATCH_UP_WEEKS:]
    return weeks


def queue_week(week: Week, now: datetime) -> dict:
    """Queue the week's digests for every active administrator recipient and agency head."""
    counts = {"queued": 0, "existing": 0, "invalid": 0}
    data = week_figures(week)
    admins = active_recipients()
    names = {agency_id: agency_names(agency) for agency_id, agency in data.agencies.items()}

    def queue(outbox_id: str, kind: str, email: str, language: str, template: str, context: dict) -> None:
        if not is_valid_email(email):
            counts["invalid"] += 1
            logger.warning("weekly_digest week=%s skips %s: invalid address", week.label, outbox_id)
            return
        subject, text, html = render(template, language, context, names)
        message = outbox.new_message(outbox_id, kind=kind, recipient=email, language=language, subject=subject,
                                     text=text, html=html, now=now)
        counts["queued" if outbox.queue(message) else "existing"] += 1

    admin = admin_context(data, admins, now)
    for recipient in admins:
        queue(f"digest#{week.label}#{recipient.recipient_id}", "admin_digest", recipient.email,
              _language(recipient.language), "admin_digest", admin)
    for agency_id, agency in sorted(data.agencies.items()):
        context = {**agency_context(data, agency_id), "agency_id": agency_id}
        queue(f"digest#{week.label}#head-{agency_id}", "agency_digest", agency.head_email,
              _language(agency.language), "agency_digest", context)
    return counts


def weekly_digest(now: datetime, mailer: Mailer) -> dict:
    """Queue the digests of every week not yet covered, record each as done, then send the outbox."""
    weeks = weeks_to_cover(now, last_week_done())
    counts = {"weeks": [week.label for week in weeks], "queued": 0, "existing": 0, "invalid": 0}
    for week in weeks:
        week_counts = queue_week(week, now)
        for name, value in week_counts.items():
            counts[name] += value
        CounterModel(PROGRESS_COUNTER_ID, week.label).save()
    counts["mail"] = outbox.deliver_pending(mailer, now)
    logger.info("weekly_digest now=%s weeks=%s queued=%s existing=%s invalid=%s sent=%s failed=%s",
                now.isoformat(), ",".join(counts["weeks"]), counts["queued"], counts["existing"],
                counts["invalid"], counts["mail"]["sent"], counts["mail"]["failed"])
    return counts
