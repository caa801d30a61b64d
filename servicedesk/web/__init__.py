"""The web pages: the desk UI, server-rendered Jinja with htmx, calling the same operations
as the API (never the API over HTTP)."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

#: The page modules; each adds its views to the one blueprint.
PAGE_MODULES = (
    "servicedesk.web.session",
    "servicedesk.web.nav",
    "servicedesk.web.queues",
    "servicedesk.web.ticket",
    "servicedesk.web.intake",
    "servicedesk.web.supplier",
    "servicedesk.web.canned_admin",
    "servicedesk.web.mail_admin",
    "servicedesk.web.portal",
    "servicedesk.web.portal_ticket",
    "servicedesk.web.portal_rate",
    "servicedesk.web.report_pages",
    "servicedesk.web.agreement_pages",
    "servicedesk.web.public_page",
    "servicedesk.web.whatif_page",
)


def init_web(app: Flask) -> None:
    from servicedesk.web.blueprint import bp
    from servicedesk.web.i18n import init_babel
    from servicedesk.web.security import init_security_headers
    from servicedesk.web.session import init_session_login

    for name in PAGE_MODULES:
        import_module(name)
    init_session_login(app)
    init_babel(app)
    init_security_headers(app)
    app.register_blueprint(bp)
