"""Routing rules as data; the decision is the pure `catalog.routing.decide_route`."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.routing import RoutingRule
from servicedesk.db import Base


class RoutingRuleRow(Base):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Lower wins; ties go to the older rule.
    precedence: Mapped[int] = mapped_column(Integer, default=100)
    target_group_id: Mapped[int] = mapped_column(ForeignKey("resolver_groups.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    family: Mapped[str | None] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(3))
    ticket_type: Mapped[str | None] = mapped_column(String(20))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def to_rule(self) -> RoutingRule:
        return RoutingRule(
            id=self.id,
            name=self.name,
            precedence=self.precedence,
            target_group_id=self.target_group_id,
            organisation_id=self.organisation_id,
            service_id=self.service_id,
            family=self.family,
            provider=self.provider,
            ticket_type=self.ticket_type,
            keywords=tuple(self.keywords or ()),
            active=self.active,
        )
