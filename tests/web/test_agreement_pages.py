"""The agreement pages of the yearly cycle, through the pages: who sees what, each action
with its CSRF token (and refused without), the lapse words, hostile notes, fi and en."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.agreements.models import (
    AgreementEvent,
    AgreementService,
    AgreementVersion,
    TransitionMilestone,
)
from servicedesk import db
from tests.web.agreement_world import LAPSE_DAYS, AgreementWorld, build, signed_version, today
from tests.web.conftest import Browser

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


@pytest.fixture
def world(make: Any) -> AgreementWorld:
    return build(make)


def text_of(resp: Any) -> str:
    """The page's text, tags and runs of white space dropped (what a reader reads)."""
    html = resp.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def flashes(resp: Any) -> str:
    return " | ".join(
        re.sub(r"\s+", " ", m)
        for m in re.findall(
            r'<div class="alert alert-[a-z]+ py-2">(.*?)</div>',
            resp.get_data(as_text=True),
            flags=re.S,
        )
    )


@pytest.fixture
def rd(app: Any) -> Any:
    """Reads in a short session of their own: on SQLite an open transaction of the test's
    would hold the write lock the pages' requests wait for."""
    return Reader(app)


class Reader:
    def __init__(self, app: Any) -> None:
        self.app = app

    def all(self, stmt: Any) -> list[Any]:
        sess = db.new_session(self.app)
        try:
            return list(sess.scalars(stmt))
        finally:
            sess.close()  # ends the transaction; the rows stay loaded, detached


def versions(rd: Reader, org: Any) -> list[AgreementVersion]:
    """The organisation's versions with their lines and milestones, detached."""
    return rd.all(
        select(AgreementVersion)
        .where(AgreementVersion.organisation_id == org.id)
        .order_by(AgreementVersion.version_no)
        .options(selectinload(AgreementVersion.services).selectinload(AgreementService.milestones))
    )


def events(rd: Reader, version: AgreementVersion) -> list[str]:
    return rd.all(
        select(AgreementEvent.kind)
        .where(AgreementEvent.agreement_version_id == version.id)
        .order_by(AgreementEvent.id)
    )


def act(b: Browser, version_id: int, action: str, data: dict[str, Any] | None = None) -> Any:
    """Open the version's page (its CSRF token), post the action, follow the redirect."""
    b.get(f"/desk/agreements/{version_id}")
    resp = b.post(f"/desk/agreements/{version_id}/{action}", data or {})
    if resp.status_code == 303:
        return b.get(resp.headers["Location"])
    return resp


def draft_and_propose(world: AgreementWorld, b: Browser, rd: Any) -> AgreementVersion:
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    act(b, draft.id, "propose")
    return draft


# --- who sees what -----------------------------------------------------------------------


def test_an_agent_is_refused_the_agreement_pages(world: AgreementWorld, browser_for: Any) -> None:
    b = browser_for(world.agent)
    assert b.get("/desk/agreements").status_code == 403
    assert b.get(f"/desk/agreements/{world.version.id}").status_code == 403
    b.get("/desk/queues/default")
    assert b.post(f"/desk/agreements/{world.version.id}/draft").status_code == 403


def test_an_account_manager_sees_only_their_customers(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.other_manager)
    listing = text_of(b.get("/desk/agreements"))
    assert world.other_org.name in listing
    assert world.org.name not in listing
    assert b.get(f"/desk/agreements/{world.version.id}").status_code == 404
    b.get("/desk/agreements")
    for action in ("draft", "propose", "return", "sign", "edit"):
        resp = b.post(f"/desk/agreements/{world.version.id}/{action}")
        assert resp.status_code == 404, action
    assert len(versions(rd, world.org)) == 1
    assert b.get("/desk/agreements/999999").status_code == 404


def test_customers_people_are_refused_the_desk_list(
    world: AgreementWorld, browser_for: Any
) -> None:
    assert browser_for(world.contact).get("/desk/agreements").status_code == 403
    end_user = browser_for(world.end_user)
    assert end_user.get(f"/desk/agreements/{world.version.id}").status_code == 403


