"""Settings of the running stage, read from environment variables.

Every setting is read here and nowhere else. Reading happens lazily, on the
first call of `get_settings()` after the environment changed, because Chalice
applies a stage's environment variables only inside a request under its test
client and only at cold start on Lambda.
"""
from __future__ import annotations

import os
from typing import Mapping, NamedTuple

KNOWN_STAGES = ("local", "test", "prod")
DEFAULT_REGION = "eu-central-1"


class ConfigurationError(RuntimeError):
    """Raised when the environment contains settings that the stage must not run with."""


class Settings(NamedTuple):
    stage: str
    region: str
    table_prefix: str
    endpoint_url: str | None
    site_origin: str
    site_url: str
    captcha_test_answer: str | None
    debug: bool
    mail_from: str
    mail_dir: str | None
    ledger_bucket: str
    captcha_ttl_seconds: int = 600
    max_text_chars: int = 20_000
    max_body_bytes: int = 65_536

    def table_name(self, short_name: str) -> str:
        return f"{self.table_prefix}{short_name}"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def settings_from_environment(environ: Mapping[str, str]) -> Settings:
    """Build settings from `environ` and check them against the stage's rules.

    :raises ConfigurationError: when the stage is unknown, or when the prod
        stage is given a local-only setting (a captcha test answer, debug mode,
        or a custom AWS endpoint).
    """
    stage = environ.get("STAGE", "local")
    if stage not in KNOWN_STAGES:
        raise ConfigurationError(
            f"STAGE={stage!r} is unknown; set it to one of {', '.join(KNOWN_STAGES)}."
        )

    settings = Settings(
        stage=stage,
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        table_prefix=environ.get("TABLE_PREFIX", f"murojaat-{stage}-"),
        endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        site_origin=environ.get("SITE_ORIGIN", "http://127.0.0.1:8080"),
        site_url=environ.get("SITE_URL", environ.get("SITE_ORIGIN", "http://127.0.0.1:8080")),
        captcha_test_answer=environ.get("CAPTCHA_TEST_ANSWER") or None,
        debug=_flag(environ.get("DEBUG")),
        mail_from=environ.get("MAIL_FROM", "noreply@murojaat.example.org"),
        # The local stack passes its own MAIL_DIR; a bare `chalice local` writes here.
        mail_dir=environ.get("MAIL_DIR") or (".local/mail" if stage == "local" else None),
        ledger_bucket=environ.get("LEDGER_BUCKET", f"murojaat-{stage}-ledger"),
    )

    if settings.stage == "prod":
        local_only = {
            "CAPTCHA_TEST_ANSWER": settings.captcha_test_answer,
            "DEBUG": settings.debug,
            "AWS_ENDPOINT_URL": settings.endpoint_url,
            "MAIL_DIR": settings.mail_dir,
        }
        present = sorted(name for name, value in local_only.items() if value)
        if present:
            raise ConfigurationError(
                "The prod stage rejects local-only settings: "
                + ", ".join(present)
                + ". Remove them from the prod stage's environment_variables."
            )
    return settings


_cache: tuple[tuple, Settings] | None = None
_WATCHED = (
    "STAGE", "AWS_REGION", "AWS_DEFAULT_REGION", "TABLE_PREFIX", "AWS_ENDPOINT_URL",
    "SITE_ORIGIN", "SITE_URL", "CAPTCHA_TEST_ANSWER", "DEBUG", "MAIL_FROM", "MAIL_DIR",
    "LEDGER_BUCKET",
)


def get_settings() -> Settings:
    """Return the settings for the current environment, rebuilding them when it changed.

    :raises ConfigurationError: see `settings_from_environment`.
    """
    global _cache
    key = tuple(os.environ.get(name) for name in _WATCHED)
    if _cache is None or _cache[0] != key:
        _cache = (key, settings_from_environment(os.environ))
    return _cache[1]
