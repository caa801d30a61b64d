"""Ratings: the requester rates a resolved ticket, once (the portal's form and the signed
link in the resolution e-mail call the same operation)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.ratings.operations import rate
from servicedesk.ratings.schemas import RatingIn, RatingOut
from servicedesk.tickets.models import Ticket

blp = Blueprint("ratings", __name__, url_prefix="/tickets", description="Ratings")


@blp.route("/<int:ticket_id>/rating")
class TicketRating(MethodView):
    @blp.arguments(RatingIn)
    @blp.response(201, RatingOut)
    def post(self, data: dict[str, Any], ticket_id: int) -> Ticket:
        """Rate a resolved or closed ticket (its requester only), once.

        A score of 2 or less is sent, with its comment, to the organisation's account
        managers. 403 for anyone but the requester (a customer contact does not rate a
        colleague's ticket), 404 for a ticket the caller does not see, 409 `not_rateable`
        before the ticket is resolved, 409 `already_rated` the second time, 422 for a score
        outside 1-5.
        """
        sess = db.session()
        user = current_user()
        ticket = access.visible_ticket(sess, user, ticket_id)
        return rate(sess, ticket, data["score"], data["comment"], user)
