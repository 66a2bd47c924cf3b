"""The ledger's daily roots and verification, with the record tampered with directly in moto's DynamoDB."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import boto3
import pytest

from chalicelib import appeals, config, ledger
from chalicelib.auth import Principal
from chalicelib.events import canonical_json, recompute_hash
from chalicelib.models import AppealEventModel, AppealModel
from tests.conftest import bearer

TASHKENT = timezone(timedelta(hours=5))
OFFICER = Principal("officer0000000001", "officer", "mvd")
FIRST_DAY = date(2026, 3, 5)
LAST_DAY = date(2026, 3, 7)


def no_captcha(*_args) -> None:
    """Stands in for the captcha check, which has its own tests."""


def register(now: datetime, text: str) -> str:
    body = {
        "agency_id": "mvd",
        "kind": "application",
        "text": text,
        "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
        "language": "uz",
    }
    return appeals.submit_appeal(body, now, config.get_settings(), no_captcha)["appeal_id"]


@pytest.fixture
def bucket(tables):
    """The ledger bucket in moto, with the module's cached S3 client reset around the test."""
    settings = config.get_settings()
    ledger.set_s3_client(None)
    boto3.client("s3", region_name=settings.region).create_bucket(
        Bucket=settings.ledger_bucket,
        CreateBucketConfiguration={"LocationConstraint": settings.region},
    )
    yield settings.ledger_bucket
    ledger.set_s3_client(None)


@pytest.fixture
def record(bucket):
    """Three appeals over two days, two of them answered on the third, and the roots of all three days."""
    first = register(datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT), "Birinchi murojaat.")
    second = register(datetime(2026, 3, 5, 15, 30, tzinfo=TASHKENT), "Ikkinchi murojaat.")
    third = register(datetime(2026, 3, 6, 9, 0, tzinfo=TASHKENT), "Uchinchi murojaat.")
    answered_at = datetime(2026, 3, 7, 11, 0, tzinfo=TASHKENT)
    appeals.answer_appeal(OFFICER, first, {"text": "Javob."}, answered_at, config.get_settings())
    appeals.answer_appeal(OFFICER, third, {"text": "Boshqa javob."}, answered_at, config.get_settings())

    ledger.daily_root(FIRST_DAY, datetime(2026, 3, 5, 19, 30, tzinfo=timezone.utc))
    ledger.write_roots_through(LAST_DAY, datetime(2026, 3, 7, 19, 30, tzinfo=timezone.utc))
    return {"first": first, "second": second, "third": third}


def dynamodb():
    return boto3.client("dynamodb", region_name=config.get_settings().region)


def events_table() -> str:
    return AppealEventModel.Meta.table_name


def event_item(appeal_id: str, seq: int) -> dict:
    key = {"appeal_id": {"S": appeal_id}, "seq": {"N": str(seq)}}
    return dynamodb().get_item(TableName=events_table(), Key=key, ConsistentRead=True)["Item"]


def delete_event(appeal_id: str, seq: int) -> None:
    key = {"appeal_id": {"S": appeal_id}, "seq": {"N": str(seq)}}
    dynamodb().delete_item(TableName=events_table(), Key=key)


def put_event(item: dict) -> None:
    dynamodb().put_item(TableName=events_table(), Item=item)


def kinds(result: dict) -> set[str]:
    return {item["kind"] for item in result["findings"]}


def stored_root(day: date) -> dict:
    return ledger.read_root(day)


# ---------------------------------------------------------------- roots

def test_roots_chain_from_genesis(record):
    first, second, third = (stored_root(FIRST_DAY + timedelta(days=offset)) for offset in range(3))

    assert first["previous_root"] == "0" * 64
    assert first["previous_day"] is None
    assert second["previous_root"] == first["root"]
    assert third["previous_root"] == second["root"]
    assert [first["events"], second["events"], third["events"]] == [2, 1, 2]


