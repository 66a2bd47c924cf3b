"""The ledger: daily roots of the event hash chains, and the check of the whole record.

Each appeal's events form a hash chain (see chalicelib.events). The daily root
chains every event of one Tashkent date into one SHA-256, and each day's root
includes the previous stored root, so one root vouches for all days before it.
Roots are written to S3 as `roots/<day>.json`; in production the bucket has
Object Lock, and this module never overwrites a root object in any stage.

The root of a day is the SHA-256 of the UTF-8 text made of these lines,
joined by "\\n" with no trailing newline:
1. the day, as YYYY-MM-DD;
2. the previous stored root, as 64 lowercase hex digits (GENESIS_HASH when
   there is none);
3. the `hash` of each event of that day, in `day_order`, one per line.

`verify()` walks every issued appeal number, every event chain and every
stored root, and returns what does not match as findings.

    python -m chalicelib.ledger verify
    python -m chalicelib.ledger roots --day 2026-03-24
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import date, datetime, timedelta, timezone

import boto3
from botocore.exceptions import ClientError

from chalicelib import config, db
from chalicelib.deadlines import local_date
from chalicelib.events import GENESIS_HASH, format_timestamp, recompute_hash, sha256_text
from chalicelib.models import AppealEventModel, AppealModel, CounterModel

logger = logging.getLogger(__name__)

ROOT_PREFIX = "roots/"
# The maximum number of missing days that one call of write_roots_through
# fills in. Each day costs one query and a few S3 calls, so a run stays short
# even after a long outage (an estimate, not measured on AWS).
MAX_CATCH_UP_DAYS = 62
BATCH_GET_SIZE = 100

_s3_client = None


def s3_client():
    """Return the S3 client for the ledger bucket, created on first use."""
    global _s3_client
    if _s3_client is None:
        settings = config.get_settings()
        _s3_client = boto3.client("s3", region_name=settings.region, endpoint_url=settings.endpoint_url)
    return _s3_client


def set_s3_client(client) -> None:
    """Replace the S3 client, for tests and for callers that build their own; None resets it."""
    global _s3_client
    _s3_client = client


def finding(kind: str, detail: str, **ids) -> dict:
    return {"kind": kind, **ids, "detail": detail}


# ---------------------------------------------------------------- daily roots

def root_key(day: date) -> str:
    return f"{ROOT_PREFIX}{day.isoformat()}.json"


def day_event_hashes(day: date) -> list[str]:
    """Return the hashes of one Tashkent date's events in `day_order`."""
    return [event.hash for event in AppealEventModel.day_index.query(day.isoformat(), scan_index_forward=True)]


def compute_root(day: date, previous_root: str, event_hashes: list[str]) -> str:
    """Return the root of `day` as defined in this module's docstring."""
    lines = [day.isoformat(), previous_root, *event_hashes]
    return sha256_text("\n".join(lines))


def read_root(day: date, client=None) -> dict | None:
    """Return the stored root object of `day`, or None when there is none."""
    client = client or s3_client()
    try:
        response = client.get_object(Bucket=config.get_settings().ledger_bucket, Key=root_key(day))
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(response["Body"].read())


def stored_root_days(client=None) -> list[date]:
    """Return the days that have a stored root, oldest first."""
    client = client or s3_client()
    days = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=config.get_settings().ledger_bucket, Prefix=ROOT_PREFIX):
        for item in page.get("Contents", []):
            name = item["Key"][len(ROOT_PREFIX):]
            if name.endswith(".json"):
                try:
                    days.append(date.fromisoformat(name[:-len(".json")]))
                except ValueError:
                    logger.warning("Ignoring ledger object with an unexpected name: %s", item["Key"])
    return sorted(days)


