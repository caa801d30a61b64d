"""POST /api/v1/sla/evaluate: SLA.md's worked examples and the clock rules, through HTTP.

The endpoint stores nothing and answers any signed-in user; bad input is a 422 in the one
error envelope, never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from sla.models import SlaClock
from tests.api.helpers import assert_error
from tests.sla.conftest import ALWAYS_SPEC, OFFICE_SPEC, World

URL = "/api/v1/sla/evaluate"

# (calendar: office | always, start (UTC), target minutes, pauses, due (UTC)) - SLA.md's table.
EXAMPLES = [
    pytest.param("office", "2026-11-23T13:00:00Z", 120, [], "2026-11-24T07:00:00Z",
                 id="1-mon-15-00-plus-120-is-tue-09-00"),
    pytest.param("office", "2026-11-28T08:00:00Z", 240, [], "2026-11-30T10:00:00Z",
                 id="2-saturday-plus-240-is-monday-noon"),
    pytest.param("office", "2026-12-23T10:00:00Z", 480, [], "2026-12-28T10:00:00Z",
                 id="3-christmas-24th-to-26th-skipped"),
    pytest.param("always", "2026-03-28T10:00:00Z", 1440, [], "2026-03-29T10:00:00Z",
                 id="4-24x7-spring-forward-day-has-23-hours"),
    pytest.param("office", "2026-11-23T07:00:00Z", 480,
                 [("2026-11-23T08:00:00Z", "2026-11-24T08:00:00Z")], "2026-11-25T07:00:00Z",
                 id="5-a-day-waiting-for-the-customer-is-not-counted"),
    pytest.param("office", "2026-11-23T10:00:00Z", 240, [], "2026-11-23T14:00:00Z",
                 id="6-used-up-at-closing-is-due-at-closing"),
    pytest.param("always", "2026-10-24T09:00:00Z", 1440, [], "2026-10-25T09:00:00Z",
                 id="7-24x7-fall-back-day-has-25-hours"),
    pytest.param("office", "2026-06-18T12:30:00Z", 60, [], "2026-06-22T05:30:00Z",
                 id="8-midsummer-eve-is-a-holiday"),
]


def evaluate(world: World, body: dict[str, Any], who: str = "requester") -> Any:
    return world.client.post(URL, json=body, headers=world.headers[who])


def ok(world: World, body: dict[str, Any], who: str = "requester") -> dict[str, Any]:
    resp = evaluate(world, body, who)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def events(start: str, *rest: tuple[str, str] | tuple[str, str, int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"type": "start", "at": start}]
    for item in rest:
        event: dict[str, Any] = {"type": item[0], "at": item[1]}
        if len(item) == 3:
            event["target_minutes"] = item[2]
        out.append(event)
    return out


def office_clock(start: str, target: int, *rest: Any, at: str, **kw: Any) -> dict[str, Any]:
    return {"calendar": OFFICE_SPEC, "target_minutes": target,
            "events": events(start, *rest), "at": at, **kw}


# --- SLA.md's worked examples --------------------------------------------------------------


@pytest.mark.parametrize("by_id", [False, True], ids=["inline-calendar", "calendar-by-id"])
@pytest.mark.parametrize(("calendar", "start", "target", "pauses", "due"), EXAMPLES)
def test_worked_example_is_due_at_the_instant_sla_md_gives(
    world, by_id, calendar, start, target, pauses, due
):
    if by_id:
        ids = {"office": world.office_calendar_id, "always": world.always_calendar_id}
        spec = {"id": ids[calendar]}
    else:
        spec = OFFICE_SPEC if calendar == "office" else ALWAYS_SPEC
    history = events(start, *[step for p in pauses for step in (("pause", p[0]), ("resume", p[1]))])
    body = {"calendar": spec, "target_minutes": target, "events": history}

    # Evaluated at the start (or the last resume): running, the whole target ahead.
    at_start = ok(world, {**body, "at": history[-1]["at"]})
    assert at_start["state"] == "running"
    assert at_start["due_at"] == due
    assert at_start["breach_at"] is None

    # Evaluated at the due instant: the target is used up exactly, still not breached.
    at_due = ok(world, {**body, "at": due})
    assert (at_due["state"], at_due["due_at"], at_due["breach_at"]) == ("running", due, None)
    assert at_due["elapsed_seconds"] == target * 60
    assert at_due["remaining_seconds"] == 0

    # A second later it is breached, and the breach instant is the due instant.
    later = due.replace(":00Z", ":01Z")
    after = ok(world, {**body, "at": later})
    assert (after["state"], after["due_at"], after["breach_at"]) == ("breached", due, due)


def test_example_1_explains_the_counted_intervals_and_the_warning_instant(world):
    answer = ok(world, office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-24T07:00:00Z"))
    assert answer["intervals"] == [
        {"start": "2026-11-23T13:00:00Z", "end": "2026-11-23T14:00:00Z"},  # Mon 15-16
        {"start": "2026-11-24T06:00:00Z", "end": "2026-11-24T07:00:00Z"},  # Tue 08-09
    ]
    assert answer["warning_at"] == "2026-11-24T06:36:00Z"  # 80 % of 120 = 96 min: Tue 08:36
    assert answer["target_minutes"] == 120
    assert answer["pauses"] == []


def test_warning_percent_moves_the_warning_instant(world):
    answer = ok(world, office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-23T13:00:00Z",
                                    warning_percent=50))
    assert answer["warning_at"] == "2026-11-23T14:00:00Z"  # 60 min: Monday's closing


def test_example_4_and_7_by_24x7_count_real_hours_across_dst(world):
    spring = ok(world, {"calendar": ALWAYS_SPEC, "target_minutes": 1440,
                        "events": events("2026-03-28T10:00:00Z"), "at": "2026-03-29T09:00:00Z"})
    assert spring["elapsed_seconds"] == 23 * 3600
    fall = ok(world, {"calendar": ALWAYS_SPEC, "target_minutes": 1440,
                      "events": events("2026-10-24T09:00:00Z"), "at": "2026-10-25T09:00:00Z"})
    assert fall["elapsed_seconds"] == 24 * 3600
    assert fall["intervals"] == [{"start": "2026-10-24T09:00:00Z", "end": "2026-10-25T09:00:00Z"}]


# --- pause, resume, target change, stop -------------------------------------------------------


def test_example_5_while_paused_has_no_due_instant_and_resuming_recomputes_it(world):
    pause = ("pause", "2026-11-23T08:00:00Z")
    paused = ok(world, office_clock("2026-11-23T07:00:00Z", 480, pause,
                                    at="2026-11-23T12:00:00Z"))
    assert paused["state"] == "paused"
    assert paused["due_at"] is None
    assert paused["elapsed_seconds"] == 3600
    assert paused["remaining_seconds"] == 7 * 3600
    assert paused["pauses"] == [{"start": "2026-11-23T08:00:00Z", "end": None}]

    resumed = ok(world, office_clock("2026-11-23T07:00:00Z", 480, pause,
                                     ("resume", "2026-11-24T08:00:00Z"),
                                     at="2026-11-24T09:00:00Z"))
    assert resumed["state"] == "running"
    assert resumed["due_at"] == "2026-11-25T07:00:00Z"  # Wed 09:00
    assert resumed["elapsed_seconds"] == 2 * 3600  # Mon 09-10 and Tue 10-11
    assert resumed["pauses"] == [{"start": "2026-11-23T08:00:00Z", "end": "2026-11-24T08:00:00Z"}]
    assert resumed["intervals"] == [
        {"start": "2026-11-23T07:00:00Z", "end": "2026-11-23T08:00:00Z"},
        {"start": "2026-11-24T08:00:00Z", "end": "2026-11-24T09:00:00Z"},
    ]


def test_raising_the_target_keeps_elapsed_time_and_moves_the_due_instant(world):
    answer = ok(world, office_clock("2026-11-23T13:00:00Z", 120,
                                    ("target_change", "2026-11-24T06:30:00Z", 240),
                                    at="2026-11-24T06:30:00Z"))
    assert answer["target_minutes"] == 240
    assert answer["elapsed_seconds"] == 90 * 60
    assert answer["due_at"] == "2026-11-24T09:00:00Z"  # 150 minutes on from Tue 08:30: 11:00
    assert answer["state"] == "running"


def test_lowering_the_target_below_elapsed_breaches_at_the_instant_it_was_used_up(world):
    answer = ok(world, office_clock("2026-11-23T13:00:00Z", 120,
                                    ("target_change", "2026-11-24T06:30:00Z", 60),
                                    at="2026-11-24T06:30:00Z"))
    assert answer["state"] == "breached"
    # 60 business minutes were used up at Monday's 16:00 closing.
    assert answer["due_at"] == answer["breach_at"] == "2026-11-23T14:00:00Z"
    assert answer["remaining_seconds"] == 0


@pytest.mark.parametrize(
    ("stop", "state", "breach_at"),
    [
        ("2026-11-24T06:45:00Z", "met", None),
        ("2026-11-24T07:00:00Z", "met", None),  # exactly at the due instant
        ("2026-11-24T07:00:01Z", "breached", "2026-11-24T07:00:00Z"),
    ],
    ids=["before-due", "at-due", "after-due"],
)
def test_a_stopped_clock_is_met_or_breached_by_its_history(world, stop, state, breach_at):
    answer = ok(world, office_clock("2026-11-23T13:00:00Z", 120, ("stop", stop),
                                    at="2026-12-31T12:00:00Z"))
    assert answer["state"] == state
    assert answer["breach_at"] == breach_at
    assert answer["stopped_at"] == stop
    assert answer["due_at"] == "2026-11-24T07:00:00Z"


def test_stopping_after_a_closing_time_due_instant_is_breached_without_business_time(world):
    """Example 6's clock due at the 16:00 closing, stopped at 16:30: breached (SLA.md)."""
    answer = ok(world, office_clock("2026-11-23T10:00:00Z", 240, ("stop", "2026-11-23T14:30:00Z"),
                                    at="2026-11-23T15:00:00Z"))
    assert answer["elapsed_seconds"] == 240 * 60
    assert (answer["state"], answer["breach_at"]) == ("breached", "2026-11-23T14:00:00Z")


