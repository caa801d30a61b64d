"""The ticket page's forms: one per action, each with its own prefix so a page holds them all.

Change forms carry the ticket's `version` (the ETag basis) and the newest event the page
showed (`seen`): a form whose version moved is stale, and the events after `seen` say who
changed what meanwhile. The blueprint checks the CSRF token of every POST, so these forms
do not check it a second time.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

#: As the API: a comment or note has 1 to 20 000 characters.
MAX_TEXT = 20000


class PageForm(FlaskForm):
    class Meta:
        csrf = False  # `servicedesk.web.session._protect_forms` checks every POST already

    #: The ticket version the page showed; a change against another version is stale.
    version = HiddenField()
    #: The newest event id the page showed: the events after it are "what changed since".
    seen = HiddenField()


class ReplyForm(PageForm):
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(), Length(max=MAX_TEXT)], id="reply-body"
    )
    #: Set when the reply quotes a supplier message: sending publishes that message as quoted.
    quote_of = HiddenField()
    canned = SelectField(_l("Canned reply"), choices=[], validate_choice=False, id="reply-canned")
    #: Optional: goes with the reply or the note (internal with the note).
    file = FileField(_l("Attach a file"), validators=[Optional()], id="reply-file")


class StatusForm(PageForm):
    status = SelectField(_l("New status"), choices=[], id="status-status")


class PriorityForm(PageForm):
    priority = SelectField(_l("Priority"), choices=[], id="priority-priority")
    reason = TextAreaField(
        _l("Reason for the override"),
        validators=[DataRequired(), Length(max=500)],
        id="priority-reason",
    )


class AssignForm(PageForm):
    assignee = SelectField(_l("Assignee"), choices=[], id="assign-assignee")


class TakeForm(PageForm):
    pass


class ReclassifyForm(PageForm):
    service = SelectField(_l("Service"), choices=[], id="reclassify-service")
    type = SelectField(_l("Type"), choices=[], id="reclassify-type")


class EscalateForm(PageForm):
    supplier = SelectField(_l("Supplier"), choices=[], id="escalate-supplier")
    note = TextAreaField(
        _l("Hand-off note for the supplier"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        id="escalate-note",
    )
    confirm_negative = BooleanField(
        _l("I understand the supplier cannot meet the customer's promise"),
        validators=[Optional()],
        id="escalate-confirm",
    )


class ThreadForm(PageForm):
    body = TextAreaField(
        _l("Message to the supplier thread"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        id="thread-body",
    )
    #: Optional: goes with the thread message (never to the customer).
    file = FileField(_l("Attach a file"), validators=[Optional()], id="thread-file")


class TimeForm(PageForm):
    """Time spent on the ticket (`time_entries.operations.record_time` has the rules)."""

    minutes = IntegerField(
        _l("Minutes"), validators=[DataRequired(), NumberRange(1, 1440)], id="time-minutes"
    )
    expert = BooleanField(_l("Expert work (billed by the hour)"), id="time-expert")
    worked_on = DateField(_l("Day of the work"), validators=[Optional()], id="time-worked-on")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)], id="time-note")
