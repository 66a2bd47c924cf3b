"""Persistence of the local stack's AWS data through moto's request recorder.

Moto keeps every resource in memory. Its recorder (moto 5.2.5,
moto/moto_api/_internal/recorder) appends each request it receives to the
file named by MOTO_RECORDER_FILEPATH, one JSON line per request, while
recording is on. Its replay endpoint sends the file's requests to the server
again, in order. The local stack uses that file as a write-ahead log:

1. Before moto starts, `compact_recording` rewrites the file with only the
   requests that change data, and drops lines that an abrupt kill cut short.
2. Moto starts with recording off, and `replay_recording` rebuilds the data.
3. `start_recording` turns recording on, so every later request is appended.

How the recorder of moto 5.2.5 behaves, read in its source and checked by
hand: starting a recording only sets a flag and never truncates the file. A
replay turns recording off while it runs, so replayed requests are not
recorded twice. Request bodies are stored base64-encoded, so binary
attributes and S3 objects survive. Each request is appended before moto
handles it, with the file opened and closed each time, so an abrupt kill
loses at most the requests in flight.

NOTE: moto serves requests on several threads and records each one before
handling it. Two concurrent writes that race on one item, such as two
conditional updates of the same counter, may replay in the other order, and
lines longer than the file buffer (8 KiB) may interleave and be dropped.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

logger = logging.getLogger(__name__)

RECORDER_PATH = "/moto-api/recorder"

# Operations with these name prefixes only read (DynamoDB's GetItem, Query,
# DescribeTable, SES's ListIdentities...), so a replay can skip them.
READ_OPERATION_PREFIXES = ("Get", "BatchGet", "TransactGet", "Describe", "List", "Query", "Scan")
READ_METHODS = ("GET", "HEAD", "OPTIONS")

# A replay sends each request over a new connection, so it takes a few
# milliseconds per recorded write; the timeout grows with the file.
REPLAY_SECONDS_PER_REQUEST = 0.05
MIN_REPLAY_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class CompactionResult:
    kept_requests: int
    dropped_reads: int
    dropped_invalid: int


def _header(entry: dict, name: str) -> str | None:
    for key, value in (entry.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _body_text(entry: dict) -> str:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        try:
            return base64.b64decode(body).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return ""
    return body


def operation_name(entry: dict) -> str | None:
    """Return the AWS operation of a recorded request, when its headers or form body name it."""
    target = _header(entry, "X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    content_type = _header(entry, "Content-Type") or ""
    if content_type.startswith("application/x-www-form-urlencoded"):
        actions = parse_qs(_body_text(entry)).get("Action")
        if actions:
            return actions[0]
    return None


def changes_data(entry: dict) -> bool:
    """Tell whether replaying a recorded request may change moto's data.

    Unknown operations count as changes, so compaction never drops a write.
    """
    if str(entry.get("method", "")).upper() in READ_METHODS:
        return False
    if urlparse(str(entry.get("url", ""))).path.startswith("/moto-api/"):
        return False
    operation = operation_name(entry)
    return not (operation and operation.startswith(READ_OPERATION_PREFIXES))


def _parse_line(line: str) -> dict | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or not entry.get("method") or not entry.get("url"):
        return None
    return entry


def compact_recording(path: Path) -> CompactionResult:
    """Rewrite the recording at `path` with only its valid requests that change data.

    Call it only while no moto server records into `path`. The file is
    replaced atomically, so an interrupted compaction leaves the old file.
    """
    if not path.exists():
        return CompactionResult(kept_requests=0, dropped_reads=0, dropped_invalid=0)

    kept_lines = []
    dropped_reads = dropped_invalid = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        entry = _parse_line(line)
        if entry is None:
            # An abrupt kill can leave half a line, and moto then appends the
            # next request to it; both requests on that line are lost.
            dropped_invalid += 1
        elif changes_data(entry):
            kept_lines.append(line)
        else:
            dropped_reads += 1

    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(line + "\n" for line in kept_lines), encoding="utf-8")
    os.replace(temporary, path)
    if dropped_invalid:
        logger.warning("Dropped %s unreadable lines from %s", dropped_invalid, path)
    return CompactionResult(kept_requests=len(kept_lines), dropped_reads=dropped_reads,
                            dropped_invalid=dropped_invalid)


def replay_recording(session: requests.Session, aws_url: str, request_count: int) -> None:
    """Ask the moto server at `aws_url` to replay its recording file; block until it is done.

    :raises RuntimeError: when moto reports that the replay failed.
    """
    timeout = max(MIN_REPLAY_TIMEOUT_SECONDS, request_count * REPLAY_SECONDS_PER_REQUEST)
    response = session.post(f"{aws_url}{RECORDER_PATH}/replay-recording", timeout=(5, timeout))
    if response.status_code != 200:
        raise RuntimeError(
            f"Moto failed to replay its recording: HTTP {response.status_code}. "
            "See the AWS log; move the recording file away to start with empty data."
        )


def start_recording(session: requests.Session, aws_url: str) -> None:
    """Turn on the recorder of the moto server at `aws_url`; it appends from now on.

    :raises RuntimeError: when moto rejects the request.
    """
    response = session.post(f"{aws_url}{RECORDER_PATH}/start-recording", timeout=10)
    if response.status_code != 200:
        raise RuntimeError(f"Moto failed to start recording: HTTP {response.status_code}.")
