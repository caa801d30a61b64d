"""The OpenAPI document tells the truth: types as they travel, every error answer listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from servicedesk.api import DECIMAL_PATTERN
from tests.conftest import Factory

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_decimals_the_api_writes_as_strings_are_documented_as_strings(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    for schema, prop in [
        ("ServiceLineOut", "price"),
        ("PromiseOut", "compliance_percent"),
        ("DecisionOut", "price_per_share"),
    ]:
        assert schemas[schema]["properties"][prop] == {
            "type": "string",
            "pattern": DECIMAL_PATTERN,
        }, (schema, prop)


def test_an_agreement_read_back_matches_its_documented_decimal_pattern(
    client: FlaskClient, make: Factory
) -> None:
    make.service("ICT")
    org = make.org()
    admin = make.user("admin")
    body = client.get(
        f"/api/v1/organisations/{org.id}/agreements", headers=make.auth(admin)
    ).get_json()
    prices = [line["price"] for version in body for line in version["services"]]
    assert prices and all(re.fullmatch(DECIMAL_PATTERN, p) for p in prices), prices


def test_no_bound_or_default_of_a_number_is_a_string(spec: dict[str, Any]) -> None:
    wrong = [
        node
        for node in walk(spec)
        if "number" in (node.get("type") or [])
        and any(isinstance(node.get(key), str) for key in ("minimum", "maximum", "default"))
    ]
    assert wrong == []


def test_every_operation_lists_its_errors_instead_of_a_catch_all(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        assert "503" in responses, (method, path)
        # A 401 wherever a login is asked or made, and nowhere else (the public figures).
        asks = operation.get("security") != [] or path == "/api/v1/auth/tokens"
        assert ("401" in responses) == asks, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "415", "422"} <= set(responses), (method, path)


def test_errors_are_documented_in_the_one_envelope(spec: dict[str, Any]) -> None:
    unauthorized = spec["components"]["responses"]["UNAUTHORIZED"]
    assert unauthorized["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }


def test_paged_lists_document_a_bad_cursor_and_the_ticket_patch_its_preconditions(
    spec: dict[str, Any],
) -> None:
    paths = spec["paths"]
    for path in ("/api/v1/tickets", "/api/v1/users", "/api/v1/organisations", "/api/v1/services"):
        assert "400" in paths[path]["get"]["responses"], path
    assert {"409", "412", "428"} <= set(paths["/api/v1/tickets/{ticket_id}"]["patch"]["responses"])
    assert "429" in paths["/api/v1/auth/tokens"]["post"]["responses"]
    assert "400" in paths["/api/v1/reports/service-level"]["get"]["responses"]  # breaches_cursor
    assert "403" not in paths["/api/v1/me"]["get"]["responses"]
