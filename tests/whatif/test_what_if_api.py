"""GET /api/v1/agreements/{id}/what-if: the comparison, who may read it, and that it stores
nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.agreements.models import AgreementService, AgreementVersion, ServicePromise
from servicedesk.db import Base
from tests.api.helpers import assert_error
from tests.sla.conftest import P4, hel

NOW = hel(2026, 12, 1, 12)
URL = "/api/v1/agreements/{}/what-if?until=2026-11-30&months=1"


def _tickets(world: Any) -> dict[str, int]:
    """Mon 2.11.2026: one P3 answered in 30 min and fixed in 3 h (met), one P3 fixed two
    business days later (resolution breached), one P4 (no promise in the real version)."""
    quick = world.file(hel(2026, 11, 2, 9))["id"]
    world.comment(quick, hel(2026, 11, 2, 9, 30))
    world.patch(quick, hel(2026, 11, 2, 12), status="resolved")
    slow = world.file(hel(2026, 11, 2, 10))["id"]
    world.comment(slow, hel(2026, 11, 2, 10, 5))
    world.patch(slow, hel(2026, 11, 4, 15), status="resolved")
    low = world.file(hel(2026, 11, 2, 11), **P4)["id"]
    world.patch(low, hel(2026, 11, 2, 11, 30), status="resolved")
    return {"quick": quick, "slow": slow, "low": low}


def _proposal(world: Any, dbs: Any) -> int:
    """A stricter version with dearer tickets (dated after the real one: it never applies)."""
    version = AgreementVersion(
        organisation_id=world.org.id, version_no=2, valid_from=date(2030, 1, 1), valid_to=None
    )
    dbs.add(version)
    dbs.flush()
    dbs.add_all(
        [
            ServicePromise(
                agreement_version_id=version.id,
                priority="P3",
                response_minutes=10,
                resolution_minutes=60,
                calendar_id=world.office_calendar_id,
            ),
            ServicePromise(
                agreement_version_id=version.id,
                priority="P4",
                response_minutes=60,
                resolution_minutes=2400,
                calendar_id=world.always_calendar_id,
            ),
            AgreementService(
                agreement_version_id=version.id,
                service_id=world.app_service.id,
                starts_on=date(2030, 1, 1),
                price_model="per_ticket",
                price=Decimal("40.00"),
            ),
        ]
    )
    dbs.commit()
    return version.id


def _counts(dbs: Any) -> dict[str, int]:
    dbs.rollback()
    return {
        t.name: dbs.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
    }


def _get(world: Any, version_id: int, who: str = "account_manager") -> Any:
    return world.call("GET", URL.format(version_id), NOW, who)


def test_own_version_changes_nothing_and_a_proposal_says_what_would(world: Any, dbs: Any) -> None:
    ids = _tickets(world)
    own = _get(world, world.version["id"])
    assert own.status_code == 200, own.get_json()
    body = own.get_json()
    assert (body["first_day"], body["last_day"], body["tickets"]) == (
        "2026-11-01",
        "2026-11-30",
        3,
    )
    assert body["changes"] == []
    by_line = {(r["scope"], r["priority"], r["kind"]): r for r in body["lines"]}
    resolution = by_line[("agreement default", "P3", "resolution")]
    assert resolution["actual"] == resolution["replayed"]
    assert resolution["actual"] == {"met": 1, "breached": 1, "compliance_percent": "50.00"}
    assert by_line[("no promise", None, "response")]["actual"]["met"] == 0
    assert body["actual_charges"]["total"] == body["replayed_charges"]["total"] == "75.00"
    assert body["charges_difference"] == "0.00"

    proposal = _proposal(world, dbs)
    before = _counts(dbs)
    resp = _get(world, proposal)
    assert resp.status_code == 200, resp.get_json()
    assert _counts(dbs) == before  # read only
    body = resp.get_json()
    changed = {(c["ticket_id"], c["kind"]): (c["actual"], c["replayed"]) for c in body["changes"]}
    assert changed == {
        (ids["quick"], "response"): ("met", "breached"),  # 30 min > 10
        (ids["quick"], "resolution"): ("met", "breached"),  # 3 h > 60 min
        (ids["low"], "response"): ("no_promise", "met"),
        (ids["low"], "resolution"): ("no_promise", "met"),
    }  # the slow one: answered in 5 min (met), fixed late (breached) either way
    by_line = {(r["priority"], r["kind"]): r for r in body["lines"]}
    p3 = by_line[("P3", "resolution")]
    assert p3["actual"] == {"met": 1, "breached": 1, "compliance_percent": "50.00"}
    assert p3["replayed"] == {"met": 0, "breached": 2, "compliance_percent": "0.00"}
    assert p3["target_minutes"] == 60
    assert by_line[("P4", "response")]["replayed"]["met"] == 1
    assert body["actual_charges"]["total"] == "75.00"
    assert body["replayed_charges"]["total"] == "120.00"
    assert body["charges_difference"] == "45.00"


def test_who_may_ask(world: Any, make: Any) -> None:
    version_id = world.version["id"]
    contact = make.user("customer_contact", org=world.org)
    world.headers["contact"] = make.auth(contact)
    for who in ("admin", "account_manager", "contact"):
        assert _get(world, version_id, who).status_code == 200, who
    assert_error(_get(world, version_id, "agent"), 403)
    for who in ("requester", "stranger"):
        assert_error(_get(world, version_id, who), 404)
    assert_error(_get(world, version_id + 999), 404)


@pytest.mark.parametrize("query", ["&months=0", "&months=25", "&months=x", "&until=30.11.2026"])
def test_bad_arguments_are_422(world: Any, query: str) -> None:
    url = f"/api/v1/agreements/{world.version['id']}/what-if?{query[1:]}"
    assert_error(world.call("GET", url, NOW, "admin"), 422)


def test_months_widen_the_window(world: Any) -> None:
    world.file(hel(2026, 9, 1, 9))
    world.file(hel(2026, 11, 2, 9))
    one = _get(world, world.version["id"]).get_json()
    url = f"/api/v1/agreements/{world.version['id']}/what-if?until=2026-11-30&months=3"
    three = world.call("GET", url, NOW, "admin").get_json()
    assert (one["tickets"], three["tickets"]) == (1, 2)
    assert three["first_day"] == "2026-09-01"


def test_a_ticket_whose_clocks_started_again_is_judged_by_its_last_clock(world: Any) -> None:
    """P3 -> P4 cancels the clocks ("no promise for P4"); P4 -> P3 starts a new cycle from the
    received time. What happened is the new cycle's outcome, and the replay under the
    ticket's own version agrees with it: no change."""
    tid = world.file(hel(2026, 11, 2, 9))["id"]
    world.patch(tid, hel(2026, 11, 2, 9, 10), priority="P4", priority_reason="ei kiireellinen")
    world.patch(tid, hel(2026, 11, 2, 9, 20), priority="P3", priority_reason="sittenkin")
    world.comment(tid, hel(2026, 11, 2, 9, 30))
    world.patch(tid, hel(2026, 11, 2, 12), status="resolved")
    clocks = world.call("GET", f"/api/v1/tickets/{tid}/sla", NOW).get_json()["clocks"]
    assert {(c["kind"], c["cycle"]) for c in clocks if c["kind"] != "update"} >= {
        ("response", 1),
        ("resolution", 1),
    }
    body = _get(world, world.version["id"]).get_json()
    assert body["changes"] == []
    by_line = {(r["scope"], r["priority"], r["kind"]): r for r in body["lines"]}
    assert by_line[("agreement default", "P3", "response")]["actual"]["met"] == 1
