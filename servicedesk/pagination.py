"""Keyset (cursor) pagination: stable under concurrent inserts, unlike OFFSET."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.base import ExecutableOption

from servicedesk.errors import ApiError


@dataclass(frozen=True)
class SortKey:
    """One sortable column plus the id tie-breaker, both in the same direction."""

    column: InstrumentedAttribute[Any]
    id_column: InstrumentedAttribute[Any]
    descending: bool
    is_datetime: bool = False
    #: For a computed sort expression (e.g. a COALESCE): how to read its value off a row.
    value_of: Callable[[Any], Any] | None = None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


#: Ids and integer sort values fit a 32-bit INTEGER column (larger ones fail in the database).
_INT_RANGE = range(-(2**31), 2**31)


def _valid_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in _INT_RANGE


def decode_cursor(cursor: str, key: SortKey) -> tuple[Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        # A cursor is client input: each value must have its column's type before it
        # reaches SQL (a naive instant, a list or an oversized number would be a 500).
        if key.is_datetime:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
            value = value.astimezone(UTC)
        elif key.column.type.python_type is int:
            if not _valid_int(value):
                raise ValueError
        elif not isinstance(value, key.column.type.python_type) or (
            isinstance(value, str) and not value.isprintable()  # no NUL, no lone surrogate
        ):
            raise ValueError
        if not _valid_int(last_id):
            raise ValueError
    except (ValueError, TypeError, OverflowError, NotImplementedError) as exc:
        raise ApiError(
            "The cursor is not one this API gave out.", status=400, code="bad_cursor"
        ) from exc
    return value, last_id


#: Bind parameter names of a page query: the cursor's sort value and id, and LIMIT.
_VALUE, _LAST_ID, _LIMIT = "cursor_value", "cursor_id", "page_limit"


def page_subquery(
    stmt: Select[Any], key: SortKey, after_cursor: bool
) -> tuple[Any, tuple[Any, ...]]:
    """The ids of the page's rows of `stmt` (limit + 1 of them, to see if more follow), after a
    cursor when `after_cursor`, as a subquery `page` with the column `id`; and the ORDER BY.
    The cursor and the limit are bind parameters (`page_params`), so a kept query serves any
    page."""
    col, idc = key.column, key.id_column
    if after_cursor:
        value = bindparam(_VALUE, type_=col.type)
        last_id = bindparam(_LAST_ID, type_=idc.type)
        if key.descending:
            stmt = stmt.where(or_(col < value, and_(col == value, idc < last_id)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, idc > last_id)))
    order = (col.desc(), idc.desc()) if key.descending else (col.asc(), idc.asc())
    limit = bindparam(_LIMIT, type_=Integer)
    page = stmt.with_only_columns(idc).order_by(*order).limit(limit).subquery("page")
    return page, order


def _page_query(
    stmt: Select[Any], key: SortKey, after_cursor: bool
) -> tuple[Select[Any], tuple[Any, ...]]:
    """The outer select of `stmt`'s entity over `page_subquery`, and the ORDER BY."""
    page, order = page_subquery(stmt, key, after_cursor)
    entity = stmt.column_descriptions[0]["entity"]
    return select(entity).join(page, key.id_column == page.c[key.id_column.key]), order


def page_params(key: SortKey, limit: int, cursor: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {_LIMIT: limit + 1}
    if cursor:
        params[_VALUE], params[_LAST_ID] = decode_cursor(cursor, key)
    return params


def cut(rows: list[Any], key: SortKey, limit: int) -> tuple[list[Any], str | None]:
    """The page (`limit` rows) and the cursor of the next one (None at the end)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    value = key.value_of(last) if key.value_of else getattr(last, key.column.key)
    return rows, encode_cursor([value, getattr(last, key.id_column.key)])


def paginate(
    sess: Session,
    stmt: Select[Any],
    key: SortKey,
    limit: int,
    cursor: str | None,
    options: Sequence[ExecutableOption] = (),
) -> tuple[list[Any], str | None]:
    """One page of `stmt` ordered by `key`, and the cursor of the next page (None at the end).

    One statement: the page's ids are chosen first (ORDER BY ... LIMIT in a subquery, which an
    index on the sort key answers without reading the rest), and only those rows are loaded
    with their eager relationships (`options` adjust them): a join before the LIMIT would
    join every matching row.
    """
    params = page_params(key, limit, cursor)
    outer, order = _page_query(stmt, key, bool(cursor))
    rows = list(sess.scalars(outer.order_by(*order).options(*options), params).unique())
    return cut(rows, key, limit)