def test_a_reopened_clock_does_not_count_the_time_it_was_stopped(world):
    answer = ok(world, office_clock("2026-11-23T07:00:00Z", 480,
                                    ("stop", "2026-11-23T08:30:00Z"),
                                    ("resume", "2026-11-24T10:00:00Z"),
                                    at="2026-11-24T10:00:00Z"))
    assert answer["state"] == "running"
    assert answer["elapsed_seconds"] == 90 * 60
    assert answer["due_at"] == "2026-11-25T08:30:00Z"  # 240 Tue 12-16, 150 Wed from 08:00


def test_a_cancelled_clock_has_no_due_instant(world):
    answer = ok(world, office_clock("2026-11-23T13:00:00Z", 120, ("cancel", "2026-11-24T08:00:00Z"),
                                    at="2026-11-24T09:00:00Z"))
    assert answer["state"] == "cancelled"
    assert answer["due_at"] is answer["warning_at"] is answer["breach_at"] is None


def test_evaluate_stores_nothing_and_answers_every_signed_in_role(world, dbs):
    body = office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-23T13:00:00Z")
    for who in ("requester", "agent", "account_manager", "admin"):
        assert ok(world, body, who)["due_at"] == "2026-11-24T07:00:00Z"
    assert dbs.scalar(select(func.count()).select_from(SlaClock)) == 0


