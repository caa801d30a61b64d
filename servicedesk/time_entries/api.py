"""Time entries on a ticket: the desk records minutes, staff read them with their totals."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.time_entries.models import TimeEntry
from servicedesk.time_entries.operations import (
    Totals,
    record_time,
    require_reader,
    ticket_time,
)
from servicedesk.time_entries.schemas import TicketTimeOut, TimeEntryIn, TimeEntryOut

blp = Blueprint("time_entries", __name__, url_prefix="/tickets", description="Time entries")


@blp.route("/<int:ticket_id>/time-entries")
class TicketTimeEntries(MethodView):
    @blp.response(200, TicketTimeOut)
    def get(self, ticket_id: int) -> Totals:
        """The ticket's time entries (oldest first) with the total and the expert minutes.

        For agents who see the ticket, account managers of its organisation and admins;
        403 for the customer side and suppliers, 404 for a ticket the caller does not see.
        """
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        require_reader(user)
        return ticket_time(sess, ticket)

    @blp.arguments(TimeEntryIn)
    @blp.response(201, TimeEntryOut)
    def post(self, data: dict[str, Any], ticket_id: int) -> TimeEntry:
        """Record minutes of work on the ticket (an internal `time_recorded` event).

        By agents who may act on the ticket and admins; 403 for anyone else who sees it,
        404 for a ticket the caller does not see, 422 for minutes outside 1-1440 or a day in
        the future or before the ticket was received. Resolved, closed and cancelled tickets
        take time entries too: the statement counts time by the day it was done.
        """
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return record_time(
            sess,
            user,
            ticket,
            minutes=data["minutes"],
            expert=data["expert"],
            worked_on=data["worked_on"],
            note=data["note"],
        )
