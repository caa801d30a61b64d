"""Uploading and downloading a file: the size limit, the sniffed type, safe serving."""

from __future__ import annotations

import dataclasses
import io
from typing import Any
from urllib.parse import unquote

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.api.helpers import assert_error, file_ticket

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def ticket(client, make, desk) -> dict[str, Any]:
    headers = make.auth(desk["requester"])
    tid = file_ticket(client, headers, service_id=desk["service"].id).get_json()["id"]
    return {"id": tid, "headers": headers, "agent": make.auth(desk["agent"])}


def upload(client: Any, ticket: dict[str, Any], data: bytes, name: str = "liite.txt", **kw: Any):
    form = {"file": (io.BytesIO(data), name), **kw}
    return client.post(
        f"/api/v1/tickets/{ticket['id']}/attachments", data=form, headers=ticket["headers"]
    )


@pytest.fixture
def small_limit(app, monkeypatch) -> int:
    """Attachments of at most 1000 bytes (the JSON body limit stays 1 MiB)."""
    settings = dataclasses.replace(app.config["SETTINGS"], attachment_max_bytes=1000)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    return 1000


def test_a_file_at_the_limit_is_kept_and_one_byte_more_is_413_in_the_envelope(
    client, ticket, small_limit
):
    assert upload(client, ticket, b"a" * small_limit).status_code == 201
    error = assert_error(upload(client, ticket, b"a" * (small_limit + 1)), 413)
    assert error["code"] == "attachment_too_large"
    assert error["details"]["max_bytes"] == small_limit


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(client, ticket, small_limit):
    resp = upload(client, ticket, b"a" * 200_000)
    assert resp.mimetype == "application/json"
    assert assert_error(resp, 413, "attachment_too_large")["details"]["max_bytes"] == small_limit
    listed = client.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=ticket["headers"])
    assert listed.get_json() == []


def test_an_attachment_may_be_larger_than_a_json_body(client, ticket):
    two_mib = b"b" * (2 * 1024 * 1024)
    # Encoded in memory: the test client would spool it to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(two_mib), "iso.log")})
    resp = client.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=ticket["headers"],
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["size"] == len(two_mib)
    # ...while a JSON body is still held to MAX_CONTENT_LENGTH (1 MiB).
    big = {"body": "x" * (1024 * 1024 + 10)}
    resp = client.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json=big, headers=ticket["headers"]
    )
    assert_error(resp, 413)


def test_an_empty_file_is_422(client, ticket):
    error = assert_error(upload(client, ticket, b""), 422, "validation_error")
    assert "file" in error["details"]["fields"]


def test_a_missing_file_or_a_json_body_is_refused(client, ticket):
    path = f"/api/v1/tickets/{ticket['id']}/attachments"
    resp = client.post(
        path,
        data={"internal": "false"},
        content_type="multipart/form-data",
        headers=ticket["headers"],
    )
    assert "file" in assert_error(resp, 422)["details"]["fields"]
    resp = client.post(path, json={"file": "aGVp"}, headers=ticket["headers"])
    assert_error(resp, 415)


@pytest.mark.parametrize("value", ["\uff11", "1.0", "x"])
def test_a_comment_id_is_ascii_digits(client, ticket, value):
    resp = upload(client, ticket, b"x", comment_id=value)
    assert "comment_id" in assert_error(resp, 422)["details"]["fields"]


def test_the_type_is_sniffed_from_the_bytes_not_the_name(client, ticket):
    pdf = upload(client, ticket, PDF, "kuva.png").get_json()
    assert pdf["content_type"] == "application/pdf"
    html = upload(client, ticket, HTML, "sivu.html").get_json()
    assert html["content_type"] == "text/plain"
    resp = client.get(html["download_url"], headers=ticket["headers"])
    assert resp.status_code == 200
    assert resp.data == HTML
    assert resp.mimetype == "text/plain"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert resp.headers["Cache-Control"] == "private, no-store"


def test_a_filename_loses_its_path_and_quotes_and_keeps_its_letters(client, ticket):
    name = "..\\..\\temp\\Työ 'ehdotus';<v2>.pdf"
    body = upload(client, ticket, PDF, name).get_json()
    assert body["filename"] == "Työ 'ehdotus';_v2_.pdf"
    resp = client.get(body["download_url"], headers=ticket["headers"])
    disposition = resp.headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="Tyo _ehdotus___v2_.pdf"; '
        "filename*=UTF-8''Ty%C3%B6%20%27ehdotus%27%3B_v2_.pdf"
    )
    assert unquote(disposition.split("UTF-8''", 1)[1]) == body["filename"]


def test_an_upload_answers_201_with_its_location_and_bumps_the_ticket(client, ticket):
    before = client.get(f"/api/v1/tickets/{ticket['id']}", headers=ticket["headers"])
    resp = upload(client, ticket, PDF, "a.pdf")
    assert resp.status_code == 201
    assert resp.headers["Location"] == f"/api/v1/attachments/{resp.get_json()['id']}"
    after = client.get(f"/api/v1/tickets/{ticket['id']}", headers=ticket["headers"])
    assert after.headers["ETag"] != before.headers["ETag"]


def test_the_desk_flags_a_file_internal_and_the_requester_never_sees_it(client, ticket):
    path = f"/api/v1/tickets/{ticket['id']}/attachments"
    form = {"file": (io.BytesIO(b"salainen"), "muistio.txt"), "internal": "true"}
    resp = client.post(path, data=form, headers=ticket["agent"])
    assert resp.status_code == 201
    assert resp.get_json()["internal"] is True
    assert client.get(path, headers=ticket["headers"]).get_json() == []
    download = client.get(resp.get_json()["download_url"], headers=ticket["headers"])
    assert_error(download, 404, "not_found")


def test_an_unknown_attachment_is_404_in_the_envelope(client, ticket):
    assert_error(client.get("/api/v1/attachments/999999", headers=ticket["headers"]), 404)
    assert_error(client.get("/api/v1/tickets/999999/attachments", headers=ticket["headers"]), 404)
    resp = client.post(
        "/api/v1/tickets/999999/attachments",
        data={"file": (io.BytesIO(b"x"), "x.txt")},
        headers=ticket["headers"],
    )
    assert_error(resp, 404)
