"""Security headers: a strict CSP on every page (the API docs and error pages too), and
HSTS on every response in production mode only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from servicedesk import db
from servicedesk.app import create_app

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def production() -> Iterator[Flask]:
    """A production app; its database is never reached by these requests but /healthz's."""
    app = create_app(
        env={
            "SERVICEDESK_MODE": "production",
            "SECRET_KEY": "k" * 8 + "tuotannon-salainen-avain-2026-xyz",
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        }
    )
    yield app
    db.engine_of(app).dispose()


@pytest.mark.parametrize("path", ["/api/v1/docs", "/ei-tallaista-sivua", "/login"])
def test_every_page_carries_the_content_security_policy(client, path):
    resp = client.get(path)
    assert resp.mimetype == "text/html", (path, resp.status_code, resp.mimetype)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(
    "path", ["/login", "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/me", "/ei-sivua"]
)
def test_production_answers_carry_hsts(production, path):
    resp = production.test_client().get(path)
    assert resp.headers["Strict-Transport-Security"] == HSTS, (path, resp.status_code)


def test_production_hsts_is_on_the_failing_health_check_too(production):
    resp = production.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.headers["Strict-Transport-Security"] == HSTS


def test_local_and_test_modes_send_no_hsts(client):
    for path in ("/login", "/api/v1/openapi.json", "/healthz"):
        assert "Strict-Transport-Security" not in client.get(path).headers
