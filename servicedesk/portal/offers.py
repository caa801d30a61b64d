"""The portal's service picker: each service with whether, from when, or why not.

The same gate as ticket creation (`catalog.gate`), asked per service for today, so the
picker never offers a form that the API would then refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.agreements.queries import local_date, version_facts
from catalog.gate import Refusal, RefusalReason, check_entitlement
from catalog.ownership.queries import ownership_status_of
from catalog.services.models import Service
from servicedesk.db import utcnow
from servicedesk.users.models import User

#: Per-service refusals: the organisation itself is fine, this service is not (yet).
_SERVICE_REASONS = frozenset(
    {RefusalReason.SERVICE_NOT_IN_AGREEMENT, RefusalReason.SERVICE_NOT_STARTED}
)


@dataclass(frozen=True)
class Offer:
    """One service as the picker shows it.

    `available`: incidents and service requests may be filed now. `starts_on`: the
    agreement starts the service later. Change needs and feedback are always accepted
    from an owner (`catalog.gate.ALWAYS_ACCEPTED_TYPES`), whatever these say.
    """

    service: Service
    available: bool
    starts_on: date | None
    reason: str | None  # a RefusalReason value when not available


@dataclass(frozen=True)
class Offers:
    #: Set when the organisation may file nothing at all: the reason in words, and its code.
    refusal: Refusal | None
    services: list[Offer]


def offers_for(
    sess: Session, user: User, at: datetime | None = None, *, organisation_id: int | None = None
) -> Offers:
    """What `user`'s organisation (or `organisation_id`, which the desk asks about: the
    caller checks it may) may file today, service by service (not retired ones)."""
    at = at or utcnow()
    organisation_id = user.organisation_id if organisation_id is None else organisation_id
    day = local_date(at)
    services = list(
        sess.scalars(select(Service).where(Service.retired_at.is_(None)).order_by(Service.code))
    )
    if organisation_id is None:
        refusal = Refusal(RefusalReason.NOT_OWNER, "Your account belongs to no organisation.")
        return Offers(refusal, [])
    ownership = ownership_status_of(sess, organisation_id, day)
    versions = version_facts(sess, organisation_id)
    org_level = check_entitlement(ownership, versions, None, day)
    if isinstance(org_level, Refusal):
        return Offers(org_level, [])
    offers = []
    for service in services:
        result = check_entitlement(ownership, versions, service.id, day)
        if isinstance(result, Refusal):
            if result.reason not in _SERVICE_REASONS:  # pragma: no cover - org level passed
                continue
            offers.append(Offer(service, False, result.starts_on, result.reason.value))
        else:
            offers.append(Offer(service, True, None, None))
    return Offers(None, offers)
