"""murojaat's HTTP API: thin routes over chalicelib.

Each route reads the request, makes one call into chalicelib and returns a
dict. Errors raised as chalicelib.errors.AppError become JSON error bodies in
the request's language in `handle_errors_and_cors`.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from chalice import Chalice, Cron, Rate, Response

from chalicelib import (
    access_codes, agencies, agency_actions, appeals, auth, calendars, captchas, config, db, idempotency, logs,
    stats,
)
from chalicelib.errors import AppError
from chalicelib.messages import message, pick_language
from chalicelib.validation import parse_json_object

app = Chalice(app_name="murojaat")
logs.configure(app.log, logging.getLogger("chalicelib"))

AGENCY_ROLES = ("officer", "head")
ADMIN_ROLES = ("admin",)
PUBLIC_PREFIXES = ("/v1/agencies", "/v1/captcha", "/v1/appeals", "/v1/stats")
CORS_ALLOW_HEADERS = "Content-Type,Accept-Language,X-Access-Code,Idempotency-Key"


def now() -> datetime:
    return datetime.now(timezone.utc)


def request_body() -> dict:
    request = app.current_request
    return parse_json_object(request.raw_body, request.headers.get("content-type"),
                             config.get_settings().max_body_bytes)


def language() -> str:
    return pick_language(app.current_request.headers.get("accept-language"))


def client_ip() -> str | None:
    """Return the client's address as API Gateway (and `chalice local`) report it, or None."""
    identity = (app.current_request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or None


def principal(roles: tuple[str, ...]) -> auth.Principal:
    return auth.authenticate(app.current_request.headers.get("authorization"), roles)


def idempotent(scope: str, handler):
    """Run `handler` once per Idempotency-Key header within `scope`; see chalicelib.idempotency."""
    request = app.current_request
    return idempotency.idempotent(scope, request.headers.get("idempotency-key"), request.uri_params,
                                  request.raw_body, handler, now())


MAX_ECHOED_CHARS = 100
CHALICE_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}
# The error parameters that the body carries in "details", by error code.
ERROR_DETAILS = {"duplicate_submission": ("appeal_id",), "rate_limited": ("retry_after",)}


def error_response(error: AppError, lang: str) -> Response:
    # Values echoed from the request are cut short so an error never repeats a huge input.
    params = {name: value[:MAX_ECHOED_CHARS] if isinstance(value, str) else value
              for name, value in error.params.items()}
    body = {"code": error.code, "message": message(error.code, lang, **params)}
    if error.field:
        body["field"] = error.field
    if error.code in ERROR_DETAILS:
        # Values a page needs besides the text, such as the first appeal's
        # number for duplicate_submission.
        body["details"] = {name: params[name] for name in ERROR_DETAILS[error.code] if name in params}
    headers = {"Content-Type": "application/json", "Content-Language": lang}
    headers.update(error.headers)
    return Response(body={"error": body}, status_code=error.status, headers=headers)


