"""Schema building blocks shared by every resource."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import marshmallow as ma

#: Refused in any text: PostgreSQL cannot store NUL, and unpaired surrogates are not UTF-8.
UNSTORABLE_TEXT = "Text must not contain NUL characters or unpaired surrogates."


class UTCDateTimeField(ma.fields.DateTime):
    """ISO 8601 in UTC with a `Z`, as the API conventions promise."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            raise self.make_error("invalid", input=value, obj_type="instant with a time zone")
        try:
            return result.astimezone(UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+14:00 lies before year 1 in UTC
            raise self.make_error("invalid", input=value, obj_type="instant") from exc


def _storable(value: Any) -> bool:
    """False for text (at any depth) that no database column can hold."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, Mapping):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_storable(v) for v in value)
    return True


#: An integer as text in a query string: ASCII digits only (`int()` also reads U+FF11, "1_0").
_QUERY_INTEGER = re.compile(r"[+-]?[0-9]+")


def _coercion_problem(field: ma.fields.Field, value: Any, json_types: bool) -> Any:
    """Why `value` is not of `field`'s own type (None if it is), so nothing is coerced silently.

    In a JSON body an integer is a JSON integer (not 1.5, 1.0, "1" or true) and a boolean is
    true or false (not 0, 1 or "yes"); in a query string an integer is ASCII digits.
    """
    if value is None:
        return None  # the field's allow_none decides
    if isinstance(field, ma.fields.List):
        if not isinstance(value, list):
            return None  # the List field itself refuses it
        problems = {
            i: problem
            for i, item in enumerate(value)
            if (problem := _coercion_problem(field.inner, item, json_types)) is not None
        }
        return problems or None
    if isinstance(field, ma.fields.Integer):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        if not json_types and isinstance(value, str) and _QUERY_INTEGER.fullmatch(value):
            return None
        return [field.error_messages["invalid"]]
    if isinstance(field, ma.fields.Boolean) and json_types and not isinstance(value, bool):
        return [field.error_messages["invalid"]]
    return None


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields (marshmallow's RAISE is explicit here), and values
    of another type than the field's: no silent truncation of 1.5 to 1, no 0 for false."""

    #: True for JSON bodies; query-string schemas (`QueryArgs`) read numbers from text.
    json_types: ClassVar[bool] = True

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_coercion(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            problems = {}
            for name, field in self.load_fields.items():
                key = field.data_key or name
                if key in data:
                    problem = _coercion_problem(field, data[key], self.json_types)
                    if problem is not None:
                        problems[key] = problem
            if problems:
                raise ma.ValidationError(problems)
        return data

    @ma.pre_load
    def _refuse_unstorable_text(self, data: Any, **_kwargs: Any) -> Any:
        """Bad input answers 422 here rather than failing in the database (a 500)."""
        if isinstance(data, Mapping):
            problems = {
                key if _storable(key) else "_schema": [UNSTORABLE_TEXT]
                for key, value in data.items()
                if not (_storable(key) and _storable(value))
            }
            if problems:
                raise ma.ValidationError(problems)
        return data


class QueryArgs(StrictSchema):
    """Query-string arguments: integers arrive as text (ASCII digits), booleans as words."""

    json_types = False


class PageArgs(QueryArgs):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    cursor = ma.fields.String(load_default=None)
