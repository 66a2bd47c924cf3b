"""Create the local stack's AWS resources in moto, and the API keys of its users.

scripts.local_stack runs this module in a child process with the stack's
environment (the local stage's settings, moto's AWS_ENDPOINT_URL and dummy
credentials), so that the model binding and the credentials stay out of the
caller's process. Every step can run again on existing data:

1. create the missing tables from the PynamoDB models;
2. seed the agencies of chalicelib/data/agencies.json that do not exist yet;
3. create the ledger's S3 bucket and verify the sender's SES identity;
4. keep the keys of an existing credentials file that still authenticate,
   create the missing ones (an admin key, and an officer and a head key for
   every agency), and write the file.

Usage: python -m scripts.stack_setup CREDENTIALS_FILE [--reuse-credentials]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from chalicelib import agencies, auth, config, db
from chalicelib.errors import AppError
from chalicelib.models import AgencyModel

logger = logging.getLogger("scripts.stack_setup")

LOCAL_ENDPOINT_PREFIX = "http://127.0.0.1:"
AGENCY_ROLES = ("officer", "head")


def check_local(settings: config.Settings) -> None:
    """Stop before touching anything unless the settings point at a local moto server.

    :raises SystemExit: when the stage is not local or the endpoint is not on 127.0.0.1.
    """
    if settings.stage != "local" or not (settings.endpoint_url or "").startswith(LOCAL_ENDPOINT_PREFIX):
        raise SystemExit(
            f"stack_setup runs only against a local moto server, but STAGE={settings.stage!r} "
            f"and AWS_ENDPOINT_URL={settings.endpoint_url!r}. Start it through scripts.local_stack."
        )


def ensure_bucket(settings: config.Settings) -> bool:
    """Create the ledger bucket unless it exists; return whether it was created."""
    s3 = boto3.client("s3", region_name=settings.region, endpoint_url=settings.endpoint_url)
    try:
        s3.head_bucket(Bucket=settings.ledger_bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
    s3.create_bucket(Bucket=settings.ledger_bucket,
                     CreateBucketConfiguration={"LocationConstraint": settings.region})
    return True


def ensure_sender_identity(settings: config.Settings) -> bool:
    """Verify the sender's e-mail address in SES unless it is verified; return whether it was added."""
    ses = boto3.client("ses", region_name=settings.region, endpoint_url=settings.endpoint_url)
    identities = ses.list_identities(IdentityType="EmailAddress")["Identities"]
    if settings.mail_from in identities:
        return False
    ses.verify_email_identity(EmailAddress=settings.mail_from)
    return True


def key_still_works(key: object, role: str, agency_id: str | None) -> bool:
    """Tell whether `key` authenticates with `role` for `agency_id` (None for an admin)."""
    if not isinstance(key, str):
        return False
    try:
        principal = auth.authenticate(f"Bearer {key}", (role,))
    except AppError:
        return False
    return principal.agency_id == agency_id


def _read_credentials(path: Path) -> dict:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def build_credentials(stored: dict, now: datetime) -> tuple[dict, int]:
    """Return the credentials to write and how many keys were created.

    Keys in `stored` are kept when they still authenticate with the same role
    and agency; the others, and any that are missing, are created.
    """
    created = 0
    admin_key = stored.get("admin")
    if not key_still_works(admin_key, "admin", None):
        admin_key = auth.create_key("admin", None, now, label="local stack")["key"]
        created += 1

    stored_agencies = stored.get("agencies") if isinstance(stored.get("agencies"), dict) else {}
    agency_keys = {}
    for agency in sorted(AgencyModel.scan(), key=lambda item: item.agency_id):
        stored_roles = stored_agencies.get(agency.agency_id)
        stored_roles = stored_roles if isinstance(stored_roles, dict) else {}
        roles = {}
        for role in AGENCY_ROLES:
            key = stored_roles.get(role)
            if not key_still_works(key, role, agency.agency_id):
                key = auth.create_key(role, agency.agency_id, now, label="local stack")["key"]
                created += 1
            roles[role] = key
        agency_keys[agency.agency_id] = roles
    return {"admin": admin_key, "agencies": agency_keys}, created


def write_credentials(path: Path, credentials: dict) -> None:
    """Write the credentials file readable by its owner only, replacing it atomically."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(credentials, file, indent=2)
        file.write("\n")
    os.replace(temporary, path)


LOCAL_DIGEST_RECIPIENT = {"name": "Local administrator", "email": "admin@murojaat.example.org", "language": "uz"}


def ensure_digest_recipient(now: datetime) -> bool:
    """Add one administrator who receives the weekly digest, unless there is one already."""
    from chalicelib import recipients

    if recipients.active_recipients():
        return False
    recipients.create_recipient(dict(LOCAL_DIGEST_RECIPIENT), now)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("credentials_file", type=Path, help="where to write the API keys (JSON)")
    parser.add_argument("--reuse-credentials", action="store_true",
                        help="keep the keys of an existing credentials file that still work")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)

    settings = config.get_settings()
    check_local(settings)
    now = datetime.now(timezone.utc)

    db.bind(settings)
    tables = db.create_tables()
    seeded = agencies.seed_agencies(now)
    bucket_created = ensure_bucket(settings)
    identity_added = ensure_sender_identity(settings)
    recipient_added = ensure_digest_recipient(now)

    stored = _read_credentials(args.credentials_file) if args.reuse_credentials else {}
    credentials, keys_created = build_credentials(stored, now)
    write_credentials(args.credentials_file, credentials)

    logger.info("Created %s tables, seeded %s agencies, created bucket: %s, verified sender: %s, "
                "added digest recipient: %s, created %s API keys", len(tables), len(seeded), bucket_created,
                identity_added, recipient_added, keys_created)
    return 0


if __name__ == "__main__":
    sys.exit(main())
