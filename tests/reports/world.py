"""The reports' test world: an organisation with two promise lines, tickets, and clock rows
written as `sla.tracking` caches them (so each test states its clocks' histories exactly)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update

from catalog.agreements.models import AgreementVersion, ServicePromise
from catalog.calendars.models import BusinessCalendar
from servicedesk.tickets.models import Ticket
from sla.models import SlaClock
from tests.api.helpers import file_ticket

HKI = ZoneInfo("Europe/Helsinki")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HKI).astimezone(UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class World:
    """An organisation with two promise lines, tickets, and clock rows as `sla` caches them."""

    def __init__(self, make: Any, desk: dict[str, Any]) -> None:
        self.make, self.sess, self.desk = make, make.sess, desk
        self.org = desk["org"]
        cal = BusinessCalendar(name=f"24x7-{id(self)}", spec={"always": True})
        self.sess.add(cal)
        self.sess.flush()
        self.cal = cal
        version = self.sess.query(AgreementVersion).filter_by(organisation_id=self.org.id).one()
        self.p1 = ServicePromise(
            agreement_version_id=version.id,
            service_id=desk["service"].id,
            priority="P1",
            response_minutes=60,
            resolution_minutes=480,
            calendar_id=cal.id,
            compliance_percent=Decimal("90"),
        )
        self.p3 = ServicePromise(
            agreement_version_id=version.id,
            family="application",
            priority="P3",
            response_minutes=240,
            resolution_minutes=2400,
            calendar_id=cal.id,
            compliance_percent=Decimal("95"),
        )
        self.sess.add_all([self.p1, self.p3])
        self.sess.commit()
        self.headers = make.auth(desk["requester"])

    def ticket(self, client: Any, received: datetime, **fields: Any) -> int:
        tid = file_ticket(
            client, self.headers, service_id=self.desk["service"].id, **fields
        ).get_json()["id"]
        self.sess.execute(update(Ticket).where(Ticket.id == tid).values(received_at=received))
        # The clocks filing started are replaced by rows with the histories each test states.
        self.sess.execute(delete(SlaClock).where(SlaClock.ticket_id == tid))
        self.sess.commit()
        return tid

    def clock(
        self,
        ticket_id: int,
        kind: str,
        promise: Any,
        state: str,
        start: datetime,
        *,
        due: datetime,
        stopped: datetime | None = None,
        breach: datetime | None = None,
        leg: int = 0,
        why: str = "test",
        pauses: tuple[tuple[datetime, datetime], ...] = (),
    ) -> int:
        """A clock row; `pauses` (waiting for the customer) go into its events only."""
        events = [{"type": "start", "at": iso(start), "target_minutes": None, "why": "test"}]
        for a, b in pauses:
            for step, at in (("pause", a), ("resume", b)):
                events.append({"type": step, "at": iso(at), "target_minutes": None, "why": "t"})
        last = start
        if stopped is not None:
            events.append(
                {
                    "type": "cancel" if state == "cancelled" else "stop",
                    "at": iso(stopped),
                    "target_minutes": None,
                    "why": why,
                }
            )
            last = stopped
        clock = SlaClock(
            ticket_id=ticket_id,
            organisation_id=self.sess.get(Ticket, ticket_id).organisation_id,
            kind=kind,
            cycle=0,
            leg=leg,
            promise_id=promise.id if promise else None,
            calendar_id=self.cal.id,
            target_minutes=60,
            events=events,
            state=state,
            due_at=due,
            breach_at=breach,
            stopped_at=stopped,
            evaluated_at=last,
        )
        self.sess.add(clock)
        self.sess.commit()
        return clock.id
