from datetime import timedelta

from servicedesk.db import frozen_now, utcnow
from tests.api.helpers import assert_error


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
