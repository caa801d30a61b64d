"""The report pages: who sees which organisation's report (the API's rule), the portal's
report without the supplier section, supplier agents and their contracts, a bad period
answered in words, and hostile ticket text shown as text."""

from __future__ import annotations

import html as html_module
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, update

from catalog.organisations.models import organisation_account_managers
from catalog.suppliers.models import Supplier, UnderpinningContract
from servicedesk import db
from servicedesk.escalations.models import Escalation
from servicedesk.tickets.models import Ticket
from servicedesk.web import report_pages
from tests.reports.world import World, local
from tests.web.conftest import PASSWORD, Browser

NOW = datetime(2026, 12, 15, 10, tzinfo=UTC)
SECOND_BREACH = "Toinen ylitys"
HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>'


class November:
    """The world's organisation with a November: met and breached clocks, a breach of a
    ticket with a hostile title, a low rating, and a supplier leg under a contract."""

    def __init__(self, make: Any, world: World, client: Any) -> None:
        w, sess = world, world.sess
        self.world, self.org = w, w.org
        t1 = w.ticket(client, local(2026, 11, 2, 9))
        self.hostile = w.ticket(client, local(2026, 11, 10, 9), title=HOSTILE)
        w.clock(
            t1,
            "response",
            w.p1,
            "met",
            local(2026, 11, 2, 9),
            due=local(2026, 11, 2, 10),
            stopped=local(2026, 11, 2, 9, 30),
        )
        w.clock(
            t1,
            "resolution",
            w.p1,
            "met",
            local(2026, 11, 2, 9),
            due=local(2026, 11, 2, 17),
            stopped=local(2026, 11, 2, 12),
        )
        w.clock(
            self.hostile,
            "resolution",
            w.p3,
            "breached",
            local(2026, 11, 10, 9),
            due=local(2026, 11, 10, 12),
            breach=local(2026, 11, 10, 12),
            stopped=local(2026, 11, 11, 8),
        )
        w.clock(
            self.hostile,
            "response",
            w.p3,
            "met",
            local(2026, 11, 10, 9),
            due=local(2026, 11, 10, 13),
            stopped=local(2026, 11, 10, 10),
        )
        sess.execute(
            update(Ticket)
            .where(Ticket.id == self.hostile)
            .values(rating=1, rating_comment=HOSTILE, rated_at=local(2026, 11, 12, 8))
        )
        supplier = Supplier(name="Kuntasoft Oy", contact_email="tuki@kuntasoft.example")
        other = Supplier(name="Muu Oy", contact_email="tuki@muu.example")
        sess.add_all([supplier, other])
        sess.flush()
        self.contract = UnderpinningContract(
            supplier_id=supplier.id,
            name="UC 2026",
            valid_from=date(2020, 1, 1),
            calendar_id=w.cal.id,
        )
        self.foreign_contract = UnderpinningContract(
            supplier_id=other.id, name="Muu UC", valid_from=date(2020, 1, 1), calendar_id=w.cal.id
        )
        sess.add_all([self.contract, self.foreign_contract])
        sess.flush()
        leg = Escalation(
            ticket_id=self.hostile,
            supplier_id=supplier.id,
            contract_id=self.contract.id,
            note="n",
            escalated_by_id=w.desk["agent"].id,
            escalated_at=local(2026, 11, 10, 10),
        )
        sess.add(leg)
        sess.commit()
        w.clock(
            self.hostile,
            "supplier_resolution",
            None,
            "met",
            local(2026, 11, 10, 10),
            leg=leg.id,
            due=local(2026, 11, 10, 20),
            stopped=local(2026, 11, 10, 18),
        )
        self.supplier = supplier
        self.manager = make.user("account_manager", password=PASSWORD)
        sess.execute(
            insert(organisation_account_managers),
            [{"organisation_id": w.org.id, "user_id": self.manager.id}],
        )
        sess.commit()
        self.other_org = make.org()

    def second_breach(self, client: Any) -> int:
        """A later breach in November, of a ticket titled SECOND_BREACH (the breach pages)."""
        w = self.world
        later = w.ticket(client, local(2026, 11, 20, 9), title=SECOND_BREACH)
        w.clock(
            later,
            "resolution",
            w.p1,
            "breached",
            local(2026, 11, 20, 9),
            due=local(2026, 11, 20, 12),
            breach=local(2026, 11, 20, 12),
            stopped=local(2026, 11, 20, 15),
        )
        return later


@pytest.fixture
def november(make: Any, world: World, client: Any) -> November:
    return November(make, world, client)


@pytest.fixture
def login(app: Any) -> Any:
    def as_user(user: Any) -> Browser:
        b = Browser(app.test_client())
        b.login(user)
        return b

    return as_user


