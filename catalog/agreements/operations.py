"""Writes on agreements: new versions with their service lines and promises, validated.

A version that tickets have frozen keeps its lines and promises forever; only its end,
renewal deadline and notes may change. Changes of substance are a new version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from catalog.agreements.models import (
    IN_FORCE_STATES,
    OPEN_STATES,
    AgreementService,
    AgreementVersion,
    ServicePromise,
)
from catalog.agreements.queries import local_date, promise_line
from catalog.calendars.models import BusinessCalendar
from catalog.organisations.models import Organisation
from catalog.promises import validate_lines
from catalog.services.models import SERVICE_FAMILIES, Service
from servicedesk.errors import Conflict, ValidationFailed
from servicedesk.tickets.models import Ticket

#: Fields of a version that stay editable after tickets froze it.
ALWAYS_EDITABLE = frozenset({"valid_to", "renewal_deadline", "notes"})


def is_frozen(sess: Session, version: AgreementVersion) -> bool:
    return bool(sess.scalar(select(exists().where(Ticket.agreement_version_id == version.id))))


def overlapping(
    sess: Session,
    org_id: int,
    valid_from: Any,
    valid_to: Any,
    skip_id: int | None,
    states: tuple[str, ...] = IN_FORCE_STATES,
) -> AgreementVersion | None:
    """A version of `states` whose period meets [valid_from, valid_to]. Versions in force
    never overlap; drafts and proposals never overlap each other, but may overlap the
    version in force (signing them is checked again)."""
    for other in sess.scalars(
        select(AgreementVersion).where(
            AgreementVersion.organisation_id == org_id, AgreementVersion.state.in_(states)
        )
    ):
        if other.id == skip_id:
            continue
        ends_before = valid_to is not None and valid_to < other.valid_from
        starts_after = other.valid_to is not None and valid_from > other.valid_to
        if not (ends_before or starts_after):
            return other
    return None


def _check(
    sess: Session, org_id: int, data: dict[str, Any], skip_id: int | None, state: str = "signed"
) -> None:
    problems: dict[str, list[str]] = {}
    if data["valid_to"] is not None and data["valid_to"] < data["valid_from"]:
        problems.setdefault("valid_to", []).append("The version ends before it starts.")
    states = OPEN_STATES if state in OPEN_STATES else IN_FORCE_STATES
    clash = overlapping(sess, org_id, data["valid_from"], data["valid_to"], skip_id, states)
    if clash is not None:
        end = clash.valid_to.isoformat() if clash.valid_to else "open-ended"
        problems.setdefault("valid_from", []).append(
            f"Overlaps version {clash.version_no} ({clash.valid_from.isoformat()} - {end}); "
            "end that version first."
        )
    services = data.get("services", [])
    seen: set[int] = set()
    for i, line in enumerate(services):
        service = sess.get(Service, line["service_id"])
        if service is None:
            problems.setdefault(f"services.{i}.service_id", []).append(
                f"No service {line['service_id']}."
            )
        if line["service_id"] in seen:
            problems.setdefault(f"services.{i}.service_id", []).append("Listed twice.")
        seen.add(line["service_id"])
        if data["valid_to"] is not None and line["starts_on"] > data["valid_to"]:
            problems.setdefault(f"services.{i}.starts_on", []).append(
                "Starts after the version ends."
            )
    lines = []
    for i, p in enumerate(data.get("promises", [])):
        if p.get("service_id") is not None and p["service_id"] not in seen:
            problems.setdefault(f"promises.{i}.service_id", []).append(
                "A promise for a service the agreement does not include."
            )
        if p.get("family") is not None and p["family"] not in SERVICE_FAMILIES:
            problems.setdefault(f"promises.{i}.family", []).append("Unknown family.")
        if p.get("calendar_id") is None:
            problems.setdefault(f"promises.{i}.calendar_id", []).append(
                "A promise is measured on a calendar."
            )
        elif sess.get(BusinessCalendar, p["calendar_id"]) is None:
            problems.setdefault(f"promises.{i}.calendar_id", []).append(
                f"No calendar {p['calendar_id']}."
            )
        lines.append(promise_line(ServicePromise(id=i, **{**_promise_defaults(), **p})))
    rule_problems = validate_lines(lines)
    if rule_problems:
        problems.setdefault("promises", []).extend(rule_problems)
    if problems:
        raise ValidationFailed(
            "The agreement is not valid; see details.fields.", details={"fields": problems}
        )


def _promise_defaults() -> dict[str, Any]:
    return {
        "service_id": None,
        "family": None,
        "update_minutes": None,
        "warning_percent": 80,
        "compliance_percent": 95,
        "calendar_id": 0,
        "ticket_type": None,
    }


def next_version_no(sess: Session, org_id: int) -> int:
    latest = sess.scalar(
        select(func.max(AgreementVersion.version_no)).where(
            AgreementVersion.organisation_id == org_id
        )
    )
    return (latest or 0) + 1


def create_version(
    sess: Session, org: Organisation, data: dict[str, Any], state: str = "signed"
) -> AgreementVersion:
    """A new version: signed at once when an admin types it in whole, or a draft."""
    _check(sess, org.id, data, skip_id=None, state=state)
    version = AgreementVersion(
        organisation_id=org.id,
        version_no=next_version_no(sess, org.id),
        state=state,
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        renewal_deadline=data.get("renewal_deadline"),
        invoicing_period=data.get("invoicing_period", "monthly"),
        notes=data.get("notes", ""),
    )
    version.services = [AgreementService(**s) for s in data.get("services", [])]
    version.promises = [
        ServicePromise(**{**_promise_defaults(), **p}) for p in data.get("promises", [])
    ]
    sess.add(version)
    sess.flush()
    return version


def _check_end_after_tickets(sess: Session, version: AgreementVersion, valid_to: Any) -> None:
    """A frozen version cannot end before a day on which a ticket was received under it."""
    last = sess.scalar(
        select(func.max(Ticket.received_at)).where(Ticket.agreement_version_id == version.id)
    )
    if last is not None and valid_to < local_date(last):
        message = (
            f"Tickets were received under version {version.version_no} until "
            f"{local_date(last).isoformat()}; it cannot end before that."
        )
        raise ValidationFailed(message, details={"fields": {"valid_to": [message]}})


def _merged_lines(
    lines: list[AgreementService], wanted: list[dict[str, Any]]
) -> list[AgreementService]:
    """The new service lines, changing a service's existing line in place: a new row for the
    same service would be inserted before the old one is deleted (the unique key refuses
    it), and the line's transition milestones would go with the old row."""
    by_service = {line.service_id: line for line in lines}
    merged = []
    for data in wanted:
        line = by_service.get(data["service_id"])
        if line is None:
            merged.append(AgreementService(**data))
            continue
        for key, value in data.items():
            setattr(line, key, value)
        merged.append(line)
    return merged


