"""GET /organisations/{id}/statements?period=: the itemised statement, as JSON."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from catalog.organisations.models import Organisation
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.charges.queries import statement_for
from servicedesk.charges.schemas import StatementArgs, StatementOut
from servicedesk.charges.statement import Statement, parse_period
from servicedesk.enums import Role
from servicedesk.errors import Forbidden, NotFound, ValidationFailed
from servicedesk.users.models import User

blp = Blueprint("charges", __name__, url_prefix="/organisations", description="Charges")

READERS = frozenset({Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CONTACT})


def _statement_scope(user: User) -> Any:
    """Admins: every organisation; account managers: those they look after; a customer
    contact: their own."""
    role = user.role_enum
    if role is Role.ADMIN:
        return Organisation.id.is_not(None)
    if role is Role.ACCOUNT_MANAGER:
        return Organisation.id.in_(access.managed_organisation_ids(user))
    return Organisation.id == user.organisation_id


@blp.route("/<int:organisation_id>/statements")
class OrganisationStatement(MethodView):
    @blp.arguments(StatementArgs, location="query")
    @blp.response(200, StatementOut)
    def get(self, args: dict[str, Any], organisation_id: int) -> Statement:
        """The itemised statement for an invoicing period, by the causation principle.

        Each price line of each agreement version in force in the period, with what it
        counts (ticket, user and time entry ids), its amount rounded half-up to cents, and the
        total as the exact sum of the lines. The rules are in the README ("Charges"). For
        admins, the organisation's account managers and its customer contacts; 403 for other
        roles, 404 for an organisation the caller does not see.
        """
        sess = db.session()
        user = current_user()
        if user.role_enum not in READERS:
            raise Forbidden("Statements are for the account managers and customer contacts.")
        found = sess.scalar(
            select(Organisation.id).where(
                Organisation.id == organisation_id, _statement_scope(user)
            )
        )
        if found is None:
            raise NotFound(f"No organisation {organisation_id}.")
        try:
            period = parse_period(args["period"])
        except ValueError:
            message = "A month (2026-11), a quarter (2026-Q4) or a year (2026)."
            raise ValidationFailed(message, details={"fields": {"period": [message]}}) from None
        return statement_for(sess, organisation_id, period)
