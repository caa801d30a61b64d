"""The world the browser walks take place in, made through the same operations as the API.

One customer (an entitled municipality) with an agreement that promises, on a 24x7 calendar
(so the walks do not depend on the hour they run at):

- P2: response 60 min, resolution 480 min; P3: response 120 min, resolution 960 min.

One supplier, "Kuntasoft Oy", the ICT service's default supplier, whose underpinning contract
promises resolution in 4800 min (P3) and 2400 min (P2) on a 24x7 calendar: it cannot meet the
customer's due instant, so every escalation to it has negative slack.

Three ICT tickets in the resolver group's queue, so that "ordered by time to breach" means
something:

- `late`: P3, the call came in 3 h ago (response 120 min: already breached);
- `urgent`: P2 (response 60 min);
- `normal`: P3 (response 120 min).

People (all with the password `PASSWORD`, all with English pages unless a walk says otherwise):
two ICT agents in the resolver group, a joint first-line agent, a supplier agent, an end user
(the requester), an admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from catalog.organisations.models import organisation_account_managers
from catalog.suppliers.models import ContractPromise, Supplier, UnderpinningContract
from servicedesk.db import utcnow
from tests.web.conftest import PASSWORD

ALWAYS = {"always": True}
SUPPLIER_NAME = "Kuntasoft Oy"


@dataclass
class Scenario:
    admin: Any
    agent: Any
    agent2: Any
    joint: Any
    supplier_agent: Any
    requester: Any
    manager: Any
    org: Any
    group: Any
    thh_group: Any
    service: Any
    thh_service: Any
    supplier: Any
    late: Any
    urgent: Any
    normal: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def queue_order(self) -> list[str]:
        """The ticket numbers in time-to-breach order (the least time left first)."""
        return [self.late.number, self.urgent.number, self.normal.number]


_HASH: list[str] = []


def password_hash() -> str:
    """The hash of `PASSWORD`, made once: argon2 takes a noticeable time per user, on purpose."""
    if not _HASH:
        from servicedesk.users.passwords import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def _calendar(sess: Any, name: str) -> Any:
    from catalog.calendars.models import BusinessCalendar

    cal = BusinessCalendar(name=name, spec=ALWAYS)
    sess.add(cal)
    sess.flush()
    return cal


def _agreement(make: Any, org: Any, services: list[Any], calendar_id: int) -> None:
    from catalog.agreements.operations import create_version
    from catalog.ownership.operations import subscribe, update_subscription

    sess = make.sess
    sub = subscribe(sess, org, date(2015, 1, 1))
    update_subscription(sess, sub, {"paid_on": date(2015, 2, 1), "registered_on": date(2015, 3, 1)})
    promises = [
        {"priority": p, "response_minutes": resp, "resolution_minutes": resol,
         "warning_percent": 80, "calendar_id": calendar_id}
        for p, resp, resol in (("P1", 30, 240), ("P2", 60, 480), ("P3", 120, 960),
                               ("P4", 480, 4800))
    ]
    create_version(
        sess,
        org,
        {
            "valid_from": date(2020, 1, 1),
            "valid_to": None,
            "notes": "Palvelusopimus 2026",
            "services": [make._line(s.id) for s in services],
            "promises": promises,
        },
    )
    sess.commit()


def _supplier(sess: Any, calendar_id: int) -> Supplier:
    supplier = Supplier(name=SUPPLIER_NAME, contact_email="servicedesk@kuntasoft.example.fi")
    sess.add(supplier)
    sess.flush()
    contract = UnderpinningContract(
        supplier_id=supplier.id,
        name="Kuntasoft underpinning contract 2026",
        valid_from=date(2020, 1, 1),
        calendar_id=calendar_id,
    )
    contract.promises = [
        ContractPromise(priority=p, response_minutes=resp, resolution_minutes=resol)
        for p, resp, resol in (("P1", 30, 1200), ("P2", 30, 2400), ("P3", 60, 4800),
                               ("P4", 60, 9600))
    ]
    sess.add(contract)
    sess.commit()
    return supplier


def file_ticket(make: Any, actor: Any, data: dict[str, Any]) -> Any:
    """A ticket made by `tickets.operations.create_ticket`, as POST /tickets would."""
    from servicedesk.tickets.operations import create_ticket

    body = {"type": "incident", "impact": "medium", "urgency": "medium", **data}
    ticket, _ = create_ticket(make.sess, actor, body)
    make.sess.commit()
    return ticket


def comment(make: Any, actor: Any, ticket: Any, body: str, internal: bool = False) -> Any:
    from servicedesk.tickets.operations import add_comment

    row = add_comment(make.sess, actor, ticket, body, internal)
    make.sess.commit()
    return row


def build(make: Any, locale: str = "en") -> Scenario:
    sess = make.sess
    customer_cal = _calendar(sess, "24x7 customer")
    supplier_cal = _calendar(sess, "24x7 Kuntasoft")
    sess.commit()
    supplier = _supplier(sess, supplier_cal.id)

    def person(role: str, name: str | None = None, **kw: Any) -> Any:
        user = make.user(role, locale=kw.pop("locale", locale), **kw)
        user.password_hash = password_hash()
        if name is not None:
            user.name = name
        sess.commit()
        return user

    admin = person("admin")
    agent = person("agent", provider="ICT")
    agent2 = person("agent", provider="ICT")
    joint = person("agent", provider="ICT", desk="joint")
    thh_agent = person("agent", provider="THH")
    make.group("ICT", members=(agent, agent2, joint), is_triage=True)
    group = make.group("ICT", members=(agent, agent2))
    make.group("THH", members=(thh_agent,), is_triage=True)
    thh_group = make.group("THH", members=(thh_agent,))
    service = make.service("ICT", group=group, supplier_id=supplier.id, name_en="Wilma")
    thh_service = make.service("THH", group=thh_group, name_en="Payroll")
    org = make.org(entitled=False, name="Testikunta")
    _agreement(make, org, [service, thh_service], customer_cal.id)
    requester = person("end_user", org=org, name="Maija Meikäläinen")
    supplier_agent = person("supplier_agent", supplier_id=supplier.id)
    manager = person("account_manager")
    sess.execute(
        organisation_account_managers.insert().values(organisation_id=org.id, user_id=manager.id)
    )
    sess.commit()

    late = file_ticket(make, agent, {
        "title": "Wilma login loops",
        "description": "The login page reloads for ever.",
        "service_id": service.id,
        "requester_id": requester.id,
        "channel": "phone",
        "received_at": utcnow() - timedelta(hours=3),
    })
    urgent = file_ticket(make, requester, {
        "title": "Wilma is down for the whole school",
        "description": "Nobody can log in.",
        "service_id": service.id,
        "urgency": "high",
        "channel": "portal",
    })
    normal = file_ticket(make, requester, {
        "title": "Wilma report has a typo",
        "description": "The autumn report says 'Syksy' twice.",
        "service_id": service.id,
        "channel": "portal",
    })
    return Scenario(
        admin=admin, agent=agent, agent2=agent2, joint=joint, supplier_agent=supplier_agent,
        requester=requester, manager=manager, org=org, group=group, thh_group=thh_group,
        service=service, thh_service=thh_service, supplier=supplier,
        late=late, urgent=urgent, normal=normal,
    )


def escalate(make: Any, agent: Any, ticket: Any, note: str = "Please have a look.") -> Any:
    """Hand `ticket` to its service's supplier (negative slack: the operation does not ask)."""
    from servicedesk.escalations.operations import escalate as hand_off

    leg, _plan = hand_off(make.sess, agent, ticket, None, note)
    make.sess.commit()
    return leg


def supplier_message(make: Any, supplier_agent: Any, ticket: Any, leg: Any, body: str) -> Any:
    from servicedesk.tickets.operations import add_supplier_message

    row = add_supplier_message(make.sess, supplier_agent, ticket, leg, body)
    make.sess.commit()
    return row


def canned_reply(make: Any, group: Any, title: str, body: str) -> Any:
    from servicedesk.canned.operations import create_reply

    reply = create_reply(
        make.sess, {"group_id": group.id, "title": title, "body": body, "locale": None,
                    "active": True}
    )
    make.sess.commit()
    return reply


def with_supplier_leg(make: Any, world: Scenario) -> Scenario:
    """The late ticket at the supplier, who has written once; a canned reply for the group."""
    leg = escalate(make, world.agent, world.late, "Login loops since the update.")
    supplier_message(make, world.supplier_agent, world.late, leg,
                     "We see it too; a fix is on the way.")
    comment(make, world.requester, world.late, "Still looping, and the exams are near.")
    comment(make, world.agent, world.late, "Kuntasoft knows; KS-1234.", internal=True)
    canned_reply(make, world.group, "Restart first",
                 "Hello {requester_name}, please restart and tell us about {ticket_number}.")
    world.extra["leg"] = leg
    return world
