"""The in-house gate: the centre serves only its owners, under an agreement in force.

Pure: the caller gathers the facts (ownership status, agreement versions) and this
decides, so every intake path (API, portal, e-mail, import) refuses for the same reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from catalog.shares import OwnershipStatus


class RefusalReason(StrEnum):
    NOT_OWNER = "not_owner"
    SHARES_NOT_REGISTERED = "shares_not_registered"
    NO_AGREEMENT = "no_agreement"
    SERVICE_NOT_IN_AGREEMENT = "service_not_in_agreement"
    SERVICE_NOT_STARTED = "service_not_started"


#: Ticket types the gate takes from an owner's users for any service, in the agreement or
#: not, started or not: they feed the customer's development planning (DESIGN.md, Routing).
ALWAYS_ACCEPTED_TYPES = frozenset({"change_need", "feedback"})


@dataclass(frozen=True)
class VersionFacts:
    """What the gate needs of an agreement version."""

    id: int
    valid_from: date
    valid_to: date | None
    #: service id -> the date the service starts under this version
    service_starts: Mapping[int, date] = field(default_factory=dict)

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    message: str
    starts_on: date | None = None


def version_in_force(versions: Sequence[VersionFacts], day: date) -> VersionFacts | None:
    """The version in force on `day` (versions never overlap; the latest start wins if they do)."""
    candidates = [v for v in versions if v.in_force_on(day)]
    return max(candidates, key=lambda v: v.valid_from) if candidates else None


def check_entitlement(
    ownership: OwnershipStatus,
    versions: Sequence[VersionFacts],
    service_id: int | None,
    day: date,
    *,
    service_label: str = "the service",
    ticket_type: str | None = None,
) -> VersionFacts | Refusal:
    """The agreement version that serves a ticket received on `day`, or why it is refused.

    A ticket without a service (unclassified) needs an owner with an agreement in force;
    the desk classifies it later. A change need or feedback (`ALWAYS_ACCEPTED_TYPES`)
    needs the same owner, shares and agreement, but any service: a service outside the
    agreement or not started yet is exactly what development planning wants to hear of.
    """
    if ownership is OwnershipStatus.NOT_OWNER:
        return Refusal(
            RefusalReason.NOT_OWNER, "The organisation is not an owner of the service centre."
        )
    if ownership is OwnershipStatus.UNREGISTERED:
        return Refusal(
            RefusalReason.SHARES_NOT_REGISTERED,
            "The organisation's shares are not registered (paid) yet.",
        )
    version = version_in_force(versions, day)
    if version is None:
        return Refusal(
            RefusalReason.NO_AGREEMENT,
            f"The organisation has no service agreement in force on {day.isoformat()}.",
        )
    if service_id is None or ticket_type in ALWAYS_ACCEPTED_TYPES:
        return version
    starts = version.service_starts.get(service_id)
    if starts is None:
        return Refusal(
            RefusalReason.SERVICE_NOT_IN_AGREEMENT,
            f"The organisation's agreement does not cover {service_label}.",
        )
    if starts > day:
        return Refusal(
            RefusalReason.SERVICE_NOT_STARTED,
            f"{service_label[0].upper() + service_label[1:]} starts for the "
            f"organisation on {starts.isoformat()}.",
            starts_on=starts,
        )
    return version
