"""`GET /api/v1/public/service-level`: no login, cacheable, documented; bad `months` is a
400 in the envelope; small cells are suppressed; the price list shows ranges, never who."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from catalog.agreements.models import AgreementService, AgreementVersion
from catalog.services.models import Service
from servicedesk import db
from tests.api.helpers import assert_error
from tests.public.world import PublicWorld, local

URL = "/api/v1/public/service-level"
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def get(client: Any, **query: Any) -> Any:
    with db.frozen_now(NOW):
        return client.get(URL, query_string=query)


def family(body: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    (found,) = [f for f in body["families"] if f["family"] == name]
    return {m["month"]: m for m in found["months"]}


def test_answers_without_login_and_may_be_cached_by_anyone(client: Any, world: Any) -> None:
    resp = get(client)
    assert resp.status_code == 200, resp.get_json()
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    body = resp.get_json()
    # The last 12 whole Helsinki months and the current one, oldest first.
    assert body["months"][0] == "2025-12" and body["months"][-1] == "2026-12"
    assert len(body["months"]) == 13
    assert body["minimum_count"] == 5
    assert [f["family"] for f in body["families"]] == ["expert", "application", "infrastructure"]


def test_a_bad_token_does_not_stop_the_public_answer(client: Any, world: Any) -> None:
    with db.frozen_now(NOW):
        resp = client.get(URL, headers={"Authorization": "Bearer nonsense"})
    assert resp.status_code == 200


def test_months_chooses_how_many_whole_months(client: Any, world: Any) -> None:
    body = get(client, months=24).get_json()
    assert len(body["months"]) == 25 and body["months"][0] == "2024-12"
    assert get(client, months=1).get_json()["months"] == ["2026-11", "2026-12"]


@pytest.mark.parametrize("months", ["0", "25", "x", "1.5", "-3", "", "\uff11\uff12"])
def test_a_bad_months_is_a_400_in_the_envelope(client: Any, world: Any, months: str) -> None:
    error = assert_error(get(client, months=months), 400, "bad_request")
    assert "months" in error["details"]["fields"]


def test_the_openapi_document_says_no_login_and_lists_the_400(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"][URL]["get"]
    assert op["security"] == []
    assert "400" in op["responses"] and "200" in op["responses"]
    assert "403" not in op["responses"]


def test_a_cell_of_four_clocks_is_suppressed_and_of_five_shown(
    client: Any, world: PublicWorld
) -> None:
    w = world
    tid = w.ticket(client, "expert", local(2025, 1, 1))
    for i in range(4):
        w.clock(tid, "response", "met", cycle=i + 1, stopped=local(2026, 11, 3, 10, i))
    w.clock(tid, "resolution", "met", cycle=1, stopped=local(2026, 11, 3))
    w.sess.commit()
    nov = family(get(client).get_json(), "expert")["2026-11"]
    for kind in ("response", "resolution"):
        assert nov[kind] == {
            "suppressed": True,
            "met": None,
            "breached": None,
            "clocks": None,
            "compliance_percent": None,
        }
    w.clock(tid, "response", "breached", cycle=5, stopped=local(2026, 11, 30, 23, 59, 59))
    w.sess.commit()
    nov = family(get(client).get_json(), "expert")["2026-11"]
    assert nov["response"] == {
        "suppressed": False,
        "met": 4,
        "breached": 1,
        "clocks": 5,
        "compliance_percent": "80.00",
    }
    assert nov["resolution"]["suppressed"] is True


def test_a_volume_of_four_tickets_is_suppressed_and_of_five_shown(
    client: Any, world: PublicWorld
) -> None:
    w = world
    for day in range(1, 5):
        w.ticket(client, "infrastructure", local(2026, 10, day, 9))
    assert family(get(client).get_json(), "infrastructure")["2026-10"]["received"] is None
    w.ticket(client, "infrastructure", local(2026, 10, 31, 23, 59, 59))
    w.ticket(client, "infrastructure", local(2026, 11, 1, 0, 0))  # November's
    months = family(get(client).get_json(), "infrastructure")
    assert months["2026-10"]["received"] == 5
    assert months["2026-11"]["received"] is None


def _price_of(sess: Any, org_id: int, service_id: int, price: str) -> None:
    version = sess.scalar(
        select(AgreementVersion.id).where(AgreementVersion.organisation_id == org_id)
    )
    sess.execute(
        update(AgreementService)
        .where(
            AgreementService.agreement_version_id == version,
            AgreementService.service_id == service_id,
        )
        .values(price=Decimal(price))
    )


def test_the_price_list_shows_the_range_in_force_and_no_retired_service(
    client: Any, make: Any, world: PublicWorld
) -> None:
    w, sess = world, world.sess
    expert, network = w.services["expert"], w.services["infrastructure"]
    other = make.org(name="Toinen kunta")
    _price_of(sess, other.id, expert.id, "30.00")
    # A version no longer in force does not count, whatever its price.
    old = make.org(name="Entinen kunta")
    sess.execute(
        update(AgreementVersion)
        .where(AgreementVersion.organisation_id == old.id)
        .values(valid_from=date(2019, 1, 1), valid_to=date(2025, 12, 31))
    )
    _price_of(sess, old.id, expert.id, "99.00")
    sess.execute(
        update(Service).where(Service.id == network.id).values(retired_at=local(2026, 6, 1))
    )
    sess.commit()
    catalogue = {s["code"]: s for s in get(client).get_json()["catalogue"]}
    assert catalogue[expert.code]["prices"] == [
        {"price_model": "per_ticket", "low": "25.00", "high": "30.00"}
    ]
    assert catalogue[w.services["application"].code]["prices"] == [
        {"price_model": "per_ticket", "low": "25.00", "high": "25.00"}
    ]
    assert catalogue[expert.code]["name_sv"] == expert.name_sv
    assert network.code not in catalogue


def test_a_worker_keeps_the_figures_for_a_while_when_told_to(
    app: Any, client: Any, world: PublicWorld
) -> None:
    w = world
    for day in range(1, 6):
        w.ticket(client, "expert", local(2026, 10, day, 9))
    app.config["PUBLIC_CACHE_SECONDS"] = 3600
    try:
        first = family(get(client, months=3).get_json(), "expert")["2026-10"]["received"]
        w.ticket(client, "expert", local(2026, 10, 20, 9))
        kept = family(get(client, months=3).get_json(), "expert")["2026-10"]["received"]
        other = family(get(client, months=4).get_json(), "expert")["2026-10"]["received"]
    finally:
        app.config["PUBLIC_CACHE_SECONDS"] = 0
    fresh = family(get(client, months=3).get_json(), "expert")["2026-10"]["received"]
    assert (first, kept, other, fresh) == (5, 5, 6, 6)
