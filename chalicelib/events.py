"""Appeal events: the append-only history and its hash chain.

Each event stores the SHA-256 of the previous event of the same appeal and its
own SHA-256 over a canonical JSON serialisation, so that a deleted, edited or
reordered event breaks the chain. Payloads hold no citizen's personal data:
texts are represented by their SHA-256 only.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from chalicelib.deadlines import local_date
from chalicelib.models import AppealEventModel

GENESIS_HASH = "0" * 64


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(appeal_id: str, seq: int, event_type: str, at: str, actor: str,
               agency_id: str, payload: str, prev_hash: str) -> str:
    """Return the SHA-256 of one event's fields in canonical form."""
    document = {
        "appeal_id": appeal_id,
        "seq": seq,
        "type": event_type,
        "at": at,
        "actor": actor,
        "agency_id": agency_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return sha256_text(canonical_json(document))


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as UTC ISO 8601 with microseconds, which sorts as text.

    :raises ValueError: for a naive datetime.
    """
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_event(*, appeal_id: str, seq: int, event_type: str, now: datetime, actor: str,
                agency_id: str, payload: dict, prev_hash: str) -> AppealEventModel:
    """Build (without saving) the event that follows `prev_hash` in an appeal's chain."""
    at = format_timestamp(now)
    payload_json = canonical_json(payload)
    digest = event_hash(appeal_id, seq, event_type, at, actor, agency_id, payload_json, prev_hash)
    return AppealEventModel(
        appeal_id,
        seq,
        type=event_type,
        at=at,
        actor=actor,
        agency_id=agency_id,
        payload=payload_json,
        prev_hash=prev_hash,
        hash=digest,
        day=local_date(now).isoformat(),
        day_order=f"{at}#{appeal_id}#{seq:06d}",
    )


def recompute_hash(event: AppealEventModel) -> str:
    return event_hash(event.appeal_id, event.seq, event.type, event.at, event.actor,
                      event.agency_id, event.payload, event.prev_hash)


def history(appeal_id: str) -> list[AppealEventModel]:
    """Return an appeal's events in order."""
    return list(AppealEventModel.query(appeal_id, scan_index_forward=True))