def test_an_end_user_gets_no_agreement_in_the_portal_and_staff_no_portal(
    world: AgreementWorld, browser_for: Any
) -> None:
    assert browser_for(world.end_user).get("/portal/agreement").status_code == 404
    assert browser_for(world.admin).get("/portal/agreement").status_code == 403


def test_the_header_links_the_agreements_for_managers_admins_and_contacts_only(
    world: AgreementWorld, browser_for: Any
) -> None:
    def page(user: Any, url: str) -> str:
        return str(browser_for(user).get(url).get_data(as_text=True))

    assert 'href="/desk/agreements"' in page(world.manager, "/desk/reports")
    assert 'href="/desk/agreements"' in page(world.admin, "/desk/reports")
    assert 'href="/portal/agreement"' in page(world.contact, "/portal/tickets")
    assert "/agreement" not in page(world.end_user, "/portal/tickets")
    assert "/desk/agreements" not in page(world.agent, "/desk/queues/default")


# --- the list ----------------------------------------------------------------------------


def test_the_list_says_the_lapse_in_finnish_and_english_most_urgent_first(
    world: AgreementWorld, browser_for: Any, make: Any
) -> None:
    later = make.org(entitled=False, name="Aakkoskunta")  # first by name, not by urgency
    signed_version(make, later, [world.wilma], world.calendar, today() + timedelta(days=60))
    make.sess.commit()
    b = browser_for(world.admin)
    resp = b.get("/desk/agreements")
    page = text_of(resp)
    assert f"Päättyy {LAPSE_DAYS} päivän kuluttua, ei jatkosopimusta" in page
    assert "Päättyy 60 päivän kuluttua, ei jatkosopimusta" in page
    # The urgent one (23 days) first, then 60 days, then the one not lapsing within 90 days.
    order = [page.index(world.org.name), page.index(later.name), page.index(world.other_org.name)]
    assert order == sorted(order)
    html = resp.get_data(as_text=True)
    urgent_row = html[html.index(world.org.name) - 200 : html.index(world.org.name)]
    assert "agr-urgent" in urgent_row
    calm_row = html[html.index(later.name) - 200 : html.index(later.name)]
    assert "agr-urgent" not in calm_row

    b.post("/language", {"lang": "en", "next": "/desk/agreements"})
    page = text_of(b.get("/desk/agreements"))
    assert f"Lapses in {LAPSE_DAYS} days, no successor" in page


def test_the_list_tells_an_ended_a_last_day_and_a_future_agreement(
    world: AgreementWorld, browser_for: Any, make: Any
) -> None:
    ended = make.org(entitled=False, name="Loppuneen kunta")
    signed_version(make, ended, [world.wilma], world.calendar, today() - timedelta(days=3))
    last_day = make.org(entitled=False, name="Viimeisen päivän kunta")
    signed_version(make, last_day, [world.wilma], world.calendar, today())
    future = make.org(entitled=False, name="Uusi asiakas")
    signed_version(make, future, [world.wilma], world.calendar, today() + timedelta(days=400))
    # (a whole year that ends in 400 days begins in about 35)
    make.sess.commit()
    page = text_of(browser_for(world.admin).get("/desk/agreements"))
    ended_day = (today() - timedelta(days=3)).strftime("%-d.%-m.%Y")
    assert f"Päättyi {ended_day}, ei jatkosopimusta" in page
    assert "Päättyy tänään, ei jatkosopimusta" in page
    far = today() + timedelta(days=400)
    starts = (far.replace(year=far.year - 1) + timedelta(days=1)).strftime("%-d.%-m.%Y")
    assert f"Alkaa {starts}" in page
    order = [page.index(n) for n in (ended.name, last_day.name, world.org.name, future.name)]
    assert order == sorted(order)


