"""Optimistic concurrency (ETag / If-Match) and idempotent ticket creation.

The concurrent tests use real threads, each with its own test client and its
own token, against the one app and its shared engine. The races on one ETag or one
Idempotency-Key need PostgreSQL (SQLite serialises every writer, so there is no race to
lose); reads beside writes run on both (on SQLite reads do not take the write lock).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from servicedesk.tickets.models import Ticket, TicketEvent
from tests.api.helpers import assert_error, file_ticket

BODY = {"title": "Verkkolevy täynnä", "description": "Teknisen toimen levy 95 %."}


def count(app, stmt) -> int:
    from servicedesk import db

    with db.engine_of(app).connect() as conn:
        return conn.execute(stmt).scalar_one()


def events_of_kind(app, ticket_id: int, kind: str) -> int:
    return count(
        app,
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind),
    )


def tickets_in_db(app) -> int:
    return count(app, select(func.count()).select_from(Ticket))


@pytest.fixture
def agent(make, desk) -> dict[str, str]:
    return make.auth(desk["agent"])


@pytest.fixture
def ticket(client, desk, agent) -> tuple[dict[str, Any], str]:
    resp = file_ticket(
        client, agent, service_id=desk["service"].id, requester_id=desk["requester"].id, **BODY
    )
    return resp.get_json(), resp.headers["ETag"]


def test_a_patch_without_if_match_is_428_and_changes_nothing(client, app, agent, ticket):
    body, etag = ticket
    resp = client.patch(f"/api/v1/tickets/{body['id']}", json={"title": "Uusi"}, headers=agent)
    assert_error(resp, 428, "precondition_required")
    after = client.get(f"/api/v1/tickets/{body['id']}", headers=agent)
    assert (after.get_json()["title"], after.headers["ETag"]) == (BODY["title"], etag)
    assert events_of_kind(app, body["id"], "updated") == 0


def test_a_patch_with_a_stale_etag_is_412_and_changes_nothing(client, app, agent, ticket):
    body, first = ticket
    url = f"/api/v1/tickets/{body['id']}"
    ok = client.patch(url, json={"title": "Ensimmäinen"}, headers={**agent, "If-Match": first})
    assert ok.status_code == 200
    stale = client.patch(url, json={"title": "Toinen"}, headers={**agent, "If-Match": first})
    err = assert_error(stale, 412, "precondition_failed")
    assert err["details"] == {"current_etag": ok.headers["ETag"]}
    after = client.get(url, headers=agent)
    assert after.get_json()["title"] == "Ensimmäinen"
    assert after.headers["ETag"] == ok.headers["ETag"]
    assert events_of_kind(app, body["id"], "updated") == 1


def test_the_etag_changes_with_every_update_and_matches_the_next_read(client, agent, ticket):
    body, etag = ticket
    url = f"/api/v1/tickets/{body['id']}"
    assert client.get(url, headers=agent).headers["ETag"] == etag
    seen = {etag}
    for title in ("Yksi", "Kaksi", "Kolme"):
        resp = client.patch(url, json={"title": title}, headers={**agent, "If-Match": etag})
        assert resp.status_code == 200
        etag = resp.headers["ETag"]
        assert etag not in seen
        seen.add(etag)
        assert client.get(url, headers=agent).headers["ETag"] == etag
    assert client.get(url, headers=agent).get_json()["version"] == body["version"] + 3


def test_if_match_star_accepts_any_version(client, agent, ticket):
    body, _ = ticket
    resp = client.patch(
        f"/api/v1/tickets/{body['id']}", json={"title": "Tähti"}, headers={**agent, "If-Match": "*"}
    )
    assert resp.status_code == 200


@pytest.mark.parametrize("value", ['"0-0"', "garbage", 'W/"1-1"'])
def test_an_if_match_that_is_not_the_current_etag_is_412(client, agent, ticket, value):
    body, _ = ticket
    resp = client.patch(
        f"/api/v1/tickets/{body['id']}", json={"title": "X"}, headers={**agent, "If-Match": value}
    )
    assert_error(resp, 412, "precondition_failed")


def test_a_retried_create_with_the_same_idempotency_key_makes_one_ticket(client, app, desk, make):
    headers = {**make.auth(desk["requester"]), "Idempotency-Key": "lomake-42"}
    body = {**BODY, "service_id": desk["service"].id}
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    second = client.post("/api/v1/tickets", json=body, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.get_json()["number"] == first.get_json()["number"]
    assert tickets_in_db(app) == 1


def test_the_same_idempotency_key_with_another_body_is_422(client, app, desk, make):
    headers = {**make.auth(desk["requester"]), "Idempotency-Key": "lomake-43"}
    body = {**BODY, "service_id": desk["service"].id}
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
    other = client.post("/api/v1/tickets", json={**body, "title": "Jotain muuta"}, headers=headers)
    assert_error(other, 422, "idempotency_key_reused")
    assert tickets_in_db(app) == 1


def test_idempotency_keys_belong_to_their_user(client, app, make, desk):
    colleague = make.user("end_user", org=desk["org"])
    body = {**BODY, "service_id": desk["service"].id}
    one = client.post(
        "/api/v1/tickets",
        json=body,
        headers={**make.auth(desk["requester"]), "Idempotency-Key": "k"},
    )
    two = client.post(
        "/api/v1/tickets", json=body, headers={**make.auth(colleague), "Idempotency-Key": "k"}
    )
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.get_json()["id"] != two.get_json()["id"]
    assert tickets_in_db(app) == 2


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_an_idempotency_key_of_a_wrong_length_is_refused(client, app, desk, make, key):
    headers = {**make.auth(desk["requester"]), "Idempotency-Key": key}
    resp = client.post(
        "/api/v1/tickets", json={**BODY, "service_id": desk["service"].id}, headers=headers
    )
    assert_error(resp, 422, "validation_error")
    assert tickets_in_db(app) == 0


def run_together(n: int, work) -> list[Any]:
    """Run work(i) in n threads that start at the same moment."""
    barrier = threading.Barrier(n)

    def start(i: int) -> Any:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(start, range(n)))


@pytest.mark.postgres
def test_twenty_concurrent_patches_with_one_etag_make_exactly_one_change(app, make, desk, ticket):
    body, etag = ticket
    url = f"/api/v1/tickets/{body['id']}"
    tokens = [make.auth(desk["agent"]) for _ in range(20)]  # no shared token row to queue on

    def work(i: int) -> tuple[int, dict[str, Any], str | None]:
        resp = app.test_client().patch(
            url, json={"title": f"Versio {i}"}, headers={**tokens[i], "If-Match": etag}
        )
        return resp.status_code, resp.get_json(), resp.headers.get("ETag")

    results = run_together(20, work)
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] + [412] * 19
    for status, payload, _ in results:
        if status == 412:
            assert set(payload) == {"error"}
            assert payload["error"]["code"] == "precondition_failed"
    winner = next(i for i, (status, _, _) in enumerate(results) if status == 200)
    after = app.test_client().get(url, headers=tokens[0])
    assert after.get_json()["title"] == f"Versio {winner}"
    assert after.get_json()["version"] == body["version"] + 1
    assert after.headers["ETag"] == results[winner][2]
    assert events_of_kind(app, body["id"], "updated") == 1


@pytest.mark.postgres
def test_ten_concurrent_creates_with_one_idempotency_key_make_one_ticket(app, make, desk):
    tokens = [make.auth(desk["requester"]) for _ in range(10)]
    body = {**BODY, "service_id": desk["service"].id}

    def work(i: int) -> tuple[int, dict[str, Any]]:
        resp = app.test_client().post(
            "/api/v1/tickets", json=body, headers={**tokens[i], "Idempotency-Key": "lomake-99"}
        )
        return resp.status_code, resp.get_json()

    results = run_together(10, work)
    assert sorted(status for status, _ in results) == [200] * 9 + [201], results
    assert len({payload["id"] for _, payload in results}) == 1
    assert len({payload["number"] for _, payload in results}) == 1
    assert tickets_in_db(app) == 1
    assert events_of_kind(app, results[0][1]["id"], "created") == 1


def test_concurrent_reads_and_writes_all_succeed_and_every_write_lands(app, make, desk, ticket):
    """Readers (each on a fresh token, whose first use is recorded by the GET) beside writers:
    no "database is locked", no 5xx, and every comment is there afterwards."""
    body, _ = ticket
    url = f"/api/v1/tickets/{body['id']}"
    readers = [make.auth(desk["agent"]) for _ in range(6)]
    writers = [make.auth(desk["agent"]) for _ in range(3)]
    # A ticket of its own per writer: comments on one ticket race on its version (412).
    own = [
        file_ticket(
            app.test_client(), writers[0], service_id=desk["service"].id,
            requester_id=desk["requester"].id, **BODY,
        ).get_json()["id"]
        for _ in writers
    ]

    def work(i: int) -> list[int]:
        client = app.test_client()
        if i < len(readers):
            return [
                client.get(url if n % 2 else "/api/v1/tickets", headers=readers[i]).status_code
                for n in range(6)
            ]
        w = i - len(readers)
        return [
            client.post(
                f"/api/v1/tickets/{own[w]}/comments",
                json={"body": f"Vastaus {i}.{n}"},
                headers=writers[w],
            ).status_code
            for n in range(4)
        ]

    results = run_together(len(readers) + len(writers), work)
    assert [set(r) for r in results] == [{200}] * len(readers) + [{201}] * len(writers)
    assert [events_of_kind(app, tid, "commented") for tid in own] == [4, 4, 4]
