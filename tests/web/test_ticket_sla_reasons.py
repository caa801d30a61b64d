"""The ticket page's SLA panel says why a clock ended, started late or warned untold (the same
facts as GET /tickets/{id}/sla: ended_by, retroactive, alerts' late and notified).

World (tests/escalations/conftest.py): P3 response 120 / resolution 960 min, P2 60 / 480, no
line for P4, on Mon-Fri 08:00-16:00 Helsinki.
"""

# ruff: noqa: F811 (pytest fixtures imported by name)
from __future__ import annotations

from typing import Any

import pytest

from servicedesk import db
from servicedesk.db import frozen_now
from sla.jobs import sweep
from tests.escalations.conftest import api, world  # noqa: F401 (fixtures)
from tests.web.ticket_world import PinnedBrowser, local, text_of, with_passwords


@pytest.fixture
def desk_browser(app: Any, world: Any, dbs: Any) -> PinnedBrowser:
    with_passwords(dbs, world.agent)
    b = PinnedBrowser(app.test_client(), local("2026-11-23 12:30"))
    b.login(world.agent)
    return b


def test_the_panel_says_a_priority_without_a_promise_ended_the_clocks(
    app: Any,
    api: Any,
    world: Any,
    desk_browser: PinnedBrowser,
) -> None:
    tid = api.file(local("2026-11-23 09:00"), world.requester, world.service)["id"]
    resp = api.patch(
        local("2026-11-23 12:00"),
        tid,
        world.agent,
        {"priority": "P4", "priority_reason": "odottaa"},
    )
    assert resp.status_code == 200, resp.get_json()
    with app.app_context(), frozen_now(local("2026-11-23 12:30")), db.unit_of_work(app) as sess:
        sweep(sess, local("2026-11-23 12:30"))
    page = text_of(desk_browser.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    assert (
        "stopped late, at 23 Nov 2026, 12:00, when its new priority had no promise" in page
    )  # the response, due at 11:00
    assert "no longer measured: its new priority has no promise" in page  # the resolution
    assert (
        "warning: 23 Nov 2026, 10:36 (recorded late, at 23 Nov 2026, 12:30)"
        " · not told: the clock had breached or ended by then" in page
    )
    assert "breach: 23 Nov 2026, 11:00 (recorded late, at 23 Nov 2026, 12:30)" in page
    # The timeline says the same of the warning.
    assert page.count("not told: the clock had breached or ended by then") == 2


def test_the_panel_says_a_clock_started_retroactively(
    api: Any,
    world: Any,
    desk_browser: PinnedBrowser,
) -> None:
    tid = api.file(
        local("2026-11-23 09:00"), world.requester, world.service, impact="low", urgency="low"
    )["id"]
    resp = api.patch(
        local("2026-11-23 10:00"), tid, world.agent, {"priority": "P3", "priority_reason": "tärkeä"}
    )
    assert resp.status_code == 200, resp.get_json()
    page = text_of(desk_browser.get(f"/desk/tickets/{tid}").get_data(as_text=True))
    started = "Started retroactively at the received time, when the ticket got a priority"
    assert page.count(started) == 2  # response and resolution
    assert "Counted intervals 23 Nov 2026, 09:00 \N{EN DASH} 23 Nov 2026, 12:30" in page
