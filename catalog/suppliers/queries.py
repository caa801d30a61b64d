"""Reads on suppliers: the contract in force and the supplier promise for a ticket."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.promises import PromiseLine, find_promise
from catalog.services.models import Service
from catalog.suppliers.models import ContractPromise, UnderpinningContract


def contract_in_force(sess: Session, supplier_id: int, day: date) -> UnderpinningContract | None:
    return sess.scalar(
        select(UnderpinningContract)
        .where(
            UnderpinningContract.supplier_id == supplier_id,
            UnderpinningContract.valid_from <= day,
            or_(UnderpinningContract.valid_to.is_(None), UnderpinningContract.valid_to >= day),
        )
        .order_by(UnderpinningContract.valid_from.desc(), UnderpinningContract.id.desc())
        .limit(1)
    )


def supplier_promise(
    contract: UnderpinningContract, service: Service | None, priority: str
) -> ContractPromise | None:
    """The most specific line of the contract: service before family before default."""
    lines = [
        PromiseLine(
            id=p.id,
            priority=p.priority,
            service_id=p.service_id,
            family=p.family,
            response_minutes=p.response_minutes,
            resolution_minutes=p.resolution_minutes,
            calendar_id=contract.calendar_id,
            warning_percent=p.warning_percent,
        )
        for p in contract.promises
    ]
    found = find_promise(
        lines,
        service_id=service.id if service else None,
        family=service.family if service else None,
        priority=priority,
    )
    return next((p for p in contract.promises if found is not None and p.id == found.id), None)
