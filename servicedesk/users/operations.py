"""Writes on users: the API, the CLI and the demo data all come through here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalog.organisations.models import Organisation
from catalog.suppliers.models import Supplier
from servicedesk.auth import issue_token
from servicedesk.db import utcnow
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import Conflict, ValidationFailed
from servicedesk.users.models import JOINT_DESK, ApiToken, User
from servicedesk.users.passwords import MIN_PASSWORD_LENGTH, hash_password


def _check_role_invariants(
    role: Role,
    organisation_id: int | None,
    provider: str | None,
    supplier_id: int | None = None,
    desk: str | None = None,
) -> None:
    problems: dict[str, list[str]] = {}
    if desk is not None and (role is not Role.AGENT or desk != JOINT_DESK):
        problems["desk"] = [f"Only an agent may be on the {JOINT_DESK} desk."]
    if role is Role.SUPPLIER_AGENT and supplier_id is None:
        problems["supplier_id"] = ["A supplier agent works for a supplier."]
    if role is not Role.SUPPLIER_AGENT and supplier_id is not None:
        problems["supplier_id"] = ["Only supplier agents belong to a supplier."]
    if role in CUSTOMER_ROLES and organisation_id is None:
        who = "An end user" if role is Role.END_USER else "A customer contact"
        problems["organisation_id"] = [f"{who} belongs to a customer organisation."]
    if role is Role.AGENT and not provider:
        problems["provider"] = ["An agent works for a provider: ICT or THH."]
    if problems:
        raise ValidationFailed(
            "The user is not consistent with its role.", details={"fields": problems}
        )


def _check_supplier(sess: Session, supplier_id: int | None) -> None:
    if supplier_id is not None and sess.get(Supplier, supplier_id) is None:
        raise ValidationFailed(
            "No such supplier.",
            details={"fields": {"supplier_id": [f"No supplier {supplier_id}."]}},
        )


def _check_organisation(sess: Session, organisation_id: int | None) -> None:
    if organisation_id is not None and sess.get(Organisation, organisation_id) is None:
        raise ValidationFailed(
            "No such organisation.",
            details={"fields": {"organisation_id": [f"No organisation {organisation_id}."]}},
        )


def find_user_by_email(sess: Session, email: str) -> User | None:
    return sess.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    sess: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    organisation_id: int | None = None,
    provider: str | None = None,
    locale: str = "fi",
    password: str | None = None,
    supplier_id: int | None = None,
    desk: str | None = None,
) -> User:
    role = Role(role)
    _check_role_invariants(role, organisation_id, provider, supplier_id, desk)
    _check_organisation(sess, organisation_id)
    _check_supplier(sess, supplier_id)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"A password has at least {MIN_PASSWORD_LENGTH} characters.",
            details={"fields": {"password": ["Too short."]}},
        )
    email = email.strip().lower()
    if find_user_by_email(sess, email) is not None:
        raise Conflict(f"A user with e-mail {email} exists already.", code="email_taken")
    user = User(
        email=email,
        name=name,
        role=role.value,
        organisation_id=organisation_id,
        provider=str(provider) if provider else None,
        supplier_id=supplier_id,
        desk=desk,
        locale=str(locale),
        password_hash=hash_password(password) if password else None,
        active=True,
    )
    sess.add(user)
    sess.flush()
    return user


def update_user(sess: Session, user: User, changes: dict[str, Any]) -> User:
    role = Role(changes.get("role", user.role))
    organisation_id = changes.get("organisation_id", user.organisation_id)
    provider = changes.get("provider", user.provider)
    supplier_id = changes.get("supplier_id", user.supplier_id)
    desk = changes.get("desk", user.desk)
    _check_role_invariants(role, organisation_id, provider, supplier_id, desk)
    _check_organisation(sess, organisation_id)
    _check_supplier(sess, supplier_id)
    user.supplier_id = supplier_id
    user.desk = desk
    if "active" in changes and bool(changes["active"]) != user.active:
        # A reactivated account counts again from its creation (one deactivation is kept).
        user.deactivated_at = None if changes["active"] else utcnow()
    for field in ("name", "locale", "active"):
        if field in changes:
            setattr(user, field, str(changes[field]) if field == "locale" else changes[field])
    user.role = role.value
    user.organisation_id = organisation_id
    user.provider = str(provider) if provider else None
    if "password" in changes:
        set_password(sess, user, changes["password"])
    if changes.get("active") is False:
        # Reactivating later must not revive what the user could do before.
        revoke_tokens(sess, user)
    sess.flush()
    return user


def set_password(sess: Session, user: User, password: str) -> None:
    """A new password ends every API token (and, by the session fingerprint, every session)
    made with the old one: a leaked password is changed to shut the thief out."""
    user.password_hash = hash_password(password)
    revoke_tokens(sess, user)


def revoke_tokens(sess: Session, user: User) -> int:
    """Revoke all of the user's live tokens; answers how many."""
    result = sess.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def issue_service_token(
    sess: Session, user: User, *, name: str, expires_days: int
) -> tuple[ApiToken, str]:
    """A token for an integration: its lifetime is always chosen, never the default."""
    if expires_days < 1:
        raise ValidationFailed(
            "A service token lives at least one day.",
            details={"fields": {"expires_days": ["At least 1."]}},
        )
    return issue_token(
        sess, user, name=name, expires_at=utcnow() + timedelta(days=expires_days), service=True
    )
