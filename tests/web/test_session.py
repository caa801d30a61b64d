"""Logging in and out of the pages, the CSRF guard, the language switch, and who is let in."""

from __future__ import annotations

from typing import Any

from servicedesk.app import create_app
from tests.web.conftest import PASSWORD, Browser


def test_login_page_is_finnish_by_default_and_has_a_labelled_form(browser: Browser) -> None:
    resp = browser.get("/login")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<html lang="fi">' in html
    assert 'for="email"' in html and 'for="password"' in html


def test_agent_logs_in_and_lands_on_the_queues(browser: Browser, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    resp = browser.login(agent)
    assert "/desk/queues/" in resp.headers["Location"]


def test_wrong_password_is_refused_with_a_message_and_no_session(
    browser: Browser, make: Any
) -> None:
    agent = make.user("agent", password=PASSWORD)
    browser.get("/login")
    resp = browser.post("/login", {"email": agent.email, "password": "wrong-password"})
    assert resp.status_code == 401
    assert "alert" in resp.get_data(as_text=True)
    assert browser.client.get("/desk/queues/mine").status_code == 302  # back to the login


def test_login_shares_the_api_guessing_throttle(browser: Browser, client: Any, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    for _ in range(10):
        client.post("/api/v1/auth/tokens", json={"email": agent.email, "password": "nope-nope"})
    browser.get("/login")
    resp = browser.post("/login", {"email": agent.email, "password": PASSWORD})
    assert resp.status_code == 429
    assert "Retry-After" in resp.headers


def test_a_post_without_the_csrf_token_is_refused_with_400(browser: Browser, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    browser.login(agent)
    resp = browser.client.post("/language", data={"lang": "en"})
    assert resp.status_code == 400
    resp = browser.client.post("/logout")
    assert resp.status_code == 400


def test_the_session_is_renewed_on_login(browser: Browser, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    browser.get("/login")
    before = browser.token
    browser.login(agent)
    assert browser.token != before  # the anonymous session's CSRF secret did not carry over


def test_language_switch_is_remembered_on_the_user(app: Any, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    first = Browser(app.test_client())
    first.login(agent)
    resp = first.post("/language", {"lang": "en", "next": "/"})
    assert resp.status_code == 303
    second = Browser(app.test_client())
    second.login(agent)
    html = second.get("/desk/queues/mine", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_language_switch_before_login_changes_the_login_page(browser: Browser) -> None:
    browser.get("/login")
    browser.post("/language", {"lang": "sv", "next": "/login"})
    assert '<html lang="sv">' in browser.get("/login").get_data(as_text=True)


def test_unknown_language_is_a_400(browser: Browser) -> None:
    browser.get("/login")
    assert browser.post("/language", {"lang": "de"}).status_code == 400


def test_end_user_is_refused_the_desk_pages(browser: Browser, make: Any) -> None:
    user = make.user("end_user", password=PASSWORD)
    browser.login(user)
    resp = browser.get("/desk/queues/mine")
    assert resp.status_code == 403


def test_anonymous_visitor_is_sent_to_the_login_page(client: Any) -> None:
    resp = client.get("/desk/queues/mine")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")


def test_login_never_redirects_off_site(browser: Browser, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    browser.get("/login")
    resp = browser.post(
        "/login", {"email": agent.email, "password": PASSWORD, "next": "//evil.example/"}
    )
    assert resp.status_code == 303
    assert not resp.headers["Location"].startswith("//")


def test_changing_the_password_ends_existing_sessions(
    browser: Browser, make: Any, dbs: Any
) -> None:
    from servicedesk.users.passwords import hash_password

    agent = make.user("agent", password=PASSWORD)
    browser.login(agent)
    assert browser.get("/desk/queues/mine").status_code == 200
    agent.password_hash = hash_password("Another-password-2026")
    dbs.commit()
    assert browser.get("/desk/queues/mine").status_code == 302


def test_logout_ends_the_session(browser: Browser, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    browser.login(agent)
    assert browser.post("/logout").status_code == 303
    assert browser.client.get("/desk/queues/mine").status_code == 302


def test_pages_carry_a_strict_content_security_policy(client: Any) -> None:
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_production_session_cookie_is_host_prefixed_secure_httponly_lax() -> None:
    app = create_app(
        env={
            "SERVICEDESK_MODE": "production",
            "SECRET_KEY": "k" * 40 + "-not-a-weak-secret",
            # Production refuses SQLite; the app is built, never connected.
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/unused",
        }
    )
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_PATH"] == "/"


def test_api_docs_page_loads_swagger_ui_from_our_own_static_folder(client: Any) -> None:
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "cdn." not in html and "http" not in html.split("<body>")[1]
    assert "/static/vendor/swagger-ui-dist-" in html
    script = client.get("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js")
    assert script.status_code == 200
    script.close()
