"""Every mapped model, imported in one place so metadata (and Alembic) sees all tables."""

from catalog.agreements.models import (
    AgreementEvent,
    AgreementReminder,
    AgreementService,
    AgreementVersion,
    ServicePromise,
    TransitionMilestone,
)
from catalog.calendars.models import BusinessCalendar
from catalog.groups.models import ResolverGroup, group_members
from catalog.organisations.models import Organisation, organisation_account_managers
from catalog.ownership.models import GeneralMeetingDecision, ShareSubscription
from catalog.routing_rules.models import RoutingRuleRow
from catalog.services.models import Service
from catalog.suppliers.models import ContractPromise, Supplier, UnderpinningContract
from servicedesk.attachments.models import Attachment, AttachmentBlob
from servicedesk.cache import CacheGeneration
from servicedesk.canned.models import CannedReply
from servicedesk.escalations.models import Escalation
from servicedesk.mail.models import InboundMail
from servicedesk.notifications.models import OutboxAttachment, OutboxMessage
from servicedesk.public.models import PublicFigures
from servicedesk.reports.models import ReportDelivery
from servicedesk.tickets.models import (
    Comment,
    IdempotencyKey,
    Ticket,
    TicketEvent,
    TicketNumberCounter,
)
from servicedesk.time_entries.models import TimeEntry
from servicedesk.users.models import ApiToken, LoginThrottle, User
from sla.models import SlaAlert, SlaClock

__all__ = [
    "AgreementEvent",
    "AgreementReminder",
    "AgreementService",
    "AgreementVersion",
    "ApiToken",
    "Attachment",
    "AttachmentBlob",
    "BusinessCalendar",
    "CacheGeneration",
    "CannedReply",
    "Comment",
    "ContractPromise",
    "Escalation",
    "GeneralMeetingDecision",
    "IdempotencyKey",
    "InboundMail",
    "LoginThrottle",
    "Organisation",
    "OutboxAttachment",
    "OutboxMessage",
    "PublicFigures",
    "ReportDelivery",
    "ResolverGroup",
    "RoutingRuleRow",
    "Service",
    "ServicePromise",
    "ShareSubscription",
    "SlaAlert",
    "SlaClock",
    "Supplier",
    "Ticket",
    "TicketEvent",
    "TicketNumberCounter",
    "TimeEntry",
    "TransitionMilestone",
    "UnderpinningContract",
    "User",
    "group_members",
    "organisation_account_managers",
]
