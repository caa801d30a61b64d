"""The desk's queues through the pages: which tickets each queue shows, the order by time
to breach, filters and pages in the URL, the counts in the header, bulk actions with a
result per row, the live refresh's partial, and a flat statement count per page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from servicedesk import db
from servicedesk.db import frozen_now
from servicedesk.tickets.models import Ticket
from servicedesk.users.passwords import hash_password
from servicedesk.web import queues
from tests.sla.conftest import P2, P4, World, hel, world  # noqa: F401 (the fixture)
from tests.web.conftest import PASSWORD, Browser

NOW = hel(2026, 11, 24, 9, 30)  # Tue 09:30 Helsinki, office hours


@pytest.fixture
def desk_world(world: World, make: Any, dbs: Any) -> World:  # noqa: F811
    """The SLA tests' world, with passwords, a THH side and a second ICT agent."""
    for user in (world.agent, world.account_manager, world.admin):
        stored_user = dbs.get(type(user), user.id)
        stored_user.password_hash = hash_password(PASSWORD)
        stored_user.locale = "en"  # the assertions read the English words
    dbs.commit()
    world.thh_agent = make.user("agent", provider="THH", password=PASSWORD, locale="en")  # type: ignore[attr-defined]
    thh_group = make.group("THH", members=(world.thh_agent,))  # type: ignore[attr-defined]
    world.thh_service = make.service("THH", group=thh_group)  # type: ignore[attr-defined]
    world.colleague = make.user("agent", provider="ICT", password=PASSWORD, locale="en")  # type: ignore[attr-defined]
    from catalog.groups.operations import set_members

    set_members(dbs, dbs.merge(world.group), [world.agent.id, world.colleague.id])
    dbs.commit()
    return world


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with frozen_now(moment):
        yield


def page(b: Browser, url: str, moment: datetime = NOW, **kw: Any) -> tuple[int, str]:
    with at(moment):
        resp = b.get(url, **kw)
    return resp.status_code, resp.get_data(as_text=True)


def numbers(html: str) -> list[str]:
    """The ticket numbers of the rows, in order."""
    return re.findall(r'<th scope="row" class="text-nowrap"><a href="[^"]+">([^<]+)</a>', html)


def number_of(w: World, ticket: dict[str, Any]) -> str:
    return ticket["number"]


def ids_of(html: str) -> list[str]:
    return re.findall(r'name="ticket" value="(\d+)"', html)


def nav_counts(html: str) -> dict[str, int]:
    """The header's queue links and their counts: {"/desk/queues/mine": 2, ...}."""
    found = re.findall(
        r'href="(/desk/queues/[a-z_]+)"[^>]*>[^<]*\s*<span class="badge[^"]*">(\d+)', html
    )
    return {url: int(count) for url, count in found}


def bulk(b: Browser, url: str, ids: list[int], moment: datetime = NOW, **fields: str) -> Any:
    data: dict[str, Any] = {f"bulk-{k}": v for k, v in fields.items()}
    data["ticket"] = [str(i) for i in ids]
    with at(moment):
        return b.post(url, data)


def stored(dbs: Any, ticket_id: int) -> Ticket:
    dbs.expire_all()
    found = dbs.scalar(select(Ticket).where(Ticket.id == ticket_id))
    assert found is not None
    return found