def test_the_list_shows_the_successor_being_negotiated(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.manager)
    draft = draft_and_propose(world, b, rd)
    resp = b.get("/desk/agreements")
    html = resp.get_data(as_text=True)
    assert f'href="/desk/agreements/{draft.id}"' in html
    assert "agr-state-proposed" in html
    assert "ehdotettu" in text_of(resp)


def test_the_list_shows_next_years_signed_version_and_the_renewal_after_it(
    world: AgreementWorld, browser_for: Any, rd: Any, make: Any
) -> None:
    """The demo's picture: in force this year, signed for next, the year after negotiated."""
    assert world.version.valid_to is not None
    following = signed_version(
        make,
        world.org,
        [world.wilma, world.archive],
        world.calendar,
        world.version.valid_to.replace(year=world.version.valid_to.year + 1),
    )
    make.sess.commit()
    b = browser_for(world.manager)
    act(b, following.id, "draft")
    draft = versions(rd, world.org)[-1]
    assert draft.valid_from.year == following.valid_from.year + 1
    resp = b.get("/desk/agreements")
    row = re.search(
        r"<tr[^>]*>\s*<th[^>]*>[^<]*" + re.escape(world.org.name) + r".*?</tr>",
        resp.get_data(as_text=True),
        re.S,
    )
    assert row is not None
    cells = row.group(0)
    assert cells.index(f'href="/desk/agreements/{following.id}"') < cells.index(
        f'href="/desk/agreements/{draft.id}"'
    )
    assert "agr-state-signed" in cells and "agr-state-draft" in cells
    assert "Jatkuu" in text_of(resp)  # no lapse: next year is signed


# --- the version page and its actions --------------------------------------------------------


def test_the_version_page_shows_terms_plan_and_history(
    world: AgreementWorld, browser_for: Any
) -> None:
    b = browser_for(world.manager)
    page = text_of(b.get(f"/desk/agreements/{world.version.id}"))
    for words in (
        "Wilma",
        "Sähköinen arkisto",
        "25,00",  # the price in Finnish notation
        "neljännesvuosittain",
        "tehty",  # training done
        "myöhässä",  # data migration late
        "suunniteltu",  # go-live planned
        "Vanhat asiakirjat",
        "Virka-aika 8-16",
        "95 %",
        "allekirjoitettu",
        f"Päättyy {LAPSE_DAYS} päivän kuluttua, ei jatkosopimusta",
        "Laadi jatkosopimus",
    ):
        assert words in page, words
    assert "Allekirjoita" not in page and "Lähetä asiakkaalle" not in page


def test_an_account_manager_drafts_edits_and_proposes_through_the_page(
    world: AgreementWorld, browser_for: Any, rd: Any, make: Any
) -> None:
    b = browser_for(world.manager)
    page = act(b, world.version.id, "draft")
    assert "Jatkosopimuksen luonnos" in flashes(page), flashes(page)
    draft = versions(rd, world.org)[-1]
    assert (draft.state, draft.version_no) == ("draft", 2)
    assert draft.valid_from == world.version.valid_to + timedelta(days=1)
    html = page.get_data(as_text=True)
    assert f"/desk/agreements/{draft.id}/what-if" in html
    assert "Lähetä asiakkaalle" in html
    assert 'value="25,00"' in html  # the price to edit, in Finnish notation

    lines = {s.service_id: s for s in draft.services}
    wilma, archive = lines[world.wilma.id], lines[world.archive.id]
    make.sess.add(
        TransitionMilestone(
            agreement_service_id=wilma.id,
            position=1,
            kind="training",
            name="Uusi mobiilisovellus",
            planned_on=draft.valid_from,
        )
    )
    make.sess.commit()
    form = {
        "edit-notes": "Hinnat 2027 budjetin mukaan.",
        "edit-renewal_deadline": "",
        f"edit-starts_{wilma.id}": wilma.starts_on.isoformat(),
        f"edit-price_{wilma.id}": "30,50",
        f"edit-starts_{archive.id}": archive.starts_on.isoformat(),
        f"edit-price_{archive.id}": str(archive.price),
    }
    page = act(b, draft.id, "edit", form)
    assert "Muutokset tallennettiin" in flashes(page), text_of(page)[:3000]
    (after,) = [v for v in versions(rd, world.org) if v.id == draft.id]
    prices = {s.service_id: s.price for s in after.services}
    assert prices[world.wilma.id] == Decimal("30.50")
    assert after.notes == "Hinnat 2027 budjetin mukaan."
    assert after.renewal_deadline is None
    # The transition plan of the line survives the change of its price.
    (wilma_after,) = [s for s in after.services if s.service_id == world.wilma.id]
    assert [m.name for m in wilma_after.milestones] == ["Uusi mobiilisovellus"]
    assert events(rd, draft) == ["drafted", "edited"]

    page = act(b, draft.id, "propose")
    assert "Ehdotus lähetettiin asiakkaalle" in flashes(page)
    assert versions(rd, world.org)[-1].state == "proposed"
    assert "Palauta luonnokseksi" in page.get_data(as_text=True)
    page = act(b, draft.id, "return")
    assert versions(rd, world.org)[-1].state == "draft"
    assert events(rd, draft) == ["drafted", "edited", "proposed", "returned_to_draft"]
    assert "palautettu luonnokseksi" in text_of(page)


