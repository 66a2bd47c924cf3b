"""Tests for the deadline engine: registration (ZRU-445 Art 23), terms and extensions (Art 28),
the day-off calendar and the explanations shown to citizens."""

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.deadlines import (
    DEFAULT_CALENDAR_PATH,
    KINDS,
    Calendar,
    compute_due,
    default_calendar,
    explain,
    extension_cap,
    is_overdue,
    local_date,
    registration_date,
    tashkent_timezone,
)

UTC = timezone.utc
ROOT = Path(__file__).resolve().parent.parent


def tashkent(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tashkent_timezone())


# --- Table of date cases --------------------------------------------------------------------

DATE_CASES = [
    pytest.param(
        tashkent(2025, 6, 11), "application", False, date(2025, 6, 11), date(2025, 6, 26),
        id="ordinary-wednesday",
    ),
    pytest.param(
        tashkent(2025, 6, 14), "application", False, date(2025, 6, 16), date(2025, 7, 1),
        id="received-on-saturday",
    ),
    pytest.param(
        datetime(2025, 6, 13, 18, 30, tzinfo=UTC), "complaint", False, date(2025, 6, 13), date(2025, 6, 30),
        id="friday-2330-tashkent",
    ),
    pytest.param(
        datetime(2025, 6, 13, 19, 30, tzinfo=UTC), "complaint", False, date(2025, 6, 16), date(2025, 7, 1),
        id="saturday-0030-tashkent",
    ),
    pytest.param(
        tashkent(2025, 3, 30), "application", False, date(2025, 4, 1), date(2025, 4, 16),
        id="received-on-hayit-before-moved-rest-day",
    ),
    pytest.param(
        tashkent(2025, 7, 3), "proposal", False, date(2025, 7, 3), date(2025, 8, 4),
        id="term-ends-on-sunday",
    ),
    pytest.param(
        tashkent(2026, 3, 5), "application", False, date(2026, 3, 5), date(2026, 3, 24),
        id="worked-example-hayit-navruz",
    ),
    pytest.param(
        tashkent(2026, 12, 20), "application", False, date(2026, 12, 21), date(2027, 1, 5),
        id="year-end-received-20-december",
    ),
    pytest.param(
        tashkent(2026, 12, 17), "complaint", False, date(2026, 12, 17), date(2027, 1, 4),
        id="term-ends-on-new-year",
    ),
    pytest.param(
        tashkent(2025, 4, 15), "proposal", False, date(2025, 4, 15), date(2025, 5, 15),
        id="proposal-one-month",
    ),
    pytest.param(
        tashkent(2025, 9, 10), "application", True, date(2025, 9, 10), date(2025, 10, 10),
        id="study-one-month",
    ),
    pytest.param(
        tashkent(2025, 1, 31), "complaint", True, date(2025, 1, 31), date(2025, 2, 28),
        id="31-january-plus-month",
    ),
    pytest.param(
        tashkent(2024, 1, 31), "proposal", False, date(2024, 1, 31), date(2024, 2, 29),
        id="31-january-plus-month-leap-year",
    ),
]


@pytest.mark.parametrize("received_at, kind, study, registered, due", DATE_CASES)
def test_due_date_table(received_at, kind, study, registered, due):
    calendar = default_calendar()

    registered_on = registration_date(received_at, calendar)
    result = compute_due(kind, registered_on, calendar, study=study)

    assert registered_on == registered
    assert result.due_date == due


def test_worked_example_basis():
    result = compute_due("application", date(2026, 3, 5), default_calendar())

    assert result.basis == {
        "rule": "art28_15_days",
        "law": "ZRU-445 Art 28",
        "kind": "application",
        "registered_on": "2026-03-05",
        "term": {"days": 15},
        "term_end": "2026-03-20",
        "moved_to_working_day": True,
        "extension_until": None,
        "due_date": "2026-03-24",
        "calendar_version": 1,
    }


def test_basis_is_json_serialisable():
    result = compute_due("complaint", date(2026, 12, 10), default_calendar(), extension_until=date(2027, 1, 9))

    assert json.loads(json.dumps(result.basis)) == result.basis