# --- refusals: 422 in the envelope, 401 without a token --------------------------------------


def fields_of(resp: Any) -> dict[str, Any]:
    return assert_error(resp, 422, "validation_error")["details"].get("fields", {})


def test_events_out_of_order_are_422_naming_the_event(world):
    resp = evaluate(world, office_clock("2026-11-23T13:00:00Z", 120,
                                        ("stop", "2026-11-23T12:00:00Z"),
                                        at="2026-11-24T09:00:00Z"))
    assert "events.1" in fields_of(resp)


def test_a_clock_without_a_start_is_422(world):
    body = office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-24T09:00:00Z")
    body["events"] = [{"type": "pause", "at": "2026-11-23T13:00:00Z"}]
    assert "events.0" in fields_of(evaluate(world, body))
    body["events"] = []
    assert "events" in str(fields_of(evaluate(world, body)))


@pytest.mark.parametrize(
    "rest",
    [
        [("start", "2026-11-23T14:00:00Z")],  # a second start
        [("resume", "2026-11-23T14:00:00Z")],  # resume while running
        [("cancel", "2026-11-23T14:00:00Z"), ("resume", "2026-11-23T15:00:00Z")],
        [("stop", "2026-11-23T14:00:00Z"), ("pause", "2026-11-23T15:00:00Z")],
        [("target_change", "2026-11-23T14:00:00Z")],  # without target_minutes
        [("stop", "2026-11-23T14:00:00Z", 60)],  # target_minutes on a stop
    ],
    ids=["two-starts", "resume-running", "after-cancel", "pause-stopped", "change-no-target",
         "target-on-stop"],
)
def test_impossible_histories_are_422(world, rest):
    resp = evaluate(world, office_clock("2026-11-23T13:00:00Z", 120, *rest,
                                        at="2026-11-24T09:00:00Z"))
    assert fields_of(resp)