def get(browser: Browser, url: str, **query: Any) -> Any:
    with db.frozen_now(NOW):
        return browser.get(url, query_string=query)


def org_url(org_id: int) -> str:
    return f"/desk/reports/organisations/{org_id}"


def test_account_manager_reads_their_customer_and_no_other(november: November, login: Any) -> None:
    manager = login(november.manager)
    page = get(manager, org_url(november.org.id), period="2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert november.org.name in html
    assert 'data-export="csv"' in html and 'data-export="pdf"' in html
    assert "Kuntasoft Oy" in html  # the centre's staff see supplier compliance
    assert get(manager, org_url(november.other_org.id), period="2026-11").status_code == 404
    assert get(manager, org_url(999999), period="2026-11").status_code == 404
    foreign_export = get(manager, org_url(november.other_org.id) + "/export.csv", period="2026-11")
    assert foreign_export.status_code == 404
    listing = get(manager, "/desk/reports").get_data(as_text=True)
    assert november.org.name in listing and november.other_org.name not in listing
    header = html.split("</header>")[0]
    assert 'href="/desk/reports"' in header  # the header link


def test_desk_agents_get_403_and_the_customers_people_404_on_desk_report_pages(
    november: November, login: Any, make: Any
) -> None:
    agent = login(make.user("agent", password=PASSWORD))
    assert get(agent, org_url(november.org.id), period="2026-11").status_code == 403
    assert get(agent, org_url(november.org.id) + "/export.pdf").status_code == 403
    assert get(agent, "/desk/reports").status_code == 403
    queue = agent.get("/desk/queues/default", follow_redirects=True)
    assert queue.status_code == 200 and 'href="/desk/reports"' not in queue.get_data(as_text=True)
    end_user = login(make.user("end_user", org=november.org, password=PASSWORD))
    assert get(end_user, org_url(november.org.id), period="2026-11").status_code == 404
    assert get(end_user, "/portal/report", period="2026-11").status_code == 404
    assert get(end_user, "/portal/report/export.csv", period="2026-11").status_code == 404
    contact = login(make.user("customer_contact", org=november.org, password=PASSWORD))
    assert get(contact, org_url(november.org.id), period="2026-11").status_code == 404
    supplier_agent = login(
        make.user("supplier_agent", supplier_id=november.supplier.id, password=PASSWORD)
    )
    assert get(supplier_agent, org_url(november.org.id), period="2026-11").status_code == 404


def test_a_customer_contact_reads_their_own_report_without_the_supplier_section(
    november: November, login: Any, make: Any
) -> None:
    contact = login(make.user("customer_contact", org=november.org, password=PASSWORD))
    page = get(contact, "/portal/report", period="2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert november.org.name in html
    assert "Kuntasoft Oy" not in html and "UC 2026" not in html
    assert 'href="/portal/report"' in html.split("</header>")[0]  # the portal header link
    assert 'href="/portal/report/export.xlsx?period=2026-11"' in html
    # The breach and the low rating lead to the ticket in the portal, where the contact
    # may read it.
    assert html.count(f'<a href="/portal/tickets/{november.hostile}">') == 2
    opened = get(contact, f"/portal/tickets/{november.hostile}")
    assert opened.status_code == 200
    csv_file = get(contact, "/portal/report/export.csv", period="2026-11")
    assert csv_file.status_code == 200 and "Kuntasoft" not in csv_file.get_data(as_text=True)
    foreign = login(make.user("customer_contact", org=november.other_org, password=PASSWORD))
    other = get(foreign, "/portal/report", period="2026-11").get_data(as_text=True)
    assert november.org.name not in other and HOSTILE not in other


def test_supplier_agents_see_their_own_contracts_only(
    november: November, login: Any, make: Any
) -> None:
    agent = login(make.user("supplier_agent", supplier_id=november.supplier.id, password=PASSWORD))
    mine = f"/desk/reports/contracts/{november.contract.id}"
    header = get(agent, "/desk/supplier").get_data(as_text=True).split("</header>")[0]
    assert 'href="/desk/reports/contracts"' in header  # to their one contract, or the list
    listing = get(agent, "/desk/reports/contracts", period="2026-11")
    assert listing.status_code == 303 and listing.headers["Location"].startswith(mine)
    page = get(agent, mine, period="2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "UC 2026" in html and 'href="/desk/reports/contracts"' in html
    foreign = f"/desk/reports/contracts/{november.foreign_contract.id}"
    assert get(agent, foreign, period="2026-11").status_code == 404
    assert get(agent, foreign + "/export.csv", period="2026-11").status_code == 404
    own_csv = get(agent, mine + "/export.csv", period="2026-11")
    assert own_csv.status_code == 200
    assert own_csv.headers["Content-Disposition"] == (
        f'attachment; filename="palvelutaso-sopimus-{november.contract.id}-2026-11.csv"'
    )
    rows = [r.split(";") for r in own_csv.data.decode("utf-8-sig").splitlines()]
    # supplier, contract, clock, met, breached, compliance %
    assert ["Kuntasoft Oy", "UC 2026", "toimittajan ratkaisuaika", "1", "0", "100,00"] in rows
    assert get(agent, mine + "/export.pdf", period="2026-11").data.startswith(b"%PDF")
    manager = login(november.manager)
    assert get(manager, foreign, period="2026-11").status_code == 200
    both = get(manager, "/desk/reports/contracts").get_data(as_text=True)
    assert "UC 2026" in both and "Muu UC" in both


@pytest.mark.parametrize(
    "query",
    [
        {"period": "2026-13"},
        {"period": "marraskuu"},
        {"pick": "range", "from": "2026-11-30", "to": "2026-11-01"},
        {"pick": "range", "from": "", "to": ""},
        {"pick": "month", "month": ""},
        {"pick": "decade"},
        {"from": "2026-02-30", "to": "2026-03-01"},
    ],
)
def test_a_bad_period_is_a_message_not_an_error(
    november: November, login: Any, query: dict[str, str]
) -> None:
    manager = login(november.manager)
    page = get(manager, org_url(november.org.id), **query)
    assert page.status_code == 422
    assert "Ajanjaksoa ei voi lukea" in page.get_data(as_text=True)
    assert get(manager, org_url(november.org.id) + "/export.xlsx", **query).status_code == 422
    assert get(manager, "/desk/reports", **query).status_code == 422


def test_the_picker_reads_quarters_years_and_ranges(november: November, login: Any) -> None:
    manager = login(november.manager)
    url = org_url(november.org.id)
    quarter = get(manager, url, pick="quarter", quarter="2026-Q4", month="2026-01")
    assert quarter.status_code == 200 and "2026-Q4" in quarter.get_data(as_text=True)
    ranged = get(manager, url, pick="range", **{"from": "2026-11-01", "to": "2026-11-30"})
    assert "export.csv?period=2026-11-01..2026-11-30" in ranged.get_data(as_text=True)
    assert get(manager, url, pick="year", year="2026").status_code == 200


def test_a_hostile_title_is_text_on_the_page(november: November, login: Any) -> None:
    html = get(login(november.manager), org_url(november.org.id), period="2026-11").get_data(
        as_text=True
    )
    assert HOSTILE not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_unknown_export_format_is_404(november: November, login: Any) -> None:
    manager = login(november.manager)
    assert (
        get(manager, org_url(november.org.id) + "/export.exe", period="2026-11").status_code == 404
    )


def test_the_breach_list_is_paged_on_the_page(
    november: November, login: Any, client: Any, monkeypatch: Any
) -> None:
    """One breach a page: the note says how many there are, "Next breaches" leads to the
    next one, keeping the period; the exports still list every breach (the page is in
    Finnish, the manager's language)."""
    november.second_breach(client)
    monkeypatch.setattr(report_pages, "BREACHES_PER_PAGE", 1)
    manager = login(november.manager)
    html = get(manager, org_url(november.org.id), period="2026-11").get_data(as_text=True)
    assert "Tässä 1 kauden 2 ylityksestä" in html
    assert SECOND_BREACH not in html  # the later breach is on the next page
    assert f'<a href="/desk/tickets/{november.hostile}">' in html  # the breach's ticket
    link = re.search(r'<a href="([^"]+)">Seuraavat ylitykset</a>', html)
    assert link is not None
    following = html_module.unescape(link.group(1))
    assert "period=2026-11" in following
    with db.frozen_now(NOW):
        second = manager.get(following.split("#")[0]).get_data(as_text=True)
    assert SECOND_BREACH in second and "Seuraavat ylitykset" not in second
    back = re.search(r'<a href="([^"]+)">Ensimmäiset ylitykset</a>', second)
    assert back is not None and "breaches=" not in back.group(1)
    assert "period=2026-11" in html_module.unescape(back.group(1))
    assert "Ensimmäiset ylitykset" not in html  # the first page has no way back
    # A cursor the page did not give out starts from the first page, never a 500.
    odd = get(manager, org_url(november.org.id), period="2026-11", breaches="x!")
    assert odd.status_code == 200 and "Seuraavat ylitykset" in odd.get_data(as_text=True)
    clash = get(
        manager, org_url(november.org.id), period="2026-11", organisation_id="1"
    )  # a query argument named like the path's
    assert clash.status_code == 200
    csv = get(manager, org_url(november.org.id) + "/export.csv", period="2026-11")
    assert SECOND_BREACH in csv.get_data(as_text=True)
