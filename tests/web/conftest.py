"""Web page fixtures: a logged-in test client, and the page's CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

PASSWORD = "Testi-salasana-2026"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token every page carries in its <meta name="csrf-token">."""
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Browser:
    """A test client that logs in like a person and posts forms with the page's token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def get(self, url: str, **kw: Any) -> Any:
        resp = self.client.get(url, **kw)
        if resp.mimetype == "text/html" and b"csrf-token" in resp.data:
            self.token = csrf_of(resp.get_data(as_text=True))
        return resp

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        if not self.token:
            self.get("/login")
        form = {"csrf_token": self.token, **(data or {})}
        return self.client.post(url, data=form, **kw)

    def login(self, user: Any, password: str = PASSWORD) -> Any:
        self.get("/login")
        resp = self.post("/login", {"email": user.email, "password": password})
        assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
        self.get("/login")  # a fresh token: the session (and its CSRF secret) is new
        return resp


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def browser_for(app: Any, make: Any) -> Any:
    """browser_for(user) → a Browser logged in as `user` (made with password=PASSWORD)."""

    def login(user: Any) -> Browser:
        b = Browser(app.test_client())
        b.login(user)
        return b

    return login