@pytest.mark.parametrize(
    "kind, study, rule, term",
    [
        pytest.param("application", False, "art28_15_days", {"days": 15}, id="application"),
        pytest.param("complaint", False, "art28_15_days", {"days": 15}, id="complaint"),
        pytest.param("application", True, "art28_one_month_study", {"months": 1}, id="application-study"),
        pytest.param("complaint", True, "art28_one_month_study", {"months": 1}, id="complaint-study"),
        pytest.param("proposal", False, "art28_one_month_proposal", {"months": 1}, id="proposal"),
        pytest.param("proposal", True, "art28_one_month_proposal", {"months": 1}, id="proposal-study"),
    ],
)
def test_rule_per_kind(kind, study, rule, term):
    result = compute_due(kind, date(2025, 6, 11), default_calendar(), study=study)

    assert result.basis["rule"] == rule
    assert result.basis["term"] == term


@pytest.mark.parametrize("kind", ["request", "Application", ""])
def test_unknown_kind_rejected(kind):
    with pytest.raises(ValueError, match="invalid appeal kind"):
        compute_due(kind, date(2025, 6, 11), default_calendar())


def test_datetime_as_registration_date_rejected():
    with pytest.raises(TypeError, match="registered_on"):
        compute_due("application", datetime(2025, 6, 11, tzinfo=tashkent_timezone()), default_calendar())


# --- Extensions (ZRU-445 Art 28) ------------------------------------------------------------


def test_extension_crosses_new_year():
    calendar = default_calendar()
    current = compute_due("application", date(2026, 12, 10), calendar)

    extended = compute_due("application", date(2026, 12, 10), calendar, extension_until=date(2027, 1, 8))

    assert current.due_date == date(2026, 12, 25)
    assert extension_cap(current, calendar) == date(2027, 1, 25)
    assert extended.due_date == date(2027, 1, 8)
    assert extended.basis["extension_until"] == "2027-01-08"
    assert extended.basis["moved_to_working_day"] is False
    assert extended.basis["term_end"] == "2026-12-25"


def test_extension_to_saturday_moves_to_monday():
    extended = compute_due(
        "application", date(2026, 12, 10), default_calendar(), extension_until=date(2027, 1, 9)
    )

    assert extended.due_date == date(2027, 1, 11)
    assert extended.basis["moved_to_working_day"] is True


def test_extension_cap_counts_from_raw_term_end():
    calendar = default_calendar()
    current = compute_due("application", date(2026, 3, 5), calendar)

    # 20 March + one month is Monday 20 April, although the unextended due date is 24 March.
    assert extension_cap(current, calendar) == date(2026, 4, 20)


@pytest.mark.parametrize(
    "kind, registered_on, due, cap",
    [
        pytest.param("application", date(2025, 2, 13), date(2025, 2, 28), date(2025, 3, 28), id="working-day"),
        # Term end Sunday 8 February + one month is Sunday 8 March (Women's Day), so Monday 9 March.
        pytest.param("proposal", date(2026, 1, 8), date(2026, 2, 9), date(2026, 3, 9), id="holiday-on-sunday"),
        # Term end 28 February + one month is Saturday 28 March, so Monday 30 March.
        pytest.param("proposal", date(2026, 1, 28), date(2026, 3, 2), date(2026, 3, 30), id="saturday"),
    ],
)
def test_extension_cap_table(kind, registered_on, due, cap):
    calendar = default_calendar()
    current = compute_due(kind, registered_on, calendar)

    assert current.due_date == due
    assert extension_cap(current, calendar) == cap


@pytest.mark.parametrize(
    "extension_until, message",
    [
        pytest.param(date(2026, 3, 24), "must be after the current due date", id="equal-to-due-date"),
        pytest.param(date(2026, 3, 23), "must be after the current due date", id="before-due-date"),
        pytest.param(date(2026, 4, 21), "latest date is 2026-04-20", id="beyond-one-month"),
    ],
)
def test_invalid_extension_rejected(extension_until, message):
    with pytest.raises(ValueError, match=message):
        compute_due("application", date(2026, 3, 5), default_calendar(), extension_until=extension_until)