def update_version(
    sess: Session, version: AgreementVersion, changes: dict[str, Any]
) -> AgreementVersion:
    substantive = set(changes) - ALWAYS_EDITABLE
    if substantive and version.state in IN_FORCE_STATES and is_frozen(sess, version):
        raise Conflict(
            f"Tickets were received under version {version.version_no}; its "
            f"{', '.join(sorted(substantive))} cannot change. Create a new version instead.",
            code="version_frozen",
        )
    if changes.get("valid_to") is not None:
        _check_end_after_tickets(sess, version, changes["valid_to"])
    merged = {
        "valid_from": changes.get("valid_from", version.valid_from),
        "valid_to": changes.get("valid_to", version.valid_to),
        "services": changes.get(
            "services",
            [
                {
                    "service_id": s.service_id,
                    "starts_on": s.starts_on,
                    "price_model": s.price_model,
                    "price": s.price,
                }
                for s in version.services
            ],
        ),
        "promises": changes.get(
            "promises",
            [
                {
                    c: getattr(p, c)
                    for c in (
                        "service_id",
                        "family",
                        "priority",
                        "response_minutes",
                        "resolution_minutes",
                        "update_minutes",
                        "calendar_id",
                        "warning_percent",
                        "compliance_percent",
                        "ticket_type",
                    )
                }
                for p in version.promises
            ],
        ),
    }
    _check(sess, version.organisation_id, merged, skip_id=version.id, state=version.state)
    for field in ("valid_from", "valid_to", "renewal_deadline", "invoicing_period", "notes"):
        if field in changes:
            setattr(version, field, changes[field])
    if "services" in changes:
        version.services = _merged_lines(version.services, changes["services"])
    if "promises" in changes:
        version.promises = [
            ServicePromise(**{**_promise_defaults(), **p}) for p in changes["promises"]
        ]
    sess.flush()
    return version
