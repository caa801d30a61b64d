from datetime import timedelta

import pytest

from servicedesk import db
from servicedesk.app import create_app
from servicedesk.db import frozen_now, utcnow
from tests.api.helpers import assert_error
from tests.api.test_concurrency import run_together


def _login(client, email, password):
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": password})


def test_ten_wrong_passwords_lock_the_email_out_with_429_and_retry_after(client, make):
    user = make.user("end_user", password="oikea-salasana-1")
    for _ in range(10):
        assert_error(_login(client, user.email, "väärä-salasana"), 401, "bad_credentials")
    locked = _login(client, user.email, "oikea-salasana-1")
    assert_error(locked, 429, "too_many_requests")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_the_lock_lifts_after_the_window_and_a_success_clears_the_count(client, make):
    user = make.user("end_user", password="oikea-salasana-1")
    for _ in range(10):
        _login(client, user.email, "väärä-salasana")
    with frozen_now(utcnow() + timedelta(minutes=16)):
        assert _login(client, user.email, "oikea-salasana-1").status_code == 201
        for _ in range(9):
            _login(client, user.email, "väärä-salasana")
        assert _login(client, user.email, "oikea-salasana-1").status_code == 201


def test_failures_for_one_email_do_not_lock_another(client, make):
    victim = make.user("end_user", password="oikea-salasana-1")
    other = make.user("end_user", password="toinen-salasana-2")
    for _ in range(10):
        _login(client, victim.email, "väärä-salasana")
    assert _login(client, other.email, "toinen-salasana-2").status_code == 201


def _login_from(client, address, email, password):
    return client.post(
        "/api/v1/auth/tokens",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_from_one_address_do_not_lock_the_account_out_from_another(client, make):
    user = make.user("end_user", password="oikea-salasana-1")
    for _ in range(12):
        _login_from(client, "198.51.100.7", user.email, "väärä-salasana")
    refused = _login_from(client, "198.51.100.7", user.email, "oikea-salasana-1")
    assert_error(refused, 429, "too_many_requests")
    assert _login_from(client, "203.0.113.20", user.email, "oikea-salasana-1").status_code == 201


def test_one_address_guessing_over_many_accounts_is_refused_for_every_account(
    client, make, monkeypatch
):
    from servicedesk.users import throttle

    monkeypatch.setattr(throttle, "MAX_PER_ADDRESS", 5)
    victims = [make.user("end_user", password="oikea-salasana-1") for _ in range(6)]
    for victim in victims[:5]:
        assert_error(_login_from(client, "198.51.100.8", victim.email, "arvaus-1"), 401)
    refused = _login_from(client, "198.51.100.8", victims[5].email, "oikea-salasana-1")
    assert_error(refused, 429, "too_many_requests")
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    other_address = _login_from(client, "203.0.113.21", victims[5].email, "oikea-salasana-1")
    assert other_address.status_code == 201


def test_many_addresses_guessing_one_account_slow_it_down_with_a_growing_pause(
    client, make, monkeypatch
):
    from servicedesk.users import throttle

    monkeypatch.setattr(throttle, "ACCOUNT_SLOWDOWN_AFTER", 3)
    user = make.user("end_user", password="oikea-salasana-1")
    start = utcnow()
    with frozen_now(start):
        for i in range(3):
            assert_error(_login_from(client, f"198.51.100.{i}", user.email, "arvaus"), 401)
        slowed = _login_from(client, "203.0.113.22", user.email, "oikea-salasana-1")
        assert_error(slowed, 429, "too_many_requests")
        assert slowed.headers["Retry-After"] == "1"
    with frozen_now(start + timedelta(seconds=1)):
        assert_error(_login_from(client, "198.51.100.9", user.email, "arvaus"), 401)
        slower = _login_from(client, "203.0.113.22", user.email, "oikea-salasana-1")
        assert_error(slower, 429, "too_many_requests")
        assert slower.headers["Retry-After"] == "2"
    with frozen_now(start + timedelta(seconds=3)):
        after_the_pause = _login_from(client, "203.0.113.22", user.email, "oikea-salasana-1")
        assert after_the_pause.status_code == 201



def test_behind_a_trusted_proxy_the_throttle_keys_on_the_forwarded_address(app, make):
    url = db.engine_of(app).url.render_as_string(hide_password=False)
    proxied = create_app(
        overrides={"TESTING": True, "DATABASE_URL": url},
        env={"SERVICEDESK_MODE": "test", "DATABASE_URL": url, "TRUSTED_PROXY_COUNT": "1"},
    )
    try:
        client = proxied.test_client()
        user = make.user("end_user", password="oikea-salasana-1")

        def login(forwarded_for: str, password: str):
            return client.post(
                "/api/v1/auth/tokens",
                json={"email": user.email, "password": password},
                headers={"X-Forwarded-For": forwarded_for},
            )

        for _ in range(10):
            assert_error(login("198.51.100.30", "väärä-salasana"), 401)
        assert_error(login("198.51.100.30", "oikea-salasana-1"), 429, "too_many_requests")
        assert login("203.0.113.30", "oikea-salasana-1").status_code == 201
    finally:
        db.engine_of(proxied).dispose()


@pytest.mark.postgres
def test_fifty_concurrent_wrong_passwords_get_at_most_ten_password_checks(app, make):
    user = make.user("end_user", password="oikea-salasana-1")

    def work(_i: int) -> int:
        resp = app.test_client().post(
            "/api/v1/auth/tokens", json={"email": user.email, "password": "väärä-salasana"}
        )
        return resp.status_code

    statuses = run_together(50, work)
    checked = statuses.count(401)
    print(f"50 concurrent wrong passwords: {checked} x 401, {statuses.count(429)} x 429")
    assert checked <= 10
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) + statuses.count(429) == 50