@pytest.fixture
def situations(desk_world: World) -> dict[str, dict[str, Any]]:
    """Tickets in each queue's situation as of NOW (Tue 09:30)."""
    w = desk_world
    t = {}
    t["mine_late"] = w.file(hel(2026, 11, 23, 15))  # response due 09:00 Tue: breached
    w.assign(t["mine_late"]["id"], hel(2026, 11, 23, 15, 1))
    t["mine_risk"] = w.file(hel(2026, 11, 23, 15, 50))  # response due 09:50: at risk
    w.assign(t["mine_risk"]["id"], hel(2026, 11, 23, 15, 51))
    t["new"] = w.file(hel(2026, 11, 24, 9))  # due 11:00, nobody's
    t["waiting"] = w.file(hel(2026, 11, 23, 9))
    w.patch(
        t["waiting"]["id"],
        hel(2026, 11, 23, 9, 10),
        status="waiting_for_customer",
        assignee_id=w.colleague.id,
    )  # type: ignore[attr-defined]
    t["done"] = w.file(hel(2026, 11, 23, 10))
    w.patch(t["done"]["id"], hel(2026, 11, 23, 10, 5), status="cancelled")
    t["thh"] = w.file(hel(2026, 11, 24, 8), who="stranger", service_id=w.thh_service.id)  # type: ignore[attr-defined]
    return t


# --- which tickets each queue shows -----------------------------------------------------------