def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.manager)
    resp = b.client.post(f"/desk/agreements/{world.version.id}/draft")
    assert resp.status_code == 400
    resp = b.client.post(
        f"/desk/agreements/{world.version.id}/draft", data={"csrf_token": "forged"}
    )
    assert resp.status_code == 400
    assert len(versions(rd, world.org)) == 1
    c = browser_for(world.contact)
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    act(b, draft.id, "propose")
    assert c.client.post(f"/portal/agreement/{draft.id}/accept").status_code == 400
    assert versions(rd, world.org)[-1].accepted_at is None


def test_a_step_in_the_wrong_state_is_a_translated_flash_not_an_error(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.manager)
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    # A second draft of the same version (say, from a page opened before the first).
    page = act(b, world.version.id, "draft")
    assert page.status_code == 200
    assert "Tälle sopimukselle laaditaan jo jatkoa" in flashes(page), flashes(page)
    act(b, draft.id, "propose")
    page = act(b, draft.id, "propose")
    assert "Sopimuksen tila on muuttunut" in flashes(page)
    assert events(rd, draft) == ["drafted", "proposed"]


def test_signing_needs_the_customers_acceptance_and_an_admin(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    manager = browser_for(world.manager)
    draft = draft_and_propose(world, manager, rd)
    admin = browser_for(world.admin)
    page = admin.get(f"/desk/agreements/{draft.id}")
    assert "odottaa asiakasta" in text_of(page)
    assert f"/desk/agreements/{draft.id}/sign" not in page.get_data(as_text=True)
    page = act(admin, draft.id, "sign")
    assert "Asiakas ei ole vielä hyväksynyt ehdotusta" in flashes(page)
    assert versions(rd, world.org)[-1].state == "proposed"

    contact = browser_for(world.contact)
    contact.get("/portal/agreement")
    contact.post(f"/portal/agreement/{draft.id}/accept")
    # An account manager may not sign unless the centre allows it: a 403 page, not a flash.
    assert f"/desk/agreements/{draft.id}/sign" not in manager.get(
        f"/desk/agreements/{draft.id}"
    ).get_data(as_text=True)
    assert manager.post(f"/desk/agreements/{draft.id}/sign").status_code == 403

    page = act(admin, draft.id, "sign")
    assert "Sopimus allekirjoitettiin" in flashes(page)
    old, new = versions(rd, world.org)
    assert (old.state, new.state) == ("superseded", "signed")
    assert "Anna Admin" in text_of(page) and "Paula Yhteyshenkilö" in text_of(page)
    listing = text_of(admin.get("/desk/agreements"))
    row = listing.split(world.org.name)[1].split(world.other_org.name)[0]
    assert "ei jatkosopimusta" not in row and "Jatkuu" in row


def test_an_account_manager_signs_where_the_centre_allows_it(
    world: AgreementWorld, browser_for: Any, rd: Any, app: Any, monkeypatch: Any
) -> None:
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(settings, account_managers_sign=True)
    )
    manager = browser_for(world.manager)
    draft = draft_and_propose(world, manager, rd)
    contact = browser_for(world.contact)
    contact.get("/portal/agreement")
    contact.post(f"/portal/agreement/{draft.id}/accept")
    page = act(manager, draft.id, "sign")
    assert "Sopimus allekirjoitettiin" in flashes(page)
    assert versions(rd, world.org)[-1].state == "signed"


