"""The flask-smorest Api: OpenAPI document, docs page, error envelope, bearer auth."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
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


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorEnvelope

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
    from catalog.calendars.api import blp as calendars_blp
    from catalog.groups.api import blp as groups_blp
    from catalog.organisations.api import blp as organisations_blp
    from catalog.ownership.api import blp as ownership_blp
    from catalog.routing_rules.api import blp as routing_blp
    from catalog.services.api import blp as services_blp
    from catalog.suppliers.api import blp as suppliers_blp
    from servicedesk.canned.api import blp as canned_blp
    from servicedesk.escalations.api import blp as escalations_blp
    from servicedesk.tickets.api import blp as tickets_blp
    from servicedesk.users.api import auth_blp, users_blp
    from sla.api import blp as sla_blp

    for blp in (
        auth_blp,
        users_blp,
        organisations_blp,
        ownership_blp,
        agreements_blp,
        calendars_blp,
        groups_blp,
        services_blp,
        routing_blp,
        suppliers_blp,
        tickets_blp,
        escalations_blp,
        sla_blp,
        canned_blp,
    ):
        api.register_blueprint(blp, url_prefix="/api/v1" + blp.url_prefix)
    return api
