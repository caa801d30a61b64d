"""POST /tickets/{id}/rating: the requester rates a resolved ticket once; a low rating goes,
with its comment, to the organisation's account managers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.notifications.models import OutboxMessage
from tests.api.helpers import assert_error
from tests.web.portal_world import PortalWorld, build


@pytest.fixture
def world(make: Any, client: Any, desk: dict[str, Any]) -> PortalWorld:
    return build(make, client, desk)


def _rate(world: PortalWorld, ticket_id: int, who: Any, **body: Any) -> Any:
    return world.client.post(
        f"/api/v1/tickets/{ticket_id}/rating", json=body, headers=world.make.auth(who)
    )


def _resolved(world: PortalWorld, who: Any = None) -> dict[str, Any]:
    ticket = world.file(who or world.user)
    world.desk_reply(ticket["id"], status="resolved")
    return ticket


def _low_mail(dbs: Any) -> list[OutboxMessage]:
    dbs.expire_all()
    return list(dbs.scalars(select(OutboxMessage).where(OutboxMessage.kind == "low_rating")))


def test_the_requester_rates_a_resolved_ticket_and_the_ticket_answer_shows_it(
    world: PortalWorld, dbs: Any
) -> None:
    ticket = _resolved(world)
    resp = _rate(world, ticket["id"], world.user, score=4, comment="Nopeasti hoidettu.")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["score"] == 4 and body["comment"] == "Nopeasti hoidettu."
    assert body["ticket_id"] == ticket["id"] and body["rated_at"].endswith("Z")
    answer = world.ticket(ticket["id"])
    assert answer["rating"] == 4
    assert answer["rating_comment"] == "Nopeasti hoidettu."
    assert answer["rated_at"] == body["rated_at"]
    events = world.client.get(
        f"/api/v1/tickets/{ticket['id']}/events", headers=world.make.auth(world.user)
    ).get_json()
    rated = [e for e in events if e["kind"] == "rated"]
    assert len(rated) == 1 and rated[0]["data"]["score"] == 4
    assert rated[0]["data"]["low_rating_to"] == 0
    assert _low_mail(dbs) == []


def test_a_second_rating_is_409_already_rated_and_changes_nothing(world: PortalWorld) -> None:
    ticket = _resolved(world)
    assert _rate(world, ticket["id"], world.user, score=5).status_code == 201
    assert_error(_rate(world, ticket["id"], world.user, score=1), 409, "already_rated")
    assert world.ticket(ticket["id"])["rating"] == 5


def test_a_closed_ticket_can_be_rated_but_an_open_one_cannot(world: PortalWorld) -> None:
    open_one = world.file(world.user)
    assert_error(_rate(world, open_one["id"], world.user, score=3), 409, "not_rateable")
    assert world.ticket(open_one["id"])["rating"] is None
    closed = _resolved(world)
    resp = world.client.patch(
        f"/api/v1/tickets/{closed['id']}",
        json={"status": "closed"},
        headers={**world.make.auth(world.user), "If-Match": "*"},
    )
    assert resp.status_code == 200, resp.get_json()
    assert _rate(world, closed["id"], world.user, score=3).status_code == 201


@pytest.mark.parametrize("score", [0, 6, -1, 3.0, 2.5, "4", True, None])
def test_a_score_outside_one_to_five_is_422(world: PortalWorld, score: Any) -> None:
    ticket = _resolved(world)
    assert_error(_rate(world, ticket["id"], world.user, score=score), 422)
    assert world.ticket(ticket["id"])["rating"] is None


def test_a_missing_score_or_unknown_field_or_long_comment_is_422(world: PortalWorld) -> None:
    ticket = _resolved(world)
    assert_error(_rate(world, ticket["id"], world.user, comment="hyvä"), 422)
    assert_error(_rate(world, ticket["id"], world.user, score=4, stars=5), 422)
    assert_error(_rate(world, ticket["id"], world.user, score=4, comment="x" * 2001), 422)
    assert world.ticket(ticket["id"])["rating"] is None


def test_a_customer_contact_may_not_rate_a_colleagues_ticket(world: PortalWorld) -> None:
    ticket = _resolved(world)
    assert_error(_rate(world, ticket["id"], world.contact, score=1), 403)
    assert_error(_rate(world, ticket["id"], world.colleague, score=1), 404)
    assert world.ticket(ticket["id"])["rating"] is None


def test_a_customer_contact_rates_their_own_ticket(world: PortalWorld) -> None:
    ticket = _resolved(world, world.contact)
    assert _rate(world, ticket["id"], world.contact, score=5).status_code == 201


def test_a_foreign_ticket_is_404_like_one_that_does_not_exist(world: PortalWorld) -> None:
    ticket = _resolved(world)
    foreign = assert_error(_rate(world, ticket["id"], world.stranger, score=5), 404)
    missing = assert_error(_rate(world, 999999, world.stranger, score=5), 404)
    assert foreign["code"] == missing["code"] == "not_found"


def test_the_desk_may_not_rate(world: PortalWorld) -> None:
    ticket = _resolved(world)
    assert_error(_rate(world, ticket["id"], world.agent, score=5), 403)


def test_a_low_rating_is_mailed_to_the_account_manager_in_their_language_escaped(
    world: PortalWorld, dbs: Any
) -> None:
    ticket = _resolved(world)
    comment = "Huono <script>alert(1)</script> & hidas"
    resp = _rate(world, ticket["id"], world.user, score=2, comment=comment)
    assert resp.status_code == 201
    mails = _low_mail(dbs)
    assert [m.recipient for m in mails] == [world.manager.email]
    mail = mails[0]
    assert mail.ticket_id == ticket["id"]
    assert mail.dedup_key == f"low_rating:ticket:{ticket['id']}:{world.manager.email}"
    assert ticket["number"] in mail.subject and "2/5" in mail.subject
    assert "Lågt betyg" in mail.subject  # the manager reads Swedish
    assert comment in mail.body  # the plain text part as written
    assert "<script>" not in (mail.html_body or "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; hidas" in (mail.html_body or "")
    events = world.client.get(
        f"/api/v1/tickets/{ticket['id']}/events", headers=world.make.auth(world.agent)
    ).get_json()
    assert [e["data"]["low_rating_to"] for e in events if e["kind"] == "rated"] == [1]


def test_a_rating_of_three_goes_to_nobody(world: PortalWorld, dbs: Any) -> None:
    ticket = _resolved(world)
    assert _rate(world, ticket["id"], world.user, score=3, comment="ok").status_code == 201
    assert _low_mail(dbs) == []


def test_the_rating_is_documented_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/tickets/{ticket_id}/rating"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(operation["responses"])
    schema = spec["components"]["schemas"]["RatingIn"]
    assert schema["properties"]["score"]["minimum"] == 1
    assert schema["properties"]["score"]["maximum"] == 5
    ticket_out = spec["components"]["schemas"]["TicketOut"]["properties"]
    assert {"rating", "rating_comment", "rated_at"} <= set(ticket_out)


@pytest.mark.postgres
def test_ten_concurrent_ratings_store_one_and_mail_once(
    app: Any, world: PortalWorld, dbs: Any
) -> None:
    from tests.api.test_concurrency import events_of_kind, run_together

    ticket = _resolved(world)
    tokens = [world.make.auth(world.user) for _ in range(10)]

    def work(i: int) -> int:
        resp = app.test_client().post(
            f"/api/v1/tickets/{ticket['id']}/rating",
            json={"score": 1 + i % 2, "comment": f"yritys {i}"},
            headers=tokens[i],
        )
        return resp.status_code

    statuses = sorted(run_together(10, work))
    assert statuses == [201] + [409] * 9, statuses
    assert events_of_kind(app, ticket["id"], "rated") == 1
    assert len(_low_mail(dbs)) == 1
