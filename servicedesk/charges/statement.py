"""The itemised statement, as a pure rule: price lines and counted facts in, priced lines out.

The same rules for every customer (no per-customer code). For a period [starts_on, ends_on]
(Helsinki days) and each agreement version in force on some day of it:

- **per_ticket:** price x the organisation's tickets for the line's service *received* (Helsinki
  day) on a day the version is in force and the line has started, except cancelled tickets.
- **per_user_month:** price x, for each month charged to the line, the organisation's user
  accounts (end users and customer contacts) that existed on some day of that month: created
  by its last day and not deactivated before its first (`UserSpan`).
- **fixed_month:** price x the months charged to the line.
- **per_expert_hour:** price x expert hours (minutes / 60) recorded on the organisation's
  tickets for the line's service, *worked on* (Helsinki day) a day the version is in force and
  the line has started.

Months (per_user_month, fixed_month): a calendar month of the period is charged whole to the
version in force on the month's last day, for each of its lines started by that day ("the end of
the month decides"). A period spanning two versions thus takes each version's prices for its
own days (ticket and hour lines) and its own months (monthly lines).

Rounding: each line's amount is price x quantity rounded half-up to cents; the total is the
exact sum of the rounded lines. Hours are never rounded before pricing (20 min is 1/3 h):
an hour line's amount is price x minutes / 60, rounded once; its quantity is shown to 4
decimals.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ROUNDING = "each line rounded half-up to cents; total = exact sum of the rounded lines"
CANCELLED = "cancelled"
#: The unit each price model counts.
UNITS = {
    "per_ticket": "ticket",
    "per_user_month": "user_month",
    "fixed_month": "month",
    "per_expert_hour": "hour",
}


@dataclass(frozen=True)
class Period:
    """An invoicing period in Helsinki days, both ends included."""

    label: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class PriceLine:
    service_id: int
    service_code: str
    starts_on: date
    price_model: str
    price: Decimal


@dataclass(frozen=True)
class VersionTerms:
    id: int
    version_no: int
    valid_from: date
    valid_to: date | None
    invoicing_period: str
    lines: tuple[PriceLine, ...]

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class TicketFact:
    id: int
    service_id: int | None
    received_on: date
    status: str


@dataclass(frozen=True)
class UserSpan:
    """A customer user account's life in Helsinki days: from its creation to its
    deactivation (None: still active). A month counts it when the two meet."""

    id: int
    first_day: date
    last_day: date | None = None

    def in_month(self, first: date, last: date) -> bool:
        return self.first_day <= last and (self.last_day is None or self.last_day >= first)


@dataclass(frozen=True)
class TimeFact:
    id: int
    ticket_id: int
    service_id: int | None
    worked_on: date
    minutes: int
    expert: bool


@dataclass(frozen=True)
class StatementLine:
    agreement_version_id: int
    version_no: int
    service_id: int
    service_code: str
    price_model: str
    unit: str
    unit_price: Decimal
    quantity: Decimal
    amount: Decimal
    #: The Helsinki days of the period this line covers (version and line in force).
    covers_from: date | None
    covers_to: date | None
    months: tuple[str, ...] = ()
    ticket_ids: tuple[int, ...] = ()
    #: per_user_month: every account counted in some month of the line, and how many each
    #: month counted (one number per `months`).
    user_ids: tuple[int, ...] = ()
    users_per_month: tuple[int, ...] = ()
    time_entry_ids: tuple[int, ...] = ()
    minutes: int = 0


@dataclass(frozen=True)
class Statement:
    organisation_id: int
    period: Period
    versions: tuple[VersionTerms, ...]
    lines: tuple[StatementLine, ...]
    total: Decimal
    currency: str = "EUR"
    rounding: str = ROUNDING
    tickets_counted: tuple[int, ...] = field(default=())


#: The years a statement can be asked for: the Helsinki day bounds stay within datetime's.
YEARS = range(1900, 9999)


def parse_period(text: str) -> Period:
    """`2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year); ValueError otherwise."""
    text = text.strip()
    if not text[:4].isdigit() or not text[:4].isascii() or int(text[:4]) not in YEARS:
        raise ValueError(text)
    if len(text) == 4 and text.isdigit():
        year = int(text)
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    year_text, _, rest = text.partition("-")
    if len(year_text) != 4 or not year_text.isdigit() or not year_text.isascii():
        raise ValueError(text)
    year = int(year_text)
    if len(rest) == 2 and rest[0] == "Q" and rest[1] in "1234":
        first = 3 * (int(rest[1]) - 1) + 1
        return Period(text, date(year, first, 1), _month_end(year, first + 2))
    if len(rest) == 2 and rest.isdigit() and rest.isascii() and 1 <= int(rest) <= 12:
        month = int(rest)
        return Period(text, date(year, month, 1), _month_end(year, month))
    raise ValueError(text)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_ends(period: Period) -> list[date]:
    """The last day of each calendar month of the period that ends inside it."""
    ends, day = [], period.starts_on
    while day <= period.ends_on:
        end = _month_end(day.year, day.month)
        if end <= period.ends_on:
            ends.append(end)
        day = end + timedelta(days=1)
    return ends


def price(unit_price: Decimal, quantity: Decimal) -> Decimal:
    """The line's amount: rounded half-up to cents, once, at the end."""
    return (unit_price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)


def price_minutes(hourly_price: Decimal, minutes: int) -> Decimal:
    """An hourly price for `minutes`: price x minutes / 60, divided once, then rounded.

    price x minutes is exact; a value that lies on a half cent is a terminating decimal, so
    the one division keeps it exact and half-up rounds it as a person would.
    """
    return (hourly_price * minutes / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def _days(period: Period, version: VersionTerms, line: PriceLine) -> tuple[date, date] | None:
    start = max(period.starts_on, version.valid_from, line.starts_on)
    end = period.ends_on if version.valid_to is None else min(period.ends_on, version.valid_to)
    return (start, end) if start <= end else None


def build_statement(
    organisation_id: int,
    period: Period,
    versions: Sequence[VersionTerms],
    tickets: Iterable[TicketFact],
    users: Iterable[UserSpan],
    time_entries: Iterable[TimeFact],
) -> Statement:
    """Price every line of every version in force in the period (module docstring: the rules)."""
    tickets, time_entries = list(tickets), list(time_entries)
    accounts = tuple(sorted(users, key=lambda u: u.id))
    in_force = [v for v in versions if _days(period, v, _ANY) is not None]
    month_owner = {
        end: next((v for v in in_force if v.in_force(end)), None) for end in month_ends(period)
    }
    lines: list[StatementLine] = []
    for version in sorted(in_force, key=lambda v: v.valid_from):
        for line in version.lines:
            lines.append(
                _price_line(period, version, line, tickets, accounts, time_entries, month_owner)
            )
    total = sum((line.amount for line in lines), Decimal("0.00"))
    counted = sorted({t for line in lines for t in line.ticket_ids})
    return Statement(
        organisation_id=organisation_id,
        period=period,
        versions=tuple(sorted(in_force, key=lambda v: v.valid_from)),
        lines=tuple(lines),
        total=total,
        tickets_counted=tuple(counted),
    )


#: A line that starts at once: used to ask whether a version touches the period at all.
_ANY = PriceLine(0, "", date.min, "fixed_month", Decimal(0))


def _price_line(
    period: Period,
    version: VersionTerms,
    line: PriceLine,
    tickets: list[TicketFact],
    users: tuple[UserSpan, ...],
    time_entries: list[TimeFact],
    month_owner: dict[date, VersionTerms | None],
) -> StatementLine:
    days = _days(period, version, line)
    start, end = days if days else (None, None)

    def covered(day: date) -> bool:
        return start is not None and end is not None and start <= day <= end

    ticket_ids: tuple[int, ...] = ()
    entry_ids: tuple[int, ...] = ()
    months: tuple[str, ...] = ()
    minutes = 0
    line_users: tuple[int, ...] = ()
    per_month: tuple[int, ...] = ()
    model = line.price_model
    if model == "per_ticket":
        ticket_ids = tuple(
            sorted(
                t.id
                for t in tickets
                if t.service_id == line.service_id
                and t.status != CANCELLED
                and covered(t.received_on)
            )
        )
        quantity = Decimal(len(ticket_ids))
    elif model == "per_expert_hour":
        chosen = [
            e
            for e in time_entries
            if e.expert and e.service_id == line.service_id and covered(e.worked_on)
        ]
        entry_ids = tuple(sorted(e.id for e in chosen))
        ticket_ids = tuple(sorted({e.ticket_id for e in chosen}))
        minutes = sum(e.minutes for e in chosen)
        # Shown to 4 decimals; the amount is priced from the minutes, never from this.
        quantity = (Decimal(minutes) / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    elif model in ("per_user_month", "fixed_month"):
        charged = [
            end_day
            for end_day, owner in month_owner.items()
            if owner is version and line.starts_on <= end_day
        ]
        months = tuple(f"{end_day:%Y-%m}" for end_day in charged)
        if model == "per_user_month":
            counted = [
                [u.id for u in users if u.in_month(end_day.replace(day=1), end_day)]
                for end_day in charged
            ]
            per_month = tuple(len(ids) for ids in counted)
            line_users = tuple(sorted({i for ids in counted for i in ids}))
            quantity = Decimal(sum(per_month))
        else:
            quantity = Decimal(len(months))
    else:
        raise ValueError(f"unknown price model {model!r}")
    return StatementLine(
        agreement_version_id=version.id,
        version_no=version.version_no,
        service_id=line.service_id,
        service_code=line.service_code,
        price_model=model,
        unit=UNITS[model],
        unit_price=line.price,
        quantity=quantity,
        amount=price_minutes(line.price, minutes)
        if model == "per_expert_hour"
        else price(line.price, quantity),
        covers_from=start,
        covers_to=end,
        months=months,
        ticket_ids=ticket_ids,
        user_ids=line_users,
        users_per_month=per_month,
        time_entry_ids=entry_ids,
        minutes=minutes,
    )
