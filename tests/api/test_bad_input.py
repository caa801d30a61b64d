"""Bad input answers 4xx in the one envelope, never a 500 (and never a stack trace).

Malformed JSON, wrong types, unknown and missing fields, oversized bodies, bad
business IDs, bad cursors, bad enum values and query parameters, other content
types, values no database can store; then a hypothesis fuzz of ticket bodies.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.api.helpers import assert_error, file_ticket

TICKETS = "/api/v1/tickets"


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


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


def valid_ticket(desk) -> dict[str, Any]:
    return {
        "title": "Wilma ei aukea",
        "description": "Kirjautuminen pyörii.",
        "service_id": desk["service"].id,
    }


def tickets_count(client, headers) -> int:
    return len(client.get(f"{TICKETS}?limit=200", headers=headers).get_json()["items"])


# --- malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"title": }',
        b'{"title": "a",}',
        b"\xff\xfe",
        b"{'title': 'a'}",
        b"nul",
        b'{"title": "a"} trailing',
    ],
    ids=[
        "unclosed",
        "missing_value",
        "trailing_comma",
        "not_utf8",
        "single_quotes",
        "bare_word",
        "trailing_text",
    ],
)
def test_malformed_json_is_400(client, customer, raw):
    resp = client.post(TICKETS, data=raw, content_type="application/json", headers=customer)
    err = assert_error(resp, 400, "bad_request")
    assert err["message"] == "The request body is not valid JSON."
    assert err["details"]["fields"] == {"_schema": ["Invalid JSON body."]}


def test_json_nested_beyond_reason_is_400(client, customer):
    raw = "[" * 100_000 + "]" * 100_000
    resp = client.post(TICKETS, data=raw, content_type="application/json", headers=customer)
    assert_error(resp, 400, "bad_request")


@pytest.mark.parametrize(
    "body",
    [[], [1, 2], "text", 42, None, True],
    ids=["empty_list", "list", "string", "number", "null", "true"],
)
def test_a_body_that_is_not_an_object_is_422(client, customer, body):
    resp = client.post(
        TICKETS, data=json.dumps(body), content_type="application/json", headers=customer
    )
    assert_error(resp, 422, "validation_error")


def test_a_body_over_the_size_limit_is_413_and_files_nothing(client, app, desk, customer):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    body = json.dumps({**valid_ticket(desk), "description": "x" * limit})
    resp = client.post(TICKETS, data=body, content_type="application/json", headers=customer)
    assert_error(resp, 413, "payload_too_large")
    assert tickets_count(client, customer) == 0


def test_a_body_just_under_the_limit_is_read(client, app, desk, customer):
    # the description's own limit (20 000 characters) answers, not the size limit
    body = json.dumps(
        {**valid_ticket(desk), "description": "x" * (app.config["MAX_CONTENT_LENGTH"] - 1000)}
    )
    resp = client.post(TICKETS, data=body, content_type="application/json", headers=customer)
    err = assert_error(resp, 422, "validation_error")
    assert "description" in err["details"]["fields"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", "title=Wilma"),
        ("application/x-www-form-urlencoded", "title=Wilma"),
        ("application/xml", "<ticket><title>Wilma</title></ticket>"),
    ],
    ids=["text_plain", "form", "xml"],
)
def test_a_body_that_is_not_json_is_415_in_the_envelope(client, customer, content_type, data):
    resp = client.post(TICKETS, data=data, headers=customer, content_type=content_type)
    assert_error(resp, 415, "unsupported_media_type")
    assert tickets_count(client, customer) == 0


def test_no_body_at_all_is_422_naming_the_required_fields(client, customer):
    err = assert_error(client.post(TICKETS, headers=customer), 422, "validation_error")
    assert set(err["details"]["fields"]) == {"title", "description"}


# --- wrong, unknown, missing fields -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 5),
        ("title", ["a"]),
        ("title", None),
        ("title", ""),
        ("title", "x" * 201),
        ("description", {"a": 1}),
        ("description", ""),
        ("service_id", "abc"),
        ("service_id", True),
        ("service_id", 1e400),
        ("service_id", [1]),
        ("requester_id", {}),
        ("impact", 3),
        ("impact", "extreme"),
        ("urgency", "HIGH"),
        ("type", "bug"),
        ("type", None),
        ("channel", "fax"),
        ("provider", "XYZ"),
        ("received_at", "yesterday"),
        ("received_at", "2026-01-01T10:00:00"),
        ("received_at", 1700000000),
        ("priority", "P9"),
    ],
    ids=lambda v: str(v)[:20],
)
def test_a_field_of_the_wrong_type_or_value_is_422_naming_the_field(
    client, desk, customer, field, value
):
    resp = client.post(TICKETS, json={**valid_ticket(desk), field: value}, headers=customer)
    err = assert_error(resp, 422, "validation_error")
    assert field in err["details"]["fields"]


@pytest.mark.parametrize(
    "field", ["titel", "status", "organisation_id", "number", "id", "internal", "__class__"]
)
def test_an_unknown_field_is_422(client, desk, customer, field):
    resp = client.post(TICKETS, json={**valid_ticket(desk), field: "x"}, headers=customer)
    err = assert_error(resp, 422, "validation_error")
    assert err["details"]["fields"][field] == ["Unknown field."]


@pytest.mark.parametrize("missing", ["title", "description"])
def test_a_missing_required_field_is_422(client, desk, customer, missing):
    body = valid_ticket(desk)
    del body[missing]
    err = assert_error(client.post(TICKETS, json=body, headers=customer), 422, "validation_error")
    assert err["details"]["fields"] == {missing: ["Missing data for required field."]}


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \ud800 surrogate"], ids=["nul", "surrogate"])
def test_text_no_database_can_store_is_422_on_every_database(client, desk, customer, text):
    body = json.dumps({**valid_ticket(desk), "title": text})  # ensure_ascii keeps \ud800 as is
    resp = client.post(TICKETS, data=body, content_type="application/json", headers=customer)
    err = assert_error(resp, 422, "validation_error")
    assert "title" in err["details"]["fields"]
    assert tickets_count(client, customer) == 0


@pytest.mark.parametrize("field", ["service_id", "requester_id"])
def test_a_number_beyond_any_id_is_422(client, desk, agent, field):
    body = {**valid_ticket(desk), "requester_id": desk["requester"].id, field: 10**20}
    assert_error(client.post(TICKETS, json=body, headers=agent), 422, "validation_error")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/99999999999999999999",
        "/api/v1/tickets/99999999999999999999/comments",
        "/api/v1/organisations/99999999999999999999",
        "/api/v1/users/99999999999999999999",
        "/api/v1/groups/99999999999999999999",
        "/api/v1/services/99999999999999999999",
        "/api/v1/tickets/-1",
        "/api/v1/tickets/abc",
    ],
)
def test_an_id_in_the_path_that_cannot_exist_is_404(client, customer, path):
    assert_error(client.get(path, headers=customer), 404, "not_found")


# --- PATCH and comments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"title": 5},
        {"status": "done"},
        {"status": None},
        {"assignee_id": "x"},
        {"assignee_id": 10**20},
        {"group_id": 2**31},
        {"impact": "huge"},
        {"unknown": 1},
        {"title": "a\x00b"},
        [],
        "title",
    ],
    ids=lambda v: json.dumps(v)[:30],
)
def test_a_bad_patch_is_4xx_and_changes_nothing(client, agent, ticket, body):
    url = f"{TICKETS}/{ticket['id']}"
    etag = client.get(url, headers=agent).headers["ETag"]
    resp = client.patch(
        url,
        data=json.dumps(body),
        content_type="application/json",
        headers={**agent, "If-Match": etag},
    )
    assert_error(resp, 422, "validation_error")
    assert client.get(url, headers=agent).headers["ETag"] == etag


def test_a_malformed_patch_is_400(client, agent, ticket):
    resp = client.patch(
        f"{TICKETS}/{ticket['id']}",
        data="{",
        content_type="application/json",
        headers={**agent, "If-Match": "*"},
    )
    assert_error(resp, 400, "bad_request")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": ""},
        {"body": None},
        {"body": 1},
        {"body": "x", "internal": "perhaps"},
        {"body": "x", "author_id": 1},
    ],
    ids=lambda v: json.dumps(v),
)
def test_a_bad_comment_is_422(client, customer, ticket, body):
    resp = client.post(f"{TICKETS}/{ticket['id']}/comments", json=body, headers=customer)
    assert_error(resp, 422, "validation_error")


# --- organisations and business IDs -----------------------------------------------------------


def organisation(**kw: Any) -> dict[str, Any]:
    return {
        "business_id": "0201256-6",
        "name": "Testikunta",
        "kind": "municipality",
        "residents": 1200,
        **kw,
    }


@pytest.mark.parametrize(
    "business_id",
    [
        "0201256-5",
        "1234567-8",
        "0201256",
        "02012566",
        "0201256 6",
        "0201256\u20136",
        "201-2566",
        "abcdefg-h",
        "02012566-6",
        "0201256-66",
        "",
        " ",
        "1000008-0",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17-\uff18",
    ],
    ids=[
        "wrong_check_digit",
        "wrong_check_digit_2",
        "no_check_digit",
        "no_hyphen",
        "space_for_hyphen",
        "en_dash",
        "hyphen_misplaced",
        "letters",
        "eight_digits",
        "two_check_digits",
        "empty",
        "blank",
        "impossible_body",
        "fullwidth_digits",
    ],
)
def test_a_bad_business_id_is_422_naming_it(client, admin, business_id):
    resp = client.post(
        "/api/v1/organisations", json=organisation(business_id=business_id), headers=admin
    )
    err = assert_error(resp, 422, "validation_error")
    assert list(err["details"]["fields"]) == ["business_id"]
    assert client.get("/api/v1/organisations", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize("value", [2012566, None, ["0201256-6"]], ids=["number", "null", "list"])
def test_a_business_id_that_is_not_text_is_422(client, admin, value):
    resp = client.post("/api/v1/organisations", json=organisation(business_id=value), headers=admin)
    assert_error(resp, 422, "validation_error")


def test_a_good_business_id_is_normalised(client, admin):
    resp = client.post(
        "/api/v1/organisations", json=organisation(business_id=" 201256-6 "), headers=admin
    )
    assert resp.status_code == 201
    assert resp.get_json()["business_id"] == "0201256-6"


def test_the_same_business_id_twice_is_409(client, admin):
    assert (
        client.post("/api/v1/organisations", json=organisation(), headers=admin).status_code == 201
    )
    resp = client.post("/api/v1/organisations", json=organisation(name="Toinen"), headers=admin)
    assert_error(resp, 409, "business_id_taken")


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "village"},
        {"residents": -1},
        {"residents": None},
        {"residents": 10**20},
        {"residents": "many"},
        {"name": ""},
        {"name_sv": 5},
    ],
    ids=lambda v: json.dumps(v),
)
def test_other_bad_organisation_fields_are_422(client, admin, changes):
    resp = client.post("/api/v1/organisations", json=organisation(**changes), headers=admin)
    assert_error(resp, 422, "validation_error")


# --- users, groups, tokens --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "name": "X", "role": "admin"},
        {"email": "a@example.fi", "name": "X", "role": "superuser"},
        {"email": "a@example.fi", "name": "X", "role": "end_user"},
        {"email": "a@example.fi", "name": "X", "role": "end_user", "organisation_id": 999_999},
        {"email": "a@example.fi", "name": "X", "role": "end_user", "organisation_id": 10**20},
        {"email": "a@example.fi", "name": "X", "role": "agent"},
        {"email": "a@example.fi", "name": "X", "role": "admin", "password": "short"},
        {"email": "a@example.fi", "name": "X", "role": "admin", "locale": "de"},
    ],
    ids=[
        "bad_email",
        "bad_role",
        "customer_without_org",
        "unknown_org",
        "huge_org",
        "agent_without_provider",
        "short_password",
        "bad_locale",
    ],
)
def test_a_bad_user_is_422(client, admin, body):
    assert_error(client.post("/api/v1/users", json=body, headers=admin), 422, "validation_error")


@pytest.mark.parametrize(
    "user_ids",
    [["a"], [10**20], [999_999], "1", None],
    ids=["text", "huge", "unknown", "not_a_list", "null"],
)
def test_bad_group_members_are_422(client, admin, desk, user_ids):
    resp = client.put(
        f"/api/v1/groups/{desk['group'].id}/members", json={"user_ids": user_ids}, headers=admin
    )
    assert_error(resp, 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@example.fi"},
        {"password": "x"},
        {"email": "nope", "password": "x"},
        {"email": "x@example.fi", "password": ""},
        {"email": "x@example.fi", "password": "x", "role": "admin"},
    ],
    ids=["no_password", "no_email", "bad_email", "empty_password", "unknown_field"],
)
def test_a_bad_token_request_is_422(client, body):
    assert_error(client.post("/api/v1/auth/tokens", json=body), 422, "validation_error")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Bearer sdt_nope", "sdt_nope", "Bearer \x7f"],
)
def test_a_bad_authorization_header_is_401(client, header):
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": header}), 401, "unauthenticated"
    )


# --- query parameters and cursors -------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "limit=1e400",
        "status=done",
        "priority=P9",
        "type=bug",
        "sort=title",
        "provider=XYZ",
        "received_after=yesterday",
        "received_after=2026-01-01T00:00:00",
        "received_before=0001-01-01T00:00:00%2B14:00",
        "unassigned=maybe",
        "organisation_id=abc",
        "assignee_id=1.5",
        "q=",
        "q=a%00b",
    ],
)
def test_a_bad_query_parameter_is_422(client, customer, query):
    err = assert_error(client.get(f"{TICKETS}?{query}", headers=customer), 422, "validation_error")
    assert err["details"]["fields"]


@pytest.mark.parametrize("name", ["organisation_id", "assignee_id", "requester_id", "group_id"])
def test_a_filter_id_beyond_any_id_is_422(client, customer, name):
    resp = client.get(f"{TICKETS}?{name}=99999999999999999999", headers=customer)
    assert_error(resp, 422, "validation_error")


def test_an_unknown_query_parameter_is_ignored(client, customer, ticket):
    """Query strings are lenient (webargs' default for them), bodies are strict."""
    resp = client.get(f"{TICKETS}?utm_source=mail&statuss=closed", headers=customer)
    assert resp.status_code == 200
    assert [t["id"] for t in resp.get_json()["items"]] == [ticket["id"]]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        "AAAA",
        cursor_of({"a": 1}),
        cursor_of([1, 2, 3]),
        cursor_of("ab"),
        cursor_of(["2026-01-01T00:00:00", 5]),
        cursor_of([None, 5]),
        cursor_of([[1], 5]),
        cursor_of(["2026-01-01T00:00:00+00:00", 10**30]),
        cursor_of(["2026-01-01T00:00:00+00:00", "5"]),
        cursor_of(["0001-01-01T00:00:00+14:00", 5]),
        cursor_of(["2026-01-01T00:00:00+00:00", True]),
    ],
    ids=[
        "not_base64",
        "not_json",
        "object",
        "three_values",
        "a_string",
        "naive_instant",
        "null_value",
        "list_value",
        "huge_id",
        "text_id",
        "instant_before_year_one",
        "boolean_id",
    ],
)
def test_a_bad_cursor_is_400(client, customer, cursor):
    assert_error(client.get(f"{TICKETS}?cursor={cursor}", headers=customer), 400, "bad_cursor")


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/tickets?sort=priority&", [[1], 5]),
        ("/api/v1/tickets?sort=priority&", [5, 5]),
        ("/api/v1/tickets?sort=priority&", ["P1\x00", 5]),
        ("/api/v1/users?", ["abc", 5]),
        ("/api/v1/users?", [10**30, 5]),
        ("/api/v1/organisations?", ["abc", 5]),
        ("/api/v1/services?", [5, 5]),
        ("/api/v1/services?", ["S\ud800", 5]),
    ],
    ids=[
        "priority_list",
        "priority_number",
        "priority_nul",
        "users_text",
        "users_huge",
        "organisations_text",
        "services_number",
        "services_surrogate",
    ],
)
def test_a_cursor_of_the_wrong_type_is_400_on_every_list(client, admin, path, cursor):
    assert_error(client.get(f"{path}cursor={cursor_of(cursor)}", headers=admin), 400, "bad_cursor")