def test_at_before_the_start_is_422(world):
    assert fields_of(evaluate(world, office_clock("2026-11-23T13:00:00Z", 120,
                                                  at="2026-11-23T12:00:00Z")))


@pytest.mark.parametrize(
    "calendar",
    [
        {**OFFICE_SPEC, "timezone": "Mars/Olympus_Mons"},
        {**OFFICE_SPEC, "hours": {"mon": [["08:00", "25:00"]]}},
        {**OFFICE_SPEC, "hours": {"mon": [["16:00", "08:00"]]}},
        {**OFFICE_SPEC, "hours": {"monday": [["08:00", "16:00"]]}},
        {**OFFICE_SPEC, "holidays": "XX"},
        {**OFFICE_SPEC, "closed_dates": ["2026-02-30"]},
        {**OFFICE_SPEC, "colour": "blue"},
        {"always": True, "hours": {}},
        {"id": 999_999},
        {"id": "1"},
        [],
    ],
    ids=["zone", "hour-25", "backwards", "weekday-name", "country", "date", "unknown-field",
         "always-with-hours", "unknown-id", "id-as-text", "not-an-object"],
)
def test_a_bad_calendar_is_422_on_the_calendar_field(world, calendar):
    body = office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-24T09:00:00Z")
    body["calendar"] = calendar
    assert "calendar" in fields_of(evaluate(world, body))


def test_naive_instants_are_422(world):
    body = office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-24T09:00:00")
    assert "at" in fields_of(evaluate(world, body))
    body = office_clock("2026-11-23T13:00:00", 120, at="2026-11-24T09:00:00Z")
    assert "events" in fields_of(evaluate(world, body))


def test_offsets_other_than_utc_are_read_as_the_same_instant(world):
    local = "2026-11-23T15:00:00+02:00"
    answer = ok(world, office_clock(local, 120, at=local))
    assert answer["due_at"] == "2026-11-24T07:00:00Z"


@pytest.mark.parametrize(
    "change",
    [
        {"colour": "blue"},
        {"events": [{"type": "start", "at": "2026-11-23T13:00:00Z", "why": "x"}]},
        {"events": [{"type": "lunch", "at": "2026-11-23T13:00:00Z"}]},
        {"target_minutes": -1},
        {"target_minutes": "two hours"},
        {"warning_percent": 0},
        {"warning_percent": 101},
    ],
    ids=["unknown-field", "unknown-event-field", "unknown-event-type", "negative-target",
         "text-target", "warning-0", "warning-101"],
)
def test_malformed_requests_are_422(world, change):
    body = {**office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-24T09:00:00Z"), **change}
    assert fields_of(evaluate(world, body))


@pytest.mark.parametrize("missing", ["calendar", "target_minutes", "events", "at"])
def test_each_required_field_is_required(world, missing):
    body = office_clock("2026-11-23T13:00:00Z", 120, at="2026-11-24T09:00:00Z")
    del body[missing]
    assert missing in fields_of(evaluate(world, body))


def test_without_a_token_evaluate_is_401(world):
    resp = world.client.post(URL, json=office_clock("2026-11-23T13:00:00Z", 120,
                                                    at="2026-11-24T09:00:00Z"))
    assert_error(resp, 401, "unauthenticated")
    resp = world.client.post(URL, json={}, headers={"Authorization": "Bearer sdt_nope"})
    assert_error(resp, 401, "unauthenticated")
