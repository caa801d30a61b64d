"""Files on the desk's ticket page: listed, downloaded by the API's rule, sent with a reply,
an internal note or a supplier thread message (multipart, CSRF)."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import pytest

from servicedesk.web.security import CONTENT_SECURITY_POLICY
from tests.escalations.conftest import api, world  # noqa: F401 (fixtures)
from tests.web.ticket_world import PinnedBrowser, local, text_of, with_passwords

NOW = local("2026-11-23 09:30")
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
HOSTILE_NAME = "<img src=x onerror=alert(1)>.pdf"


@pytest.fixture
def desk_browser(app: Any, world: Any, dbs: Any) -> PinnedBrowser:  # noqa: F811
    with_passwords(dbs, world.agent)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.agent)
    return b


@pytest.fixture
def tid(api: Any, world: Any) -> int:  # noqa: F811
    return api.file(local("2026-11-23 09:00"), world.requester, world.service)["id"]


def send(
    b: PinnedBrowser, tid: int, action: str, data: bytes | None, name: str = "loki.pdf", **kw: Any
) -> Any:
    page = b.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    form = {
        **b.form_values(page, "reply"),
        "reply-body": "Liitteenä loki.",
        "action": action,
        **kw,
    }
    if data is not None:
        form["reply-file"] = (io.BytesIO(data), name)
    return b.post(f"/desk/tickets/{tid}/reply", form, content_type="multipart/form-data")


def files_of(api: Any, tid: int, user: Any) -> list[dict[str, Any]]:  # noqa: F811
    return api.ok("GET", NOW, f"/tickets/{tid}/attachments", user)


def test_a_reply_with_a_file_is_public_and_listed_on_the_page(
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    desk_browser: PinnedBrowser,
    tid: int,
) -> None:
    resp = send(desk_browser, tid, "reply", PDF)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    (listed,) = files_of(api, tid, world.requester)
    assert (listed["filename"], listed["content_type"], listed["internal"]) == (
        "loki.pdf",
        "application/pdf",
        False,
    )
    comments = api.ok("GET", NOW, f"/tickets/{tid}/comments", world.requester)
    assert listed["comment_id"] == comments[-1]["id"]
    html = desk_browser.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    assert f'href="/desk/attachments/{listed["id"]}"' in html
    page = text_of(html)
    assert "Attachments" in page and "loki.pdf" in page and "application/pdf" in page
    assert "File attached: loki.pdf" in page


def test_a_file_with_an_internal_note_is_internal(
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    desk_browser: PinnedBrowser,
    tid: int,
) -> None:
    assert send(desk_browser, tid, "note", PDF, "muistio.pdf").status_code == 303
    assert files_of(api, tid, world.requester) == []
    (listed,) = files_of(api, tid, world.agent)
    assert listed["internal"] is True
    page = text_of(desk_browser.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    assert "muistio.pdf Internal" in page
    assert "internal: the customer does not see it" in page


def test_a_reply_without_a_file_stores_none(
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    desk_browser: PinnedBrowser,
    tid: int,
) -> None:
    assert send(desk_browser, tid, "reply", None).status_code == 303
    assert send(desk_browser, tid, "reply", b"", "").status_code == 303  # no file chosen
    assert files_of(api, tid, world.agent) == []
    page = text_of(desk_browser.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    assert "No files." in page


def test_the_download_has_the_apis_headers_and_rule(
    app: Any,
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    make: Any,
    dbs: Any,
    desk_browser: PinnedBrowser,
    tid: int,
) -> None:
    assert send(desk_browser, tid, "note", b"<html><script>x</script>", "a.html").status_code == 303
    (listed,) = files_of(api, tid, world.agent)
    resp = desk_browser.get(f"/desk/attachments/{listed['id']}")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert resp.headers["Cache-Control"] == "private, no-store"
    # Another provider's agent, and the supplier (an internal note): 404, as in the API.
    thh = make.user("agent", provider="THH")
    api.escalate(local("2026-11-23 09:20"), tid, world.agent)
    with_passwords(dbs, thh, world.agent_a)
    for who in (thh, world.agent_a):
        b = PinnedBrowser(app.test_client(), NOW)
        b.login(who)
        assert b.get(f"/desk/attachments/{listed['id']}").status_code == 404
        assert b.get("/desk/attachments/999999").status_code == 404


def test_a_file_over_the_limit_keeps_the_text_and_stores_nothing(
    app: Any,
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    desk_browser: PinnedBrowser,
    tid: int,
    monkeypatch: Any,
) -> None:
    settings = dataclasses.replace(app.config["SETTINGS"], attachment_max_bytes=1000)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    resp = send(desk_browser, tid, "reply", b"a" * 1001, "iso.txt")
    assert resp.status_code == 413
    page = text_of(resp.get_data(as_text=True))
    assert "The file is too large: at most 1,000 bytes." in page
    assert "Liitteenä loki." in page  # the typed text is kept
    resp = send(desk_browser, tid, "reply", b"a" * 200_000, "iso.txt")
    assert resp.status_code == 413
    assert resp.mimetype == "text/html"
    assert api.ok("GET", NOW, f"/tickets/{tid}/comments", world.agent) == []
    assert files_of(api, tid, world.agent) == []


def test_a_form_with_a_file_needs_the_csrf_token(
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    desk_browser: PinnedBrowser,
    tid: int,
) -> None:
    assert send(desk_browser, tid, "reply", PDF, csrf_token="forged").status_code == 400
    assert files_of(api, tid, world.agent) == []


def test_a_hostile_filename_is_escaped_and_the_page_keeps_its_csp(
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    desk_browser: PinnedBrowser,
    tid: int,
) -> None:
    assert send(desk_browser, tid, "reply", PDF, HOSTILE_NAME).status_code == 303
    resp = desk_browser.get(f"/desk/tickets/{tid}")
    html = resp.get_data(as_text=True)
    assert "<img src=x" not in html and "_img src=x onerror=alert(1)_.pdf" in html
    assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert re.search(r'<form[^>]+/reply"[^>]+enctype="multipart/form-data"', html)


def test_a_supplier_sends_a_file_to_its_thread_and_the_customer_never_sees_it(
    app: Any,
    api: Any,  # noqa: F811
    world: Any,  # noqa: F811
    dbs: Any,
    tid: int,
) -> None:
    api.escalate(local("2026-11-23 09:10"), tid, world.agent)
    with_passwords(dbs, world.agent_a)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.agent_a)
    page = b.get(f"/desk/tickets/{tid}").get_data(as_text=True)
    form = {
        **b.form_values(page, "thread"),
        "thread-body": "Korjaus liitteenä.",
        "thread-file": (io.BytesIO(PDF), "korjaus.pdf"),
    }
    resp = b.post(f"/desk/tickets/{tid}/thread", form, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    (listed,) = files_of(api, tid, world.agent_a)
    assert (listed["filename"], listed["internal"]) == ("korjaus.pdf", True)
    assert files_of(api, tid, world.requester) == []
    assert api.get(NOW, f"/attachments/{listed['id']}", world.agent_b).status_code == 404
    assert "korjaus.pdf" in text_of(b.get(f"/desk/tickets/{tid}").get_data(as_text=True))