def test_extension_up_to_cap_accepted():
    extended = compute_due("application", date(2026, 3, 5), default_calendar(), extension_until=date(2026, 4, 20))

    assert extended.due_date == date(2026, 4, 20)


def test_second_extension_rejected():
    calendar = default_calendar()
    extended = compute_due("application", date(2026, 3, 5), calendar, extension_until=date(2026, 4, 10))

    with pytest.raises(ValueError, match="only one extension"):
        extension_cap(extended, calendar)


# --- Overdue and local dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    "now, expected",
    [
        pytest.param(datetime(2026, 3, 24, 18, 59, tzinfo=UTC), False, id="2359-tashkent-on-due-date"),
        pytest.param(datetime(2026, 3, 24, 19, 0, tzinfo=UTC), True, id="0000-tashkent-next-day"),
        pytest.param(datetime(2026, 3, 24, 4, 0, tzinfo=UTC), False, id="morning-of-due-date"),
        pytest.param(datetime(2026, 3, 23, 19, 0, tzinfo=UTC), False, id="0000-tashkent-on-due-date"),
    ],
)
def test_is_overdue_at_tashkent_midnight(now, expected):
    assert is_overdue(date(2026, 3, 24), now) is expected


def test_is_overdue_rejects_naive_datetime():
    with pytest.raises(ValueError, match="naive datetime"):
        is_overdue(date(2026, 3, 24), datetime(2026, 3, 25, 12, 0))


def test_local_date_uses_tashkent():
    assert local_date(datetime(2026, 3, 24, 18, 59, tzinfo=UTC)) == date(2026, 3, 24)
    assert local_date(datetime(2026, 3, 24, 19, 0, tzinfo=UTC)) == date(2026, 3, 25)


def test_tashkent_timezone_is_utc_plus_five():
    zone = tashkent_timezone()

    assert str(zone) == "Asia/Tashkent"
    assert zone.utcoffset(datetime(2026, 7, 1, 12, 0)) == timedelta(hours=5)
    assert tashkent_timezone() is zone


def test_import_loads_no_zoneinfo():
    code = "import sys, chalicelib.deadlines; print('zoneinfo' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_local_date_rejects_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 3, 24, 12, 0))


# --- Calendar -------------------------------------------------------------------------------


def test_new_calendar_holiday_moves_due_date():
    version_1 = default_calendar()
    version_2 = Calendar(version=2, holidays=version_1.holidays | {date(2025, 6, 26)})

    before = compute_due("application", date(2025, 6, 11), version_1)
    after = compute_due("application", date(2025, 6, 11), version_2)

    assert before.due_date == date(2025, 6, 26)
    assert after.due_date == date(2025, 6, 27)
    assert after.basis["calendar_version"] == 2


def test_transferred_saturday_is_working_day():
    calendar = Calendar(version=2, holidays=default_calendar().holidays, working_days={date(2025, 6, 14)})

    registered_on = registration_date(tashkent(2025, 6, 14), calendar)

    assert calendar.is_day_off(date(2025, 6, 14)) is False
    assert calendar.is_day_off(date(2025, 6, 15)) is True
    assert registered_on == date(2025, 6, 14)


def test_next_working_day_skips_holiday_run():
    calendar = default_calendar()

    assert calendar.next_working_day(date(2026, 3, 20)) == date(2026, 3, 24)
    assert calendar.next_working_day(date(2026, 3, 24)) == date(2026, 3, 24)


def test_calendar_round_trips_through_dict():
    calendar = Calendar(version=3, holidays={date(2026, 3, 20), date(2026, 1, 1)}, working_days={date(2026, 1, 3)})

    data = calendar.to_dict()

    assert data == {"version": 3, "holidays": ["2026-01-01", "2026-03-20"], "working_days": ["2026-01-03"]}
    assert Calendar.from_dict(data) == calendar


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-02-30", id="no-such-day"),
        pytest.param("2026/03/05", id="slashes"),
        pytest.param("20260305", id="basic-iso-format"),
        pytest.param("2026-03-05T00:00", id="datetime"),
        pytest.param(20260305, id="integer"),
        pytest.param(None, id="null"),
    ],
)
def test_from_dict_rejects_bad_date(value):
    with pytest.raises(ValueError, match=f"invalid date {value!r}"):
        Calendar.from_dict({"version": 2, "holidays": ["2026-01-01", value]})


