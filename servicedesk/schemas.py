"""Schema building blocks shared by every resource."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields (marshmallow's RAISE is explicit here)."""

    class Meta:
        unknown = ma.RAISE

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


class PageArgs(StrictSchema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    cursor = ma.fields.String(load_default=None)