def daily_root(day: date, now: datetime, client=None) -> dict:
    """Compute the root of `day` and store it unless a root of that day is already stored.

    The previous root is that of the latest stored day before `day`. Returns
    {"day", "status", "root", "events"} where status is "written",
    "unchanged" (the stored root equals the recomputed one) or "mismatch"
    (a stored root differs, which is a finding: it is logged and kept).
    """
    client = client or s3_client()
    bucket = config.get_settings().ledger_bucket
    earlier = [stored for stored in stored_root_days(client) if stored < day]
    previous_day = earlier[-1] if earlier else None
    previous_root = read_root(previous_day, client)["root"] if previous_day else GENESIS_HASH

    hashes = day_event_hashes(day)
    document = {
        "day": day.isoformat(),
        "events": len(hashes),
        "root": compute_root(day, previous_root, hashes),
        "previous_day": previous_day.isoformat() if previous_day else None,
        "previous_root": previous_root,
        "computed_at": format_timestamp(now),
    }

    existing = read_root(day, client)
    if existing is None:
        try:
            # IfNoneMatch makes S3 reject the write if another run stored the
            # root between the read above and this call.
            client.put_object(
                Bucket=bucket,
                Key=root_key(day),
                Body=json.dumps(document, sort_keys=True).encode("utf-8"),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
            existing = read_root(day, client)
        else:
            logger.info("Stored ledger root of %s over %s events", day, len(hashes))
            return {"day": day.isoformat(), "status": "written", "root": document["root"], "events": len(hashes)}

    same = all(existing.get(name) == document[name] for name in ("events", "root", "previous_root"))
    if not same:
        logger.error("Stored ledger root of %s differs from its recomputation: stored %s, computed %s",
                     day, existing.get("root"), document["root"])
    return {"day": day.isoformat(), "status": "unchanged" if same else "mismatch",
            "root": existing.get("root"), "events": existing.get("events")}


def write_roots_through(last_day: date, now: datetime, client=None) -> dict:
    """Store the roots of every day after the latest stored one, up to and including `last_day`.

    A day whose job did not run is filled in before the days after it, so that
    each root chains to the day before. With no stored root yet, only
    `last_day` is computed, starting from GENESIS_HASH.
    """
    client = client or s3_client()
    days = stored_root_days(client)
    if days and days[-1] >= last_day:
        first_day = last_day
    elif days:
        first_day = max(days[-1] + timedelta(days=1), last_day - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    else:
        # NOTE: events of the days before the first stored root are covered
        # only by their appeals' chains, not by any daily root.
        first_day = last_day

    counts = {"written": 0, "unchanged": 0, "mismatch": 0, "events": 0}
    day = first_day
    while day <= last_day:
        result = daily_root(day, now, client)
        counts[result["status"]] += 1
        counts["events"] += result["events"] or 0
        day += timedelta(days=1)
    logger.info("Ledger roots through %s: %s", last_day, counts)
    return counts


# ---------------------------------------------------------------- verification

def issued_years() -> dict[int, int]:
    """Return {year: last issued appeal number} from the numbering counters."""
    return {int(counter.period): int(counter.last_number or 0)
            for counter in CounterModel.query("appeal-number", consistent_read=True)}


def _load_appeals(appeal_ids: list[str]) -> dict[str, AppealModel]:
    found = {}
    for start in range(0, len(appeal_ids), BATCH_GET_SIZE):
        chunk = appeal_ids[start:start + BATCH_GET_SIZE]
        for appeal in AppealModel.batch_get(chunk, consistent_read=True):
            found[appeal.appeal_id] = appeal
    return found


def verify_chain(appeal: AppealModel) -> list[dict]:
    """Check one appeal's events against each other and against the appeal item."""
    from chalicelib.appeals import _content_digest

    appeal_id = appeal.appeal_id
    events = list(AppealEventModel.query(appeal_id, scan_index_forward=True, consistent_read=True))
    if not events:
        return [finding("events_missing", "the appeal has no events", appeal_id=appeal_id)]

    findings = []
    previous_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        seq = int(event.seq)
        if seq != expected_seq:
            findings.append(finding("event_missing", f"expected event {expected_seq}, found event {seq} next",
                                    appeal_id=appeal_id, seq=expected_seq))
        if event.prev_hash != previous_hash:
            findings.append(finding("chain_broken", "prev_hash does not equal the previous event's hash",
                                    appeal_id=appeal_id, seq=seq))
        if recompute_hash(event) != event.hash:
            findings.append(finding("event_altered", "the event's fields do not hash to its stored hash",
                                    appeal_id=appeal_id, seq=seq))
        findings.extend(_check_day_keys(event))
        previous_hash = event.hash

    last = events[-1]
    if int(last.seq) != int(appeal.event_seq) or last.hash != appeal.last_event_hash:
        findings.append(finding(
            "head_mismatch",
            f"the appeal records event {int(appeal.event_seq)} as its last, the history ends at {int(last.seq)}"
            " or with another hash",
            appeal_id=appeal_id, seq=int(last.seq)))

    first = events[0]
    if int(first.seq) == 1 and first.type == "submitted":
        stored_digest = json.loads(first.payload).get("content_sha256")
        if stored_digest != _content_digest(appeal):
            findings.append(finding("content_altered",
                                    "the text or applicant fields differ from those recorded at submission",
                                    appeal_id=appeal_id, seq=1))
    return findings


def _check_day_keys(event: AppealEventModel) -> list[dict]:
    # `day` and `day_order` are not hashed, so a changed value could move an
    # event out of its day's root without breaking the chain.
    moment = datetime.strptime(event.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    expected_day = local_date(moment).isoformat()
    expected_order = f"{event.at}#{event.appeal_id}#{int(event.seq):06d}"
    if event.day != expected_day or event.day_order != expected_order:
        return [finding("day_keys_altered", "day or day_order does not match the event's time",
                        appeal_id=event.appeal_id, seq=int(event.seq))]
    return []


def verify_roots(client=None) -> list[dict]:
    """Recompute every stored daily root and check that the roots chain without gaps."""
    client = client or s3_client()
    try:
        days = stored_root_days(client)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchBucket":
            return [finding("ledger_bucket_missing", f"bucket {config.get_settings().ledger_bucket} not found")]
        raise

    findings = []
    previous: dict | None = None
    for day in days:
        stored = read_root(day, client)
        recomputed = compute_root(day, stored.get("previous_root", ""), day_event_hashes(day))
        if stored.get("root") != recomputed:
            findings.append(finding("root_mismatch",
                                    f"stored root {stored.get('root')} but the events give {recomputed}",
                                    day=day.isoformat()))
        expected_previous = previous["root"] if previous else GENESIS_HASH
        expected_previous_day = previous["day"] if previous else None
        if stored.get("previous_root") != expected_previous or stored.get("previous_day") != expected_previous_day:
            findings.append(finding("root_chain_broken",
                                    f"previous_root does not equal the root of {expected_previous_day or 'genesis'}",
                                    day=day.isoformat()))
        previous = stored
    return findings


def verify(client=None) -> dict:
    """Check every issued appeal number, every event chain and every stored daily root.

    Returns {"ok", "findings", "appeals_checked"}; each finding is a dict with
    "kind", "detail" and, where they apply, "appeal_id", "seq" or "day".
    """
    # NOTE: this reads every appeal and its events in one call, without
    # paging or resuming, so a large stage may exceed the Lambda time limit.
    findings = []
    checked = 0
    for year, last_number in sorted(issued_years().items()):
        appeal_ids = [f"{year}-{number:06d}" for number in range(1, last_number + 1)]
        appeals = _load_appeals(appeal_ids)
        for appeal_id in appeal_ids:
            appeal = appeals.get(appeal_id)
            if appeal is None:
                findings.append(finding("appeal_missing", f"number {appeal_id} was issued but has no appeal",
                                        appeal_id=appeal_id))
                continue
            findings.extend(verify_chain(appeal))
            checked += 1
    findings.extend(verify_roots(client))
    if findings:
        logger.error("Ledger verification found %s problems in %s appeals", len(findings), checked)
    else:
        logger.info("Ledger verification clean: %s appeals", checked)
    return {"ok": not findings, "findings": findings, "appeals_checked": checked}


# ---------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    """Run the ledger command line and return its exit code: 1 when verify has findings."""
    # Imported here because the Lambda functions import this module but never parse arguments.
    import argparse

    from chalicelib import jobs

    parser = argparse.ArgumentParser(prog="python -m chalicelib.ledger",
                                     description="Verify the appeal record or store a day's ledger root.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="check every appeal's events and every stored daily root")
    roots = commands.add_parser("roots", help="store the daily roots up to a Tashkent date")
    roots.add_argument("--day", required=True, help="the last Tashkent date to store, YYYY-MM-DD")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

    jobs.use_local_stack()
    db.bind(config.get_settings())
    if args.command == "roots":
        try:
            day = date.fromisoformat(args.day)
        except ValueError:
            parser.error(f"--day {args.day!r} is not a date; write it like 2026-03-24")
        counts = write_roots_through(day, datetime.now(timezone.utc))
        print(json.dumps({"day": day.isoformat(), **counts}))
        return 1 if counts["mismatch"] else 0

    result = verify()
    for item in result["findings"]:
        print(json.dumps(item, ensure_ascii=False))
    print(json.dumps({"ok": result["ok"], "appeals_checked": result["appeals_checked"],
                      "findings": len(result["findings"])}), file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
