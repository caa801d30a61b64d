"""Apply the routing decision (a pure rule in `catalog.routing`) to a ticket.

Its inputs (rules, triage groups, account managers) are near-static and kept per process
(`servicedesk.cache`); the decision itself is made afresh for every ticket.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.groups.models import ResolverGroup
from catalog.organisations.models import organisation_account_managers
from catalog.routing import RouteKind, RoutingDecision, RoutingRule, TicketFacts, decide_route
from catalog.routing_rules.models import RoutingRuleRow
from servicedesk.cache import cached
from servicedesk.tickets.models import Ticket


def ticket_facts(ticket: Ticket) -> TicketFacts:
    service = ticket.service
    return TicketFacts(
        organisation_id=ticket.organisation_id,
        service_id=ticket.service_id,
        family=service.family if service else None,
        provider=ticket.provider,
        ticket_type=ticket.type,
        text=f"{ticket.title}\n{ticket.description}",
        service_default_group_id=service.default_group_id if service else None,
    )


def load_rules(sess: Session, provider: str | None = None) -> tuple[RoutingRule, ...]:
    """The active routing rules, in the order they are tried.

    With a provider, only the rules whose target group works for it: a group serves one
    provider, and agents see tickets by provider, so a rule without a provider condition
    (keywords only, say) must not hand a THH ticket to an ICT group, where nobody could work it.
    """

    def load() -> tuple[RoutingRule, ...]:
        stmt = select(RoutingRuleRow).where(RoutingRuleRow.active.is_(True))
        if provider is not None:
            stmt = stmt.join(
                ResolverGroup, ResolverGroup.id == RoutingRuleRow.target_group_id
            ).where(ResolverGroup.provider == provider)
        ordered = stmt.order_by(RoutingRuleRow.precedence, RoutingRuleRow.id)
        return tuple(row.to_rule() for row in sess.scalars(ordered))

    # The statements are built only on a miss: building one costs about what a hit saves.
    return cached(sess, "routing_rules", provider, load)


def triage_group(sess: Session, provider: str) -> int | None:
    """The provider's triage group (the lowest id if there are several)."""

    def load() -> int | None:
        return sess.scalar(
            select(ResolverGroup.id)
            .where(ResolverGroup.provider == provider, ResolverGroup.is_triage.is_(True))
            .order_by(ResolverGroup.id)
            .limit(1)
        )

    return cached(sess, "triage_group", provider, load)


def account_manager(sess: Session, organisation_id: int) -> int | None:
    """The organisation's first account manager (by user id), who takes its change needs."""

    def load() -> int | None:
        return sess.scalar(
            select(organisation_account_managers.c.user_id)
            .where(organisation_account_managers.c.organisation_id == organisation_id)
            .order_by(organisation_account_managers.c.user_id)
            .limit(1)
        )

    return cached(sess, "account_manager", organisation_id, load)


def decide_for(sess: Session, ticket: Ticket) -> RoutingDecision:
    """Where `ticket` goes now; only near-static inputs, so it is decided before any write."""
    return decide_route(
        ticket_facts(ticket),
        load_rules(sess, ticket.provider),
        triage_group(sess, ticket.provider),
        account_manager(sess, ticket.organisation_id),
    )


def apply_decision(ticket: Ticket, decision: RoutingDecision) -> None:
    if decision.kind is RouteKind.ACCOUNT_MANAGER:
        ticket.group_id = None
        ticket.assignee_id = decision.account_manager_id
    else:
        ticket.group_id = decision.group_id
        ticket.assignee_id = None
