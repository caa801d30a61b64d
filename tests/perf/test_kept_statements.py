"""Statements kept per process serve every user of a scope shape with that user's own values.

The hot reads (`GET /tickets/{id}`, the list page, `visible_ticket` under every ticket write)
keep their statements per role shape (`access.scoped_statement`): the user's id, organisation
and supplier are required bind parameters. These tests make the second user of a shape reuse
what the first one's request kept, and check that each still sees only their own tickets;
and that a kept statement run without the user's values fails instead of reusing another's.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import StatementError

from servicedesk import access
from servicedesk.tickets.models import Ticket
from tests.api.helpers import assert_error, file_ticket

TICKETS = "/api/v1/tickets"


def _ids(client: Any, headers: dict[str, str], query: str = "limit=50") -> set[int]:
    resp = client.get(f"{TICKETS}?{query}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return {t["id"] for t in resp.get_json()["items"]}


@pytest.fixture
def two_orgs(make: Any, desk: dict[str, Any], client: Any) -> dict[str, Any]:
    """Two organisations, each with two end users and a customer contact, one ticket each."""
    world: dict[str, Any] = {}
    for o in ("a", "b"):
        org = desk["org"] if o == "a" else make.org()
        for who in ("1", "2"):
            user = desk["requester"] if (o, who) == ("a", "1") else make.user("end_user", org=org)
            h = make.auth(user)
            ticket = file_ticket(client, h, service_id=desk["service"].id).get_json()
            world[o + who] = (h, ticket["id"])
        world["contact_" + o] = make.auth(make.user("customer_contact", org=org))
    return world


def test_end_users_of_one_shape_see_only_their_own_tickets(client: Any, two_orgs: Any) -> None:
    everyone = {key: value for key, value in two_orgs.items() if not key.startswith("contact")}
    for key, (h, own) in everyone.items():
        assert _ids(client, h) == {own}, key
        assert _ids(client, h, "limit=50&status=new") == {own}, key
        assert client.get(f"{TICKETS}/{own}", headers=h).status_code == 200
        for other_key, (_, other) in everyone.items():
            if other_key != key:
                # GET, and a write's `visible_ticket`: the same 404 as a ticket that is not there
                assert_error(client.get(f"{TICKETS}/{other}", headers=h), 404, "not_found")
                reply = client.post(f"{TICKETS}/{other}/comments", json={"body": "hei"}, headers=h)
                assert_error(reply, 404, "not_found")


def test_customer_contacts_of_two_organisations_see_their_own(client: Any, two_orgs: Any) -> None:
    for org, other in (("a", "b"), ("b", "a")):
        h = two_orgs["contact_" + org]
        own = {two_orgs[org + "1"][1], two_orgs[org + "2"][1]}
        assert _ids(client, h) == own
        for _, ticket_id in (two_orgs[other + "1"], two_orgs[other + "2"]):
            assert_error(client.get(f"{TICKETS}/{ticket_id}", headers=h), 404, "not_found")


def test_a_kept_statement_needs_the_users_values(app: Any, make: Any, dbs: Any) -> None:
    user = make.user("end_user")
    stmt, params = access.scoped_statement(
        "test_requester", user, lambda u: select(Ticket.id).where(access.ticket_scope(u, True))
    )
    assert params["scope_user_id"] == user.id
    assert dbs.execute(stmt, params).all() == []
    with pytest.raises(StatementError, match="scope_user_id"):
        dbs.execute(stmt, {"ticket_id": 1}).all()
    dbs.rollback()
    other = make.user("end_user")
    again, other_params = access.scoped_statement("test_requester", other, lambda u: 1 / 0)
    assert again is stmt  # kept: not built again
    assert other_params["scope_user_id"] == other.id


def test_another_shape_gets_its_own_statement(make: Any) -> None:
    contact = make.user("customer_contact")
    end_user = make.user("end_user")

    def build(u: Any) -> Any:
        return select(Ticket.id).where(
            access.ticket_scope(u, True), Ticket.id == bindparam("ticket_id")
        )

    first, _ = access.scoped_statement("test_shapes", contact, build)
    second, _ = access.scoped_statement("test_shapes", end_user, build)
    assert first is not second
    assert "requester_id" in str(second) and "requester_id" not in str(first)