def test_mine_shows_my_open_tickets_by_time_to_breach_and_nothing_else(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    t = situations
    status, html = page(browser_for(desk_world.agent), "/desk/queues/mine")
    assert status == 200
    # Breached (due 09:00) before at risk (due 09:50): the default order is time to breach.
    assert numbers(html) == [t["mine_late"]["number"], t["mine_risk"]["number"]]
    assert t["thh"]["number"] not in html


def test_groups_show_my_groups_open_tickets_but_not_the_other_providers(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    t = situations
    _, html = page(browser_for(desk_world.agent), "/desk/queues/groups")
    shown = set(numbers(html))
    assert {t["mine_late"]["number"], t["new"]["number"], t["waiting"]["number"]} <= shown
    assert t["done"]["number"] not in shown  # cancelled: not open
    assert t["thh"]["number"] not in shown  # a THH ticket is not an ICT agent's
    _, thh_html = page(browser_for(desk_world.thh_agent), "/desk/queues/groups")  # type: ignore[attr-defined]
    assert numbers(thh_html) == [t["thh"]["number"]]


def test_triage_shows_the_new_and_unassigned(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    t = situations
    _, html = page(browser_for(desk_world.agent), "/desk/queues/triage")
    assert numbers(html) == [t["new"]["number"]]


def test_triage_leaves_out_a_change_need_routed_to_its_account_manager(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    need = desk_world.file(hel(2026, 11, 24, 9, 10), type="change_need")  # new, but theirs
    _, html = page(browser_for(desk_world.agent), "/desk/queues/triage")
    assert need["number"] not in numbers(html)
    assert situations["new"]["number"] in numbers(html)


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("at_risk", ["mine_risk"]),
        ("breached", ["waiting", "mine_late"]),  # its response clock runs on
        ("waiting", ["waiting"]),
        ("escalated", []),
    ],
)
def test_sla_and_status_queues_show_their_tickets(
    desk_world: World,
    situations: dict[str, Any],
    browser_for: Any,
    queue: str,
    expected: list[str],
) -> None:
    _, html = page(browser_for(desk_world.agent), f"/desk/queues/{queue}")
    assert numbers(html) == [situations[k]["number"] for k in expected]


def test_an_empty_queue_says_so_in_words(desk_world: World, browser_for: Any) -> None:
    _, html = page(browser_for(desk_world.agent), "/desk/queues/escalated")
    assert "No ticket is escalated to a supplier." in html


def test_the_queue_speaks_finnish_by_default(
    desk_world: World, situations: dict[str, Any], browser_for: Any, dbs: Any
) -> None:
    dbs.get(type(desk_world.agent), desk_world.agent.id).locale = "fi"
    dbs.commit()
    _, html = page(browser_for(desk_world.agent), "/desk/queues/triage")
    assert '<h1 class="h3">Omat</h1>' not in html and ">Omat" in html  # the header's link
    assert '<span aria-hidden="true">✔</span> aikataulussa' in html


def test_the_sla_column_shows_state_as_icon_and_word_with_countdown_and_due_time(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    _, html = page(browser_for(desk_world.agent), "/desk/queues/triage")
    row = html[html.index(situations["new"]["number"]) :]
    # Received 09:00 with a 120 min response promise: 1 h 30 min left at 09:30, due 11.00.
    assert '<span aria-hidden="true">✔</span> on track' in row
    assert "1 h 30 min left" in row
    assert re.search(r"due [^<]*11[.:]00", row)  # the due instant in Helsinki time (09:00Z)
    _, breached = page(browser_for(desk_world.agent), "/desk/queues/breached")
    assert '<span aria-hidden="true">✖</span> breached' in breached


def test_default_redirects_to_the_roles_default_queue(desk_world: World, browser_for: Any) -> None:
    resp = browser_for(desk_world.agent).get("/desk/queues/default")
    assert resp.headers["Location"].endswith("/desk/queues/mine")
    resp = browser_for(desk_world.account_manager).get("/desk/queues/default")
    assert resp.headers["Location"].endswith("/desk/queues/routed")


def test_an_unknown_queue_is_404(desk_world: World, browser_for: Any) -> None:
    assert page(browser_for(desk_world.agent), "/desk/queues/everything")[0] == 404
    # The account manager's queues are not an agent's, and the agents' not theirs.
    assert page(browser_for(desk_world.agent), "/desk/queues/customers")[0] == 404
    assert page(browser_for(desk_world.account_manager), "/desk/queues/mine")[0] == 404


def test_an_end_user_is_refused_the_queues(desk_world: World, make: Any, app: Any) -> None:
    user = make.user("end_user", password=PASSWORD)
    b = Browser(app.test_client())
    b.login(user)
    assert page(b, "/desk/queues/mine")[0] == 403


def test_account_manager_sees_their_customers_and_what_is_routed_to_them(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    w = desk_world
    need = w.file(hel(2026, 11, 24, 9, 10), type="change_need")  # routed to its manager
    b = browser_for(w.account_manager)
    _, routed = page(b, "/desk/queues/routed")
    assert numbers(routed) == [need["number"]]
    _, customers = page(b, "/desk/queues/customers")
    shown = set(numbers(customers))
    assert need["number"] in shown and situations["new"]["number"] in shown
    assert situations["thh"]["number"] not in shown  # another organisation's ticket
    assert "Take (assign to me)" not in customers  # they only move statuses


# --- the header's counts ----------------------------------------------------------------------


def test_nav_counts_match_the_queues_and_the_current_one_is_marked(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    b = browser_for(desk_world.agent)
    _, html = page(b, "/desk/queues/groups")
    counts = nav_counts(html)
    assert set(counts) == {f"/desk/queues/{n}" for n in queues.queues_for(desk_world.agent)}
    for url, count in counts.items():
        assert len(numbers(page(b, url)[1])) == count, url
    assert 'href="/desk/queues/groups"\n               aria-current="page"' in html


def test_nav_counts_are_one_statement(
    app: Any, desk_world: World, situations: dict[str, Any]
) -> None:
    with app.test_request_context("/"), at(NOW), count_statements(app) as seen:
        counts = queues.queue_counts(
            db.session(), desk_world.agent, queues.queues_for(desk_world.agent)
        )
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1
    assert counts["mine"] == 2 and counts["breached"] == 2


# --- filters and pages ------------------------------------------------------------------------


def test_filters_narrow_the_list_and_survive_in_the_next_page_link(
    desk_world: World, browser_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk_world
    monkeypatch.setattr(queues, "PAGE_SIZE", 2)
    made = [w.file(hel(2026, 11, 24, 8, m), title=f"Tulostin {m}") for m in range(5)]
    w.file(hel(2026, 11, 24, 8, 30), title="Wilma", **P2)
    b = browser_for(w.agent)
    _, html = page(b, "/desk/queues/triage?q=Tulostin&priority=P3")
    assert numbers(html) == [made[0]["number"], made[1]["number"]]
    next_url = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "q=Tulostin" in next_url and "priority=P3" in next_url and "cursor=" in next_url
    _, second = page(b, next_url)
    assert numbers(second) == [made[2]["number"], made[3]["number"]]
    third_url = re.search(r'<a href="([^"]+)" rel="next">', second).group(1).replace("&amp;", "&")
    _, third = page(b, third_url)
    assert numbers(third) == [made[4]["number"]]
    assert 'rel="next"' not in third
    # The filter form shows what is applied.
    assert 'value="Tulostin"' in html
    assert re.search(r'<input checked[^>]*value="P3">', html)


def test_other_orders_can_be_chosen(desk_world: World, browser_for: Any) -> None:
    w = desk_world
    old = w.file(hel(2026, 11, 24, 9, 10), **P4)  # no promise: last by time to breach
    new = w.file(hel(2026, 11, 24, 9, 0))
    b = browser_for(w.agent)
    assert numbers(page(b, "/desk/queues/triage")[1]) == [new["number"], old["number"]]
    newest = numbers(page(b, "/desk/queues/triage?sort=-received_at")[1])
    assert newest == [old["number"], new["number"]]


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "priority=P9",
        "sla_state=late",
        "organisation_id=abc",
        "sort=random",
        "q=" + "x" * 201,
        "cursor=not-a-cursor",
        "group_id=99999999999999999999",
    ],
)
def test_a_bad_filter_value_gets_a_message_never_a_500(
    desk_world: World, browser_for: Any, query: str
) -> None:
    status, html = page(browser_for(desk_world.agent), f"/desk/queues/mine?{query}")
    assert status == 422
    assert 'class="alert alert-danger"' in html


# --- the live refresh -------------------------------------------------------------------------


def test_the_poll_gets_only_the_rows(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    b = browser_for(desk_world.agent)
    _, html = page(b, "/desk/queues/mine")
    assert 'hx-get="/desk/queues/mine?"' in html and 'hx-trigger="every 30s"' in html
    assert 'aria-live="polite"' in html
    status, rows = page(b, "/desk/queues/mine", headers={"HX-Request": "true"})
    assert status == 200
    assert rows.lstrip().startswith("<tr") and "<html" not in rows and "<form" not in rows
    assert numbers(rows) == numbers(html)


# --- bulk actions -----------------------------------------------------------------------------


def test_bulk_take_assigns_every_selected_ticket_to_me(
    desk_world: World, situations: dict[str, Any], browser_for: Any, dbs: Any
) -> None:
    t = situations
    b = browser_for(desk_world.colleague)  # type: ignore[attr-defined]
    resp = bulk(b, "/desk/queues/groups", [t["new"]["id"], t["mine_late"]["id"]], action="take")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert html.count("</strong>:\n      done") == 2
    for key in ("new", "mine_late"):
        assert stored(dbs, t[key]["id"]).assignee_id == desk_world.colleague.id  # type: ignore[attr-defined]


def test_bulk_status_applies_the_allowed_rows_and_reports_the_refused_one(
    desk_world: World, situations: dict[str, Any], browser_for: Any, dbs: Any
) -> None:
    t = situations
    b = browser_for(desk_world.agent)
    ids = [t["new"]["id"], t["done"]["id"], t["thh"]["id"], t["mine_risk"]["id"]]
    resp = bulk(b, "/desk/queues/groups", ids, action="status", status="in_progress")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "2 of 4 tickets changed." in html
    assert f"{t['done']['number']}</strong>:\n      refused" in html  # cancelled is final
    assert "No such ticket, or not one you may see." in html  # the THH one, by id only
    assert t["thh"]["number"] not in html
    assert stored(dbs, t["new"]["id"]).status == "in_progress"
    assert stored(dbs, t["mine_risk"]["id"]).status == "in_progress"
    assert stored(dbs, t["done"]["id"]).status == "cancelled"


def test_bulk_assign_refuses_an_agent_outside_the_tickets_group_per_row(
    desk_world: World, situations: dict[str, Any], browser_for: Any, dbs: Any, make: Any
) -> None:
    t = situations
    w = desk_world
    b = browser_for(w.agent)
    resp = bulk(
        b, "/desk/queues/groups", [t["new"]["id"]], action="assign", assignee_id=str(w.colleague.id)
    )  # type: ignore[attr-defined]
    assert resp.status_code == 200
    assert stored(dbs, t["new"]["id"]).assignee_id == w.colleague.id  # type: ignore[attr-defined]
    outsider = make.user("agent", provider="ICT", password=PASSWORD, locale="en")
    resp = bulk(
        b,
        "/desk/queues/groups",
        [t["mine_late"]["id"], t["new"]["id"]],
        action="assign",
        assignee_id=str(outsider.id),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "0 of 2 tickets changed." in html and "refused" in html
    assert stored(dbs, t["mine_late"]["id"]).assignee_id == w.agent.id


def test_bulk_priority_with_a_reason_overrides_it_on_each_row(
    desk_world: World, situations: dict[str, Any], browser_for: Any, dbs: Any
) -> None:
    t = situations
    b = browser_for(desk_world.agent)
    resp = bulk(
        b,
        "/desk/queues/mine",
        [t["mine_late"]["id"], t["mine_risk"]["id"]],
        action="priority",
        priority="P2",
        reason="Koko koulu ilman Wilmaa",
    )
    assert resp.status_code == 200
    for key in ("mine_late", "mine_risk"):
        ticket = stored(dbs, t[key]["id"])
        assert (ticket.priority, ticket.priority_reason) == ("P2", "Koko koulu ilman Wilmaa")


def test_bulk_priority_without_a_reason_changes_nothing_and_keeps_the_form(
    desk_world: World, situations: dict[str, Any], browser_for: Any, dbs: Any
) -> None:
    t = situations
    b = browser_for(desk_world.agent)
    resp = bulk(
        b,
        "/desk/queues/mine",
        [t["mine_late"]["id"]],
        action="priority",
        priority="P1",
        reason="  ",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'href="#bulk-reason"' in html  # the error summary links to the field
    assert stored(dbs, t["mine_late"]["id"]).priority == "P3"


def test_bulk_without_a_selection_is_refused(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    resp = bulk(browser_for(desk_world.agent), "/desk/queues/mine", [], action="take")
    assert resp.status_code == 422
    assert "Select at least one ticket." in resp.get_data(as_text=True)


def test_bulk_without_the_csrf_token_is_400(
    desk_world: World, situations: dict[str, Any], browser_for: Any
) -> None:
    b = browser_for(desk_world.agent)
    resp = b.client.post("/desk/queues/mine", data={"bulk-action": "take", "ticket": "1"})
    assert resp.status_code == 400


# --- hostile text, and the cost of a page -----------------------------------------------------


def test_hostile_titles_are_shown_as_text(desk_world: World, browser_for: Any) -> None:
    desk_world.file(
        hel(2026, 11, 24, 9), title='<script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    _, html = page(browser_for(desk_world.agent), "/desk/queues/triage")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    )


@contextmanager
def count_statements(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = db.engine_of(app)

    def listener(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_the_statement_count_of_a_page_is_the_same_for_10_and_50_rows(
    app: Any, desk_world: World, browser_for: Any
) -> None:
    w = desk_world
    b = browser_for(w.agent)
    counts = {}
    made = 0
    for size in (10, 50):
        while made < size:
            ticket = w.file(hel(2026, 11, 24, 8, made))
            if made % 2:  # some assigned, with another clock state, to vary the rows
                w.assign(ticket["id"], hel(2026, 11, 24, 9))
            made += 1
        page(b, "/desk/queues/groups")  # warm: the login's own statements are not counted
        with count_statements(app) as seen:
            status, html = page(b, "/desk/queues/groups")
        assert status == 200
        assert len(numbers(html)) == size
        counts[size] = len(seen)
    assert counts[10] == counts[50], counts
