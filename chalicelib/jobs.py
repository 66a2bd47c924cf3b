"""Scheduled jobs, callable from Lambda (see app.py) and from the command line.

    python -m chalicelib.jobs deadline-scan --now 2026-03-25T10:00:00+05:00

Without AWS_ENDPOINT_URL in the environment, the command line runs against
the local stack that `make run` started: it takes the local stage's settings
from .chalice/config.json and moto's address from .local/stack.json.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from chalicelib import config, db

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_deadline_scan(now: datetime) -> dict:
    from chalicelib import deadline_jobs, outbox
    from chalicelib.mail import Mailer

    settings = config.get_settings()
    counts = deadline_jobs.deadline_scan(now, settings)
    counts["mail"] = outbox.deliver_pending(Mailer(settings), now)
    return counts


def run_due_soon_reminders(now: datetime) -> dict:
    from chalicelib import deadline_jobs, outbox
    from chalicelib.mail import Mailer

    counts = deadline_jobs.due_soon_reminders(now)
    counts["mail"] = outbox.deliver_pending(Mailer(config.get_settings()), now)
    return counts


def run_deliver_outbox(now: datetime) -> dict:
    from chalicelib import outbox
    from chalicelib.mail import Mailer

    return outbox.deliver_pending(Mailer(config.get_settings()), now)


def run_rating_reminders(now: datetime) -> dict:
    from chalicelib import outbox, rating_reminders
    from chalicelib.mail import Mailer

    settings = config.get_settings()
    counts = rating_reminders.send_rating_reminders(now, settings)
    counts["mail"] = outbox.deliver_pending(Mailer(settings), now)
    return counts


def run_recompute_due_dates(now: datetime) -> dict:
    from chalicelib import calendars, deadline_jobs

    return deadline_jobs.recompute_open_appeals(now, calendars.current_calendar(fresh=True), "system")


def run_stats_recompute(now: datetime) -> dict:
    from chalicelib import stats

    return stats.stats_recompute(now)


def run_stats_rebuild(now: datetime) -> dict:
    from chalicelib import stats

    return stats.stats_rebuild(now)


def run_ledger_roots(now: datetime) -> dict:
    from chalicelib import deadlines, ledger

    # Roots are written for whole days, so the last one is the Tashkent day before `now`.
    return ledger.write_roots_through(deadlines.local_date(now) - timedelta(days=1), now)


def run_weekly_digest(now: datetime) -> dict:
    from chalicelib import digests
    from chalicelib.mail import Mailer

    return digests.weekly_digest(now, Mailer(config.get_settings()))


JOBS: dict[str, Callable[[datetime], dict]] = {
    "deadline-scan": run_deadline_scan,
    "due-soon-reminders": run_due_soon_reminders,
    "deliver-outbox": run_deliver_outbox,
    "rating-reminders": run_rating_reminders,
    "recompute-due-dates": run_recompute_due_dates,
    "ledger-roots": run_ledger_roots,
    "stats-recompute": run_stats_recompute,
    "stats-rebuild": run_stats_rebuild,
    "weekly-digest": run_weekly_digest,
}


def run(job: str, now: datetime) -> dict:
    """Run one job with the current environment's settings and return its counts."""
    db.bind(config.get_settings())
    return JOBS[job](now)


def emit_heartbeat(job: str) -> None:
    """Print a CloudWatch embedded-metric line that the job ran; an alarm watches for its absence."""
    document = {
        "_aws": {
            "Timestamp": int(datetime.now(timezone.utc).timestamp() * 1000),
            "CloudWatchMetrics": [{"Namespace": "murojaat/Jobs", "Dimensions": [["Job"]],
                                   "Metrics": [{"Name": "Heartbeat", "Unit": "Count"}]}],
        },
        "Job": job,
        "Heartbeat": 1,
    }
    print(json.dumps(document))


def parse_now(text: str | None) -> datetime:
    """Parse an ISO 8601 time with its offset; None means the current time.

    :raises ValueError: for a time without an offset or in another format.
    """
    if text is None:
        return datetime.now(timezone.utc)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"--now {text!r} has no UTC offset; write it like 2026-03-25T10:00:00+05:00")
    return moment


def use_local_stack(environ=os.environ) -> None:
    """Fill in the local stage's settings and the running stack's address where none are set."""
    if environ.get("AWS_ENDPOINT_URL") or environ.get("STAGE", "local") != "local":
        return
    stage = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())["stages"]["local"]
    for name, value in stage.get("environment_variables", {}).items():
        environ.setdefault(name, value)
    stack_file = PROJECT_ROOT / ".local" / "stack.json"
    if not stack_file.exists():
        raise SystemExit(f"{stack_file} not found: start the local stack with `make run`, "
                         "or set AWS_ENDPOINT_URL and STAGE.")
    stack = json.loads(stack_file.read_text())
    environ["AWS_ENDPOINT_URL"] = stack["aws_url"]
    environ.setdefault("SITE_ORIGIN", stack.get("web_url", ""))
    environ.setdefault("SITE_URL", stack.get("web_url", ""))
    environ.setdefault("MAIL_DIR", str(PROJECT_ROOT / ".local" / "mail"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        environ.setdefault(name, "testing")


def main(argv: list[str] | None = None) -> int:
    # Imported here because the Lambda functions import this module but never parse arguments.
    import argparse

    parser = argparse.ArgumentParser(prog="python -m chalicelib.jobs", description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=sorted(JOBS), help="the job to run")
    parser.add_argument("--now", help="the time the job runs at, ISO 8601 with offset (default: now)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    try:
        now = parse_now(args.now)
    except ValueError as exc:
        parser.error(str(exc))
    use_local_stack()
    counts = run(args.job, now)
    print(json.dumps({"job": args.job, "now": now.isoformat(), **counts}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
