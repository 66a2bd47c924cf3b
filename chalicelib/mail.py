"""Sending e-mail through Amazon SES, and writing a copy to disk on the local stage.

On the local stack SES is moto's, which accepts messages but delivers none, so
the local stage also writes each message as an .eml file under MAIL_DIR.
"""
from __future__ import annotations

import logging
import re
from email.message import EmailMessage
from pathlib import Path

import boto3

from chalicelib.config import Settings

logger = logging.getLogger(__name__)


class MailError(RuntimeError):
    """Raised when a message could not be handed to SES."""


class Mailer:
    """Sends messages with an SES client that is created on first use or passed in."""

    def __init__(self, settings: Settings, ses_client=None):
        self._settings = settings
        self._client = ses_client

    def _ses(self):
        if self._client is None:
            self._client = boto3.client("ses", region_name=self._settings.region,
                                        endpoint_url=self._settings.endpoint_url)
        return self._client

    def send(self, *, message_id: str, to: str, subject: str, text: str, html: str | None = None) -> str:
        """Send one message and return SES's message id.

        :raises MailError: when SES rejects the message or cannot be reached.
        """
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")

        try:
            response = self._ses().send_raw_email(
                Source=self._settings.mail_from,
                Destinations=[to],
                RawMessage={"Data": message.as_bytes()},
            )
        except Exception as exc:  # botocore raises many unrelated types for one failed call
            raise MailError(f"SES did not accept message {message_id}: {type(exc).__name__}") from exc

        if self._settings.mail_dir:
            folder = Path(self._settings.mail_dir)
            folder.mkdir(parents=True, exist_ok=True)
            safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", message_id)
            (folder / f"{safe_name}.eml").write_bytes(message.as_bytes())
        return response["MessageId"]
