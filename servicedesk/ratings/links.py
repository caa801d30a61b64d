"""The signed rating link in the resolution e-mail: rate without logging in.

The token names the ticket and its requester and is signed with the app's SECRET_KEY
(itsdangerous), so it cannot be forged or pointed at another ticket. It is good for
`LINK_MAX_AGE`; the rating itself is accepted once, whoever follows the link.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: How long a rating link works after it was made (the resolution e-mail's date).
LINK_MAX_AGE = timedelta(days=60)
_SALT = "servicedesk.rating-link.v1"
#: Where the portal answers a rating link (`servicedesk.web.portal`).
PATH = "/portal/rate/"


def _serializer(secret_key: str | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key or current_app.config["SECRET_KEY"], salt=_SALT)


def make_token(ticket_id: int, requester_id: int, secret_key: str | None = None) -> str:
    return str(_serializer(secret_key).dumps([ticket_id, requester_id]))


def read_token(
    token: str, secret_key: str | None = None, max_age: timedelta = LINK_MAX_AGE
) -> tuple[int, int] | None:
    """(ticket id, requester id) of a genuine, unexpired token; None otherwise."""
    try:
        value = _serializer(secret_key).loads(token, max_age=int(max_age.total_seconds()))
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return None
    return value[0], value[1]


def rating_url(ticket_id: int, requester_id: int) -> str:
    """The absolute link for the e-mail: PUBLIC_URL + the portal's rating page."""
    base = current_app.config["SETTINGS"].public_url
    return f"{base}{PATH}{make_token(ticket_id, requester_id)}"
