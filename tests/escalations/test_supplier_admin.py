"""Suppliers and contracts are kept by admins; a contract an escalation was measured on keeps
its promises (the supplier's history is not rewritten)."""

from __future__ import annotations

from tests.api.helpers import assert_error
from tests.escalations.conftest import local

AT = local("2026-11-23 09:00")
NEW_PROMISES = [{"priority": "P3", "response_minutes": 45, "resolution_minutes": 300}]


def _contract_of(api, world, supplier):
    (contract,) = api.ok("GET", AT, f"/suppliers/{supplier['id']}/contracts", world.admin)
    return contract


def test_an_admin_changes_a_suppliers_contacts(api, world):
    sid = world.supplier_a["id"]
    changed = api.ok(
        "PATCH",
        AT,
        f"/suppliers/{sid}",
        world.admin,
        json={"contact_email": "uusi@kuntasoft.example"},
    )
    assert changed["contact_email"] == "uusi@kuntasoft.example"
    assert api.ok("GET", AT, f"/suppliers/{sid}", world.agent)["contact_email"] == (
        "uusi@kuntasoft.example"
    )


def test_only_an_admin_changes_suppliers_and_contracts(api, world):
    contract = _contract_of(api, world, world.supplier_a)
    # Staff and the supplier's own agent see the supplier (403); others do not (404).
    cases = ((world.agent, 403), (world.agent_a, 403), (world.agent_b, 404), (world.requester, 404))
    for who, status in cases:
        path = f"/suppliers/{world.supplier_a['id']}"
        resp = api.call("PATCH", AT, path, who, json={"contact_email": "x@example.fi"})
        assert resp.status_code == status, who
        resp = api.call("PATCH", AT, f"/contracts/{contract['id']}", who, json={"name": "x"})
        assert resp.status_code == status, who
    assert _contract_of(api, world, world.supplier_a)["name"] == contract["name"]


def test_an_unused_contract_takes_new_promises(api, world):
    contract = _contract_of(api, world, world.supplier_b)
    changed = api.ok(
        "PATCH", AT, f"/contracts/{contract['id']}", world.admin, json={"promises": NEW_PROMISES}
    )
    assert [(p["priority"], p["resolution_minutes"]) for p in changed["promises"]] == [("P3", 300)]


def test_a_contract_an_escalation_used_keeps_its_promises_but_may_end(api, world):
    ticket = api.file(AT, world.requester, world.service)
    api.escalate(local("2026-11-23 10:00"), ticket["id"], world.agent)
    contract = _contract_of(api, world, world.supplier_a)
    resp = api.call(
        "PATCH", AT, f"/contracts/{contract['id']}", world.admin, json={"promises": NEW_PROMISES}
    )
    assert_error(resp, 409, "contract_frozen")
    ended = api.ok(
        "PATCH", AT, f"/contracts/{contract['id']}", world.admin, json={"valid_to": "2026-12-31"}
    )
    assert ended["valid_to"] == "2026-12-31"
    assert len(ended["promises"]) == 2


def test_a_contract_with_an_unknown_calendar_or_bad_targets_is_refused(api, world):
    contract = _contract_of(api, world, world.supplier_b)
    resp = api.call(
        "PATCH", AT, f"/contracts/{contract['id']}", world.admin, json={"calendar_id": 99999}
    )
    assert "calendar_id" in assert_error(resp, 422, "validation_error")["details"]["fields"]
    resp = api.call(
        "PATCH",
        AT,
        f"/contracts/{contract['id']}",
        world.admin,
        json={"promises": [{"priority": "P3", "response_minutes": 0, "resolution_minutes": 10}]},
    )
    assert "promises" in assert_error(resp, 422, "validation_error")["details"]["fields"]
