"""The public figures kept in `public_figures`: counted by the scheduler, read by the page.

`refresh` counts the stored window (the current Helsinki month and the twelve before it) with
the same aggregate queries as the live answer and replaces every stored row in the caller's
transaction: a closed month can still change (a reopened ticket moves its clock's stop), so
every month is counted again each time, and a reader sees either the old rows or the new
ones, never a mix. `stored` hands them back only while they are fresh and cover the window
asked for; otherwise the answer is counted live (a desk without a running scheduler still
shows correct figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from catalog.agreements.queries import local_date
from catalog.services.models import SERVICE_FAMILIES
from servicedesk.db import utcnow
from servicedesk.public import queries
from servicedesk.public.models import PublicFigures
from servicedesk.reports.compliance import Tally
from servicedesk.reports.periods import Period, months_ending

#: Whole months before the current one that are stored (the page's default window).
STORED_FULL_MONTHS = 12
#: How often the scheduler counts them (`sla.scheduler.JOBS`, "public-figures").
REFRESH_SECONDS = 300
#: Stored figures older than this are not shown: three missed refreshes mean the scheduler
#: is not running, and the answer is counted live instead.
MAX_AGE = timedelta(seconds=3 * REFRESH_SECONDS)


@dataclass(frozen=True)
class Figures:
    """Raw counts of a window, as of an instant: what `report.build` turns into cells."""

    #: (family, month label, kind) -> met and breached; only non-empty ones.
    tallies: queries.ClockTallies
    #: (family, month label) -> tickets received; only non-zero ones.
    received: dict[tuple[str, str], int]
    #: The instant they were counted as of.
    as_of: datetime


def stored_months(now: datetime) -> list[Period]:
    """The window `refresh` stores: the current Helsinki month and the 12 before it."""
    return months_ending(local_date(now), STORED_FULL_MONTHS + 1)


def live(sess: Session, months: list[Period], now: datetime) -> Figures:
    """The figures counted now, from every clock and ticket (about a second on 1 M tickets)."""
    return Figures(queries.clock_tallies(sess, months, now), queries.received(sess, months), now)


def refresh(sess: Session, now: datetime) -> int:
    """Count the stored window as of `now` and replace every stored row; flush only (the
    caller commits). One row per month and family, zeros included for the catalogue's
    families, so the rows themselves show which window they cover. Answers the row count."""
    months = stored_months(now)
    figures = live(sess, months, now)
    seen = {f for f, _m, _k in figures.tallies} | {f for f, _m in figures.received}
    rows = []
    for family in sorted(set(SERVICE_FAMILIES) | seen):
        for m in months:
            response = figures.tallies.get((family, m.label, "response"), Tally())
            resolution = figures.tallies.get((family, m.label, "resolution"), Tally())
            rows.append(
                {
                    "month": m.label,
                    "family": family,
                    "response_met": response.met,
                    "response_breached": response.breached,
                    "resolution_met": resolution.met,
                    "resolution_breached": resolution.breached,
                    "received": figures.received.get((family, m.label), 0),
                    "computed_at": now,
                }
            )
    sess.execute(delete(PublicFigures))
    sess.execute(insert(PublicFigures), rows)
    sess.flush()
    return len(rows)


def stored(sess: Session, months: list[Period], now: datetime) -> Figures | None:
    """The stored figures of `months`, or None when they cannot stand for the live ones:
    none stored, older than `MAX_AGE`, or not covering every month asked for (a longer
    window, or the month turned since the refresh)."""
    rows = list(sess.scalars(select(PublicFigures)))
    if not rows:
        return None
    as_of = min(r.computed_at for r in rows)
    # Newer than `now` is fine (another host's clock, a pinned test clock): still the latest.
    if as_of < now - MAX_AGE:
        return None
    # The window asked for ends in `now`'s month: once the month turns, the stored window
    # (ending in the refresh's month) lacks it, until the next refresh.
    wanted = {m.label for m in months}
    if not wanted <= {r.month for r in rows}:
        return None
    tallies: queries.ClockTallies = {}
    received: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.month not in wanted:
            continue
        if r.response_met or r.response_breached:
            tallies[(r.family, r.month, "response")] = Tally(r.response_met, r.response_breached)
        if r.resolution_met or r.resolution_breached:
            tallies[(r.family, r.month, "resolution")] = Tally(
                r.resolution_met, r.resolution_breached
            )
        if r.received:
            received[(r.family, r.month)] = r.received
    return Figures(tallies, received, as_of)


def public_figures_job(app: Flask, sess: Session) -> None:
    """The scheduler's job: refresh the stored figures (`run_exclusively` commits)."""
    refresh(sess, utcnow())
