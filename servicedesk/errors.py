"""One error envelope for every error: JSON for the API, an HTML page for pages.

`{"error": {"code": "...", "message": "...", "details": {...}}}`: never a stack
trace, never a 500 for bad input.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

#: Machine-readable codes for the HTTP statuses we answer with.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """A domain refusal with its HTTP status, code, message and details."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}
        self.headers = headers or {}


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"


class ValidationFailed(ApiError):
    status, code = 422, "validation_error"


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"


class PreconditionRequired(ApiError):
    status, code = 428, "precondition_required"


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    else:
        resp = Response(
            render_template("error.html", status=status, code=code, message=message),
            mimetype="text/html",
        )
    resp.status_code = status
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    if status == 401 and wants_json():
        resp.headers.setdefault("WWW-Authenticate", 'Bearer realm="servicedesk"')
    return resp


def _http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    details: dict[str, Any] = {}
    message = exc.description or exc.name
    if "messages" in data:
        # webargs / marshmallow validation: {"json": {"field": ["msg"]}}
        details = {"fields": _flatten_locations(data["messages"])}
        message = "The request is not valid; see details.fields."
        if status == 400 and "Invalid JSON body." in str(data["messages"]):
            message = "The request body is not valid JSON."
    elif "errors" in data:
        details = {"fields": data["errors"]}
    if "message" in data:
        message = data["message"]
    headers = dict(data.get("headers") or {})
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return error_response(status, STATUS_CODES.get(status, "error"), message, details, headers)


def _flatten_locations(messages: Any) -> dict[str, Any]:
    """webargs nests errors by location (json, query, headers); one location is the norm.

    `details.fields` is always a dict; errors of the body as a whole go under `_schema`.
    """
    if isinstance(messages, dict) and len(messages) == 1:
        (messages,) = messages.values()
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _stale(_exc: StaleDataError) -> Response:
    return error_response(
        412, "precondition_failed", "The resource was changed by someone else; read it again."
    )


def _integrity(exc: IntegrityError) -> Response:
    log.info("integrity error: %s", exc.orig)
    return error_response(409, "conflict", "The change conflicts with existing data.")


def _unstorable(exc: Exception) -> Response:
    """A value the database cannot hold (a number beyond its INTEGER, say): the client's input."""
    log.info("unstorable value: %s", getattr(exc, "orig", exc))
    return error_response(
        422,
        "validation_error",
        "A value in the request is out of range or cannot be stored (e.g. a number too large).",
    )


def _too_deep(_exc: RecursionError) -> Response:
    return error_response(400, "bad_request", "The request is nested too deeply to read.")


def _operational(exc: OperationalError) -> Response:
    log.warning("database unavailable: %s", exc.orig)
    return error_response(503, "unavailable", "The database is busy or unavailable; try again.")


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(StaleDataError, _stale)
    app.register_error_handler(IntegrityError, _integrity)
    app.register_error_handler(OperationalError, _operational)
    # Safety nets for bad input that slips past the schemas: never a 500 for it.
    app.register_error_handler(DataError, _unstorable)
    app.register_error_handler(OverflowError, _unstorable)
    app.register_error_handler(RecursionError, _too_deep)
    app.register_error_handler(Exception, _unexpected)
