"""Small helpers for API tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def file_ticket(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {"title": "Wilma ei aukea", "description": "Kirjautuminen pyörii.", **fields}
    resp = client.post("/api/v1/tickets", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp


def assert_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one envelope: {"error": {"code", "message", "details"}}."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    body = resp.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
