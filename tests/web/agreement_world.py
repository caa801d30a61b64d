"""A customer whose agreement lapses in 23 days, with the people of the yearly cycle: its
account manager, another customer's account manager, its contact and an end user, an agent
and an admin; one service line not started yet, with a transition plan (one milestone done,
one late, one planned).

Dates are relative to today (Helsinki): the browser tests' live server runs in another
thread, where `frozen_now` does not reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from catalog.agreements.models import AgreementVersion, TransitionMilestone
from catalog.agreements.operations import create_version
from catalog.agreements.queries import local_date
from catalog.calendars.models import BusinessCalendar
from catalog.organisations.models import organisation_account_managers
from servicedesk.db import utcnow
from tests.web.conftest import PASSWORD

LAPSE_DAYS = 23


def today() -> date:
    return local_date(utcnow())


@dataclass
class AgreementWorld:
    org: Any
    other_org: Any
    version: AgreementVersion
    wilma: Any
    archive: Any
    calendar: Any
    manager: Any
    other_manager: Any
    contact: Any
    end_user: Any
    agent: Any
    admin: Any


def _person(make: Any, role: str, name: str, locale: str = "fi", **kw: Any) -> Any:
    user = make.user(role, password=PASSWORD, locale=locale, **kw)
    user.name = name
    make.sess.commit()
    return user


def signed_version(
    make: Any,
    org: Any,
    services: list[Any],
    calendar: Any,
    ends: date,
    price: str = "25.00",
    starts_late: dict[int, date] | None = None,
) -> AgreementVersion:
    """A signed version of a whole year that ends on `ends`."""
    begins = ends.replace(year=ends.year - 1) + timedelta(days=1)
    late = starts_late or {}
    return create_version(
        make.sess,
        org,
        {
            "valid_from": begins,
            "valid_to": ends,
            "renewal_deadline": ends - timedelta(days=60),
            "invoicing_period": "quarterly",
            "notes": "",
            "services": [
                {
                    "service_id": s.id,
                    "starts_on": late.get(s.id, begins),
                    "price_model": "per_ticket",
                    "price": Decimal(price),
                }
                for s in services
            ],
            "promises": [
                {
                    "priority": "P2",
                    "response_minutes": 60,
                    "resolution_minutes": 480,
                    "calendar_id": calendar.id,
                },
                {
                    "service_id": services[0].id,
                    "priority": "P1",
                    "response_minutes": 30,
                    "resolution_minutes": 240,
                    "update_minutes": 60,
                    "calendar_id": calendar.id,
                },
            ],
        },
    )


def build(make: Any, locale: str = "fi") -> AgreementWorld:
    sess = make.sess
    now = today()
    calendar = BusinessCalendar(
        name="Virka-aika 8-16",
        spec={
            "timezone": "Europe/Helsinki",
            "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": "FI",
        },
    )
    sess.add(calendar)
    sess.commit()
    wilma = make.service("ICT", name_fi="Wilma", name_sv="Wilma", name_en="Wilma")
    archive = make.service(
        "ICT",
        name_fi="Sähköinen arkisto",
        name_sv="Elektroniskt arkiv",
        name_en="Electronic archive",
    )
    org = make.org(entitled=False, name="Järvelän kunta")
    other_org = make.org(entitled=False, name="Muun kunnan kuntayhtymä")
    go_live = now + timedelta(days=10)
    version = signed_version(
        make,
        org,
        [wilma, archive],
        calendar,
        now + timedelta(days=LAPSE_DAYS),
        starts_late={archive.id: go_live},
    )
    signed_version(make, other_org, [wilma], calendar, now + timedelta(days=200))
    line = next(s for s in version.services if s.service_id == archive.id)
    line.milestones = [
        TransitionMilestone(
            position=1,
            kind="training",
            name="Pääkäyttäjät",
            planned_on=now - timedelta(days=20),
            done_on=now - timedelta(days=18),
        ),
        TransitionMilestone(
            position=2,
            kind="data_migration",
            name="Vanhat asiakirjat",
            planned_on=now - timedelta(days=5),
        ),
        TransitionMilestone(position=3, kind="go_live", name="Käyttöönotto", planned_on=go_live),
    ]
    sess.commit()
    manager = _person(make, "account_manager", "Riikka Asiakasvastaava", locale)
    other_manager = _person(make, "account_manager", "Olli Toinen", locale)
    for org_id, user_id in ((org.id, manager.id), (other_org.id, other_manager.id)):
        sess.execute(
            organisation_account_managers.insert().values(organisation_id=org_id, user_id=user_id)
        )
    sess.commit()
    return AgreementWorld(
        org=org,
        other_org=other_org,
        version=version,
        wilma=wilma,
        archive=archive,
        calendar=calendar,
        manager=manager,
        other_manager=other_manager,
        contact=_person(make, "customer_contact", "Paula Yhteyshenkilö", locale, org=org),
        end_user=_person(make, "end_user", "Maija Meikäläinen", locale, org=org),
        agent=_person(make, "agent", "Eero Agentti", locale, provider="ICT"),
        admin=_person(make, "admin", "Anna Admin", locale),
    )