def test_wrong_method_and_unknown_path_answer_in_the_envelope(client, customer, ticket):
    resp = client.delete(f"{TICKETS}/{ticket['id']}", headers=customer)
    assert_error(resp, 405, "method_not_allowed")
    assert "PATCH" in resp.headers["Allow"]
    assert_error(client.get("/api/v1/nothing-here", headers=customer), 404, "not_found")


# --- fuzz -------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
TICKET_FIELDS = [
    "type",
    "title",
    "description",
    "service_id",
    "provider",
    "impact",
    "urgency",
    "requester_id",
    "channel",
    "received_at",
    "priority",
    "priority_reason",
    "status",
    "group_id",
    "assignee_id",
    "bogus",
]
#: Values near the edges: valid ones, out-of-range numbers, text no database stores.
EDGE_VALUES = st.sampled_from(
    [
        "incident",
        "service_request",
        "feedback",
        "high",
        "low",
        "P1",
        "ICT",
        "THH",
        "phone",
        "new",
        "resolved",
        "in_progress",
        "cancelled",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        1,
        2,
        0,
        -1,
        2**31,
        10**20,
        -(10**20),
        1.5,
        "",
        "Otsikko",
        "a\x00b",
        "\ud800",
        "ä" * 201,
        None,
        True,
        [],
        {},
    ]
)
VALUES = JSON | EDGE_VALUES
#: Mostly a valid title and description with a few fields overlaid, so that bodies get past
#: the first check and reach the database; sometimes any JSON at all.
BODIES = st.one_of(
    st.builds(
        lambda base, extra: {**base, **extra},
        st.fixed_dictionaries(
            {
                "title": st.text(min_size=1, max_size=40),
                "description": st.text(min_size=1, max_size=40),
            }
        ),
        st.dictionaries(st.sampled_from(TICKET_FIELDS), VALUES, max_size=2),
    ),
    JSON,
)
FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_no_server_error(resp) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    if resp.status_code >= 400:
        assert_error(resp, resp.status_code)


