"""The owners' register (admin), and each organisation's ownership status."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from catalog.organisations.api import visible_organisation
from catalog.ownership import operations, queries
from catalog.ownership.models import GeneralMeetingDecision, ShareSubscription
from catalog.ownership.schemas import (
    DecisionIn,
    DecisionOut,
    OwnershipArgs,
    OwnershipOut,
    RedemptionIn,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionPatch,
)
from catalog.shares import amount_due
from servicedesk import access, db
from servicedesk.auth import current_user
from servicedesk.blueprint import Blueprint
from servicedesk.db import utcnow
from servicedesk.errors import NotFound

blp = Blueprint("ownership", __name__, url_prefix="", description="Owners' register")


def _sub_out(row: ShareSubscription) -> ShareSubscription:
    row.amount = amount_due(queries.as_subscription(row))  # type: ignore[attr-defined]
    return row


@blp.route("/organisations/<int:org_id>/ownership")
class Ownership(MethodView):
    @blp.arguments(OwnershipArgs, location="query")
    @blp.response(200, OwnershipOut)
    def get(self, args: dict[str, Any], org_id: int) -> dict[str, Any]:
        """Ownership on a date (default today): status, votes, subscriptions (not for end users)."""
        org = visible_organisation(org_id)
        access.require_commercial_terms(current_user(), "the organisation's share register")
        on: date = args.get("on") or utcnow().date()
        sess = db.session()
        return {
            "organisation_id": org.id,
            "on": on,
            "status": queries.ownership_status_of(sess, org.id, on).value,
            "votes": queries.votes_of(sess, org.id, on),
            "subscriptions": [_sub_out(r) for r in queries.subscriptions_of(sess, org.id)],
        }


@blp.route("/organisations/<int:org_id>/subscriptions")
class Subscriptions(MethodView):
    @blp.arguments(SubscriptionCreate)
    @blp.response(201, SubscriptionOut)
    def post(self, data: dict[str, Any], org_id: int) -> ShareSubscription:
        """Subscribe shares (admin): one per resident for a municipality, else one.

        One holding per organisation: a second subscription is a 409 ``already_subscribed``,
        except a municipality's for the growth of its residents (one share per new resident).
        The price is set by the decisions decided on or before the subscription date.
        """
        org = visible_organisation(org_id)  # 404 before 403: a foreign id stays unknown
        access.require_admin(current_user())
        return _sub_out(operations.subscribe(db.session(), org, **data))


@blp.route("/organisations/<int:org_id>/redemption")
class Redemption(MethodView):
    @blp.arguments(RedemptionIn)
    @blp.response(200, OwnershipOut)
    def post(self, data: dict[str, Any], org_id: int) -> dict[str, Any]:
        """Redeem the holding of an organisation that stopped being a municipal actor (admin).

        Every share still held is redeemed on the date, the reason kept in its note; from that
        date the organisation has no votes and the in-house gate refuses it as a non-owner.
        Nothing left to redeem is a 409 ``nothing_to_redeem``.
        """
        org = visible_organisation(org_id)
        access.require_admin(current_user())
        sess = db.session()
        operations.redeem_holding(sess, org, data["redeemed_on"], data["reason"])
        on: date = data["redeemed_on"]
        return {
            "organisation_id": org.id,
            "on": on,
            "status": queries.ownership_status_of(sess, org.id, on).value,
            "votes": queries.votes_of(sess, org.id, on),
            "subscriptions": [_sub_out(r) for r in queries.subscriptions_of(sess, org.id)],
        }


@blp.route("/subscriptions/<int:sub_id>")
class SubscriptionById(MethodView):
    @blp.arguments(SubscriptionPatch)
    @blp.response(200, SubscriptionOut)
    def patch(self, data: dict[str, Any], sub_id: int) -> ShareSubscription:
        """Record payment, registration or redemption (admin)."""
        access.require_admin(current_user())
        row = db.session().get(ShareSubscription, sub_id)
        if row is None:
            raise NotFound(f"No subscription {sub_id}.")
        return _sub_out(operations.update_subscription(db.session(), row, data))


def _decision_out(row: GeneralMeetingDecision) -> GeneralMeetingDecision:
    row.carried = operations.as_decision(row).carried  # type: ignore[attr-defined]
    return row


@blp.route("/general-meeting-decisions")
class Decisions(MethodView):
    @blp.response(200, DecisionOut(many=True))
    def get(self) -> list[GeneralMeetingDecision]:
        """General-meeting share price decisions (staff)."""
        if not access.can_see_internal(current_user()):
            return []
        rows = db.session().scalars(
            select(GeneralMeetingDecision).order_by(GeneralMeetingDecision.decided_on)
        )
        return [_decision_out(r) for r in rows]

    @blp.arguments(DecisionIn)
    @blp.response(201, DecisionOut)
    def post(self, data: dict[str, Any]) -> GeneralMeetingDecision:
        """Record a decision (admin); only a 2/3 majority lowers the price.

        Never below the founders' €1 and never more votes cast than registered on its date
        (422). Subscriptions made on or after its decision date are repriced.
        """
        access.require_admin(current_user())
        return _decision_out(operations.record_decision(db.session(), **data))
