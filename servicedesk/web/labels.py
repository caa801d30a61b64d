"""Words for the stored vocabulary (statuses, priorities, SLA states, ...), so no page shows
a raw enum value. Every value is a lazy translation: these mappings are module constants and
the language is only known per request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "new": _l("new"),
    "assigned": _l("assigned"),
    "in_progress": _l("in progress"),
    "waiting_for_customer": _l("waiting for customer"),
    "escalated_to_supplier": _l("escalated to supplier"),
    "resolved": _l("resolved"),
    "closed": _l("closed"),
    "cancelled": _l("cancelled"),
}

PRIORITY_LABELS = {
    "P1": _l("P1 critical"),
    "P2": _l("P2 high"),
    "P3": _l("P3 normal"),
    "P4": _l("P4 low"),
}

#: Impact and urgency levels (the priority matrix's inputs).
LEVEL_LABELS = {
    "high": _l("high"),
    "medium": _l("medium"),
    "low": _l("low"),
}

TYPE_LABELS = {
    "incident": _l("incident"),
    "service_request": _l("service request"),
    "change_need": _l("change need"),
    "feedback": _l("feedback"),
}

#: The live states of `sla.queries.SLA_STATES`, plus the stored "cancelled".
SLA_STATE_LABELS = {
    "running": _l("on track"),
    "at_risk": _l("at risk"),
    "breached": _l("breached"),
    "paused": _l("paused"),
    "met": _l("met"),
    "cancelled": _l("cancelled"),
    "none": _l("no promise"),
}

#: Shown next to the word, never instead of it (state is never told by colour or icon alone).
SLA_STATE_ICONS = {
    "running": "✔",
    "at_risk": "⚠",
    "breached": "✖",
    "paused": "⏸",
    "met": "✔",
    "cancelled": "\u2013",
    "none": "\u2013",
}

CLOCK_KIND_LABELS = {
    "response": _l("response"),
    "resolution": _l("resolution"),
    "update": _l("update"),
    "supplier_response": _l("supplier response"),
    "supplier_resolution": _l("supplier resolution"),
}

CHANNEL_LABELS = {
    "portal": _l("portal"),
    "api": _l("API"),
    "email": _l("e-mail"),
    "phone": _l("phone"),
    "import": _l("import"),
}

#: What an event in a ticket's history was.
EVENT_KIND_LABELS = {
    "created": _l("created"),
    "routed": _l("routed"),
    "updated": _l("updated"),
    "commented": _l("commented"),
    "published": _l("published"),
    "escalated": _l("escalated to supplier"),
    "escalation_done": _l("supplier leg done"),
    "escalation_withdrawn": _l("supplier leg withdrawn"),
    "escalation_closed": _l("supplier leg closed"),
    "rated": _l("rated"),
    "sla_warning": _l("SLA warning"),
    "sla_breach": _l("SLA breach"),
}

#: The states of a supplier leg (`Escalation.status`).
ESCALATION_STATUS_LABELS = {
    "open": _l("open"),
    "done": _l("done"),
    "withdrawn": _l("withdrawn"),
    "closed": _l("closed"),
}


def label(mapping: Mapping[str, Any], value: Any) -> str:
    """The word for `value`, or the raw value itself when the mapping does not know it (a
    new enum value must still show up rather than break a page)."""
    if value is None:
        return ""
    found = mapping.get(str(value))
    return str(found) if found is not None else str(value)
