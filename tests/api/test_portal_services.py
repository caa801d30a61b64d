"""GET /portal/services: the portal's service picker for API clients."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from catalog.agreements.models import AgreementService
from tests.api.helpers import assert_error


def _services(client: Any, make: Any, user: Any) -> Any:
    return client.get("/api/v1/portal/services", headers=make.auth(user))


def test_an_end_user_gets_the_services_with_their_types(client: Any, make: Any, dbs: Any) -> None:
    now_service = make.service("ICT")
    later = make.service("THH")
    user = make.user("end_user")
    line = dbs.scalar(select(AgreementService).where(AgreementService.service_id == later.id))
    line.starts_on = date(2099, 3, 1)
    dbs.commit()
    resp = _services(client, make, user)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["refusal"] is None
    by_id = {s["service"]["id"]: s for s in body["services"]}
    assert by_id[now_service.id]["available"] is True
    assert by_id[now_service.id]["types"] == [
        "incident",
        "service_request",
        "change_need",
        "feedback",
    ]
    assert by_id[later.id] == {
        "service": by_id[later.id]["service"],
        "available": False,
        "starts_on": "2099-03-01",
        "reason": "service_not_started",
        "types": ["change_need", "feedback"],
    }


def test_a_refused_organisation_gets_the_reason_and_no_services(client: Any, make: Any) -> None:
    make.service("ICT")
    user = make.user("end_user", org=make.org(entitled=False))
    body = _services(client, make, user).get_json()
    assert body["services"] == []
    assert body["refusal"]["reason"] == "not_owner" and body["refusal"]["message"]


def test_the_desk_is_refused_the_customer_service_list(client: Any, make: Any) -> None:
    assert_error(_services(client, make, make.user("agent")), 403)


def test_the_service_list_is_documented(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/v1/portal/services"]
    assert "OffersOut" in spec["components"]["schemas"]
