"""The public page's test world: one service per family, an owner with a hostile name and
tickets with hostile titles, and clock rows written as `sla.tracking` caches them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update

from catalog.calendars.models import BusinessCalendar
from servicedesk.tickets.models import Ticket
from sla.models import SlaClock
from tests.api.helpers import file_ticket

HKI = ZoneInfo("Europe/Helsinki")
#: What must never appear on the public page or in its JSON.
ORG_NAME = '<b>Salakylän</b> kunta & "Pikkukylä"'
TITLE = "<script>alert('salainen')</script>Henkilön X palkka-asia"
DESCRIPTION = "Henkilötunnus 010101-123N ja sairausloma"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HKI).astimezone(UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class PublicWorld:
    def __init__(self, make: Any) -> None:
        self.make, self.sess = make, make.sess
        agent = make.user("agent", provider="ICT")
        make.group("ICT", members=(agent,), is_triage=True)
        group = make.group("ICT", members=(agent,))
        self.services = {
            "expert": make.service("ICT", group=group, family="expert", subfamily=None),
            "application": make.service("ICT", group=group, family="application"),
            "infrastructure": make.service(
                "ICT", group=group, family="infrastructure", subfamily="network"
            ),
        }
        self.org = make.org(name=ORG_NAME)
        self.requester = make.user("end_user", org=self.org)
        self.requester.name = "Salli Salainen"
        self.sess.commit()
        self.headers = make.auth(self.requester)
        cal = BusinessCalendar(name="24x7-public", spec={"always": True})
        self.sess.add(cal)
        self.sess.commit()
        self.cal = cal

    def ticket(self, client: Any, family: str, received: datetime) -> int:
        """A ticket of the family's service, received at `received`, with no clocks (each
        test writes the clock rows it states)."""
        tid = file_ticket(
            client,
            self.headers,
            service_id=self.services[family].id,
            title=TITLE,
            description=DESCRIPTION,
        ).get_json()["id"]
        self.sess.execute(update(Ticket).where(Ticket.id == tid).values(received_at=received))
        self.sess.execute(delete(SlaClock).where(SlaClock.ticket_id == tid))
        self.sess.commit()
        return tid

    def clock(
        self,
        ticket_id: int,
        kind: str,
        state: str,
        *,
        cycle: int = 0,
        leg: int = 0,
        due: datetime | None = None,
        stopped: datetime | None = None,
        breach: datetime | None = None,
        evaluated: datetime | None = None,
    ) -> None:
        """A clock row as the SLA engine caches it (the events list is not read here)."""
        start = local(2025, 1, 1)
        self.sess.add(
            SlaClock(
                ticket_id=ticket_id,
                organisation_id=self.sess.get(Ticket, ticket_id).organisation_id,
                kind=kind,
                cycle=cycle,
                leg=leg,
                promise_id=None,
                calendar_id=self.cal.id,
                target_minutes=60,
                events=[{"type": "start", "at": iso(start), "target_minutes": None, "why": "t"}],
                state=state,
                due_at=due,
                breach_at=breach,
                stopped_at=stopped,
                evaluated_at=evaluated or stopped or start,
            )
        )
        self.sess.commit()  # the organisation's lookup began a transaction: end it
