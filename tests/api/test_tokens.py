"""API tokens: personal ones expire, service ones carry an explicit expiry, a new password
or a deactivation revokes them all, and each user can list theirs with their last use."""

from __future__ import annotations

from datetime import datetime, timedelta

from click.testing import CliRunner

from servicedesk import db
from servicedesk.app import create_app
from servicedesk.db import frozen_now, utcnow
from tests.api.helpers import assert_error

PASSWORD = "oikea-salasana-1"


def _token(client, user, **extra):
    resp = client.post(
        "/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD, **extra}
    )
    assert resp.status_code == 201, resp.get_json()
    return resp


def _bearer(resp) -> dict[str, str]:
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_personal_token_expires_after_thirty_days(client, make):
    user = make.user("end_user", password=PASSWORD)
    issued = _token(client, user)
    expires = _at(issued.get_json()["expires_at"])
    assert abs(expires - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    with frozen_now(expires - timedelta(minutes=1)):
        assert client.get("/api/v1/me", headers=_bearer(issued)).status_code == 200
    with frozen_now(expires + timedelta(seconds=1)):
        gone = client.get("/api/v1/me", headers=_bearer(issued))
        assert_error(gone, 401, "unauthenticated")


def test_the_token_lifetime_is_configurable(app, make):
    url = db.engine_of(app).url.render_as_string(hide_password=False)
    weekly = create_app(
        overrides={"TESTING": True, "DATABASE_URL": url},
        env={"SERVICEDESK_MODE": "test", "DATABASE_URL": url, "TOKEN_LIFETIME_DAYS": "7"},
    )
    try:
        user = make.user("end_user", password=PASSWORD)
        expires = _at(_token(weekly.test_client(), user).get_json()["expires_at"])
        assert abs(expires - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    finally:
        db.engine_of(weekly).dispose()


def test_the_token_answer_may_not_be_cached(client, make):
    issued = _token(client, make.user("end_user", password=PASSWORD))
    assert issued.headers["Cache-Control"] == "no-store"


def test_a_lower_case_bearer_scheme_is_accepted(client, make):
    token = _token(client, make.user("end_user", password=PASSWORD)).get_json()["token"]
    for scheme in ("bearer", "BEARER", "Bearer"):
        resp = client.get("/api/v1/me", headers={"Authorization": f"{scheme} {token}"})
        assert resp.status_code == 200


def test_a_new_password_revokes_every_token_of_the_user(client, make):
    user = make.user("agent", password=PASSWORD)
    admin = make.auth(make.user("admin"))
    first, second = _token(client, user), _token(client, user)
    changed = client.patch(
        f"/api/v1/users/{user.id}", json={"password": "uusi-salasana-2026"}, headers=admin
    )
    assert changed.status_code == 200, changed.get_json()
    for old in (first, second):
        assert_error(client.get("/api/v1/me", headers=_bearer(old)), 401, "unauthenticated")
    renewed = client.post(
        "/api/v1/auth/tokens", json={"email": user.email, "password": "uusi-salasana-2026"}
    )
    assert client.get("/api/v1/me", headers=_bearer(renewed)).status_code == 200


def test_deactivating_revokes_the_tokens_and_reactivating_does_not_revive_them(client, make):
    user = make.user("agent", password=PASSWORD)
    admin = make.auth(make.user("admin"))
    issued = _token(client, user)
    url = f"/api/v1/users/{user.id}"
    assert client.patch(url, json={"active": False}, headers=admin).status_code == 200
    assert_error(client.get("/api/v1/me", headers=_bearer(issued)), 401)
    assert client.patch(url, json={"active": True}, headers=admin).status_code == 200
    assert_error(client.get("/api/v1/me", headers=_bearer(issued)), 401, "unauthenticated")
    assert client.get("/api/v1/me", headers=_bearer(_token(client, user))).status_code == 200


def test_a_user_lists_their_tokens_with_last_use_and_expiry(client, make):
    user = make.user("end_user", password=PASSWORD)
    used = _token(client, user, name="laptop")
    unused = _token(client, user, name="puhelin")
    with frozen_now(utcnow() + timedelta(hours=1)):
        assert client.get("/api/v1/me", headers=_bearer(used)).status_code == 200
        listed = client.get("/api/v1/auth/tokens", headers=_bearer(used)).get_json()
    by_name = {t["name"]: t for t in listed}
    assert set(by_name) == {"laptop", "puhelin"}
    assert by_name["laptop"]["last_used_at"] is not None
    assert by_name["laptop"]["current"] is True
    assert by_name["puhelin"]["last_used_at"] is None
    assert by_name["puhelin"]["expires_at"] == unused.get_json()["expires_at"]
    assert {t["kind"] for t in listed} == {"personal"}


def test_expired_and_revoked_tokens_are_not_listed(client, make):
    user = make.user("end_user", password=PASSWORD)
    old = _token(client, user, name="vanha")
    revoked = _token(client, user, name="peruttu")
    assert client.delete(
        f"/api/v1/auth/tokens/{revoked.get_json()['id']}", headers=_bearer(revoked)
    ).status_code == 204
    with frozen_now(utcnow() + timedelta(days=29)):
        fresh = _token(client, user, name="uusi")
    with frozen_now(utcnow() + timedelta(days=31)):
        listed = client.get("/api/v1/auth/tokens", headers=_bearer(fresh)).get_json()
    assert [t["name"] for t in listed] == ["uusi"]
    assert old.status_code == 201


def test_a_service_token_from_the_cli_has_the_expiry_it_was_given(app, make, monkeypatch):
    from servicedesk import cli

    url = db.engine_of(app).url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SERVICEDESK_MODE", "test")
    made: list = []
    monkeypatch.setattr(cli, "_app", lambda: made.append(create_app()) or made[-1])
    user = make.user("agent")
    try:
        result = CliRunner().invoke(
            cli.main, ["token", "create", user.email, "--service", "--expires-days", "365"]
        )
    finally:
        for built in made:  # the CLI's own app: close its connections
            db.engine_of(built).dispose()
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.stdout.strip()}"}
    listed = app.test_client().get("/api/v1/auth/tokens", headers=headers).get_json()
    assert [t["kind"] for t in listed] == ["service"]
    expires = _at(listed[0]["expires_at"])
    assert abs(expires - (utcnow() + timedelta(days=365))) < timedelta(minutes=1)
    with frozen_now(expires + timedelta(seconds=1)):
        assert_error(app.test_client().get("/api/v1/me", headers=headers), 401)