def test_root_is_the_documented_hash(record):
    hashes = [event.hash for event in AppealEventModel.day_index.query("2026-03-05")]
    text = "\n".join(["2026-03-05", "0" * 64, *hashes])

    assert ledger.compute_root(FIRST_DAY, "0" * 64, hashes) == ledger.sha256_text(text)
    assert stored_root(FIRST_DAY)["root"] == ledger.sha256_text(text)


def test_root_rerun_is_unchanged(record):
    result = ledger.daily_root(FIRST_DAY, datetime(2026, 3, 8, tzinfo=timezone.utc))

    assert result["status"] == "unchanged"
    assert stored_root(FIRST_DAY)["computed_at"].startswith("2026-03-05")


def test_root_never_overwritten_after_edit(record):
    before = stored_root(FIRST_DAY)
    item = event_item(record["second"], 1)
    item["hash"] = {"S": "f" * 64}
    put_event(item)

    result = ledger.daily_root(FIRST_DAY, datetime(2026, 3, 8, tzinfo=timezone.utc))

    assert result["status"] == "mismatch"
    assert stored_root(FIRST_DAY) == before


def test_roots_job_fills_missed_days(bucket):
    register(datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT), "Birinchi murojaat.")
    register(datetime(2026, 3, 6, 10, 0, tzinfo=TASHKENT), "Ikkinchi murojaat.")
    ledger.daily_root(FIRST_DAY, datetime(2026, 3, 5, 20, 0, tzinfo=timezone.utc))

    counts = ledger.write_roots_through(date(2026, 3, 8), datetime(2026, 3, 8, 20, 0, tzinfo=timezone.utc))

    assert counts["written"] == 3
    assert ledger.stored_root_days() == [FIRST_DAY + timedelta(days=offset) for offset in range(4)]
    assert stored_root(date(2026, 3, 8))["events"] == 0
    assert ledger.verify()["ok"] is True


def test_roots_job_runs_previous_tashkent_day(bucket):
    from chalicelib import jobs

    register(datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT), "Birinchi murojaat.")

    # 00:30 UTC on 6 March is 05:30 in Tashkent, so the day that ended is 5 March.
    counts = jobs.run("ledger-roots", datetime(2026, 3, 6, 0, 30, tzinfo=timezone.utc))

    assert counts["written"] == 1
    assert ledger.stored_root_days() == [FIRST_DAY]
    assert stored_root(FIRST_DAY)["events"] == 1


# ---------------------------------------------------------------- verification

def test_clean_ledger_has_no_findings(record):
    result = ledger.verify()

    assert result["findings"] == []
    assert result["ok"] is True
    assert result["appeals_checked"] == 3


def test_deleted_appeal_is_missing_number(record):
    dynamodb().delete_item(TableName=AppealModel.Meta.table_name, Key={"appeal_id": {"S": record["second"]}})

    result = ledger.verify()

    assert result["ok"] is False
    assert {"kind": "appeal_missing", "appeal_id": record["second"]} == {
        key: value for key, value in result["findings"][0].items() if key != "detail"}
    assert result["appeals_checked"] == 2


def test_deleted_middle_event_is_found(record):
    appeal_id = record["first"]
    delete_event(appeal_id, 1)

    result = ledger.verify()

    assert "event_missing" in kinds(result)
    assert "chain_broken" in kinds(result)
    assert all(item["appeal_id"] == appeal_id for item in result["findings"] if "appeal_id" in item)


def test_deleted_last_event_is_found(record):
    delete_event(record["third"], 2)

    result = ledger.verify()

    assert "head_mismatch" in kinds(result)
    assert "root_mismatch" in kinds(result)


def test_edited_payload_is_found(record):
    item = event_item(record["first"], 2)
    payload = json.loads(item["payload"]["S"])
    payload["on_time"] = False
    item["payload"] = {"S": canonical_json(payload)}
    put_event(item)

    result = ledger.verify()

    altered = [entry for entry in result["findings"] if entry["kind"] == "event_altered"]
    assert altered == [{"kind": "event_altered", "appeal_id": record["first"], "seq": 2,
                        "detail": altered[0]["detail"]}]


