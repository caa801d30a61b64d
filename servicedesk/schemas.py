"""Schema building blocks shared by every resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma


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
        return result.astimezone(UTC)


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields (marshmallow's RAISE is explicit here)."""

    class Meta:
        unknown = ma.RAISE


class PageArgs(StrictSchema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    cursor = ma.fields.String(load_default=None)


class Ref(ma.Schema):
    """A reference to another record: its id and a label to show."""

    id = ma.fields.Integer()
    name = ma.fields.String()
