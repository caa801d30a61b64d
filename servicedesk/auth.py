"""Who is calling: bearer tokens for the API."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, has_app_context, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from servicedesk import cache
from servicedesk.db import utcnow, write_apart
from servicedesk.errors import Unauthenticated
from servicedesk.users.models import ApiToken, User

TOKEN_PREFIX = "sdt_"  # noqa: S105  (a marker, not a secret)
#: last_used_at is refreshed at most this often, so reads do not turn into writes.
_TOUCH_EVERY = timedelta(minutes=5)

#: API paths that answer without a token.
PUBLIC_API_PATHS = {
    ("POST", "/api/v1/auth/tokens"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/docs"),
    ("GET", "/api/v1/public/service-level"),  # the public service-level figures
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def personal_token_lifetime() -> timedelta:
    """TOKEN_LIFETIME_DAYS of the running app (30 days outside one)."""
    settings = current_app.config.get("SETTINGS") if has_app_context() else None
    return timedelta(days=settings.token_lifetime_days if settings else 30)


def issue_token(
    sess: Session,
    user: User,
    name: str = "",
    expires_at: datetime | None = None,
    *,
    service: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token; the plain token is returned once and never stored.

    A personal token expires after the configured lifetime unless `expires_at` says
    otherwise; a service token (for an integration) must be given its expiry explicitly.
    """
    if expires_at is None:
        if service:
            raise ValueError("a service token needs an explicit expiry")
        expires_at = utcnow() + personal_token_lifetime()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=hash_token(plain),
        prefix=plain[:12],
        name=name,
        expires_at=expires_at,
        kind="service" if service else "personal",
    )
    sess.add(token)
    sess.flush()
    return token, plain


#: Built once: every API request runs it, and building a statement costs about as much as
#: running it. The cache token rides along (`cache.token_column`): the request's calendar
#: and routing reads then need no query of their own for it.
_TOKEN_LOOKUP = select(ApiToken, cache.token_column()).where(
    ApiToken.token_hash == bindparam("token_hash")
)


def user_for_token(sess: Session, plain: str) -> tuple[User, ApiToken] | None:
    row = sess.execute(_TOKEN_LOOKUP, {"token_hash": hash_token(plain)}).first()
    token = None if row is None else row[0]
    if row is not None:
        cache.preset_token(sess, row[1])
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        # A GET may not write in its own (read) transaction on SQLite: `write_apart`.
        write_apart(
            sess,
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False),
        )
        set_committed_value(token, "last_used_at", now)
    return token.user, token


def authenticate_request(sess: Session) -> None:
    """Set g.user and g.token from the Authorization header, or refuse with 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, plain = header.partition(" ")
    # RFC 7235: the scheme is case-insensitive, so "bearer" and "BEARER" are fine too.
    if scheme.lower() != "bearer" or not plain.strip():
        raise Unauthenticated(
            "Send 'Authorization: Bearer <token>'; get a token from POST /api/v1/auth/tokens."
        )
    found = user_for_token(sess, plain.strip())
    if found is None:
        raise Unauthenticated("The token is unknown, expired or revoked.")
    g.user, g.token = found


def current_user() -> User:
    return g.user
