"""The domain's error vocabulary. Routes raise these; app.py maps them to JSON responses.

Each error carries a stable English `code`, the JSON path of the offending
`field` when there is one, and the parameters of its translated message.
"""
from __future__ import annotations

from chalice.app import ChaliceUnhandledError


class AppError(ChaliceUnhandledError):
    # ChaliceUnhandledError is the one exception type that Chalice passes on
    # to middleware unchanged, where app.py renders it in the client's language.
    status = 400

    def __init__(self, code: str, field: str | None = None, headers: dict | None = None, **params):
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = dict(params)
        if field is not None:
            self.params.setdefault("field", field)
        self.headers = headers or {}


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class PayloadTooLarge(AppError):
    status = 413


class UnsupportedMediaType(AppError):
    status = 415


class Unprocessable(AppError):
    status = 422


class TooManyRequests(AppError):
    status = 429

    def __init__(self, retry_after: int, code: str = "rate_limited", **params):
        super().__init__(code, headers={"Retry-After": str(retry_after)}, retry_after=retry_after, **params)


class ServiceUnavailable(AppError):
    status = 503

    def __init__(self, retry_after: int = 2):
        super().__init__("unavailable", headers={"Retry-After": str(retry_after)}, retry_after=retry_after)
