"""The rating's API shapes: the requester's score (1-5) and comment, and what was stored."""

from __future__ import annotations

import marshmallow as ma

from servicedesk.ratings.operations import COMMENT_MAX, SCORES
from servicedesk.schemas import StrictSchema, UTCDateTimeField


class RatingIn(StrictSchema):
    score = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min(SCORES), max(SCORES)),
        metadata={
            "description": "1 (poor) to 5 (excellent); 2 or less goes to the account managers."
        },
    )
    comment = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=COMMENT_MAX),
        metadata={"description": "Optional: what was good or what should have gone better."},
    )


class RatingOut(ma.Schema):
    ticket_id = ma.fields.Integer(attribute="id")
    number = ma.fields.String()
    score = ma.fields.Integer(attribute="rating")
    comment = ma.fields.String(attribute="rating_comment", allow_none=True)
    rated_at = UTCDateTimeField()
