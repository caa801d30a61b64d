"""Every mapped model, imported in one place so metadata (and Alembic) sees all tables."""

from catalog.agreements.models import AgreementService, AgreementVersion, ServicePromise
from catalog.calendars.models import BusinessCalendar
from catalog.groups.models import ResolverGroup, group_members
from catalog.organisations.models import Organisation, organisation_account_managers
from catalog.ownership.models import GeneralMeetingDecision, ShareSubscription
from catalog.routing_rules.models import RoutingRuleRow
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
    "AgreementService",
    "AgreementVersion",
    "ApiToken",
    "BusinessCalendar",
    "Comment",
    "GeneralMeetingDecision",
    "IdempotencyKey",
    "Organisation",
    "ResolverGroup",
    "RoutingRuleRow",
    "Service",
    "ServicePromise",
    "ShareSubscription",
    "Ticket",
    "TicketEvent",
    "TicketNumberCounter",
    "User",
    "group_members",
    "organisation_account_managers",
]
