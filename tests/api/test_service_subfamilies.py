"""A service of a family that has subfamilies needs one: application (sector, enabling) and
infrastructure (user, capacity, network, office); expert services have none."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import assert_error
from tests.conftest import Factory


def body(**fields: Any) -> dict[str, Any]:
    return {
        "code": "UUSI-PALVELU",
        "provider": "ICT",
        "name_fi": "Uusi palvelu",
        "name_sv": "Ny tjänst",
        "name_en": "New service",
        **fields,
    }


@pytest.fixture
def admin(make: Factory) -> dict[str, str]:
    return make.auth(make.user("admin"))


@pytest.mark.parametrize("family", ["application", "infrastructure"])
@pytest.mark.parametrize("subfamily", ["absent", None])
def test_a_service_of_a_family_with_subfamilies_is_refused_without_one(
    client: FlaskClient, admin: dict[str, str], family: str, subfamily: Any
) -> None:
    fields = {"family": family} if subfamily == "absent" else {"family": family, "subfamily": None}
    err = assert_error(client.post("/api/v1/services", json=body(**fields), headers=admin), 422)
    (message,) = err["details"]["fields"]["subfamily"]
    assert f"family {family} needs a subfamily" in message
    assert client.get("/api/v1/services?q=UUSI", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize(
    ("family", "subfamily"),
    [
        ("application", "sector"),
        ("application", "enabling"),
        ("infrastructure", "user"),
        ("infrastructure", "capacity"),
        ("infrastructure", "network"),
        ("infrastructure", "office"),
    ],
)
def test_each_subfamily_of_its_family_is_accepted(
    client: FlaskClient, admin: dict[str, str], family: str, subfamily: str
) -> None:
    resp = client.post(
        "/api/v1/services", json=body(family=family, subfamily=subfamily), headers=admin
    )
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["family"], resp.get_json()["subfamily"]) == (family, subfamily)


def test_a_subfamily_of_another_family_is_refused(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    resp = client.post(
        "/api/v1/services", json=body(family="application", subfamily="network"), headers=admin
    )
    assert "subfamily" in assert_error(resp, 422)["details"]["fields"]


def test_an_expert_service_has_no_subfamily(client: FlaskClient, admin: dict[str, str]) -> None:
    resp = client.post("/api/v1/services", json=body(family="expert"), headers=admin)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["subfamily"] is None
    sector = client.post(
        "/api/v1/services",
        json=body(code="TOINEN", family="expert", subfamily="sector"),
        headers=admin,
    )
    assert "subfamily" in assert_error(sector, 422)["details"]["fields"]


def test_an_update_cannot_take_the_subfamily_away(
    client: FlaskClient, make: Factory, admin: dict[str, str]
) -> None:
    service_id = make.service("ICT", family="infrastructure", subfamily="network").id
    url = f"/api/v1/services/{service_id}"
    err = assert_error(client.patch(url, json={"subfamily": None}, headers=admin), 422)
    assert "subfamily" in err["details"]["fields"]
    assert client.get(url, headers=admin).get_json()["subfamily"] == "network"
    moved = client.patch(url, json={"subfamily": "capacity"}, headers=admin)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["subfamily"] == "capacity"
