"""The signed rating link of the resolution e-mail: rate a ticket without logging in.

The token (`servicedesk.ratings.links`) names the ticket and its requester; the page acts
as that requester, for that one ticket, and shows only its number and title. A bad or
expired token, or one whose ticket no longer belongs to that requester, is a friendly 404.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from servicedesk import db
from servicedesk.errors import ApiError
from servicedesk.ratings.links import read_token
from servicedesk.ratings.operations import rate, verdict
from servicedesk.tickets.models import Ticket
from servicedesk.users.models import User
from servicedesk.web.blueprint import bp
from servicedesk.web.portal_forms import RatingForm
from servicedesk.web.portal_ticket import rating_refusal

#: What the page says when the ticket cannot be rated (a `verdict` reason).
_WHY_NOT = {
    "already_rated": "already_rated",
    "not_rateable": "not_rateable",
    "not_requester": "invalid",
}


def _resolve(token: str) -> tuple[Ticket, User] | None:
    found = read_token(token)
    if found is None:
        return None
    ticket_id, requester_id = found
    sess = db.session()
    ticket = sess.scalar(
        select(Ticket).where(Ticket.id == ticket_id, Ticket.requester_id == requester_id)
    )
    requester = sess.get(User, requester_id)
    if ticket is None or requester is None or not requester.active:
        return None
    return ticket, requester


@bp.after_request
def _keep_the_token(resp: Response) -> Response:
    """The link's token is a credential: never sent on in a Referer header."""
    if request.endpoint == "web.portal_rate_link":
        resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.route("/portal/rate/<token>", methods=["GET", "POST"])
def portal_rate_link(token: str) -> Any:
    """Rate with the e-mail's link: 1-5 and a comment, once; no login needed."""
    found = _resolve(token)
    if found is None:
        return render_template("web/portal_rate.html", state="invalid", form=None), 404
    ticket, requester = found
    if not current_user.is_authenticated and "lang" not in session:
        # The e-mail spoke the requester's language: so does the page (the switch still works).
        session["lang"] = requester.locale
    form = RatingForm()
    why = verdict(ticket, requester).reason
    if why is not None:
        status = 409 if request.method == "POST" else 200
        return render_template(
            "web/portal_rate.html", state=_WHY_NOT[why], ticket=ticket, form=None
        ), status
    if request.method == "GET":
        return render_template("web/portal_rate.html", state="open", ticket=ticket, form=form)
    if not form.validate():
        return render_template("web/portal_rate.html", state="open", ticket=ticket, form=form), 422
    try:
        rate(db.session(), ticket, int(form.score.data), form.comment.data, requester)
    except ApiError as exc:
        form.form_errors.append(rating_refusal(exc))
        return render_template(
            "web/portal_rate.html", state="open", ticket=ticket, form=form
        ), exc.status
    return redirect(url_for("web.portal_rate_link", token=token), code=303)