def test_from_dict_rejects_bad_working_day():
    with pytest.raises(ValueError, match="'2026-13-01' in working_days"):
        Calendar.from_dict({"version": 2, "holidays": [], "working_days": ["2026-13-01"]})


def test_from_dict_rejects_weekday_as_working_day():
    with pytest.raises(ValueError, match="2026-03-04"):
        Calendar.from_dict({"version": 2, "holidays": [], "working_days": ["2026-03-04"]})


def test_from_dict_rejects_holiday_and_working_day():
    with pytest.raises(ValueError, match="both as a holiday and as a working day"):
        Calendar.from_dict({"version": 2, "holidays": ["2026-03-21"], "working_days": ["2026-03-21"]})


@pytest.mark.parametrize(
    "data, message",
    [
        pytest.param({"holidays": []}, "missing 'version'", id="missing-version"),
        pytest.param({"version": 1}, "missing 'holidays'", id="missing-holidays"),
        pytest.param({"version": 0, "holidays": []}, "invalid calendar version 0", id="version-zero"),
        pytest.param({"version": "1", "holidays": []}, "invalid calendar version '1'", id="version-string"),
        pytest.param({"version": True, "holidays": []}, "invalid calendar version True", id="version-bool"),
        pytest.param({"version": 1, "holidays": "2026-01-01"}, "invalid holidays", id="holidays-string"),
        pytest.param([], "expected a JSON object", id="not-an-object"),
    ],
)
def test_from_dict_rejects_bad_structure(data, message):
    with pytest.raises(ValueError, match=message):
        Calendar.from_dict(data)


def test_from_dict_working_days_optional():
    calendar = Calendar.from_dict({"version": 2, "holidays": ["2026-01-01"]})

    assert calendar.working_days == frozenset()


def test_default_calendar_loaded_once():
    assert default_calendar() is default_calendar()


def test_default_calendar_is_version_1():
    assert default_calendar().version == 1


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_default_calendar_has_fixed_holidays(year):
    holidays = default_calendar().holidays

    for month, day in [(1, 1), (3, 8), (3, 21), (5, 9), (9, 1), (10, 1), (12, 8)]:
        assert date(year, month, day) in holidays


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2024, 4, 10), id="ramazon-hayit-2024"),
        pytest.param(date(2024, 6, 16), id="qurbon-hayit-2024"),
        pytest.param(date(2024, 6, 17), id="qurbon-hayit-2024-day-2"),
        pytest.param(date(2024, 6, 18), id="qurbon-hayit-2024-day-3"),
        pytest.param(date(2025, 3, 30), id="ramazon-hayit-2025"),
        pytest.param(date(2025, 3, 31), id="ramazon-hayit-2025-moved-rest-day"),
        pytest.param(date(2025, 6, 6), id="qurbon-hayit-2025"),
        pytest.param(date(2026, 3, 20), id="ramazon-hayit-2026"),
        pytest.param(date(2026, 3, 23), id="navruz-2026-moved-rest-day"),
    ],
)
def test_default_calendar_has_movable_day_off(day):
    assert day in default_calendar().holidays


def test_holidays_file_matches_its_sources():
    data = json.loads(DEFAULT_CALENDAR_PATH.read_text(encoding="utf-8"))
    sourced = [day for source in data["sources"] for day in source["dates"]]

    assert sorted(sourced) == sorted(data["holidays"])
    assert len(sourced) == len(set(sourced))
    assert {source["origin"] for source in data["sources"]} == {"labour_code", "decree"}


