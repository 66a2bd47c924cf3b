"""Connected state bodies: the public list, and connecting a new one."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from pynamodb.exceptions import PutError

from chalicelib.errors import BadRequest, Conflict
from chalicelib.events import format_timestamp
from chalicelib.models import AgencyModel, LocalizedName
from chalicelib.text import is_valid_email, search_key
from chalicelib.validation import choice, required_text, sub_object

SEED_FILE = Path(__file__).parent / "data" / "agencies.json"
NAME_LANGUAGES = ("uz", "uz-Cyrl", "ru", "en")
AGENCY_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def public_view(agency: AgencyModel) -> dict:
    return {
        "id": agency.agency_id,
        "name": {
            "uz": agency.name.uz,
            "uz-Cyrl": agency.name.uz_cyrl,
            "ru": agency.name.ru,
            "en": agency.name.en,
        },
        "is_test": agency.is_test,
    }


def list_agencies() -> dict:
    """Return the active agencies, sorted by their Uzbek name.

    A Scan is right here: the table contains a few hundred small items at most.
    """
    agencies = [public_view(agency) for agency in AgencyModel.scan() if agency.active]
    agencies.sort(key=lambda item: item["name"]["uz"].casefold())
    return {"agencies": agencies}


def _build_agency(data: dict, now: datetime) -> AgencyModel:
    agency_id = required_text(data, "id", max_chars=63)
    if not AGENCY_ID_PATTERN.match(agency_id):
        raise BadRequest("field_invalid", field="id",
                         reason="use 2 to 63 lowercase Latin letters, digits and hyphens")
    names_data = sub_object(data, "name")
    names = {language: required_text(names_data, language, path=f"name.{language}", max_chars=300)
             for language in NAME_LANGUAGES}
    emails = {}
    for key in ("contact_email", "head_email"):
        email = required_text(data, key, max_chars=254)
        if not is_valid_email(email):
            raise BadRequest("invalid_email", field=key)
        emails[key] = email
    language = choice(data, "language", NAME_LANGUAGES, default="uz")
    is_test = data.get("is_test", False)
    if not isinstance(is_test, bool):
        raise BadRequest("field_invalid", field="is_test", reason="expected true or false")

    return AgencyModel(
        agency_id,
        name=LocalizedName(uz=names["uz"], uz_cyrl=names["uz-Cyrl"], ru=names["ru"], en=names["en"]),
        search_key=" | ".join(search_key(name) for name in names.values()),
        contact_email=emails["contact_email"],
        head_email=emails["head_email"],
        language=language,
        is_test=is_test,
        active=True,
        created_at=format_timestamp(now),
    )


def create_agency(data: dict, now: datetime) -> dict:
    """Connect a new agency.

    :raises BadRequest: for a missing or invalid field.
    :raises Conflict: agency_exists when the id is taken.
    """
    agency = _build_agency(data, now)
    try:
        agency.save(condition=AgencyModel.agency_id.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict("agency_exists", field="id", agency_id=agency.agency_id) from None
        raise
    view = public_view(agency)
    view.update(contact_email=agency.contact_email, head_email=agency.head_email, language=agency.language)
    return view


def seed_agencies(now: datetime, path: Path = SEED_FILE) -> list[str]:
    """Create the agencies listed in the seed file that do not exist yet; return their ids."""
    created = []
    for data in json.loads(path.read_text(encoding="utf-8")):
        try:
            create_agency(data, now)
        except Conflict:
            continue
        created.append(data["id"])
    return created
