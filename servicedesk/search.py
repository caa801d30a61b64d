"""Substring search in text columns, with the searched text taken literally."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def _literal_pattern(text: str) -> str:
    """`%text%` with LIKE's own wildcards escaped: `q=%` finds a per cent sign, not everything."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """Rows whose `column` contains `text`, in any case.

    The text is lower-cased here too: SQLite's ILIKE folds only ASCII letters, so "MEIKÄ"
    would miss "Meikäläinen" there; lower-cased it finds it (PostgreSQL folds either way).
    """
    return column.ilike(_literal_pattern(text.lower()), escape="\\")