@app.middleware("http")
def handle_errors_and_cors(event, get_response):
    lang = pick_language(event.headers.get("accept-language"))
    try:
        db.bind(config.get_settings())
        response = get_response(event)
    except AppError as error:
        response = error_response(error, lang)
    except config.ConfigurationError as error:
        app.log.error("Configuration rejected: %s", error)
        response = error_response(AppError("internal_error"), lang)
        response.status_code = 500

    chalice_error = isinstance(response.body, dict) and "Code" in response.body
    if chalice_error and response.status_code in CHALICE_ERROR_CODES:
        # Chalice itself rejected the request (wrong method or Content-Type).
        status = response.status_code
        response = error_response(AppError(CHALICE_ERROR_CODES[status]), lang)
        response.status_code = status

    if response.status_code >= 500 and not (isinstance(response.body, dict) and "error" in response.body):
        # Chalice has already logged the exception; the client gets no traceback.
        status = response.status_code
        response = error_response(AppError("internal_error"), lang)
        response.status_code = status

    if event.path.startswith(PUBLIC_PREFIXES):
        response.headers.update({
            "Access-Control-Allow-Origin": config.get_settings().site_origin,
            "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
            "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        })
    return response


def preflight(**_path_parameters) -> Response:
    # The CORS headers are added by handle_errors_and_cors, which reads the
    # site's origin from the stage's settings at request time.
    return Response(body="", status_code=204)


# ---------------------------------------------------------------- public

@app.route("/v1/agencies", methods=["GET"])
def list_agencies():
    return agencies.list_agencies()


@app.route("/v1/captcha", methods=["POST"])
def new_captcha():
    body = request_body()
    return captchas.create_challenge(now(), config.get_settings(), with_audio=body.get("audio") is True)


@app.route("/v1/appeals", methods=["POST"])
def submit_appeal():
    def handler():
        body, settings, moment = request_body(), config.get_settings(), now()
        address = client_ip()
        result = appeals.submit_appeal(
            body, moment, settings,
            lambda captcha_id, answer, at, stage: captchas.consume(captcha_id, answer, at, stage, client_ip=address))
        return Response(body=result, status_code=201)

    return idempotent("submit", handler)


@app.route("/v1/appeals/{appeal_id}", methods=["GET"])
def view_appeal(appeal_id):
    access_code = app.current_request.headers.get("x-access-code")
    return appeals.view_for_citizen(appeal_id, access_code, now(), language(), client_ip())


@app.route("/v1/appeals/{appeal_id}/rating", methods=["POST"])
def rate_appeal(appeal_id):
    access_code = app.current_request.headers.get("x-access-code")
    result = appeals.rate_answer(appeal_id, access_code, request_body(), now(), client_ip())
    return Response(body=result, status_code=201)


@app.route("/v1/appeals/{appeal_id}/access-code", methods=["POST"])
def new_access_code(appeal_id):
    result = access_codes.send_new_access_code(appeal_id, client_ip(), now(), config.get_settings())
    return Response(body=result, status_code=202)


@app.route("/v1/stats", methods=["GET"])
def public_stats():
    params = app.current_request.query_params or {}
    return stats.public_stats(params.get("period"))


for _path in ("/v1/agencies", "/v1/captcha", "/v1/appeals", "/v1/appeals/{appeal_id}",
              "/v1/appeals/{appeal_id}/rating", "/v1/appeals/{appeal_id}/access-code", "/v1/stats"):
    app.route(_path, methods=["OPTIONS"], name=f"preflight {_path}")(preflight)


# ---------------------------------------------------------------- agency

@app.route("/v1/agency/appeals", methods=["GET"])
def agency_inbox():
    params = app.current_request.query_params or {}
    return appeals.inbox(principal(AGENCY_ROLES), params.get("status"), params.get("cursor"), now())


@app.route("/v1/agency/appeals/{appeal_id}", methods=["GET"])
def agency_view_appeal(appeal_id):
    appeal = appeals.agency_appeal(principal(AGENCY_ROLES), appeal_id)
    return appeals.agency_view(appeal, now(), language())


@app.route("/v1/agency/appeals/{appeal_id}/answer", methods=["POST"])
def agency_answer(appeal_id):
    officer = principal(AGENCY_ROLES)
    return idempotent(f"answer:{officer.key_id}", lambda: appeals.answer_appeal(
        officer, appeal_id, request_body(), now(), config.get_settings()))


@app.route("/v1/agency/appeals/{appeal_id}/forward", methods=["POST"])
def agency_forward(appeal_id):
    officer = principal(AGENCY_ROLES)
    return idempotent(f"forward:{officer.key_id}", lambda: agency_actions.forward(
        officer, appeal_id, request_body(), now()))


@app.route("/v1/agency/appeals/{appeal_id}/merge", methods=["POST"])
def agency_merge(appeal_id):
    officer = principal(AGENCY_ROLES)
    return idempotent(f"merge:{officer.key_id}", lambda: agency_actions.merge_duplicate(
        officer, appeal_id, request_body(), now()))


@app.route("/v1/agency/appeals/{appeal_id}/extension", methods=["POST"])
def agency_extend(appeal_id):
    officer = principal(AGENCY_ROLES)
    return idempotent(f"extension:{officer.key_id}", lambda: agency_actions.extend(
        officer, appeal_id, request_body(), now()))


@app.route("/v1/agency/appeals/{appeal_id}/study", methods=["POST"])
def agency_study(appeal_id):
    officer = principal(AGENCY_ROLES)
    return idempotent(f"study:{officer.key_id}", lambda: agency_actions.take_for_study(
        officer, appeal_id, request_body(), now()))


@app.route("/v1/agency/appeals/{appeal_id}/dismiss", methods=["POST"])
def agency_dismiss(appeal_id):
    officer = principal(AGENCY_ROLES)
    return idempotent(f"dismiss:{officer.key_id}", lambda: agency_actions.dismiss(
        officer, appeal_id, request_body(), now()))


@app.route("/v1/agency/stats", methods=["GET"])
def agency_stats():
    params = app.current_request.query_params or {}
    return stats.agency_stats(principal(AGENCY_ROLES), params.get("period"), now())


# ---------------------------------------------------------------- admin

@app.route("/v1/admin/appeals/{appeal_id}/hide-text", methods=["POST"])
def admin_hide_text(appeal_id):
    from chalicelib import moderation

    return moderation.hide_text(principal(ADMIN_ROLES), appeal_id, request_body(), now())


@app.route("/v1/admin/calendar", methods=["GET"])
def admin_calendar():
    principal(ADMIN_ROLES)
    return {"current": calendars.calendar_view(calendars.current_calendar(fresh=True)),
            "versions": calendars.list_versions()}


@app.route("/v1/admin/calendar", methods=["PUT"])
def admin_replace_calendar():
    admin = principal(ADMIN_ROLES)
    from chalicelib import jobs

    calendar = calendars.save_new_version(request_body(), admin.actor, now())
    recomputed = jobs.JOBS["recompute-due-dates"](now())
    return {"current": calendars.calendar_view(calendar), "recomputed": recomputed}


@app.route("/v1/admin/agencies", methods=["POST"])
def admin_create_agency():
    principal(ADMIN_ROLES)
    return Response(body=agencies.create_agency(request_body(), now()), status_code=201)


@app.route("/v1/admin/api-keys", methods=["POST"])
def admin_create_key():
    creator = principal(ADMIN_ROLES)
    body = request_body()
    result = auth.create_key(body.get("role"), body.get("agency_id"), now(),
                             label=f"created by {creator.key_id}")
    return Response(body=result, status_code=201)


@app.route("/v1/admin/api-keys/{key_id}", methods=["DELETE"])
def admin_revoke_key(key_id):
    principal(ADMIN_ROLES)
    return auth.revoke_key(key_id, now())


@app.route("/v1/admin/ledger/verify", methods=["GET"])
def admin_verify_ledger():
    from chalicelib import ledger

    principal(ADMIN_ROLES)
    return ledger.verify()


# The digest modules, like the jobs and the ledger, are imported on first
# use, so a cold start of the citizens' and agencies' routes does not load them.

@app.route("/v1/admin/recipients", methods=["POST"])
def admin_add_recipient():
    from chalicelib import recipients

    principal(ADMIN_ROLES)
    return Response(body=recipients.create_recipient(request_body(), now()), status_code=201)


@app.route("/v1/admin/recipients", methods=["GET"])
def admin_list_recipients():
    from chalicelib import recipients

    principal(ADMIN_ROLES)
    return recipients.list_recipients()


@app.route("/v1/admin/recipients/{recipient_id}", methods=["DELETE"])
def admin_remove_recipient(recipient_id):
    from chalicelib import recipients

    principal(ADMIN_ROLES)
    return recipients.deactivate_recipient(recipient_id)


@app.route("/v1/admin/digest/preview", methods=["GET"])
def admin_preview_digest():
    from chalicelib import digests

    principal(ADMIN_ROLES)
    params = app.current_request.query_params or {}
    html = digests.preview_admin_digest(params.get("week"), language(), now())
    return Response(body=html, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


# ---------------------------------------------------------------- scheduled jobs

def run_scheduled(job: str, event) -> dict:
    """Run a job at the event's scheduled time, so a late start still covers the right period."""
    from chalicelib import jobs

    scheduled = event.to_dict().get("time")
    counts = jobs.run(job, jobs.parse_now(scheduled) if scheduled else now())
    jobs.emit_heartbeat(job)
    return counts


# 5 minutes past every hour.
@app.schedule(Cron(5, "*", "*", "*", "?", "*"), name="deadline_scan")
def deadline_scan(event):
    return run_scheduled("deadline-scan", event)


# 09:00 in Tashkent (UTC+5, no daylight saving time) is 04:00 UTC.
@app.schedule(Cron(0, 4, "*", "*", "?", "*"), name="due_soon_reminders")
def due_soon_reminders(event):
    return run_scheduled("due-soon-reminders", event)


# 06:00 UTC is 11:00 in Tashkent, a time of day when a reminder is welcome.
@app.schedule(Cron(0, 6, "*", "*", "?", "*"), name="rating_reminders")
def rating_reminders(event):
    return run_scheduled("rating-reminders", event)


@app.schedule(Rate(10, unit=Rate.MINUTES), name="deliver_outbox")
def deliver_outbox(event):
    return run_scheduled("deliver-outbox", event)


# 15 minutes past every hour, after the deadline scan has marked new breaches.
@app.schedule(Cron(15, "*", "*", "*", "?", "*"), name="stats_recompute")
def stats_recompute(event):
    return run_scheduled("stats-recompute", event)


# 00:30 UTC is 05:30 in Tashkent: the roots of the Tashkent day that has just ended.
@app.schedule(Cron(30, 0, "*", "*", "?", "*"), name="ledger_roots")
def ledger_roots(event):
    return run_scheduled("ledger-roots", event)


# Mondays at 04:00 UTC, 09:00 in Tashkent: the digests of the week that ended at midnight.
@app.schedule(Cron(0, 4, "?", "*", "MON", "*"), name="weekly_digest")
def weekly_digest(event):
    return run_scheduled("weekly-digest", event)
