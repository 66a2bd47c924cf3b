"""Image (and optionally audio) captchas for the public submission form.

Answers are case-insensitive, single-use, expire after the configured time
(10 minutes by default) and are stored only as a SHA-256 hash salted with the
challenge id. A wrong answer uses the challenge up too, so every guess costs
the client a new challenge. The `captcha` and Pillow imports are deferred so
that importing the app stays fast on a Lambda cold start.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import rate_limits
from chalicelib.config import Settings
from chalicelib.errors import BadRequest
from chalicelib.events import format_timestamp
from chalicelib.models import CaptchaModel

# Letters and digits that cannot be mistaken for one another in the picture.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ANSWER_LENGTH = 5
CAPTCHA_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def _answer_hash(captcha_id: str, answer: str) -> str:
    normalized = "".join(answer.split()).upper()
    return hashlib.sha256(f"{captcha_id}:{normalized}".encode("utf-8", "replace")).hexdigest()


def _data_url(mime_type: str, data: bytes) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def store_challenge(answer: str, now: datetime, settings: Settings) -> str:
    """Store a challenge for `answer` and return its id."""
    captcha_id = secrets.token_hex(16)
    CaptchaModel(
        captcha_id,
        answer_hash=_answer_hash(captcha_id, answer),
        expires_at=now + timedelta(seconds=settings.captcha_ttl_seconds),
    ).save()
    return captcha_id


def create_challenge(now: datetime, settings: Settings, *, with_audio: bool = False) -> dict:
    """Store a new challenge and return its id with the picture (and sound) as data URLs."""
    from captcha.image import ImageCaptcha  # deferred: imports Pillow

    answer = "".join(secrets.choice(ALPHABET) for _ in range(ANSWER_LENGTH))
    captcha_id = store_challenge(answer, now, settings)

    image = ImageCaptcha(width=200, height=70).generate(answer, format="png").getvalue()
    result = {
        "captcha_id": captcha_id,
        "image": _data_url("image/png", image),
        "expires_in": settings.captcha_ttl_seconds,
    }
    if with_audio:
        from captcha.audio import AudioCaptcha

        result["audio"] = _data_url("audio/wav", bytes(AudioCaptcha().generate(answer)))
    return result


def consume(captcha_id: object, answer: object, now: datetime, settings: Settings,
            client_ip: str | None = None) -> rate_limits.Guard | None:
    """Use up the challenge and check the answer.

    With `client_ip`, wrong answers are counted per address. An address over
    WRONG_CAPTCHAS_PER_IP gets 429 for a wrong answer here, and for a right one
    from the returned guard, which the caller adds to its write transaction.
    That saves reading the address's count before every submission.

    :raises BadRequest: captcha_not_found, captcha_expired (also for a used
        challenge) or captcha_wrong, each naming the field to fix.
    :raises TooManyRequests: rate_limited when the address sent too many wrong answers.
    """
    if not isinstance(captcha_id, str) or not CAPTCHA_ID_PATTERN.match(captcha_id):
        raise BadRequest("captcha_not_found", field="captcha_id")
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        raise BadRequest("field_required", field="captcha_answer")
    if not isinstance(answer, str) or len(answer) > 50:
        raise BadRequest("field_invalid", field="captcha_answer", reason="expected the characters in the picture")
    subject = rate_limits.ip_subject(client_ip) if client_ip else None
    guard = rate_limits.Guard(rate_limits.WRONG_CAPTCHAS_PER_IP, subject, now) if subject else None

    challenge = CaptchaModel(captcha_id)
    not_used_yet = CaptchaModel.captcha_id.exists() & CaptchaModel.used_at.does_not_exist()
    try:
        challenge.update(actions=[CaptchaModel.used_at.set(format_timestamp(now))], condition=not_used_yet)
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        try:
            CaptchaModel.get(captcha_id)
        except DoesNotExist:
            raise BadRequest("captcha_not_found", field="captcha_id") from None
        raise BadRequest("captcha_expired", field="captcha_id") from None

    # DynamoDB deletes expired items only eventually (and moto never does),
    # so the expiry is checked here as well.
    if challenge.expires_at <= now:
        raise BadRequest("captcha_expired", field="captcha_id")

    expected = challenge.answer_hash
    if hmac.compare_digest(expected, _answer_hash(captcha_id, answer)):
        return guard
    test_answer = settings.captcha_test_answer
    typed = "".join(answer.split()).upper()
    # compare_digest accepts non-ASCII only as bytes.
    if test_answer and hmac.compare_digest(test_answer.upper().encode("utf-8"), typed.encode("utf-8", "replace")):
        return guard
    if subject:
        rate_limits.hit(rate_limits.WRONG_CAPTCHAS_PER_IP, subject, now)
    raise BadRequest("captcha_wrong", field="captcha_answer")
