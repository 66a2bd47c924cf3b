"""Due dates for appeals under the Law "On appeals of individuals and legal entities" (ZRU-445).

Dates are Asia/Tashkent calendar dates, and terms are counted in calendar days. The day-off
calendar is data: the packaged default is data/holidays.json, and an administrator publishes
new versions as decrees declare the hayits and move rest days. This module does no I/O apart
from reading that file, and it never reads the clock, so callers pass ``now`` in.
"""

from __future__ import annotations

import functools
import json
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

KINDS = ("application", "proposal", "complaint")

LAW = "ZRU-445 Art 28"

# ZRU-445 Art 28: an application or complaint is considered within 15 days.
STANDARD_TERM_DAYS = 15

# Policy for a term whose last day is a day off. ZRU-445 is silent on this, so the Civil Code's
# general rule applies and ends such a term on the next working day. Russian office rules use the
# previous working day instead, but only the next working day is implemented here.
NEXT_WORKING_DAY = "next_working_day"
TERM_END_POLICY = NEXT_WORKING_DAY

DEFAULT_CALENDAR_PATH = Path(__file__).resolve().parent / "data" / "holidays.json"

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- Calendar -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """A versioned set of days off for state bodies on a five-day week.

    Saturdays and Sundays are days off unless listed in ``working_days``. ``holidays`` adds the
    public holidays, the hayits and the rest days that were moved to a weekday.
    """

    version: int
    holidays: frozenset[date]
    working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"invalid calendar version {self.version!r}: expected a positive integer")

        # Accept any iterable of dates, but store frozensets so the calendar stays immutable.
        object.__setattr__(self, "holidays", _frozen_dates(self.holidays, "holidays"))
        object.__setattr__(self, "working_days", _frozen_dates(self.working_days, "working_days"))

        for day in sorted(self.working_days):
            if day.weekday() < 5:
                raise ValueError(
                    f"invalid working day {day.isoformat()}: it is a {day:%A}, which is a working day"
                    " anyway. List only Saturdays and Sundays that a decree made working days."
                )
        both = sorted(self.holidays & self.working_days)
        if both:
            raise ValueError(
                f"date {both[0].isoformat()} is listed both as a holiday and as a working day."
                " Remove it from one of the two lists."
            )

    def is_day_off(self, day: date) -> bool:
        """Return whether ``day`` is a holiday, or a Saturday or Sunday not made a working day."""
        if day in self.holidays:
            return True
        if day in self.working_days:
            return False
        return day.weekday() >= 5

    def next_working_day(self, day: date) -> date:
        """Return ``day`` when it is a working day, otherwise the first working day after it."""
        while self.is_day_off(day):
            day += timedelta(days=1)
        return day

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calendar:
        """Build a calendar from its JSON form and ignore other keys such as "sources".

        :raises ValueError: when the version is missing or invalid, when a date is not a valid
            YYYY-MM-DD string (the message names the value), or when the lists contradict.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"invalid calendar data: expected a JSON object, got {type(data).__name__}")
        if "version" not in data:
            raise ValueError("invalid calendar data: missing 'version'")
        if "holidays" not in data:
            raise ValueError("invalid calendar data: missing 'holidays'")

        return cls(
            version=data["version"],
            holidays=_parse_dates(data["holidays"], "holidays"),
            working_days=_parse_dates(data.get("working_days", []), "working_days"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that from_dict() reads, with dates sorted."""
        return {
            "version": self.version,
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
            "working_days": [day.isoformat() for day in sorted(self.working_days)],
        }


def _frozen_dates(values: Iterable[date], field: str) -> frozenset[date]:
    days = frozenset(values)
    for day in days:
        # datetime is a subclass of date, but a datetime would never equal the date being looked up.
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValueError(f"invalid value {day!r} in {field}: expected a datetime.date")
    return days


def _parse_dates(values: Any, field: str) -> frozenset[date]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"invalid {field}: expected a list of YYYY-MM-DD strings, got {values!r}")
    return frozenset(_parse_date(value, field) for value in values)


def _parse_date(value: Any, field: str) -> date:
    # date.fromisoformat() also accepts forms such as "20260305", so check the shape first.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"invalid date {value!r} in {field}: expected YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"invalid date {value!r} in {field}: no such day") from None


@functools.cache
def tashkent_timezone() -> tzinfo:
    """Return the Asia/Tashkent time zone as a ZoneInfo, loaded on the first call.

    zoneinfo is imported here, not at module level, so that importing the app
    does not load it for requests that use no local date.
    """
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Tashkent")


