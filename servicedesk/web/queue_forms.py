"""The queue page's two forms: the filters (a GET form, so a filtered queue is a URL) and the
bulk actions on the selected rows (a POST form with the CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from servicedesk.tickets.lifecycle import Status
from servicedesk.tickets.priority import PRIORITIES
from servicedesk.web.labels import PRIORITY_LABELS, SLA_STATE_LABELS, STATUS_LABELS
from sla.queries import SLA_STATES

#: The orders a queue offers; the API's sort names, soonest breach first by default.
SORT_CHOICES = [
    ("sla_due", _l("time to breach")),
    ("-received_at", _l("newest received")),
    ("-updated_at", _l("latest updated")),
    ("priority", _l("priority")),
]
DEFAULT_SORT = "sla_due"

STATUS_CHOICES = [(s.value, STATUS_LABELS[s.value]) for s in Status]
PRIORITY_CHOICES = [(p, PRIORITY_LABELS[p]) for p in PRIORITIES]
SLA_STATE_CHOICES = [(s, SLA_STATE_LABELS[s]) for s in SLA_STATES]
#: Statuses a bulk action may set: escalating needs a supplier, so it has its own page.
BULK_STATUSES = [
    (s.value, STATUS_LABELS[s.value]) for s in Status if s is not Status.ESCALATED_TO_SUPPLIER
]


def choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them."""
    return [SelectChoice(value, label) for value, label in pairs]


def _an_id(_form: Any, field: Any) -> None:
    value = field.data or ""
    if value and not (value.isdigit() and len(value) < 10):
        raise ValidationError(_l("Choose one from the list."))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (each one labelled), not a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QueueFilterForm(Form):
    """The filters, read from the query string. Ids are strings here: "" means any."""

    q = StringField(_l("Words in the title or number"), validators=[Optional(), Length(1, 200)])
    status = CheckboxesField(_l("Status"), choices=choices(STATUS_CHOICES))
    priority = CheckboxesField(_l("Priority"), choices=choices(PRIORITY_CHOICES))
    sla_state = CheckboxesField(_l("SLA state"), choices=choices(SLA_STATE_CHOICES))
    # Any id the user may see is a valid filter (the list is scoped anyway); the choices
    # are for the page, so a poll of the rows need not load them.
    organisation_id = SelectField(
        _l("Organisation"), choices=[], validate_choice=False, validators=[_an_id]
    )
    service_id = SelectField(_l("Service"), choices=[], validate_choice=False, validators=[_an_id])
    group_id = SelectField(_l("Group"), choices=[], validate_choice=False, validators=[_an_id])
    assignee_id = SelectField(
        _l("Assignee"), choices=[], validate_choice=False, validators=[_an_id]
    )
    sort = SelectField(_l("Order"), choices=choices(SORT_CHOICES), default=DEFAULT_SORT)

    #: The fields that narrow the list (not the order).
    FILTERS = (
        "q",
        "status",
        "priority",
        "sla_state",
        "organisation_id",
        "service_id",
        "group_id",
        "assignee_id",
    )

    def set_options(self, options: dict[str, list[tuple[str, str]]]) -> None:
        """Each id filter's choices, with "any" first."""
        anything = [("", str(_l("any")))]
        for name in ("organisation_id", "service_id", "group_id", "assignee_id"):
            getattr(self, name).choices = choices(anything + options.get(name, []))

    def list_args(self) -> dict[str, Any]:
        """The valid filters in the shape of the API's `TicketListArgs` (only what is set)."""
        args: dict[str, Any] = {"sort": self.sort.data or DEFAULT_SORT}
        if self.q.data and self.q.data.strip():
            args["q"] = self.q.data.strip()
        for name in ("status", "priority", "sla_state"):
            if getattr(self, name).data:
                args[name] = list(getattr(self, name).data)
        for name in ("organisation_id", "service_id", "group_id", "assignee_id"):
            value = getattr(self, name).data
            if value:
                args[name] = int(value)
        return args

    def active_filters(self) -> bool:
        return any(getattr(self, name).data for name in self.FILTERS)


BULK_ACTIONS = [
    ("take", _l("Take (assign to me)")),
    ("assign", _l("Assign to")),
    ("status", _l("Change status to")),
    ("priority", _l("Change priority to")),
]


class BulkForm(FlaskForm):
    """One action for every selected row. The ticket ids come as the rows' checkboxes."""

    action = RadioField(_l("Action"), choices=choices(BULK_ACTIONS), default="take")
    assignee_id = SelectField(_l("Agent"), choices=[], validate_choice=False)
    status = SelectField(
        _l("New status"),
        choices=choices([("", _l("choose")), *BULK_STATUSES]),
        validate_choice=False,
    )
    priority = SelectField(
        _l("New priority"),
        choices=choices([("", _l("choose")), *PRIORITY_CHOICES]),
        validate_choice=False,
    )
    # No Optional(): it would stop the check that a priority change says why.
    reason = StringField(_l("Reason for the priority"), validators=[Length(max=500)])

    def validate_assignee_id(self, field: Any) -> None:
        if self.action.data == "assign":
            if not field.data or not str(field.data).isdigit():
                raise ValidationError(_l("Choose the agent to assign to."))
            if str(field.data) not in {c.value for c in field.choices}:
                raise ValidationError(_l("Choose an agent from the list."))

    def validate_status(self, field: Any) -> None:
        if self.action.data == "status" and field.data not in dict(BULK_STATUSES):
            raise ValidationError(_l("Choose the new status."))

    def validate_priority(self, field: Any) -> None:
        if self.action.data == "priority" and field.data not in PRIORITIES:
            raise ValidationError(_l("Choose the new priority."))

    def validate_reason(self, field: Any) -> None:
        if self.action.data == "priority" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the priority changes."))

    def changes_for(self, user_id: int) -> dict[str, Any]:
        """The `update_ticket` changes of the chosen action (the form has validated)."""
        action = self.action.data
        if action == "take":
            return {"assignee_id": user_id}
        if action == "assign":
            return {"assignee_id": int(self.assignee_id.data)}
        if action == "status":
            return {"status": self.status.data}
        return {"priority": self.priority.data, "priority_reason": self.reason.data.strip()}