def test_holidays_file_lists_qurbon_hayit_2026_as_pending():
    data = json.loads(DEFAULT_CALENDAR_PATH.read_text(encoding="utf-8"))

    assert any("Qurbon hayit 2026" in note for note in data["pending"])
    assert [day for day in data["holidays"] if "2026-05-10" <= day <= "2026-06-30"] == []


# --- Explanations ---------------------------------------------------------------------------


def test_explain_worked_example_in_english():
    basis = compute_due("application", date(2026, 3, 5), default_calendar()).basis

    assert explain(basis, "en") == (
        "The application was registered on 5 March 2026 and is considered within 15 days"
        " (ZRU-445 Art 28), so the term ends on 20 March 2026. That is a day off, so the due"
        " date moves to the next working day, 24 March 2026."
    )


@pytest.mark.parametrize(
    "language, expected",
    [
        pytest.param(
            "uz",
            "Ariza 2026-yil 5-mart kuni roʻyxatga olingan va 15 kun ichida koʻrib chiqiladi"
            " (OʻRQ-445, 28-modda), shuning uchun muddat 2026-yil 20-mart kuni tugaydi."
            " Bu dam olish kuni boʻlgani uchun muddat keyingi ish kuni, 2026-yil 24-mart kuni tugaydi.",
            id="uz",
        ),
        pytest.param(
            "uz-Cyrl",
            "Ариза 2026 йил 5 март куни рўйхатга олинган ва 15 кун ичида кўриб чиқилади"
            " (ЎРҚ-445, 28-модда), шунинг учун муддат 2026 йил 20 март куни тугайди."
            " Бу дам олиш куни бўлгани учун муддат кейинги иш куни, 2026 йил 24 март куни тугайди.",
            id="uz-Cyrl",
        ),
        pytest.param(
            "ru",
            "Заявление зарегистрировано 5 марта 2026 г. и рассматривается в течение 15 дней"
            " (ЗРУ-445, ст. 28), поэтому срок истекает 20 марта 2026 г. Это выходной день,"
            " поэтому срок переносится на следующий рабочий день, 24 марта 2026 г.",
            id="ru",
        ),
    ],
)
def test_explain_worked_example_translated(language, expected):
    basis = compute_due("application", date(2026, 3, 5), default_calendar()).basis

    assert explain(basis, language) == expected


MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "uz": ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avgust",
           "sentabr", "oktabr", "noyabr", "dekabr"],
    "uz-Cyrl": ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
                "сентябрь", "октябрь", "ноябрь", "декабрь"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"],
}
REGISTERED_FORMATS = {
    "en": "{day} {month} {year}",
    "uz": "{year}-yil {day}-{month}",
    "uz-Cyrl": "{year} йил {day} {month}",
    "ru": "{day} {month} {year} г.",
}


@pytest.mark.parametrize("language", list(MONTHS))
@pytest.mark.parametrize("month", range(1, 13))
def test_explain_names_month(language, month):
    registered_on = date(2027, month, 14)
    basis = compute_due("application", registered_on, default_calendar()).basis
    expected = REGISTERED_FORMATS[language].format(day=14, month=MONTHS[language][month - 1], year=2027)

    assert expected in explain(basis, language)


def test_explain_uzbek_uses_modifier_letters():
    basis = compute_due("application", date(2026, 3, 5), default_calendar(), study=True).basis

    text = explain(basis, "uz")

    assert "\u02bb" in text
    assert "'" not in text
    assert "\u2018" not in text
    assert "\u2019" not in text


@pytest.mark.parametrize("language", ["de", "", "EN", "fr-FR"])
def test_explain_falls_back_to_english(language):
    basis = compute_due("proposal", date(2025, 7, 3), default_calendar()).basis

    assert explain(basis, language) == explain(basis, "en")


@pytest.mark.parametrize(
    "language, expected",
    [
        pytest.param("uz-Latn", "uz", id="uz-Latn"),
        pytest.param("uz-cyrl", "uz-Cyrl", id="uz-cyrl-lowercase"),
        pytest.param("ru-RU", "ru", id="ru-RU"),
    ],
)
def test_explain_accepts_language_variants(language, expected):
    basis = compute_due("complaint", date(2025, 6, 11), default_calendar()).basis

    assert explain(basis, language) == explain(basis, expected)


