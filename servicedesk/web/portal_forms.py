"""The portal's forms: filing a ticket, the ticket page's actions, the rating, the filters.

Labels are lazy translations; impact and urgency are asked in plain words (what it stops,
how many it touches), and the operation's priority matrix turns them into a priority.
POST forms are checked for CSRF by the blueprint (`session._protect_forms`), so they do not
check it a second time; the filter form is a GET and has none.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from catalog.gate import ALWAYS_ACCEPTED_TYPES
from servicedesk.ratings.operations import COMMENT_MAX
from servicedesk.tickets.schemas import TICKET_TYPES
from servicedesk.web.intake_forms import choices
from servicedesk.web.labels import TYPE_LABELS

#: As the API: a title has up to 200 characters, a text up to 20 000.
MAX_TITLE = 200
MAX_TEXT = 20000
#: At most this many files go with one ticket or reply.
MAX_FILES = 5

#: Impact in the requester's words: how many people it touches.
IMPACT_WORDS = (
    ("low", _l("Only me")),
    ("medium", _l("Several people or my team")),
    ("high", _l("A whole unit or the organisation")),
)
#: Urgency in the requester's words: what it stops.
URGENCY_WORDS = (
    ("low", _l("It can wait; I can work around it")),
    ("medium", _l("It slows my work down")),
    ("high", _l("I cannot work at all")),
)
#: The types an end user files, and those accepted for any service of the catalogue.
ALL_TYPES = TICKET_TYPES
ALWAYS_TYPES = tuple(t for t in TICKET_TYPES if t in ALWAYS_ACCEPTED_TYPES)
#: The status filter of the ticket list.
STATUS_FILTERS = (
    ("open", _l("Open")),
    ("closed", _l("Closed or withdrawn")),
    ("all", _l("All")),
)


class PostForm(FlaskForm):
    class Meta:
        csrf = False  # `servicedesk.web.session._protect_forms` checks every POST already


class PortalTicketForm(PostForm):
    """A ticket as the requester files it: the operation `create_ticket` decides the rest."""

    #: A random key per rendered form: a double submit files one ticket.
    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=200)])
    type = SelectField(_l("What is it?"), choices=[], default="incident", id="new-type")
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=MAX_TITLE)],
        id="new-title",
        render_kw={"autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        id="new-description",
        render_kw={"rows": 6},
    )
    impact = RadioField(
        _l("Who does it affect?"),
        choices=choices(IMPACT_WORDS),
        default="low",
        validators=[InputRequired()],
        id="new-impact",
    )
    urgency = RadioField(
        _l("How badly does it stop work?"),
        choices=choices(URGENCY_WORDS),
        default="medium",
        validators=[InputRequired()],
        id="new-urgency",
    )
    files = MultipleFileField(_l("Attachments"), id="new-files")

    def set_types(self, types: tuple[str, ...]) -> None:
        self.type.choices = choices((t, TYPE_LABELS[t]) for t in types)


class ReplyForm(PostForm):
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        id="reply-body",
        render_kw={"rows": 5},
    )
    files = MultipleFileField(_l("Attachments"), id="reply-files")


class ReopenForm(PostForm):
    body = TextAreaField(
        _l("What is still wrong?"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        id="reopen-body",
        render_kw={"rows": 3},
    )


class ConfirmForm(PostForm):
    """Accept the solution: the ticket closes."""


class WithdrawForm(PostForm):
    """Withdraw the ticket: no longer needed."""


class RatingForm(PostForm):
    score = RadioField(
        _l("How well was your matter handled?"),
        choices=choices(
            [
                ("5", _l("5 - excellent")),
                ("4", _l("4 - good")),
                ("3", _l("3 - fair")),
                ("2", _l("2 - poor")),
                ("1", _l("1 - very poor")),
            ]
        ),
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
        id="rating-score",
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
        id="rating-comment",
        render_kw={"rows": 3},
    )


class FilterForm(FlaskForm):
    """The ticket list's filters (a GET form: in the URL, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=choices(STATUS_FILTERS), default="open")
    type = SelectField(_l("Type"), choices=[], default="")
    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    requester = SelectField(_l("Requester"), choices=[], default="", validate_choice=True)
