"""Where the time went: business time of a clock split by who held the ticket (SLA.md).

The caller cuts the resolution clock's life into segments, each held by one party (typically
"desk", "supplier" or "customer"); this module only does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sla.calendar import Calendar, _business_us, _to_us

__all__ = ["split_business_time"]


def split_business_time(
    cal: Calendar, segments: Sequence[tuple[datetime, datetime, str]]
) -> dict[str, timedelta]:
    """Business time per holder label of non-overlapping ``[start, end)`` segments.

    Every label given appears in the result, with zero if its segments hold no business time.
    Segments may come in any order; a segment that ends before it starts or that overlaps
    another raises `ValueError` (naming ``segments[i]``); naive datetimes raise `ValueError`.
    """
    spans: list[tuple[int, int, int]] = []
    totals: dict[str, int] = {}
    for i, (start, end, label) in enumerate(segments):
        s, e = _to_us(start, f"segments[{i}].start"), _to_us(end, f"segments[{i}].end")
        if e < s:
            raise ValueError(f"segments[{i}]: ends before it starts")
        spans.append((s, e, i))
        totals.setdefault(label, 0)
    spans.sort()
    reach, holder = None, -1  # the latest end so far, and whose it is
    for s, e, i in spans:
        if s == e:
            continue
        if reach is not None and s < reach:
            raise ValueError(f"segments[{i}]: overlaps segments[{holder}]")
        reach, holder = e, i
    for s, e, i in spans:
        totals[segments[i][2]] += _business_us(cal, s, e)
    return {label: timedelta(microseconds=us) for label, us in totals.items()}