@functools.cache
def default_calendar() -> Calendar:
    """Load the packaged day-off calendar from data/holidays.json, once per process.

    :raises ValueError: when the file contains an invalid calendar.
    """
    with DEFAULT_CALENDAR_PATH.open(encoding="utf-8") as file:
        return Calendar.from_dict(json.load(file))


# --- Dates and registration -----------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """Return the Asia/Tashkent calendar date of an aware datetime.

    :raises ValueError: when ``moment`` is naive, because its time zone would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware datetime")
    return moment.astimezone(tashkent_timezone()).date()


def registration_date(received_at: datetime, calendar: Calendar) -> date:
    """Return the date on which an appeal received at ``received_at`` is registered.

    ZRU-445 Art 23: an appeal is registered on the day of receipt, or on the next working day
    when it arrives on a day off.

    :raises ValueError: when ``received_at`` is naive.
    """
    # NOTE: Art 23 also moves an appeal received after working hours to the next working day.
    # The portal registers on the local date of receipt at any hour, because office hours
    # differ between bodies.
    return calendar.next_working_day(local_date(received_at))


def is_overdue(due_date: date, now: datetime) -> bool:
    """Return whether an appeal due on ``due_date`` is overdue at ``now``.

    An appeal becomes overdue at Tashkent midnight after its due date.

    :raises ValueError: when ``now`` is naive.
    """
    return local_date(now) > due_date


# --- Terms (ZRU-445 Art 28) -----------------------------------------------------------------


class DueDate(NamedTuple):
    """The due date of an appeal and the JSON-serialisable basis it was computed from.

    ``basis`` contains the rule, the law, the kind, the ISO dates registered_on, term_end,
    extension_until (or None) and due_date, the term as {"days": n} or {"months": n}, the
    calendar version, and moved_to_working_day. That flag is true when due_date is later than
    the date it came from: extension_until when the term was extended, otherwise term_end.
    """

    due_date: date
    basis: dict[str, Any]


def compute_due(
    kind: str,
    registered_on: date,
    calendar: Calendar,
    *,
    study: bool = False,
    extension_until: date | None = None,
) -> DueDate:
    """Compute the due date of an appeal under ZRU-445 Art 28.

    ``study`` marks an application or complaint that needs extra study, checks or documents.
    ``extension_until`` is the date set by the head of the body when extending the term.

    :raises ValueError: when ``kind`` is not application, proposal or complaint, or when
        ``extension_until`` is not after the unextended due date or is later than
        extension_cap().
    :raises TypeError: when ``registered_on`` or ``extension_until`` is not a datetime.date.
    """
    if isinstance(registered_on, datetime) or not isinstance(registered_on, date):
        raise TypeError(f"registered_on must be a datetime.date, got {registered_on!r}")

    rule, term, term_end = _raw_term(kind, registered_on, study)
    due = _move_to_working_day(term_end, calendar)
    current = DueDate(
        due_date=due,
        basis={
            "rule": rule,
            "law": LAW,
            "kind": kind,
            "registered_on": registered_on.isoformat(),
            "term": term,
            "term_end": term_end.isoformat(),
            "moved_to_working_day": due != term_end,
            "extension_until": None,
            "due_date": due.isoformat(),
            "calendar_version": calendar.version,
        },
    )
    if extension_until is None:
        return current
    return _extend(current, extension_until, calendar)


def extension_cap(current_due: DueDate, calendar: Calendar) -> date:
    """Return the latest date to which the head of the body may extend ``current_due``.

    ZRU-445 Art 28 allows one extension, as an exception, by at most one month. The cap is one
    month after the unmoved term end, moved to a working day.

    :raises ValueError: when ``current_due`` was already extended.
    """
    extended_until = current_due.basis.get("extension_until")
    if extended_until is not None:
        raise ValueError(
            f"the term was already extended to {extended_until}, and ZRU-445 Art 28 allows only one extension"
        )
    term_end = date.fromisoformat(current_due.basis["term_end"])
    return _move_to_working_day(_add_months(term_end, 1), calendar)


def _raw_term(kind: str, registered_on: date, study: bool) -> tuple[str, dict[str, int], date]:
    """Return the rule name, the term and the last day of the term before any move."""
    if kind not in KINDS:
        raise ValueError(f"invalid appeal kind {kind!r}: expected one of {', '.join(KINDS)}")

    # Civil Code Art 146: a term starts on the day after registration, so day 15 of a term
    # registered on 5 March is 20 March. A one-month term ends on the same day number of the
    # next month, or on that month's last day when it is shorter.
    if kind == "proposal":
        # ZRU-445 Art 28: a proposal is considered within one month.
        # NOTE: Art 28 lets a proposal that needs extra study take longer, provided the proposer
        # is notified within 10 days. It sets no limit, so `study` does not lengthen the term here.
        return "art28_one_month_proposal", {"months": 1}, _add_months(registered_on, 1)
    if study:
        # ZRU-445 Art 28: up to one month when extra study, checks or documents are needed.
        return "art28_one_month_study", {"months": 1}, _add_months(registered_on, 1)
    # ZRU-445 Art 28: an application or complaint is considered within 15 days.
    term_end = registered_on + timedelta(days=STANDARD_TERM_DAYS)
    return "art28_15_days", {"days": STANDARD_TERM_DAYS}, term_end


