"""SQL statements kept per process, built once per shape.

Building a SQLAlchemy statement (its scope, joins and loader options) costs a hot read about
as much as running it. A statement whose inputs are all bind parameters, or values named in
its key, can be kept and run again: what is kept holds SQL, never rows, so every run reads
the data fresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

S = TypeVar("S")

_kept: dict[Hashable, object] = {}
_lock = threading.Lock()
#: Past this many shapes (a search's words, a date filter's values) the store starts over;
#: a kept statement takes about 28 KB, so at most about 30 MB a process.
MAX_KEPT = 1024


def kept(key: Hashable, build: Callable[[], S]) -> S:
    """The statement kept under `key`, built by `build()` on its first use.

    `key` must name every input `build` reads that is not a bind parameter of the statement.
    """
    stmt = _kept.get(key)
    if stmt is None:
        stmt = build()
        with _lock:
            if len(_kept) >= MAX_KEPT:
                _kept.clear()
            _kept[key] = stmt
    return stmt  # type: ignore[return-value]
