"""Every mapped model, imported in one place so metadata (and Alembic) sees all tables."""

from catalog.groups.models import ResolverGroup, group_members
from catalog.organisations.models import Organisation, organisation_account_managers
from catalog.services.models import Service
from servicedesk.tickets.models import (
    Comment,
    IdempotencyKey,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
)
from servicedesk.users.models import ApiToken, User

__all__ = [
    "ApiToken",
    "Comment",
    "IdempotencyKey",
    "Organisation",
    "ResolverGroup",
    "Service",
    "Ticket",
    "TicketEvent",
    "TicketNumberCounter",
    "User",
    "group_members",
    "organisation_account_managers",
]
