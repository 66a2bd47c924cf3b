"""Command line for administrators, run with the stage's environment and AWS credentials.

    python -m chalicelib.admin_cli create-key --role admin
    python -m chalicelib.admin_cli create-key --role officer --agency-id mvd

`create-key` stores a new API key and prints it on standard output; it is
shown only this once. Its main use is the first admin key of a new
deployment, before any admin key exists to call POST /v1/admin/api-keys.
The settings (STAGE, TABLE_PREFIX, AWS_REGION...) come from the environment,
as in the Lambda functions.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO

from chalicelib import auth, config, db
from chalicelib.errors import AppError
from chalicelib.messages import message

if TYPE_CHECKING:
    import argparse

EXIT_INVALID = 2
EXIT_CONFIGURATION = 3


def build_parser() -> argparse.ArgumentParser:
    # Imported here, as in chalicelib.jobs, so that callers of create_key() do not load argparse.
    import argparse

    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin_cli",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="store a new API key and print it")
    create.add_argument("--role", required=True, choices=auth.ROLES, help="the key's role")
    create.add_argument("--agency-id", help="the agency of an officer or head key; not allowed for admin keys")
    create.add_argument("--label", default="created with chalicelib.admin_cli",
                        help="a note stored with the key, such as who it is for")
    return parser


def create_key(role: str, agency_id: str | None, label: str, now: datetime,
               out: TextIO, err: TextIO) -> int:
    """Store a key with the environment's settings, print it on `out` and return the exit status."""
    try:
        db.bind(config.get_settings())
    except config.ConfigurationError as error:
        print(f"error: {error}", file=err)
        return EXIT_CONFIGURATION

    try:
        result = auth.create_key(role, agency_id, now, label=label)
    except AppError as error:
        print(f"error: {message(error.code, 'en', **error.params)}", file=err)
        return EXIT_INVALID

    print(result["key"], file=out)
    scope = f" of agency {result['agency_id']}" if result["agency_id"] else ""
    print(f"Created {result['role']} key {result['key_id']}{scope} in {config.get_settings().table_prefix}"
          "api-keys. Store it now: it cannot be shown again.", file=err)
    return 0


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "create-key":
        return create_key(args.role, args.agency_id, args.label, datetime.now(timezone.utc), out, err)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