def _extend(current: DueDate, extension_until: date, calendar: Calendar) -> DueDate:
    if isinstance(extension_until, datetime) or not isinstance(extension_until, date):
        raise TypeError(f"extension_until must be a datetime.date, got {extension_until!r}")

    cap = extension_cap(current, calendar)
    if extension_until <= current.due_date:
        raise ValueError(
            f"invalid extension_until {extension_until.isoformat()}: it must be after the current"
            f" due date {current.due_date.isoformat()}"
        )
    if extension_until > cap:
        raise ValueError(
            f"invalid extension_until {extension_until.isoformat()}: ZRU-445 Art 28 allows at most"
            f" one month beyond the term end {current.basis['term_end']}, so the latest date is"
            f" {cap.isoformat()}"
        )

    # The cap is a working day, so moving extension_until forward never passes the cap.
    due = _move_to_working_day(extension_until, calendar)
    basis = dict(current.basis)
    basis["extension_until"] = extension_until.isoformat()
    basis["moved_to_working_day"] = due != extension_until
    basis["due_date"] = due.isoformat()
    return DueDate(due_date=due, basis=basis)


def _move_to_working_day(day: date, calendar: Calendar) -> date:
    if TERM_END_POLICY != NEXT_WORKING_DAY:
        raise NotImplementedError(f"term end policy {TERM_END_POLICY!r} is not implemented")
    return calendar.next_working_day(day)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


# --- Explanations ---------------------------------------------------------------------------

_MONTH_NAMES = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "uz": (
        "yanvar", "fevral", "mart", "aprel", "may", "iyun",
        "iyul", "avgust", "sentabr", "oktabr", "noyabr", "dekabr",
    ),
    "uz-Cyrl": (
        "январь", "февраль", "март", "апрель", "май", "июнь",
        "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
    ),
    # Genitive forms, which Russian uses in a date ("5 марта").
    "ru": (
        "января", "февраля", "марта", "апреля", "мая", "июня",
        "июля", "августа", "сентября", "октября", "ноября", "декабря",
    ),
}

# Subject of the first sentence per language, kind and study flag.
_SUBJECTS = {
    "en": {
        ("application", False): "The application",
        ("application", True): "The application, which needs extra study,",
        ("complaint", False): "The complaint",
        ("complaint", True): "The complaint, which needs extra study,",
        ("proposal", False): "The proposal",
    },
    "uz": {
        ("application", False): "Ariza",
        ("application", True): "Qoʻshimcha oʻrganishni talab qiladigan ariza",
        ("complaint", False): "Shikoyat",
        ("complaint", True): "Qoʻshimcha oʻrganishni talab qiladigan shikoyat",
        ("proposal", False): "Taklif",
    },
    "uz-Cyrl": {
        ("application", False): "Ариза",
        ("application", True): "Қўшимча ўрганишни талаб қиладиган ариза",
        ("complaint", False): "Шикоят",
        ("complaint", True): "Қўшимча ўрганишни талаб қиладиган шикоят",
        ("proposal", False): "Таклиф",
    },
    # The participle agrees with the noun: заявление and предложение are neuter, жалоба feminine.
    "ru": {
        ("application", False): "Заявление зарегистрировано",
        ("application", True): "Заявление, требующее дополнительного изучения, зарегистрировано",
        ("complaint", False): "Жалоба зарегистрирована",
        ("complaint", True): "Жалоба, требующая дополнительного изучения, зарегистрирована",
        ("proposal", False): "Предложение зарегистрировано",
    },
}

_BASIS_KEYS = ("rule", "kind", "registered_on", "term", "term_end", "moved_to_working_day", "due_date")


