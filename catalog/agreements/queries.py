"""Reads on agreements: the gate's facts and the promise that applies to a ticket."""

from __future__ import annotations

from datetime import date, datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.agreements.models import IN_FORCE_STATES, AgreementVersion, ServicePromise
from catalog.gate import Refusal, VersionFacts, check_entitlement
from catalog.ownership.queries import ownership_status_of
from catalog.promises import PromiseLine, find_promise
from catalog.services.models import Service
from servicedesk.cache import cached

#: Agreement dates are the customer's calendar dates, in Finland.
AGREEMENT_TZ = ZoneInfo("Europe/Helsinki")


def local_date(at: datetime) -> date:
    return at.astimezone(AGREEMENT_TZ).date()


def version_facts(sess: Session, organisation_id: int) -> tuple[VersionFacts, ...]:
    """The gate's view of the organisation's agreement versions, kept per process
    (`servicedesk.cache`): asked on every ticket, changed at the yearly renewal."""

    def load() -> tuple[VersionFacts, ...]:
        versions = sess.scalars(
            select(AgreementVersion).where(
                AgreementVersion.organisation_id == organisation_id,
                AgreementVersion.state.in_(IN_FORCE_STATES),
            )
        )
        return tuple(
            VersionFacts(
                v.id,
                v.valid_from,
                v.valid_to,
                MappingProxyType({s.service_id: s.starts_on for s in v.services}),
            )
            for v in versions
        )

    return cached(sess, "version_facts", organisation_id, load)


def entitlement_for(
    sess: Session,
    organisation_id: int,
    service: Service | None,
    received_at: datetime,
    ticket_type: str | None = None,
) -> VersionFacts | Refusal:
    """Run the in-house gate for a ticket of `organisation_id` received at `received_at`."""
    day = local_date(received_at)
    label = f"service {service.code} ({service.name_fi})" if service else "the service"
    return check_entitlement(
        ownership_status_of(sess, organisation_id, day),
        version_facts(sess, organisation_id),
        service.id if service else None,
        day,
        service_label=label,
        ticket_type=ticket_type,
    )


def promise_line(row: ServicePromise) -> PromiseLine:
    return PromiseLine(
        id=row.id,
        priority=row.priority,
        service_id=row.service_id,
        family=row.family,
        response_minutes=row.response_minutes,
        resolution_minutes=row.resolution_minutes,
        update_minutes=row.update_minutes,
        calendar_id=row.calendar_id,
        warning_percent=row.warning_percent,
        compliance_percent=row.compliance_percent,
        ticket_type=row.ticket_type,
    )


def promise_lines(sess: Session, version_id: int) -> tuple[PromiseLine, ...]:
    """The promise lines of an agreement version, kept per process (`servicedesk.cache`):
    every clock start and target change asks, the lines change with the agreement."""

    def load() -> tuple[PromiseLine, ...]:
        rows = sess.scalars(
            select(ServicePromise)
            .where(ServicePromise.agreement_version_id == version_id)
            .order_by(ServicePromise.id)
        )
        return tuple(promise_line(r) for r in rows)

    return cached(sess, "promise_lines", version_id, load)


def promise_for(
    sess: Session,
    version_id: int | None,
    service: Service | None,
    priority: str,
    ticket_type: str | None = None,
) -> PromiseLine | None:
    """The most specific promise line of the version for the ticket (None: "no promise");
    feedback only ever gets a feedback line (`catalog.promises.find_promise`)."""
    if version_id is None:
        return None
    return find_promise(
        promise_lines(sess, version_id),
        service_id=service.id if service else None,
        family=service.family if service else None,
        priority=priority,
        ticket_type=ticket_type,
    )
