"""The admin page of incoming mail: the quarantine, the raw download, re-processing (CSRF)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.mail.models import InboundMail
from tests.mail.conftest import MailWorld
from tests.web.conftest import PASSWORD, Browser

BASE = "/desk/admin/inbound-mail"


@pytest.fixture
def browser_for(app: Any) -> Any:
    """browser_for(user) -> a Browser of the web tests, logged in as `user`."""

    def login(user: Any) -> Browser:
        browser = Browser(app.test_client())
        browser.login(user)
        return browser

    return login


HOSTILE = b'Subject: <script>alert("x")</script><img src=x onerror=alert(1)>'


def test_admins_see_the_quarantine_escaped_and_download_the_raw_mail(
    mailworld: MailWorld, browser_for: Any, make: Any
):
    raw = mailworld.eml("unknown_quotes_ticket.eml").replace(
        b"Subject: Re: [" + mailworld.number.encode() + b"] Tulostin ei tulosta", HOSTILE
    )
    mailworld.mail_in(raw)
    row = mailworld.last()
    assert row.outcome == "quarantined"
    admin = browser_for(make.user("admin", password=PASSWORD))
    admin.post("/language", {"lang": "en", "next": "/"})

    page = admin.get(BASE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "utelias@gmail.example" in html and "thread_refused" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert 'href="/desk/admin/inbound-mail"' in admin.get("/desk/queues/mine").get_data(
        as_text=True
    )

    download = admin.get(f"{BASE}/{row.id}/raw")
    assert download.status_code == 200 and download.data == raw
    assert download.headers["Content-Disposition"] == f'attachment; filename="mail-{row.id}.eml"'
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_processing_again_needs_the_csrf_token_and_files_once(
    mailworld: MailWorld, browser_for: Any, make: Any, dbs: Any
):
    from servicedesk.users.operations import create_user

    mailworld.mail_in(mailworld.eml("unknown_sender.eml"))
    row = mailworld.last()
    admin = browser_for(make.user("admin", password=PASSWORD))
    admin.post("/language", {"lang": "en", "next": "/"})
    listed = admin.get(f"{BASE}?outcome=auto_answer").get_data(as_text=True)
    assert f"{BASE}/{row.id}/reprocess" in listed

    create_user(
        dbs,
        email="ville@gmail.example",
        name="Ville",
        role="end_user",
        organisation_id=mailworld.requester.organisation_id,
    )
    dbs.commit()
    forged = admin.client.post(f"{BASE}/{row.id}/reprocess", data={})
    assert forged.status_code == 400
    assert mailworld.last().outcome == "auto_answer"

    done = admin.post(f"{BASE}/{row.id}/reprocess")
    assert done.status_code == 303
    assert mailworld.last().outcome == "ticket"
    follow = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Mail {row.id} was processed again: new ticket." in follow
    again = admin.post(f"{BASE}/{row.id}/reprocess")
    assert again.status_code == 303
    assert "placed already" in admin.get(again.headers["Location"]).get_data(as_text=True)
    dbs.expire_all()
    assert len(dbs.scalars(select(InboundMail)).all()) == 1
    dbs.rollback()
    assert len(mailworld.tickets()) == 2


def test_the_page_is_for_admins_only(mailworld: MailWorld, browser_for: Any, make: Any):
    mailworld.mail_in(mailworld.eml("bounce_dsn.eml"))
    row = mailworld.last()
    agent = browser_for(make.user("agent", provider="ICT", password=PASSWORD))
    assert agent.get(BASE).status_code == 403
    assert agent.get(f"{BASE}/{row.id}/raw").status_code == 403
    assert agent.post(f"{BASE}/{row.id}/reprocess").status_code == 403
    admin = browser_for(make.user("admin", password=PASSWORD))
    assert admin.get(f"{BASE}/999999/raw").status_code == 404