def test_a_wrong_price_or_start_is_shown_on_its_field_and_saves_nothing(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.manager)
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    lines = {s.service_id: s for s in draft.services}
    wilma, archive = lines[world.wilma.id], lines[world.archive.id]
    base = {
        "edit-notes": "",
        f"edit-starts_{wilma.id}": wilma.starts_on.isoformat(),
        f"edit-price_{wilma.id}": "kolmekymmentä",
        f"edit-starts_{archive.id}": (draft.valid_from - timedelta(days=1)).isoformat(),
        f"edit-price_{archive.id}": "12,345",
    }
    resp = act(b, draft.id, "edit", base)
    assert resp.status_code == 422
    page = text_of(resp)
    assert "Kirjoita hinta euroina" in page
    assert "Palvelu ei voi alkaa ennen sopimusta" in page or "enintään kaksi desimaalia" in page
    late = {
        **base,
        f"edit-price_{wilma.id}": "10",
        f"edit-price_{archive.id}": "10",
        f"edit-starts_{archive.id}": (draft.valid_to + timedelta(days=1)).isoformat(),
    }
    resp = act(b, draft.id, "edit", late)
    assert resp.status_code == 422
    assert "Alkaa sopimuskauden päätyttyä" in text_of(resp)
    assert events(rd, draft) == ["drafted"]
    assert {s.price for s in versions(rd, world.org)[-1].services} == {Decimal("25.00")}


def test_hostile_notes_are_shown_as_text_on_the_desk_and_in_the_portal(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.manager)
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    form = {"edit-notes": HOSTILE}
    for s in draft.services:
        form[f"edit-starts_{s.id}"] = s.starts_on.isoformat()
        form[f"edit-price_{s.id}"] = str(s.price)
    act(b, draft.id, "edit", form)
    act(b, draft.id, "propose")
    for resp in (
        b.get(f"/desk/agreements/{draft.id}"),
        browser_for(world.contact).get("/portal/agreement"),
    ):
        html = resp.get_data(as_text=True)
        assert "<script>window.__pwned" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


# --- the portal ----------------------------------------------------------------------------


def test_a_contact_never_sees_a_draft(world: AgreementWorld, browser_for: Any, rd: Any) -> None:
    b = browser_for(world.manager)
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    form = {"edit-notes": "Sisäinen luonnos: älä näytä"}
    for s in draft.services:
        form[f"edit-starts_{s.id}"] = s.starts_on.isoformat()
        form[f"edit-price_{s.id}"] = "99"
    act(b, draft.id, "edit", form)
    contact = browser_for(world.contact)
    page = contact.get("/portal/agreement")
    assert page.status_code == 200
    text = text_of(page)
    assert "Sisäinen luonnos" not in text and "99,00" not in text and "Ehdotus" not in text
    assert "Hyväksy ehdotus" not in text
    assert contact.post(f"/portal/agreement/{draft.id}/accept").status_code == 404
    assert versions(rd, world.org)[-1].accepted_at is None


