"""The forms of the caller intake page and of the canned replies administration.

Labels are lazy translations (the language is known per request); the choices that depend
on the caller (services of the requester's agreement, resolver groups) are set by the view.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from servicedesk.tickets.priority import PRIORITIES
from servicedesk.tickets.schemas import TICKET_TYPES
from servicedesk.web.labels import (
    CHANNEL_LABELS,
    LEVEL_LABELS,
    PRIORITY_LABELS,
    TYPE_LABELS,
)

#: The channels a desk agent logs a caller's ticket by (the schema's CHANNELS that a person
#: at the desk receives; portal, api and import are machines' channels).
DESK_CHANNELS = ("phone", "email")
LEVELS = ("high", "medium", "low")
#: The HTML `datetime-local` value: minutes, no zone (the page's zone is Helsinki).
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def choices(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms' choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class NewTicketForm(FlaskForm):
    """A ticket logged for a caller: the operation `create_ticket` decides the rest."""

    requester_id = HiddenField()
    #: A random key per rendered form: a double submit files one ticket.
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=200)])
    type = SelectField(
        _l("Type"),
        choices=choices((t, TYPE_LABELS[t]) for t in TICKET_TYPES),
        default="incident",
        validators=[DataRequired()],
    )
    service_id = SelectField(_l("Service"), choices=[], validate_choice=True)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(), Length(max=20000)],
        render_kw={"rows": 6},
    )
    impact = SelectField(
        _l("Impact"), choices=choices((v, LEVEL_LABELS[v]) for v in LEVELS), default="medium"
    )
    urgency = SelectField(
        _l("Urgency"), choices=choices((v, LEVEL_LABELS[v]) for v in LEVELS), default="medium"
    )
    priority = SelectField(
        _l("Priority override"),
        choices=choices(
            [("", _l("No override: the matrix decides"))]
            + [(p, PRIORITY_LABELS[p]) for p in PRIORITIES]
        ),
        default="",
    )
    priority_reason = StringField(
        _l("Reason for the override"), validators=[Optional(), Length(max=500)]
    )
    channel = SelectField(
        _l("Channel"),
        choices=choices((c, CHANNEL_LABELS[c]) for c in DESK_CHANNELS),
        default="phone",
    )
    received_at = DateTimeLocalField(
        _l("Received (Helsinki time)"),
        format=LOCAL_INPUT_FORMAT,
        validators=[Optional()],
    )

    def validate_priority_reason(self, field: Any) -> None:
        if self.priority.data and not (field.data or "").strip():
            raise ValidationError(str(_l("Say why the priority differs from the matrix.")))


#: The languages a canned reply can be kept in ("" : any language).
CANNED_LOCALES = (("", _l("Any language")), ("fi", "Suomi"), ("sv", "Svenska"), ("en", "English"))


class CannedReplyForm(FlaskForm):
    """A canned reply as the admin keeps it."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    group_id = SelectField(_l("Used by"), choices=[], validate_choice=True)
    locale = SelectField(_l("Language"), choices=choices(CANNED_LOCALES), default="")
    body = TextAreaField(
        _l("Text"), validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 8}
    )
    active = BooleanField(_l("In use"), default=True)
