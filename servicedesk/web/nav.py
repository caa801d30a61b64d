"""What every page's header shows: the queues with their counts, and who is logged in."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from servicedesk import db
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.web.blueprint import bp

log = logging.getLogger(__name__)

ROLE_LABELS = {
    Role.END_USER: _l("end user"),
    Role.CUSTOMER_CONTACT: _l("customer contact"),
    Role.AGENT: _l("desk agent"),
    Role.SUPPLIER_AGENT: _l("supplier agent"),
    Role.ACCOUNT_MANAGER: _l("account manager"),
    Role.ADMIN: _l("administrator"),
}

#: Said beside the role of an agent of the joint first line (ICT and THH alike).
JOINT_LABEL = _l("joint first line")


def role_label(user: Any) -> str:
    label = str(ROLE_LABELS[user.role_enum])
    if getattr(user, "desk", None) == "joint":
        return f"{label} ({JOINT_LABEL})"
    if user.role_enum is Role.AGENT and user.provider:
        return f"{label} ({user.provider})"
    return label


def nav_items() -> list[dict[str, Any]]:
    """The header's links. An error page must render even when the database is down, so a
    failure here costs the counts, never the page."""
    if not current_user.is_authenticated:
        return []
    from servicedesk.web.agreement_pages import agreement_links
    from servicedesk.web.queues import nav_entries
    from servicedesk.web.report_pages import report_links

    extra = report_links(current_user) + agreement_links(current_user)
    if current_user.role_enum in CUSTOMER_ROLES:
        from servicedesk.web.portal import nav_entries as portal_entries

        return portal_entries(current_user) + extra
    try:
        return nav_entries(current_user) + extra
    except Exception:  # the header never takes a page down with it
        log.exception("navigation counts failed")
        db.session().rollback()
        return extra


@bp.app_context_processor
def _header() -> dict[str, Any]:
    return {"nav_items": nav_items, "role_label": role_label, "nav_label": nav_label}


def nav_label() -> str:
    """The header navigation's name: the portal's pages, or the desk's queues."""
    if current_user.is_authenticated and current_user.role_enum in CUSTOMER_ROLES:
        return str(PORTAL_LABEL)
    return str(QUEUES_LABEL)


PORTAL_LABEL = _l("Portal")
QUEUES_LABEL = _l("Queues")
