"""The public service-level answer as plain dataclasses: the API writes it as JSON and the
page renders it. Nothing in it names an organisation, a user or a ticket."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from catalog.agreements.queries import local_date
from catalog.services.models import SERVICE_FAMILIES
from servicedesk.public import rollup
from servicedesk.public.catalogue import CatalogueEntry, catalogue
from servicedesk.public.suppress import MIN_COUNT, ComplianceCell, compliance_cell, volume
from servicedesk.reports.compliance import Tally
from servicedesk.reports.periods import Period, months_ending

DEFAULT_MONTHS = 12
MAX_MONTHS = 24


@dataclass(frozen=True)
class MonthFigures:
    month: str
    #: The month is still running: its figures grow until it ends.
    partial: bool
    received: int | None
    response: ComplianceCell
    resolution: ComplianceCell


@dataclass(frozen=True)
class FamilyFigures:
    family: str
    months: list[MonthFigures]


@dataclass(frozen=True)
class PublicServiceLevel:
    generated_at: datetime
    #: The instant the compliance and volume figures were counted as of: the scheduler's
    #: last refresh when they are stored ones, else `generated_at` (counted live).
    figures_as_of: datetime
    minimum_count: int
    months: list[Period]
    catalogue: list[CatalogueEntry]
    families: list[FamilyFigures]


def public_months(now: datetime, full_months: int = DEFAULT_MONTHS) -> list[Period]:
    """The `full_months` whole Helsinki months before `now`'s, and `now`'s own, oldest first."""
    return months_ending(local_date(now), full_months + 1)


def build(
    sess: Session, now: datetime, full_months: int = DEFAULT_MONTHS, *, use_stored: bool = True
) -> PublicServiceLevel:
    """The answer as of `now`: the scheduler's stored figures while they are fresh
    (`rollup.stored`), else counted live; `use_stored=False` always counts live."""
    months = public_months(now, full_months)
    figures = rollup.stored(sess, months, now) if use_stored else None
    if figures is None:
        figures = rollup.live(sess, months, now)
    tallies, received = figures.tallies, figures.received
    seen = {f for f, _m, _k in tallies} | {f for f, _m in received}
    # Every family of the catalogue, always (an empty one is all "too few"); tickets filed
    # without a service only when there are some.
    families = [*SERVICE_FAMILIES, *sorted(seen - set(SERVICE_FAMILIES))]
    out = []
    for family in families:
        rows = [
            MonthFigures(
                m.label,
                m is months[-1],
                volume(received.get((family, m.label), 0)),
                compliance_cell(tallies.get((family, m.label, "response"), Tally())),
                compliance_cell(tallies.get((family, m.label, "resolution"), Tally())),
            )
            for m in months
        ]
        out.append(FamilyFigures(family, rows))
    return PublicServiceLevel(now, figures.as_of, MIN_COUNT, months, catalogue(sess, now), out)


#: Per process: (database, months, current month) -> (monotonic expiry, answer). The figures
#: are the same for every reader, and a minute's delay is nothing to a monthly statistic,
#: so a busy page costs the aggregate once a minute per worker, not once per reader.
_kept: dict[tuple[str, int, str], tuple[float, PublicServiceLevel]] = {}
_kept_lock = threading.Lock()


def kept_build(
    sess: Session, now: datetime, full_months: int = DEFAULT_MONTHS, seconds: float = 60
) -> PublicServiceLevel:
    """`build`, kept for `seconds` (0: always fresh). Keyed by the database and the current
    Helsinki month, so a new month never shows the old window."""
    if seconds <= 0:
        return build(sess, now, full_months)
    bind = sess.get_bind()
    key = (str(getattr(bind, "url", bind)), full_months, public_months(now, 0)[0].label)
    with _kept_lock:
        found = _kept.get(key)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    answer = build(sess, now, full_months)
    with _kept_lock:
        _kept[key] = (time.monotonic() + seconds, answer)
    return answer
