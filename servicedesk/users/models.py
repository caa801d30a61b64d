"""People who use the desk, and their API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.organisations.models import Organisation
from servicedesk.db import Base, UTCDateTime, utcnow
from servicedesk.enums import CUSTOMER_ROLES, Role

#: The only value of `User.desk`: the first line that works for ICT and THH alike.
JOINT_DESK = "joint"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('end_user', 'customer_contact', 'agent', 'supplier_agent', "
            "'account_manager', 'admin')",
            name="role",
        ),
        CheckConstraint("desk IS NULL OR desk = 'joint'", name="desk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Stored lower-cased: e-mail addresses are matched case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    #: ICT or THH for the centre's agents; decides which tickets they work on.
    provider: Mapped[str | None] = mapped_column(String(3))
    #: 'joint' for the joint first line of both centres (agents only); None otherwise.
    desk: Mapped[str | None] = mapped_column(String(10))
    #: For supplier agents: the supplier whose escalated tickets they see.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    locale: Mapped[str] = mapped_column(String(2), default="fi")
    #: argon2id hash; None means the account cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the account was last deactivated (None while active, and for accounts
    #: deactivated before this was recorded): per-user charges count an account's months.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    # Flask-Login's user protocol, for the web pages' session login.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session's user key: the id and a fingerprint of the password hash, so that
        changing the password ends every session that was logged in with the old one."""
        fingerprint = hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]
        return f"{self.id}:{fingerprint}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_customer_side(self) -> bool:
        return self.role_enum in CUSTOMER_ROLES


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 'personal' (expires after TOKEN_LIFETIME_DAYS) or 'service' (an explicit expiry).
    kind: Mapped[str] = mapped_column(String(10), default="personal", server_default="personal")

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """A counter of login attempts for one key (an address, or an account and an address).

    One row per key, updated by a single INSERT ... ON CONFLICT DO UPDATE, so concurrent
    attempts on every node count exactly; `next_at` is the backoff's earliest next attempt.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