def test_a_contact_reads_what_the_proposal_changes_and_accepts_it(
    world: AgreementWorld, browser_for: Any, rd: Any
) -> None:
    b = browser_for(world.manager)
    act(b, world.version.id, "draft")
    draft = versions(rd, world.org)[-1]
    lines = {s.service_id: s for s in draft.services}
    form = {"edit-notes": ""}
    for s in draft.services:
        form[f"edit-starts_{s.id}"] = s.starts_on.isoformat()
        form[f"edit-price_{s.id}"] = "27,50" if s.service_id == world.wilma.id else str(s.price)
    act(b, draft.id, "edit", form)
    act(b, draft.id, "propose")
    assert lines  # both lines kept

    contact = browser_for(world.contact)
    page = text_of(contact.get("/portal/agreement"))
    assert "Ehdotus kaudelle" in page
    assert "Mikä muuttuu" in page
    assert "25,00" in page and "27,50" in page  # now and proposed
    # A renewal moves every started service to the new period: not a change to tell.
    changes = page.split("Mikä muuttuu")[1].split("Hyväksy ehdotus")[0]
    assert "Wilma" in changes and "Sähköinen arkisto" not in changes
    assert "Sähköinen arkisto" in page and "Siirtymäsuunnitelma" in page
    assert "myöhässä" in page and "Vanhat asiakirjat" in page
    assert "Hyväksy ehdotus" in page

    contact.post(f"/portal/agreement/{draft.id}/accept")
    resp = contact.get("/portal/agreement")
    assert "Kiitos" in flashes(resp)
    page = text_of(resp)
    assert "Hyväksynyt Paula Yhteyshenkilö" in page
    assert "Hyväksy ehdotus" not in page
    assert events(rd, draft)[-1] == "accepted"
    # Accepting twice changes nothing.
    contact.post(f"/portal/agreement/{draft.id}/accept")
    assert events(rd, draft).count("accepted") == 1


def test_another_organisations_proposal_is_not_found_in_the_portal(
    world: AgreementWorld, browser_for: Any, rd: Any, make: Any
) -> None:
    b = browser_for(world.other_manager)
    other = versions(rd, world.other_org)[0]
    act(b, other.id, "draft")
    theirs = versions(rd, world.other_org)[-1]
    act(b, theirs.id, "propose")
    contact = browser_for(world.contact)
    contact.get("/portal/agreement")
    assert contact.post(f"/portal/agreement/{theirs.id}/accept").status_code == 404
    assert versions(rd, world.other_org)[-1].accepted_at is None


def test_the_portal_page_in_english(world: AgreementWorld, browser_for: Any, rd: Any) -> None:
    b = browser_for(world.manager)
    draft_and_propose(world, b, rd)
    contact = browser_for(world.contact)
    contact.post("/language", {"lang": "en", "next": "/portal/agreement"})
    page = text_of(contact.get("/portal/agreement"))
    for words in (
        "Agreement in force",
        "Proposal for",
        "Accept the proposal",
        "Transition plan",
        "late",
        "per ticket",
        "Electronic archive",
        f"Lapses in {LAPSE_DAYS} days, no successor",
    ):
        assert words in page, words


def test_the_list_reads_the_same_few_statements_for_any_number_of_organisations(
    world: AgreementWorld, browser_for: Any, make: Any, app: Any
) -> None:
    """Each organisation's versions are not read one organisation at a time."""
    from sqlalchemy import event

    b = browser_for(world.admin)
    seen: list[str] = []

    def count(*args: Any, **_kw: Any) -> None:
        seen.append(args[2])

    def statements() -> int:
        seen.clear()
        engine = db.engine_of(app)
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert b.get("/desk/agreements").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    statements()  # the first request warms the per-process caches
    few = statements()
    for i in range(4):
        org = make.org(entitled=False, name=f"Lisäkunta {i}")
        signed_version(make, org, [world.wilma], world.calendar, today() + timedelta(days=30 + i))
    make.sess.commit()
    more = statements()
    assert more == few, seen
    page = text_of(b.get("/desk/agreements"))
    assert all(f"Lisäkunta {i}" in page for i in range(4))