def test_swapped_events_are_found(record):
    appeal_id = record["first"]
    submitted = event_item(appeal_id, 1)
    answered = event_item(appeal_id, 2)
    submitted["seq"], answered["seq"] = answered["seq"], submitted["seq"]
    put_event(submitted)
    put_event(answered)

    result = ledger.verify()
    altered_seqs = {entry["seq"] for entry in result["findings"] if entry["kind"] == "event_altered"}

    assert altered_seqs == {1, 2}
    assert "chain_broken" in kinds(result)


def test_text_edited_in_place_is_found(record):
    dynamodb().update_item(
        TableName=AppealModel.Meta.table_name,
        Key={"appeal_id": {"S": record["second"]}},
        UpdateExpression="SET #text = :text",
        ExpressionAttributeNames={"#text": "text"},
        ExpressionAttributeValues={":text": {"S": "Boshqa matn."}},
    )

    result = ledger.verify()

    assert [(item["kind"], item["appeal_id"]) for item in result["findings"]] == [
        ("content_altered", record["second"])]


def test_rehashed_edit_caught_by_root(record):
    appeal_id = record["first"]
    event = AppealEventModel.get(appeal_id, 2, consistent_read=True)
    payload = json.loads(event.payload)
    payload["on_time"] = not payload["on_time"]
    event.payload = canonical_json(payload)
    event.hash = recompute_hash(event)
    event.save()
    appeal = AppealModel.get(appeal_id, consistent_read=True)
    appeal.last_event_hash = event.hash
    appeal.save()

    result = ledger.verify()

    assert [(item["kind"], item.get("day")) for item in result["findings"]] == [
        ("root_mismatch", LAST_DAY.isoformat())]


def test_moved_day_key_is_found(record):
    item = event_item(record["third"], 1)
    item["day"] = {"S": "2026-03-07"}
    put_event(item)

    result = ledger.verify()

    assert "day_keys_altered" in kinds(result)
    assert "root_mismatch" in kinds(result)


def test_deleted_root_breaks_chain(record, bucket):
    boto3.client("s3", region_name=config.get_settings().region).delete_object(
        Bucket=bucket, Key=ledger.root_key(date(2026, 3, 6)))

    result = ledger.verify()

    assert [(item["kind"], item["day"]) for item in result["findings"]] == [
        ("root_chain_broken", LAST_DAY.isoformat())]


def test_missing_bucket_is_a_finding(tables):
    ledger.set_s3_client(None)
    register(datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT), "Birinchi murojaat.")

    result = ledger.verify()

    assert kinds(result) == {"ledger_bucket_missing"}
    ledger.set_s3_client(None)


# ---------------------------------------------------------------- command line and route

def test_cli_verify_exit_codes(record, capsys):
    assert ledger.main(["verify"]) == 0
    assert capsys.readouterr().out == ""

    delete_event(record["second"], 1)

    assert ledger.main(["verify"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {line["kind"] for line in lines} >= {"events_missing", "root_mismatch"}


def test_cli_roots_writes_day(bucket, capsys):
    register(datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT), "Birinchi murojaat.")

    assert ledger.main(["roots", "--day", "2026-03-05"]) == 0

    assert json.loads(capsys.readouterr().out)["written"] == 1
    assert stored_root(FIRST_DAY)["events"] == 1


def test_cli_roots_rejects_bad_day(bucket):
    with pytest.raises(SystemExit) as raised:
        ledger.main(["roots", "--day", "5 March"])

    assert raised.value.code == 2


def test_admin_verify_route(client, keys, record):
    response = client.http.get("/v1/admin/ledger/verify", headers=bearer(keys["admin"]))

    assert response.status_code == 200
    assert json.loads(response.body) == {"ok": True, "findings": [], "appeals_checked": 3}


def test_admin_verify_route_needs_admin(client, keys, bucket):
    response = client.http.get("/v1/admin/ledger/verify", headers=bearer(keys["mvd:head"]))

    assert response.status_code == 403
