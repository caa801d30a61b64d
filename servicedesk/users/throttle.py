"""Throttle password guessing (POST /auth/tokens and the login page) on every node alike.

Three counters, each one row of `login_throttle` updated by a single
INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so that concurrent attempts are counted
exactly (the row lock serialises them) and the count is taken *before* the password hash
is checked:

- an account from one address: 10 attempts in 15 minutes, then 429 until the window ends;
- one address over all accounts: 100 attempts in 15 minutes, then 429;
- an account from every address: past 50 attempts in the window, attempts are slowed by a
  growing delay (1 s, 2 s, 4 s ... at most 60 s) instead of refused, so nobody can lock
  an account out from elsewhere, and guessing from many addresses still slows down.

A successful login gives its attempt back, so only failures use up the limits.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import Session

from servicedesk.db import upsert_insert, utcnow
from servicedesk.errors import ApiError
from servicedesk.users.models import LoginThrottle

WINDOW = timedelta(minutes=15)
#: Attempts for one account from one address in a window (the old per-e-mail limit).
MAX_PER_ACCOUNT_AND_ADDRESS = 10
#: Attempts from one address over every account in a window (password spraying).
MAX_PER_ADDRESS = 100
#: Attempts on one account from every address before the backoff starts.
ACCOUNT_SLOWDOWN_AFTER = 50
#: The longest pause the backoff asks for between two attempts on one account.
MAX_BACKOFF = timedelta(seconds=60)


def _email(email: str) -> str:
    return email.strip().lower()[:254]


def _keys(email: str, address: str) -> tuple[str, str, str]:
    """(account and address, address, account): the order rows are locked in, always."""
    email, address = _email(email), (address or "unknown")[:100]
    return f"pair:{email}|{address}", f"addr:{address}", f"acct:{email}"


def _tick(sess: Session, key: str, now: datetime, where: Any = None) -> tuple[int, datetime] | None:
    """Count one attempt on `key` atomically; a new window starts when the old one is over.

    With `where`, an existing row is only counted when it holds (None: not counted).
    """
    reset = LoginThrottle.window_start <= now - WINDOW
    insert = upsert_insert(sess)(LoginThrottle).values(
        key=key, window_start=now, attempts=1, next_at=None
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "attempts": case((reset, 1), else_=LoginThrottle.attempts + 1),
            "window_start": case((reset, now), else_=LoginThrottle.window_start),
        },
        where=where,
    ).returning(LoginThrottle.attempts, LoginThrottle.window_start)
    row = sess.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def _refuse(message: str, wait: timedelta) -> ApiError:
    retry = max(1, math.ceil(wait.total_seconds()))
    return ApiError(
        message, status=429, code="too_many_requests", headers={"Retry-After": str(retry)}
    )


def backoff(attempts: int) -> timedelta:
    """The pause after the account's `attempts`-th attempt: doubling, capped."""
    if attempts < ACCOUNT_SLOWDOWN_AFTER:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(attempts - ACCOUNT_SLOWDOWN_AFTER, 16)), MAX_BACKOFF)


def begin_attempt(sess: Session, email: str, address: str) -> None:
    """Take one password check for `email` from `address`, or refuse with 429.

    The count is committed at once, before the slow password check, and survives the 401:
    the one deliberate early commit of a request (nothing else of it has been written yet).
    """
    sess.rollback()
    refusal = _count_attempt(sess, email, address, utcnow())
    sess.commit()
    # Old rows are of no use: forget them as we go, holding no other row's lock meanwhile.
    sess.execute(delete(LoginThrottle).where(LoginThrottle.window_start < utcnow() - 2 * WINDOW))
    sess.commit()
    if refusal is not None:
        raise refusal


def _count_attempt(sess: Session, email: str, address: str, now: datetime) -> ApiError | None:
    pair_key, addr_key, acct_key = _keys(email, address)
    attempts, start = _tick(sess, pair_key, now) or (0, now)
    if attempts > MAX_PER_ACCOUNT_AND_ADDRESS:
        return _refuse(
            "Too many failed logins for this e-mail; try again later.", start + WINDOW - now
        )
    attempts, start = _tick(sess, addr_key, now) or (0, now)
    if attempts > MAX_PER_ADDRESS:
        return _refuse(
            "Too many failed logins from this address; try again later.", start + WINDOW - now
        )
    due = or_(
        LoginThrottle.window_start <= now - WINDOW,
        LoginThrottle.next_at.is_(None),
        LoginThrottle.next_at <= now,
    )
    counted = _tick(sess, acct_key, now, where=due)
    if counted is None:
        next_at = sess.scalar(select(LoginThrottle.next_at).where(LoginThrottle.key == acct_key))
        return _refuse(
            "This account has had many failed logins, so logins to it are slowed down; "
            "try again in a moment.",
            (next_at or now) - now,
        )
    pause = backoff(counted[0])
    if pause:
        sess.execute(
            update(LoginThrottle).where(LoginThrottle.key == acct_key).values(next_at=now + pause)
        )
    return None


def succeeded(sess: Session, email: str, address: str) -> None:
    """A correct password: the account's count from this address starts over, and the
    attempt is given back to the address and the account (only failures use them up)."""
    pair_key, addr_key, acct_key = _keys(email, address)
    sess.execute(delete(LoginThrottle).where(LoginThrottle.key == pair_key))
    sess.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_([addr_key, acct_key]), LoginThrottle.attempts > 0)
        .values(attempts=LoginThrottle.attempts - 1)
    )
