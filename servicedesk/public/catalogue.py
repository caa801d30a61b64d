"""The published catalogue and price list.

Exactly what is published:

- every service of the catalogue that takes tickets today (not retired): code, names in fi,
  sv and en, family, subfamily (the kind of service within its family) and provider;
- its prices: for each price model (per ticket, per user per month, fixed per month, per
  expert hour) that some agreement version *in force today* (Helsinki date: valid_from <=
  today <= valid_to, or open-ended) uses for it, the lowest and the highest price. Uniform
  pricing makes them equal, and then one price is shown; if in-force versions disagree, the
  range is shown, never which customer pays what (the query aggregates in SQL and no row
  carries an organisation). A service line whose own start date lies ahead is still a price
  agreed in a version in force, so it counts;
- a service that no in-force version prices is listed with no prices ("not priced").

How many agreements use a service is not published: with one or two, it would point at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from catalog.agreements.queries import local_date
from servicedesk.public import queries


@dataclass(frozen=True)
class Price:
    price_model: str
    low: Decimal
    high: Decimal

    @property
    def uniform(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name_fi: str
    name_sv: str
    name_en: str
    family: str
    subfamily: str | None
    provider: str
    prices: tuple[Price, ...]

    def name(self, locale: str) -> str:
        return {"sv": self.name_sv, "en": self.name_en}.get(locale, self.name_fi)


def catalogue(sess: Session, now: datetime) -> list[CatalogueEntry]:
    prices = queries.price_ranges(sess, local_date(now))
    return [
        CatalogueEntry(
            s.code,
            s.name_fi,
            s.name_sv,
            s.name_en,
            s.family,
            s.subfamily,
            s.provider,
            tuple(Price(m, Decimal(low), Decimal(high)) for m, low, high in prices.get(s.id, [])),
        )
        for s in queries.offered_services(sess, now)
    ]
