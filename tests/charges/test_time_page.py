"""The desk ticket page's "time spent" form: the same operation as the API, CSRF-checked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.escalations.conftest import api, world  # noqa: F401 (fixtures)
from tests.web.ticket_world import PinnedBrowser, local, text_of, with_passwords

NOW = local("2026-11-23 09:30")


@pytest.fixture
def desk_browser(app: Any, world: Any, dbs: Any) -> PinnedBrowser:  # noqa: F811
    with_passwords(dbs, world.agent)
    b = PinnedBrowser(app.test_client(), NOW)
    b.login(world.agent)
    return b


@pytest.fixture
def ticket(api: Any, world: Any) -> dict[str, Any]:  # noqa: F811
    return api.file(local("2026-11-23 09:00"), world.requester, world.service)


def _page(b: PinnedBrowser, tid: int) -> str:
    resp = b.get(f"/desk/tickets/{tid}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _post(b: PinnedBrowser, tid: int, data: dict[str, Any]) -> Any:
    html = _page(b, tid)
    return b.post(f"/desk/tickets/{tid}/time", {**b.form_values(html, "time"), **data})


def test_the_desk_records_time_and_sees_the_entries_and_total(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    tid = ticket["id"]
    assert "No time recorded." in text_of(_page(desk_browser, tid))
    resp = _post(desk_browser, tid, {"time-minutes": "40", "time-expert": "y", "time-note": "DNS"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    resp = _post(desk_browser, tid, {"time-minutes": "5", "time-worked_on": "2026-11-23"})
    assert resp.status_code == 303
    page = text_of(_page(desk_browser, tid))
    assert "Time recorded." in page
    assert "Total 45 min, of which expert work 40 min." in page
    assert "DNS" in page


def test_bad_minutes_are_refused_with_the_error_on_the_field_and_nothing_recorded(
    desk_browser: PinnedBrowser, ticket: dict[str, Any]
) -> None:
    tid = ticket["id"]
    resp = _post(desk_browser, tid, {"time-minutes": "0"})
    assert resp.status_code == 422
    assert 'href="#time-minutes"' in resp.get_data(as_text=True)
    resp = _post(desk_browser, tid, {"time-minutes": "10", "time-worked_on": "2026-11-24"})
    assert resp.status_code == 422
    assert "future" in text_of(resp.get_data(as_text=True))
    assert "No time recorded." in text_of(_page(desk_browser, tid))


def test_the_form_needs_the_csrf_token(desk_browser: PinnedBrowser, ticket: dict[str, Any]) -> None:
    tid = ticket["id"]
    html = _page(desk_browser, tid)
    data = {**desk_browser.form_values(html, "time"), "time-minutes": "10"}
    resp = desk_browser.client.post(f"/desk/tickets/{tid}/time", data=data)
    assert resp.status_code in (400, 403)
    assert "No time recorded." in text_of(_page(desk_browser, tid))
