"""The flask-smorest Api: OpenAPI document, docs page, error envelope, bearer auth."""

from __future__ import annotations

import http
import re
from decimal import Decimal
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask, request
from flask_smorest import Api as SmorestApi

from servicedesk import db
from servicedesk.auth import PUBLIC_API_PATHS, authenticate_request


class ErrorBody(ma.Schema):
    code = ma.fields.String(metadata={"description": "Machine-readable error code"})
    message = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    details = ma.fields.Dict(metadata={"description": "Field errors and other specifics"})


class ErrorEnvelope(ma.Schema):
    """The one error envelope of the API."""

    error = ma.fields.Nested(ErrorBody)


#: A decimal as the API writes it: "95.00", "-1.5", "3".
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def decimal2properties(_converter: Any, field: ma.fields.Field, ret: dict, **_kw: Any) -> dict:
    """Describe Decimal fields as they travel: a string with a decimal pattern where the
    schema writes strings (`as_string`), and numeric bounds and defaults (never `"0.00"`)."""
    if not isinstance(field, ma.fields.Decimal):
        return {}
    if field.as_string:
        for key in ("format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            ret.pop(key, None)
        nullable = "null" in (ret.get("type") or [])
        default = ret.get("default")
        if default is not None:
            ret["default"] = str(default)
        return {
            "type": ["string", "null"] if nullable else "string",
            "pattern": DECIMAL_PATTERN,
        }
    return {
        key: _number(ret[key])
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "default")
        if key in ret and ret[key] is not None
    }


def _number(value: Any) -> int | float:
    """A bound or default as a JSON number: `Decimal("0.00")` or "0.00" becomes 0."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


#: Paths that answer without a token (the login itself).
_PUBLIC_OPERATIONS = {("post", "/api/v1/auth/tokens")}
#: Operations every signed-in user may call on their own account: no 403 there.
_OWN_ACCOUNT = {("get", "/api/v1/me"), ("get", "/api/v1/auth/tokens")}
_PATH_PARAM = re.compile(r"{[^}]+}")


def common_error_statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, by the rules every endpoint shares.

    401 behind authentication (and wrong credentials at the login; never where no login is
    asked); 403 where a role or scope
    decides; 404 where the path names a resource; 400 (malformed JSON), 413 and 415 where a
    body is read; 409 (a conflict with stored data or state) on every change; 422 where
    arguments are validated; 400 `bad_cursor` on paged lists; 412 and 428 where If-Match is
    required; 429 on the throttled login; 503 when the database is busy.
    """
    statuses = {503}
    parameters = operation.get("parameters", [])
    names = {(p.get("in"), p.get("name")) for p in parameters if isinstance(p, dict)}
    # No login asked (`security: []`): no 401, and no role decides, so no 403 either.
    open_to_all = operation.get("security") == []
    if not open_to_all or (method, path) in _PUBLIC_OPERATIONS:
        statuses.add(401)
    if (method, path) in _PUBLIC_OPERATIONS:
        statuses.add(429)
    elif (method, path) not in _OWN_ACCOUNT and not open_to_all:
        statuses.add(403)
    if _PATH_PARAM.search(path):
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413, 415, 422}
    if method in ("post", "put", "patch", "delete"):
        statuses.add(409)
    if any(where == "query" for where, _name in names):
        statuses.add(422)
    if any(where == "query" and str(name).endswith("cursor") for where, name in names):
        statuses.add(400)  # a cursor this API did not give out (lists, the breach pages)
    if ("header", "If-Match") in names:
        statuses |= {412, 428}
    return statuses


class ErrorResponsesPlugin(BasePlugin):
    """Document the error answers of every operation (in the one envelope), so that a
    generated client can rely on the document instead of a catch-all `default`."""

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **_kw: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in sorted(common_error_statuses(method, path or "", operation)):
                responses.setdefault(str(status), http.HTTPStatus(status).name)


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorEnvelope
    # Every error an operation gives is listed by ErrorResponsesPlugin: no catch-all.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, **kwargs: Any) -> None:
        kwargs["extra_plugins"] = [*(kwargs.get("extra_plugins") or ()), ErrorResponsesPlugin()]
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(decimal2properties)

    def _register_error_handlers(self) -> None:
        """Errors are rendered by `servicedesk.errors`, for the API and the pages alike."""


API_SETTINGS: dict[str, Any] = {
    "API_TITLE": "KPK Service Desk",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Served from our own static folder (vendored from npm): the docs work offline, under the CSP.
    "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui-dist-5.35.0/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "The service desk of KPK ICT and KPK THH. Authenticate with "
                "`Authorization: Bearer <token>` (POST /api/v1/auth/tokens). Instants are "
                "ISO 8601 in UTC. Errors use one envelope: "
                '`{"error": {"code", "message", "details"}}`.'
            )
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    },
}


def _authenticate_api() -> None:
    if not request.path.startswith("/api/"):
        return
    if (
        request.method,
        request.path.rstrip("/"),
    ) in PUBLIC_API_PATHS or request.method == "OPTIONS":
        return
    authenticate_request(db.session())


def init_api(app: Flask) -> Api:
    app.config.update(API_SETTINGS)
    api = Api(app)
    app.before_request(_authenticate_api)
    from catalog.agreements.api import blp as agreements_blp
    from catalog.agreements.transition_api import blp as transition_blp
    from catalog.agreements.whatif_api import blp as what_if_blp
    from catalog.calendars.api import blp as calendars_blp
    from catalog.groups.api import blp as groups_blp
    from catalog.organisations.api import blp as organisations_blp
    from catalog.ownership.api import blp as ownership_blp
    from catalog.routing_rules.api import blp as routing_blp
    from catalog.services.api import blp as services_blp
    from catalog.suppliers.api import blp as suppliers_blp
    from servicedesk.attachments.api import blp as attachments_blp
    from servicedesk.canned.api import blp as canned_blp
    from servicedesk.charges.api import blp as charges_blp
    from servicedesk.escalations.api import blp as escalations_blp
    from servicedesk.mail.api import blp as inbound_mail_blp
    from servicedesk.portal.api import blp as portal_blp
    from servicedesk.public.api import blp as public_blp
    from servicedesk.ratings.api import blp as ratings_blp
    from servicedesk.reports.api import blp as reports_blp
    from servicedesk.tickets.api import blp as tickets_blp
    from servicedesk.time_entries.api import blp as time_entries_blp
    from servicedesk.users.api import auth_blp, users_blp
    from sla.api import blp as sla_blp

    for blp in (
        auth_blp,
        users_blp,
        organisations_blp,
        ownership_blp,
        agreements_blp,
        what_if_blp,
        transition_blp,
        calendars_blp,
        groups_blp,
        services_blp,
        routing_blp,
        suppliers_blp,
        tickets_blp,
        escalations_blp,
        sla_blp,
        canned_blp,
        inbound_mail_blp,
        attachments_blp,
        ratings_blp,
        portal_blp,
        time_entries_blp,
        charges_blp,
        reports_blp,
        public_blp,
    ):
        api.register_blueprint(blp, url_prefix="/api/v1" + blp.url_prefix)
    return api
