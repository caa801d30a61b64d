"""Logging a call: find the requester, see the entitlement before typing, file the ticket."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from catalog.agreements.models import AgreementService
from servicedesk.tickets.models import IdempotencyKey, Ticket
from servicedesk.users.models import User
from tests.web.conftest import PASSWORD, Browser

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def person(make: Any, dbs: Any, role: str, name: str, email: str | None = None, **kw: Any) -> Any:
    """A user with a given name (and e-mail): the factory numbers them."""
    user = make.user(role, **kw)
    user.name = name
    if email:
        user.email = email
    dbs.commit()
    return user


def named_group(make: Any, dbs: Any, provider: str, name: str, **kw: Any) -> Any:
    group = make.group(provider, **kw)
    group.name = name
    dbs.commit()
    return group


@pytest.fixture
def world(make: Any, dbs: Any) -> dict[str, Any]:
    """An ICT agent with a group and a service, and a caller in an entitled organisation."""
    agent = person(make, dbs, "agent", "Aino Agentti", provider="ICT", password=PASSWORD)
    named_group(make, dbs, "ICT", "ICT triage", members=(agent,), is_triage=True)
    group = named_group(make, dbs, "ICT", "ICT workstations", members=(agent,))
    service = make.service("ICT", group=group, code="WS", name_fi="Työasemat")
    org = make.org(name="Raasepori")
    caller = person(make, dbs, "end_user", "Maija Meikäläinen", "maija@raasepori.fi", org=org)
    return {"agent": agent, "group": group, "service": service, "org": org, "caller": caller}


def page(resp: Any) -> str:
    return resp.get_data(as_text=True)


def form_key(html: str) -> str:
    found = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert found, "the form carries no idempotency key"
    return found.group(1)


def call_form(world: dict[str, Any], html: str, **changes: Any) -> dict[str, Any]:
    data = {
        "requester_id": str(world["caller"].id),
        "idempotency_key": form_key(html),
        "type": "incident",
        "service_id": str(world["service"].id),
        "title": "Näyttö pimeänä",
        "description": "Soitti: näyttö ei käynnisty aamulla.",
        "impact": "high",
        "urgency": "medium",
        "priority": "",
        "priority_reason": "",
        "channel": "phone",
        "received_at": "",
    }
    data.update(changes)
    return data


def open_form(browser: Browser, world: dict[str, Any]) -> str:
    resp = browser.get(f"/desk/new?requester_id={world['caller'].id}")
    assert resp.status_code == 200
    return page(resp)


def tickets(dbs: Any) -> list[Ticket]:
    dbs.expire_all()
    return list(dbs.scalars(select(Ticket)))


# --- finding the requester ---------------------------------------------------------------


def test_agent_finds_a_requester_by_part_of_the_name_in_any_case(
    browser_for: Any, world: dict[str, Any]
) -> None:
    html = page(browser_for(world["agent"]).get("/desk/new?q=MEIKÄ"))
    assert "Maija Meikäläinen" in html
    assert "maija@raasepori.fi" in html and "Raasepori" in html
    assert f'href="/desk/new?requester_id={world["caller"].id}"' in html


def test_agent_finds_a_requester_by_e_mail_in_any_case(
    browser_for: Any, world: dict[str, Any]
) -> None:
    html = page(browser_for(world["agent"]).get("/desk/new?q=MAIJA@Raasepori"))
    assert "Maija Meikäläinen" in html


def test_search_lists_active_customer_people_of_every_customer_but_no_staff(
    browser_for: Any, make: Any, dbs: Any, world: dict[str, Any]
) -> None:
    other_org = make.org(name="Lohja")
    contact = person(make, dbs, "customer_contact", "Matti Meikäläinen", org=other_org)
    gone = person(make, dbs, "end_user", "Mervi Meikäläinen", org=other_org)
    gone.active = False
    dbs.commit()
    person(make, dbs, "agent", "Meikäläinen Agentti", provider="THH")
    person(make, dbs, "admin", "Meikäläinen Admin")
    html = page(browser_for(world["agent"]).get("/desk/new?q=meikäläinen"))
    html = html.split('id="requester-results"')[1]
    assert "Maija Meikäläinen" in html and contact.name in html
    assert "Mervi" not in html  # not active
    assert "Agentti" not in html and "Admin" not in html  # the centre's staff file no calls


def test_a_percent_sign_in_the_search_matches_itself_not_everybody(
    browser_for: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    browser.post("/language", {"lang": "en", "next": "/"})
    html = page(browser.get("/desk/new?q=%25%25"))
    assert "Maija" not in html
    assert "No active customer user matches" in html


def test_the_live_search_answers_only_the_result_list(
    browser_for: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    resp = browser.get("/desk/new/requesters?q=maija", headers={"HX-Request": "true"})
    html = page(resp)
    assert resp.status_code == 200
    assert "<html" not in html and "<h1" not in html
    assert "Maija Meikäläinen" in html and "<ul" in html


def test_the_search_without_javascript_lands_on_the_page_with_the_results(
    browser_for: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    resp = browser.get("/desk/new/requesters?q=maija", follow_redirects=True)
    html = page(resp)
    assert "<h1" in html and "Maija Meikäläinen" in html


def test_hostile_names_are_escaped_in_the_results_and_the_search_echo(
    browser_for: Any, make: Any, dbs: Any, world: dict[str, Any]
) -> None:
    person(make, dbs, "end_user", "Eve " + HOSTILE, org=world["org"])
    browser = browser_for(world["agent"])
    html = page(browser.get("/desk/new?q=eve"))
    assert HOSTILE not in html and "&lt;script&gt;" in html
    html = page(browser.get("/desk/new?q=" + HOSTILE))
    assert "<script>alert" not in html
    partial = page(browser.get("/desk/new/requesters?q=eve", headers={"HX-Request": "true"}))
    assert HOSTILE not in partial and "&lt;script&gt;" in partial


def test_staff_cannot_be_chosen_as_the_requester(
    browser_for: Any, make: Any, world: dict[str, Any]
) -> None:
    other_agent = make.user("agent", provider="ICT")
    resp = browser_for(world["agent"]).get(f"/desk/new?requester_id={other_agent.id}")
    assert resp.status_code == 404


def test_end_users_and_account_managers_do_not_log_calls(
    browser_for: Any, make: Any, world: dict[str, Any]
) -> None:
    end_user = make.user("end_user", org=world["org"], password=PASSWORD)
    assert browser_for(end_user).get("/desk/new").status_code == 403
    manager = make.user("account_manager", password=PASSWORD)
    assert browser_for(manager).get("/desk/new").status_code == 403
    assert browser_for(manager).get("/desk/new/requesters?q=maija").status_code == 403


# --- entitlement before typing -----------------------------------------------------------


def test_a_refused_organisation_shows_the_reason_and_no_form(
    browser_for: Any, make: Any, dbs: Any, world: dict[str, Any]
) -> None:
    outsider = make.org(entitled=False, name="Ei-omistaja Oy", kind="municipal_company")
    caller = person(make, dbs, "end_user", "Olli Ulkopuolinen", org=outsider)
    browser = browser_for(world["agent"])
    browser.post("/language", {"lang": "en", "next": "/"})
    html = page(browser.get(f"/desk/new?requester_id={caller.id}"))
    assert "Not entitled." in html
    assert "not an owner of the service centre" in html
    assert 'name="title"' not in html and "File the ticket" not in html


def test_an_entitled_organisation_lists_its_services_and_one_not_started_is_not_offered(
    browser_for: Any, make: Any, dbs: Any, world: dict[str, Any]
) -> None:
    later = make.service("ICT", code="HR-NEW", name_fi="Uusi palvelu")
    starts = date.today() + timedelta(days=60)
    dbs.execute(
        update(AgreementService)
        .where(AgreementService.service_id == later.id)
        .values(starts_on=starts)
    )
    dbs.commit()
    browser = browser_for(world["agent"])
    browser.post("/language", {"lang": "en", "next": "/"})
    html = page(browser.get(f"/desk/new?requester_id={world['caller'].id}"))
    assert "Entitled." in html
    table = html.split('class="table table-sm align-middle entitlement-services"')[1]
    assert "WS" in table and "in force since" in table
    assert "HR-NEW" in table and "starts on" in table and "not started yet" in table
    select_html = html.split('id="service_id"')[1].split("</select>")[0]
    assert f'value="{world["service"].id}"' in select_html
    assert f'value="{later.id}"' not in select_html


def test_a_normal_ict_agent_is_not_offered_a_thh_service_and_cannot_file_one(
    browser_for: Any, make: Any, dbs: Any, world: dict[str, Any]
) -> None:
    thh = make.service("THH", group=make.group("THH"), code="PAY", name_fi="Palkat")
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    select_html = html.split('id="service_id"')[1].split("</select>")[0]
    assert f'value="{thh.id}"' not in select_html
    assert "PAY" in html  # listed in the entitlement, as another centre's
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, service_id=str(thh.id)),
    )
    assert resp.status_code == 422
    assert tickets(dbs) == []


@pytest.mark.skipif(not hasattr(User, "desk"), reason="the joint first line has not landed")
def test_a_joint_first_line_agent_logs_a_thh_call(
    browser_for: Any, make: Any, dbs: Any, world: dict[str, Any]
) -> None:
    thh_group = named_group(make, dbs, "THH", "THH payroll")
    thh = make.service("THH", group=thh_group, code="PAY", name_fi="Palkat")
    joint = make.user("agent", provider="ICT", desk="joint", password=PASSWORD)
    browser = browser_for(joint)
    html = open_form(browser, world)
    select_html = html.split('id="service_id"')[1].split("</select>")[0]
    assert f'value="{thh.id}"' in select_html
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, service_id=str(thh.id)),
    )
    assert resp.status_code == 303, page(resp)[:3000]
    (ticket,) = tickets(dbs)
    assert ticket.provider == "THH" and ticket.group_id == thh_group.id


# --- filing ------------------------------------------------------------------------------


def test_filing_a_call_creates_the_ticket_and_goes_to_its_page(
    app: Any, browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    browser.post("/language", {"lang": "en", "next": "/"})
    html = open_form(browser, world)
    resp = browser.post(f"/desk/new?requester_id={world['caller'].id}", call_form(world, html))
    assert resp.status_code == 303, page(resp)[:3000]
    flashed = page(browser.get("/desk/new"))  # before reading the database (SQLite locks)
    (ticket,) = tickets(dbs)
    assert ticket.number in flashed and "ICT workstations" in flashed
    assert ticket.requester_id == world["caller"].id
    assert ticket.organisation_id == world["org"].id
    assert ticket.channel == "phone"
    assert ticket.priority == "P2" and not ticket.priority_overridden  # high x medium
    assert ticket.group_id == world["group"].id
    assert resp.headers["Location"].endswith(f"/desk/tickets/{ticket.id}")


def test_a_call_received_earlier_is_back_dated_in_helsinki_time(
    browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    then = (datetime.now(helsinki) - timedelta(days=2)).replace(second=0, microsecond=0)
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, received_at=then.strftime("%Y-%m-%dT%H:%M")),
    )
    assert resp.status_code == 303, page(resp)[:3000]
    (ticket,) = tickets(dbs)
    assert ticket.received_at == then.astimezone(UTC)


def test_a_call_back_dated_beyond_30_days_is_refused_on_its_field(
    browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, received_at="2020-06-01T09:30", title="Vanha soitto"),
    )
    html = page(resp)
    assert resp.status_code == 422
    assert 'href="#received_at"' in html and "Vanha soitto" in html
    assert tickets(dbs) == []


def test_a_priority_override_without_a_reason_is_422_and_keeps_the_typed_text(
    browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, priority="P1", description="Koko kerros ilman näyttöjä"),
    )
    html = page(resp)
    assert resp.status_code == 422
    assert "Koko kerros ilman näyttöjä" in html and "Näyttö pimeänä" in html
    assert 'href="#priority_reason"' in html and 'aria-invalid="true"' in html
    assert tickets(dbs) == []


def test_a_priority_override_with_a_reason_is_kept_with_the_ticket(
    browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, priority="P1", priority_reason="Koko valtuuston kokous"),
    )
    assert resp.status_code == 303
    (ticket,) = tickets(dbs)
    assert ticket.priority == "P1" and ticket.priority_reason == "Koko valtuuston kokous"


def test_a_double_submit_files_one_ticket(
    browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    data = call_form(world, html)
    first = browser.post(f"/desk/new?requester_id={world['caller'].id}", data)
    second = browser.post(f"/desk/new?requester_id={world['caller'].id}", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(tickets(dbs)) == 1
    assert len(list(dbs.scalars(select(IdempotencyKey)))) == 1


def test_each_new_form_carries_a_fresh_key(browser_for: Any, world: dict[str, Any]) -> None:
    browser = browser_for(world["agent"])
    assert form_key(open_form(browser, world)) != form_key(open_form(browser, world))


def test_hostile_text_in_a_refused_form_comes_back_escaped(
    browser_for: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    html = open_form(browser, world)
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}",
        call_form(world, html, title=HOSTILE, description=HOSTILE, priority="P2"),
    )
    html = page(resp)
    assert resp.status_code == 422
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_the_matrix_priority_follows_impact_and_urgency(
    browser_for: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    browser.post("/language", {"lang": "en", "next": "/"})
    resp = browser.get(
        "/desk/new/priority?impact=high&urgency=high", headers={"HX-Request": "true"}
    )
    assert "P1 critical" in page(resp) and "<html" not in page(resp)
    html = open_form(browser, world)
    assert "P3 normal" in html.split('id="matrix-priority"')[1].split("</output>")[0]


def test_the_form_offers_only_the_channels_the_schema_knows(
    browser_for: Any, world: dict[str, Any]
) -> None:
    html = open_form(browser_for(world["agent"]), world)
    channel = html.split('id="channel"')[1].split("</select>")[0]
    assert 'value="phone"' in channel and 'value="email"' in channel
    assert 'value="portal"' not in channel and 'value="api"' not in channel


def test_a_form_without_its_key_is_refused_with_a_message_and_a_new_key(
    browser_for: Any, dbs: Any, world: dict[str, Any]
) -> None:
    browser = browser_for(world["agent"])
    browser.post("/language", {"lang": "en", "next": "/"})
    html = open_form(browser, world)
    resp = browser.post(
        f"/desk/new?requester_id={world['caller'].id}", call_form(world, html, idempotency_key="")
    )
    html = page(resp)
    assert resp.status_code == 422
    assert "The form had expired" in html and form_key(html)
    assert tickets(dbs) == []
