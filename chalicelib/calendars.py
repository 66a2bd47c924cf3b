"""The day-off calendar in force, kept as numbered versions that are only ever added.

Ramazon hayit and Qurbon hayit are set each year by decree, sometimes a few
days ahead, and decrees move rest days, so the calendar is data that an
administrator edits. Each edit stores a new version; the due dates of open
appeals are then recomputed (see `appeals_deadlines.recompute_open_appeals`).
"""
from __future__ import annotations

import time
from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib import deadlines
from chalicelib.errors import BadRequest, Conflict
from chalicelib.events import format_timestamp
from chalicelib.models import CalendarModel

CALENDAR_ID = "uz"
CACHE_SECONDS = 60

_cache: tuple[float, deadlines.Calendar] | None = None


def _newest_item() -> CalendarModel | None:
    for item in CalendarModel.query(CALENDAR_ID, scan_index_forward=False, limit=1, consistent_read=True):
        return item
    return None


def _to_calendar(item: CalendarModel) -> deadlines.Calendar:
    return deadlines.Calendar.from_dict({
        "version": int(item.version),
        "holidays": item.holidays,
        "working_days": item.working_days,
    })


def current_calendar(*, fresh: bool = False) -> deadlines.Calendar:
    """Return the newest stored calendar, or the packaged version 1 when none is stored.

    The result is cached for a minute per process, so a new version reaches
    every Lambda instance within that time.
    """
    global _cache
    if not fresh and _cache is not None and time.monotonic() - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    item = _newest_item()
    calendar = _to_calendar(item) if item is not None else deadlines.default_calendar()
    _cache = (time.monotonic(), calendar)
    return calendar


def calendar_view(calendar: deadlines.Calendar) -> dict:
    data = calendar.to_dict()
    data["holidays"] = sorted(data["holidays"])
    data["working_days"] = sorted(data.get("working_days", []))
    return data


def list_versions() -> list[dict]:
    """Return every stored version, newest first, without the date lists."""
    return [
        {"version": int(item.version), "created_at": item.created_at, "created_by": item.created_by,
         "note": item.note, "holidays": len(item.holidays), "working_days": len(item.working_days)}
        for item in CalendarModel.query(CALENDAR_ID, scan_index_forward=False)
    ]


def save_new_version(body: dict, actor: str, now: datetime) -> deadlines.Calendar:
    """Store the calendar in `body` as the next version and return it.

    :raises BadRequest: when the date lists are missing or invalid.
    :raises Conflict: when another administrator saved a version at the same time.
    """
    for key in ("holidays", "working_days"):
        value = body.get(key, [] if key == "working_days" else None)
        if not isinstance(value, list):
            raise BadRequest("field_invalid", field=key, reason="expected a list of YYYY-MM-DD dates")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadRequest("field_invalid", field="note", reason="expected text of at most 500 characters")

    newest = current_calendar(fresh=True)
    version = newest.version + 1
    try:
        calendar = deadlines.Calendar.from_dict({
            "version": version,
            "holidays": body["holidays"],
            "working_days": body.get("working_days", []),
        })
    except (ValueError, TypeError) as exc:
        raise BadRequest("field_invalid", field="holidays", reason=str(exc)) from None

    data = calendar_view(calendar)
    item = CalendarModel(
        CALENDAR_ID,
        version,
        holidays=data["holidays"],
        working_days=data["working_days"],
        note=note,
        created_at=format_timestamp(now),
        created_by=actor,
    )
    try:
        item.save(condition=CalendarModel.version.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict("conflict") from None
        raise
    global _cache
    _cache = (time.monotonic(), calendar)
    return calendar