def test_explain_unmoved_term_is_one_sentence():
    basis = compute_due("complaint", date(2025, 6, 11), default_calendar()).basis

    assert explain(basis, "en") == (
        "The complaint was registered on 11 June 2025 and is considered within 15 days"
        " (ZRU-445 Art 28), so the term ends on 26 June 2025."
    )
    assert explain(basis, "ru").endswith("26 июня 2025 г.")
    assert not explain(basis, "ru").endswith("г..")


def test_explain_study_term():
    basis = compute_due("complaint", date(2025, 1, 31), default_calendar(), study=True).basis

    assert explain(basis, "en").startswith("The complaint, which needs extra study, was registered")
    assert "within one month" in explain(basis, "en")
    assert "Жалоба, требующая дополнительного изучения, зарегистрирована" in explain(basis, "ru")
    assert "в течение одного месяца" in explain(basis, "ru")


def test_explain_extension_to_day_off():
    basis = compute_due(
        "application", date(2026, 3, 5), default_calendar(), extension_until=date(2026, 4, 18)
    ).basis

    english = explain(basis, "en")
    russian = explain(basis, "ru")

    assert english.endswith(
        "The head of the body extended the term to 18 April 2026, and that is a day off,"
        " so the due date moves to the next working day, 20 April 2026."
    )
    assert "продлил срок до 18 апреля 2026 г., а это выходной день" in russian
    assert russian.endswith("20 апреля 2026 г.")
    assert not russian.endswith("г..")


def test_explain_extension_to_working_day():
    basis = compute_due(
        "application", date(2026, 3, 5), default_calendar(), extension_until=date(2026, 4, 16)
    ).basis

    assert explain(basis, "en").endswith("The head of the body extended the term to 16 April 2026.")
    assert explain(basis, "uz").endswith("Tashkilot rahbari muddatni 2026-yil 16-aprel kunigacha uzaytirdi.")


def test_explain_rejects_incomplete_basis():
    basis = compute_due("application", date(2026, 3, 5), default_calendar()).basis
    del basis["term_end"]

    with pytest.raises(ValueError, match="missing term_end"):
        explain(basis, "en")


# --- Properties -----------------------------------------------------------------------------

registration_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
extra_holidays = st.frozensets(st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 3, 31)), max_size=40)
calendars = extra_holidays.map(
    lambda extra: Calendar(version=2, holidays=default_calendar().holidays | extra)
)


@given(kind=st.sampled_from(KINDS), registered_on=registration_days, study=st.booleans(), calendar=calendars)
def test_due_date_never_day_off(kind, registered_on, study, calendar):
    result = compute_due(kind, registered_on, calendar, study=study)

    assert not calendar.is_day_off(result.due_date)


@given(kind=st.sampled_from(KINDS), registered_on=registration_days, study=st.booleans(), calendar=calendars)
def test_due_date_at_least_15_days(kind, registered_on, study, calendar):
    result = compute_due(kind, registered_on, calendar, study=study)

    assert result.due_date >= registered_on + timedelta(days=15)


@given(
    kind=st.sampled_from(KINDS),
    registered_on=registration_days,
    study=st.booleans(),
    calendar=calendars,
    data=st.data(),
)
def test_extension_never_moves_due_date_earlier(kind, registered_on, study, calendar, data):
    current = compute_due(kind, registered_on, calendar, study=study)
    cap = extension_cap(current, calendar)
    extension_until = data.draw(
        st.dates(min_value=current.due_date + timedelta(days=1), max_value=cap), label="extension_until"
    )

    extended = compute_due(kind, registered_on, calendar, study=study, extension_until=extension_until)

    assert extended.due_date > current.due_date
    assert extended.due_date <= cap
    assert not calendar.is_day_off(extended.due_date)


@given(
    received_at=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    calendar=calendars,
)
def test_registration_date_is_working_day(received_at, calendar):
    registered_on = registration_date(received_at, calendar)

    assert not calendar.is_day_off(registered_on)
    assert registered_on >= local_date(received_at)
