"""The agreement pages' forms. The action buttons (draft, propose, return, sign, accept) post
only the CSRF token, which the blueprint checks for every POST; the edit form of a draft or
proposal has a price and a start date per service line, the notes and the renewal deadline.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from catalog.agreements.models import AgreementVersion

#: As the column: Numeric(12, 2).
MAX_PRICE = Decimal("9999999999.99")


class EuroField(DecimalField):
    """A price in euros as people type it: "1 234,50" (fi, sv) or "1234.50" (en). A text
    input: a number input refuses the decimal comma in some browsers."""

    widget = TextInput()

    def _value(self) -> str:
        """The stored price in the reader's notation (27,50 in Finnish), as typed back."""
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, Decimal):
            return format_decimal(self.data, format="0.00")
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip().replace("\N{NO-BREAK SPACE}", "").replace(" ", "")
        text = text.replace("€", "").replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError(str(_l("Write the price as a number of euros, e.g. 25,50."))) from None
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            self.data = None
            raise ValueError(str(_l("A price has at most two decimals.")))
        self.data = value


class EditForm(FlaskForm):
    """The edit of a draft or proposal; the line fields are added per version
    (`edit_form_for`)."""

    class Meta:
        csrf = False  # `servicedesk.web.session._protect_forms` checks every POST already

    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)], id="edit-notes")
    renewal_deadline = DateField(
        _l("Renewal deadline"), validators=[Optional()], id="edit-renewal-deadline"
    )

    def line_fields(self, line_id: int) -> tuple[Any, Any]:
        """The (start date, price) fields of a service line."""
        return self[f"starts_{line_id}"], self[f"price_{line_id}"]


def edit_form_for(version: AgreementVersion, names: dict[int, str], **kw: Any) -> EditForm:
    """An edit form with a start date and a price field for each of the version's lines;
    `names` are the services' names in the reader's language (the fields' labels)."""

    class VersionEditForm(EditForm):
        pass

    for line in version.services:
        name = names.get(line.service_id, "")
        setattr(
            VersionEditForm,
            f"starts_{line.id}",
            DateField(
                _l("Start date: %(service)s", service=name),
                validators=[DataRequired()],
                id=f"edit-starts-{line.id}",
            ),
        )
        setattr(
            VersionEditForm,
            f"price_{line.id}",
            EuroField(
                _l("Price (€): %(service)s", service=name),
                validators=[InputRequired(), NumberRange(min=Decimal(0), max=MAX_PRICE)],
                id=f"edit-price-{line.id}",
            ),
        )
    return VersionEditForm(**kw)