def explain(basis: Mapping[str, Any], language: str) -> str:
    """Explain in one or two sentences how the due date in ``basis`` was computed.

    ``language`` is "uz" (Uzbek, Latin script), "uz-Cyrl", "ru" or "en". Other languages get
    English.

    :raises ValueError: when ``basis`` lacks a key that compute_due() writes.
    """
    missing = [key for key in _BASIS_KEYS if key not in basis]
    if missing:
        raise ValueError(f"invalid due date basis: missing {', '.join(missing)}")
    if basis["kind"] not in KINDS:
        raise ValueError(f"invalid due date basis: unknown kind {basis['kind']!r}")

    lang = _normalise_language(language)
    study = basis["rule"] == "art28_one_month_study"
    subject = _SUBJECTS[lang][(basis["kind"], study and basis["kind"] != "proposal")]

    def fmt(key: str) -> str:
        return _format_date(date.fromisoformat(basis[key]), lang)

    term = _format_term(basis["term"], lang)
    registered, term_end, due = fmt("registered_on"), fmt("term_end"), fmt("due_date")
    moved = bool(basis["moved_to_working_day"])
    extended = fmt("extension_until") if basis.get("extension_until") else None

    if lang == "uz":
        text = (
            f"{subject} {registered} kuni roʻyxatga olingan va {term} ichida koʻrib chiqiladi"
            f" (OʻRQ-445, 28-modda), shuning uchun muddat {term_end} kuni tugaydi"
        )
        moved_clause = f"bu dam olish kuni boʻlgani uchun muddat keyingi ish kuni, {due} kuni tugaydi"
        extended_clause = f"Tashkilot rahbari muddatni {extended} kunigacha uzaytirdi"
    elif lang == "uz-Cyrl":
        text = (
            f"{subject} {registered} куни рўйхатга олинган ва {term} ичида кўриб чиқилади"
            f" (ЎРҚ-445, 28-модда), шунинг учун муддат {term_end} куни тугайди"
        )
        moved_clause = f"бу дам олиш куни бўлгани учун муддат кейинги иш куни, {due} куни тугайди"
        extended_clause = f"Ташкилот раҳбари муддатни {extended} кунигача узайтирди"
    elif lang == "ru":
        text = (
            f"{subject} {registered} и рассматривается в течение {term} (ЗРУ-445, ст. 28),"
            f" поэтому срок истекает {term_end}"
        )
        moved_clause = f"это выходной день, поэтому срок переносится на следующий рабочий день, {due}"
        extended_clause = f"Руководитель органа продлил срок до {extended}"
    else:
        text = (
            f"{subject} was registered on {registered} and is considered within {term}"
            f" (ZRU-445 Art 28), so the term ends on {term_end}"
        )
        moved_clause = f"that is a day off, so the due date moves to the next working day, {due}"
        extended_clause = f"The head of the body extended the term to {extended}"

    if extended is not None and moved:
        second = f"{extended_clause}{_CLAUSE_JOINERS[lang]}{moved_clause}"
    elif extended is not None:
        second = extended_clause
    elif moved:
        second = moved_clause[0].upper() + moved_clause[1:]
    else:
        return _end_sentence(text)
    return f"{_end_sentence(text)} {_end_sentence(second)}"


# Joins "the head extended the term to <date>" with "that is a day off, so ...".
_CLAUSE_JOINERS = {"en": ", and ", "uz": ", ", "uz-Cyrl": ", ", "ru": ", а "}


def _end_sentence(text: str) -> str:
    # A Russian date already ends with the abbreviation "г.", which also ends the sentence.
    return text if text.endswith(".") else text + "."


def _normalise_language(language: str) -> str:
    tag = language.strip().replace("_", "-").lower()
    if tag.startswith("uz-cyrl"):
        return "uz-Cyrl"
    for known in ("uz", "ru"):
        if tag == known or tag.startswith(known + "-"):
            return known
    return "en"


def _format_date(day: date, lang: str) -> str:
    month = _MONTH_NAMES[lang][day.month - 1]
    if lang == "uz":
        return f"{day.year}-yil {day.day}-{month}"
    if lang == "uz-Cyrl":
        return f"{day.year} йил {day.day} {month}"
    if lang == "ru":
        return f"{day.day} {month} {day.year} г."
    return f"{day.day} {month} {day.year}"


def _format_term(term: Mapping[str, int], lang: str) -> str:
    """Return the term as the object of "within" ("в течение" takes the genitive in Russian)."""
    if "days" in term:
        count = term["days"]
        words = {"en": ("day", "days"), "uz": ("kun", "kun"), "uz-Cyrl": ("кун", "кун"), "ru": ("дня", "дней")}
    else:
        count = term["months"]
        if count == 1:
            return {"en": "one month", "uz": "bir oy", "uz-Cyrl": "бир ой", "ru": "одного месяца"}[lang]
        words = {"en": ("month", "months"), "uz": ("oy", "oy"), "uz-Cyrl": ("ой", "ой"), "ru": ("месяца", "месяцев")}
    singular, plural = words[lang]
    if lang == "ru":
        # Genitive after a numeral: 1, 21, 31 take the singular, all others the plural.
        use_singular = count % 10 == 1 and count % 100 != 11
    else:
        use_singular = count == 1
    return f"{count} {singular if use_singular else plural}"
