"""No 500 from any input, and no silent coercion.

A JSON integer longer than Python reads is 400, on every endpoint; 1.5 is not an id and 0 is
not false; ids in URLs are ASCII digits; a PATCH that changes nothing is refused; `%` and `_`
in search text are themselves; OPTIONS answers 204 with Allow; bad JSON details its fields
as a dict, and a body that is not JSON is 415.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.helpers import assert_error, file_ticket

API = "/api/v1"
TICKETS = f"{API}/tickets"
#: One digit more than Python's int-string conversion limit (4 300 digits).
HUGE = "9" * 4301


@pytest.fixture
def customer(make, desk) -> dict[str, str]:
    return make.auth(desk["requester"])


@pytest.fixture
def agent(make, desk) -> dict[str, str]:
    return make.auth(desk["agent"])


@pytest.fixture
def admin(make) -> dict[str, str]:
    return make.auth(make.user("admin"))


@pytest.fixture
def ticket(client, desk, customer) -> dict[str, Any]:
    return file_ticket(client, customer, service_id=desk["service"].id).get_json()


def operations(client, method: str) -> list[str]:
    """Every path of the OpenAPI document with a `method` operation, ids filled in with 1."""
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    return sorted(
        re.sub(r"{[^}]+}", "1", path)
        for path, ops in paths.items()
        if method in ops
        and (method != "post" or "requestBody" in ops[method])
        and _reads_json(ops[method])
    )


def _reads_json(operation: dict[str, Any]) -> bool:
    """False for a multipart upload (attachments): a JSON body is 415 there, unread."""
    body = operation.get("requestBody")
    return body is None or "application/json" in body["content"]


def post_raw(client, url: str, raw: str, headers: dict[str, str] | None = None) -> Any:
    return client.post(url, data=raw, content_type="application/json", headers=headers or {})


def tickets_count(client, headers) -> int:
    return len(client.get(f"{TICKETS}?limit=200", headers=headers).get_json()["items"])


# --- an integer longer than Python reads -------------------------------------------------------


def test_a_password_of_4301_digits_is_400_without_logging_in(client):
    raw = '{"email": "a@example.fi", "password": ' + HUGE + "}"
    err = assert_error(post_raw(client, f"{API}/auth/tokens", raw), 400, "bad_request")
    assert isinstance(err["details"]["fields"], dict)


def test_a_number_of_4300_digits_is_read_and_refused_as_a_value(client, customer):
    raw = '{"title": "a", "description": "b", "service_id": ' + "9" * 4300 + "}"
    assert_error(post_raw(client, TICKETS, raw, customer), 422, "validation_error")
    assert tickets_count(client, customer) == 0


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_an_integer_over_4300_digits_is_400_on_every_endpoint_with_a_body(client, admin, method):
    urls = operations(client, method)
    assert urls
    for url in urls:
        raw = '{"user_ids": [' + HUGE + "]}"
        resp = getattr(client, method)(
            url, data=raw, content_type="application/json", headers=admin
        )
        assert_error(resp, 400, "bad_request")


# --- strict numbers and booleans ---------------------------------------------------------------


@pytest.mark.parametrize(
    "as_sent",
    [lambda i: i + 0.5, float, str, lambda i: True],
    ids=["one_and_a_half", "float", "text", "true"],
)
def test_a_service_id_that_is_not_a_json_integer_is_422_and_files_nothing(
    client, desk, customer, as_sent
):
    body = {"title": "Wilma", "description": "Ei aukea", "service_id": as_sent(desk["service"].id)}
    err = assert_error(client.post(TICKETS, json=body, headers=customer), 422, "validation_error")
    assert err["details"]["fields"]["service_id"] == ["Not a valid integer."]
    assert tickets_count(client, customer) == 0


def test_votes_of_1_9_are_422_not_1(client, admin):
    body = {
        "decided_on": "2026-05-20",
        "price_per_share": "10.00",
        "votes_for": 1.9,
        "votes_cast": 2,
        "applies_from": "2027-01-01",
    }
    resp = client.post(f"{API}/general-meeting-decisions", json=body, headers=admin)
    err = assert_error(resp, 422, "validation_error")
    assert set(err["details"]["fields"]) == {"votes_for"}
    assert client.get(f"{API}/general-meeting-decisions", headers=admin).get_json() == []


def test_a_member_id_of_1_5_is_422_naming_its_place_in_the_list(client, make, admin, desk):
    group = desk["group"]
    agent = desk["agent"]
    resp = client.put(
        f"{API}/groups/{group.id}/members",
        json={"user_ids": [agent.id, agent.id + 0.5]},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"] == {"user_ids": {"1": ["Not a valid integer."]}}


def test_account_manager_ids_must_be_integers(client, make, admin):
    org = make.org()
    manager = make.user("account_manager")
    resp = client.put(
        f"{API}/organisations/{org.id}/account-managers",
        json={"user_ids": [manager.id + 0.5]},
        headers=admin,
    )
    err = assert_error(resp, 422, "validation_error")
    assert "user_ids" in err["details"]["fields"]


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None], ids=str)
def test_is_triage_is_true_or_false_only(client, admin, value):
    body = {"code": "NEW-1", "name": "Uusi ryhmä", "provider": "ICT", "is_triage": value}
    err = assert_error(client.post(f"{API}/groups", json=body, headers=admin), 422)
    assert "is_triage" in err["details"]["fields"]


def test_true_and_false_are_booleans(client, admin):
    body = {"code": "NEW-2", "name": "Uusi ryhmä", "provider": "ICT", "is_triage": False}
    assert client.post(f"{API}/groups", json=body, headers=admin).status_code == 201


@pytest.mark.parametrize("value", ["\uff11", "1.5", " 1", "1_0", "1e1"], ids=repr)
def test_a_filter_id_in_a_query_string_is_ascii_digits(client, customer, value):
    err = assert_error(client.get(f"{TICKETS}?service_id={value}", headers=customer), 422)
    assert "service_id" in err["details"]["fields"]


def test_query_strings_still_read_digits_and_words(client, desk, customer, ticket):
    url = f"{TICKETS}?service_id={desk['service'].id}&unassigned=true&limit=10"
    assert [t["id"] for t in client.get(url, headers=customer).get_json()["items"]] == [
        ticket["id"]
    ]


# --- ids in URLs -------------------------------------------------------------------------------


#: ASCII digits to full-width (U+FF10...) and Arabic-Indic (U+0660...) ones.
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))


def test_a_ticket_id_in_other_digits_is_no_ticket(client, customer, ticket):
    ticket_id = str(ticket["id"])
    assert client.get(f"{TICKETS}/{ticket_id}", headers=customer).status_code == 200
    for digits in (FULL_WIDTH, ARABIC_INDIC):
        resp = client.get(f"{TICKETS}/{ticket_id.translate(digits)}", headers=customer)
        assert_error(resp, 404, "not_found")


# --- a PATCH that changes nothing --------------------------------------------------------------


def test_an_empty_patch_is_422_nothing_to_change_on_every_patch_endpoint(client, admin):
    urls = operations(client, "patch")
    assert len(urls) >= 12
    for url in urls:
        for raw in ("{}", ""):
            resp = client.patch(url, data=raw, content_type="application/json", headers=admin)
            err = assert_error(resp, 422, "nothing_to_change")
            assert err["message"].startswith("Nothing to change")


def test_an_empty_patch_bumps_no_version_and_writes_no_event(client, agent, ticket):
    url = f"{TICKETS}/{ticket['id']}"
    before = client.get(url, headers=agent)
    events = client.get(f"{url}/events", headers=agent).get_json()
    resp = client.patch(url, json={}, headers={**agent, "If-Match": before.headers["ETag"]})
    assert_error(resp, 422, "nothing_to_change")
    after = client.get(url, headers=agent)
    assert after.headers["ETag"] == before.headers["ETag"]
    assert after.get_json()["updated_at"] == before.get_json()["updated_at"]
    assert client.get(f"{url}/events", headers=agent).get_json() == events


def test_a_patch_with_a_change_still_works(client, agent, ticket):
    url = f"{TICKETS}/{ticket['id']}"
    etag = client.get(url, headers=agent).headers["ETag"]
    resp = client.patch(url, json={"title": "Uusi otsikko"}, headers={**agent, "If-Match": etag})
    assert resp.status_code == 200, resp.get_json()


# --- LIKE wildcards are literal ----------------------------------------------------------------


def test_per_cent_and_underscore_in_ticket_search_match_only_themselves(client, desk, customer):
    sid = desk["service"].id
    titles = ["Levy 100% täynnä", "Tiedosto oma_kansio katosi", "Tulostin ei toimi"]
    ids = {
        t: file_ticket(client, customer, title=t, service_id=sid).get_json()["id"] for t in titles
    }

    def found(q: str) -> list[int]:
        resp = client.get(TICKETS, query_string={"q": q}, headers=customer)
        return [t["id"] for t in resp.get_json()["items"]]

    assert found("%") == [ids["Levy 100% täynnä"]]
    assert found("_") == [ids["Tiedosto oma_kansio katosi"]]
    assert found("\\") == []
    assert found("toimi") == [ids["Tulostin ei toimi"]]


def test_wildcards_are_literal_in_user_service_and_organisation_search(client, make, admin):
    make.user("end_user")
    make.service(name_en="Backup_100% restore")
    make.org(name="Kunta_100%")

    def found(path: str, q: str) -> int:
        return len(client.get(f"{API}/{path}", query_string={"q": q}, headers=admin).json["items"])

    assert found("users", "_") == 0  # no name or e-mail has an underscore
    assert found("users", "%") == 0
    assert found("services", "_") == 1
    assert found("services", "%") == 1
    assert found("organisations", "_") == 1
    assert found("organisations", "%") == 1
    assert found("organisations", "Kunta_") == 1


# --- OPTIONS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets", "/tickets/1", "/auth/tokens", "/groups/1/members"])
def test_options_on_an_api_path_is_204_with_allow(client, path):
    resp = client.options(f"{API}{path}")
    assert resp.status_code == 204
    assert resp.get_data() == b""
    assert "text/html" not in (resp.content_type or "")
    assert "OPTIONS" in resp.headers["Allow"]


# --- bad JSON and bodies that are not JSON -----------------------------------------------------


@pytest.mark.parametrize("raw", ["{", '{"title": }', "nul"])
def test_bad_json_details_its_fields_as_a_dict(client, customer, raw):
    err = assert_error(post_raw(client, TICKETS, raw, customer), 400, "bad_request")
    assert err["details"]["fields"] == {"_schema": ["Invalid JSON body."]}


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", "email=a%40example.fi&password=x"),
        ("text/plain", '{"email": "a@example.fi", "password": "x"}'),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
    ids=["form", "text_plain", "multipart"],
)
def test_a_body_that_is_not_json_is_415_even_before_logging_in(client, content_type, data):
    resp = client.post(f"{API}/auth/tokens", data=data, content_type=content_type)
    assert_error(resp, 415, "unsupported_media_type")


def test_a_form_posted_to_tickets_is_415_and_files_nothing(client, customer):
    resp = client.post(TICKETS, data={"title": "Wilma", "description": "x"}, headers=customer)
    assert_error(resp, 415, "unsupported_media_type")
    assert tickets_count(client, customer) == 0


def test_json_with_a_suffix_type_is_json(client, desk, customer):
    body = json.dumps({"title": "Wilma", "description": "x", "service_id": desk["service"].id})
    resp = client.post(
        TICKETS, data=body, content_type="application/merge-patch+json", headers=customer
    )
    assert resp.status_code == 201, resp.get_json()
