"""Writes on catalogue services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.groups.models import ResolverGroup
from catalog.services.models import SERVICE_SUBFAMILIES, Service
from catalog.suppliers.models import Supplier
from servicedesk.db import utcnow
from servicedesk.errors import Conflict, ValidationFailed


def _check(
    sess: Session, family: str, subfamily: str | None, provider: str, default_group_id: int | None
) -> None:
    problems: dict[str, list[str]] = {}
    allowed = ", ".join(SERVICE_SUBFAMILIES[family]) or "none"
    if subfamily is not None and subfamily not in SERVICE_SUBFAMILIES[family]:
        problems["subfamily"] = [f"Family {family} has the subfamilies: {allowed}."]
    elif subfamily is None and SERVICE_SUBFAMILIES[family]:
        # Routing rules and reports go by subfamily: a family that has them needs one.
        problems["subfamily"] = [f"A service of family {family} needs a subfamily: {allowed}."]
    if default_group_id is not None:
        group = sess.get(ResolverGroup, default_group_id)
        if group is None:
            problems["default_group_id"] = [f"No group {default_group_id}."]
        elif group.provider != provider:
            problems["default_group_id"] = [f"Group {group.code} belongs to {group.provider}."]
    if problems:
        raise ValidationFailed("The service is not valid.", details={"fields": problems})


def _check_supplier(sess: Session, supplier_id: int | None) -> None:
    if supplier_id is not None and sess.get(Supplier, supplier_id) is None:
        raise ValidationFailed(
            "No such supplier.",
            details={"fields": {"supplier_id": [f"No supplier {supplier_id}."]}},
        )


def create_service(sess: Session, **data: Any) -> Service:
    _check_supplier(sess, data.get("supplier_id"))
    data["provider"] = str(data["provider"])
    _check(
        sess, data["family"], data.get("subfamily"), data["provider"], data.get("default_group_id")
    )
    if sess.scalar(select(Service).where(Service.code == data["code"])):
        raise Conflict(f"A service with code {data['code']} exists already.", code="code_taken")
    service = Service(**data)
    sess.add(service)
    sess.flush()
    return service


def update_service(sess: Session, service: Service, changes: dict[str, Any]) -> Service:
    if "supplier_id" in changes:
        _check_supplier(sess, changes["supplier_id"])
    retired = changes.pop("retired", None)
    _check(
        sess,
        service.family,
        changes.get("subfamily", service.subfamily),
        service.provider,
        changes.get("default_group_id", service.default_group_id),
    )
    for field, value in changes.items():
        setattr(service, field, value)
    if retired is True and service.retired_at is None:
        service.retired_at = utcnow()
    elif retired is False:
        service.retired_at = None
    sess.flush()
    return service