#: Bodies that once made a 500 (they stay in the fuzz as fixed examples).
KNOWN_BAD = [
    {"title": "a\x00b", "description": "d"},
    {"title": "t", "description": "\ud800"},
    {"title": "t", "description": "d", "service_id": 10**20},
    {"title": "t", "description": "d", "requester_id": 2**31},
]


def with_known_bad(test):
    for body in KNOWN_BAD:
        test = example(body=body, as_customer=True)(test)
        test = example(body=body, as_customer=False)(test)
    return test


@FUZZ
@given(body=BODIES, as_customer=st.booleans())
@with_known_bad
def test_fuzzed_ticket_bodies_never_cause_a_server_error(
    client, agent, customer, body, as_customer
):
    resp = client.post(
        TICKETS,
        data=json.dumps(body),
        content_type="application/json",
        headers=customer if as_customer else agent,
    )
    assert_no_server_error(resp)


@FUZZ
@given(body=BODIES, as_customer=st.booleans())
@with_known_bad
def test_fuzzed_patches_never_cause_a_server_error(
    client, agent, customer, ticket, body, as_customer
):
    resp = client.patch(
        f"{TICKETS}/{ticket['id']}",
        data=json.dumps(body),
        content_type="application/json",
        headers={**(customer if as_customer else agent), "If-Match": "*"},
    )
    assert_no_server_error(resp)
