"""The what-if page (/desk/agreements/<version>/what-if): who may open it, that it shows the
API's comparison in the reader's words (compliance per line, the changed tickets, the
charges), that a hostile ticket title stays text, and that a bad `months` is a translated
422, never a 500."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from sqlalchemy import insert

from catalog.agreements.models import AgreementService, AgreementVersion, ServicePromise
from catalog.organisations.models import organisation_account_managers
from servicedesk.db import frozen_now
from tests.sla.conftest import (
    P4,
    hel,
    world,  # noqa: F401 (the fixture)
)
from tests.web.conftest import PASSWORD, Browser

NOW = hel(2026, 12, 1, 12)
HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>'


class Scene:
    """The SLA world's organisation with three November tickets (one with a hostile title)
    and a stricter, dearer draft; people who log in on the web."""

    def __init__(self, sla_world: Any, make: Any, dbs: Any, app: Any) -> None:
        self.world, self.app = w, app = sla_world, app
        self.quick = w.file(hel(2026, 11, 2, 9), title=HOSTILE)["id"]
        w.comment(self.quick, hel(2026, 11, 2, 9, 30))
        w.patch(self.quick, hel(2026, 11, 2, 12), status="resolved")
        slow = w.file(hel(2026, 11, 2, 10))["id"]
        w.comment(slow, hel(2026, 11, 2, 10, 5))
        w.patch(slow, hel(2026, 11, 4, 15), status="resolved")
        self.low = w.file(hel(2026, 11, 2, 11), title="Tulostin", **P4)["id"]
        w.patch(self.low, hel(2026, 11, 2, 11, 30), status="resolved")
        self.draft = self._draft(dbs)
        self.admin = make.user("admin", password=PASSWORD, locale="en")
        self.manager = make.user("account_manager", password=PASSWORD, locale="fi")
        self.other_manager = make.user("account_manager", password=PASSWORD)
        self.agent = make.user("agent", password=PASSWORD)
        self.contact = make.user("customer_contact", org=w.org, password=PASSWORD)
        dbs.execute(
            insert(organisation_account_managers),
            [{"organisation_id": w.org.id, "user_id": self.manager.id}],
        )
        self.foreign = AgreementVersion(
            organisation_id=w.other_org.id,
            version_no=7,
            valid_from=date(2020, 1, 1),
            state="draft",
        )
        dbs.add(self.foreign)
        dbs.commit()

    def _draft(self, dbs: Any) -> int:
        version = AgreementVersion(
            organisation_id=self.world.org.id,
            version_no=2,
            valid_from=date(2030, 1, 1),
            state="draft",
        )
        dbs.add(version)
        dbs.flush()
        dbs.add_all(
            [
                ServicePromise(
                    agreement_version_id=version.id,
                    priority="P3",
                    response_minutes=10,
                    resolution_minutes=60,
                    calendar_id=self.world.office_calendar_id,
                ),
                ServicePromise(
                    agreement_version_id=version.id,
                    priority="P4",
                    response_minutes=60,
                    resolution_minutes=2400,
                    calendar_id=self.world.always_calendar_id,
                ),
                AgreementService(
                    agreement_version_id=version.id,
                    service_id=self.world.app_service.id,
                    starts_on=date(2030, 1, 1),
                    price_model="per_ticket",
                    price=Decimal("40.00"),
                ),
            ]
        )
        dbs.commit()
        return version.id

    def browser(self, user: Any) -> Browser:
        b = Browser(self.app.test_client())
        b.login(user)
        return b

    def page(self, user: Any, version_id: int | None = None, query: str = "") -> Any:
        url = f"/desk/agreements/{version_id or self.draft}/what-if{query}"
        with frozen_now(NOW):
            return self.browser(user).get(url)


@pytest.fixture
def scene(request: Any, make: Any, dbs: Any, app: Any) -> Scene:
    return Scene(request.getfixturevalue("world"), make, dbs, app)


def _text(html: str) -> str:
    """The page's words: tags dropped, entities read, white space squeezed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table class="[^"]*{table_class}[^"]*">(.*?)</table>', html, re.S)
    assert table, table_class
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S)
    assert body
    return [
        [_text(cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_who_may_open_the_page(scene: Scene) -> None:
    assert scene.page(scene.admin).status_code == 200
    assert scene.page(scene.manager).status_code == 200
    assert scene.page(scene.other_manager).status_code == 404  # not their customer
    assert scene.page(scene.manager, scene.foreign.id).status_code == 404  # foreign org
    assert scene.page(scene.admin, scene.draft + 999).status_code == 404
    assert scene.page(scene.agent).status_code == 403
    assert scene.page(scene.contact).status_code == 403  # a desk page
    with frozen_now(NOW):
        anonymous = scene.app.test_client().get(f"/desk/agreements/{scene.draft}/what-if")
    assert anonymous.status_code in (302, 303)
    assert "/login" in anonymous.headers["Location"]


def test_the_page_shows_the_comparison_in_english(scene: Scene) -> None:
    resp = scene.page(scene.admin, query="?months=1")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    words = _text(html)
    assert "What-if" in words and "Agreement version 2 (draft)" in words
    assert "Tickets replayed 3" in words
    assert "Tickets whose outcome would change 2" in words  # the quick one and the low one
    lines = {(r[0], r[1]): r for r in _rows(html, "whatif-lines")}
    p3 = lines[("agreement default, P3 normal", "resolution")]
    # Actual: 1 met, 1 breached (50 %); what-if: both breached (0 %); -50 points.
    assert p3[4:] == [
        "1",
        "1",
        "50.00 % misses the target",
        "0",
        "2",
        "0.00 % misses the target",
        "-50.00 pp",
    ]
    assert p3[2] == "1 h"
    p4 = lines[("agreement default, P4 low", "response")]
    assert p4[7] == "1"  # met under the draft (no promise really)
    changes = _rows(html, "whatif-changes")
    by_clock = {(r[0], r[2]): r[3:] for r in changes}
    quick = scene.world.get(scene.quick, NOW)["number"]
    low = scene.world.get(scene.low, NOW)["number"]
    assert by_clock[(quick, "response")] == ["met", "breached", "✖ worse"]
    assert by_clock[(low, "resolution")] == ["no promise", "met", "✔ better"]
    assert f'href="/desk/tickets/{scene.quick}"' in html
    charges = {r[0].split()[0]: r[1:] for r in _rows(html, "whatif-charges")}
    app_service, infra = scene.world.app_service.code, scene.world.infra_service.code
    assert charges[app_service] == [
        "per ticket",
        "3",
        "€25.00",
        "€75.00",
        "3",
        "€40.00",
        "€120.00",
        "+€45.00",
    ]
    # Priced only by the version in force (no ticket): the draft does not price it.
    assert charges[infra] == ["per ticket", "0", "€25.00", "€0.00", "", "", "", "€0.00"]
    assert "Total €75.00 €120.00 +€45.00" in words


def test_the_page_speaks_finnish_to_a_finnish_reader(scene: Scene) -> None:
    resp = scene.page(scene.manager, query="?months=1")
    assert resp.status_code == 200
    words = _text(resp.get_data(as_text=True))
    assert "Toteuma lupausriveittäin" in words
    assert "Tiketit, joiden lopputulos muuttuisi" in words
    assert "luonnos" in words
    assert "75,00" in words and "120,00" in words
    assert "-50,00 %-yks." in words  # minus 50 percentage points, the Finnish way


def test_a_hostile_title_is_shown_as_text(scene: Scene) -> None:
    html = scene.page(scene.admin, query="?months=1").get_data(as_text=True)
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert HOSTILE in _text(html)


@pytest.mark.parametrize("months", ["0", "25", "x", "1.5", "-3", "²", "9" * 40])
def test_a_bad_months_is_a_translated_422(scene: Scene, months: str) -> None:
    resp = scene.page(scene.manager, query=f"?months={months}")
    assert resp.status_code == 422
    words = _text(resp.get_data(as_text=True))
    assert "kokonaisluku" in words and "24" in words
    assert "Toteuma lupausriveittäin" not in words  # no figures under a bad choice


def test_the_months_selector_widens_the_window(scene: Scene) -> None:
    scene.world.file(hel(2026, 9, 15, 9))  # 3 months to 1.12: from 2.9
    one = _text(scene.page(scene.admin, query="?months=1").get_data(as_text=True))
    three = scene.page(scene.admin, query="?months=3").get_data(as_text=True)
    assert "Tickets replayed 3" in one
    assert "Tickets replayed 4" in _text(three)
    assert '<option value="3" selected>' in three
    assert 'name="months"' in three and 'method="get"' in three
