"""Throttle password guessing on POST /auth/tokens, per e-mail, across every node.

Failures are rows in the database (not process memory), so many gunicorn nodes
count together.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from servicedesk.db import utcnow
from servicedesk.errors import ApiError
from servicedesk.users.models import LoginFailure

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 10


def _key(email: str) -> str:
    return email.strip().lower()


def check(sess: Session, email: str) -> None:
    """429 when this e-mail has failed too often within the window."""
    since = utcnow() - WINDOW
    rows = sess.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.email == _key(email), LoginFailure.at > since
        )
    ).one()
    count, oldest = rows
    if count >= MAX_FAILURES:
        retry = max(1, int((oldest + WINDOW - utcnow()).total_seconds()))
        raise ApiError(
            "Too many failed logins for this e-mail; try again later.",
            status=429,
            code="too_many_requests",
            headers={"Retry-After": str(retry)},
        )


def record_failure(sess: Session, email: str) -> None:
    """Keep the failure although the request answers 401: the one deliberate early commit.

    It reuses the request's session (a second connection would wait on SQLite's write lock);
    nothing else of the request has been written when a login fails.
    """
    sess.rollback()
    sess.add(LoginFailure(email=_key(email)[:254], at=utcnow()))
    # Old rows are of no use: forget them as we go.
    sess.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - 2 * WINDOW))
    sess.commit()


def clear(sess: Session, email: str) -> None:
    sess.execute(delete(LoginFailure).where(LoginFailure.email == _key(email)))
