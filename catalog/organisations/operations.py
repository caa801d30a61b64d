"""Writes on organisations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.organisations.models import Organisation
from servicedesk.errors import Conflict, ValidationFailed


def _check_residents(kind: str, residents: int | None) -> None:
    if kind == "municipality" and not residents:
        raise ValidationFailed(
            "A municipality has residents (its shares follow them).",
            details={"fields": {"residents": ["Required for a municipality."]}},
        )


def create_organisation(sess: Session, **data: Any) -> Organisation:
    _check_residents(data["kind"], data.get("residents"))
    if sess.scalar(select(Organisation).where(Organisation.business_id == data["business_id"])):
        raise Conflict(
            f"An organisation with business ID {data['business_id']} exists already.",
            code="business_id_taken",
        )
    org = Organisation(**data)
    sess.add(org)
    sess.flush()
    return org


def update_organisation(sess: Session, org: Organisation, changes: dict[str, Any]) -> Organisation:
    _check_residents(changes.get("kind", org.kind), changes.get("residents", org.residents))
    for field, value in changes.items():
        setattr(org, field, value)
    sess.flush()
    return org
