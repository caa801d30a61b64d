"""TEMPORARY: replaced by the queues module."""
from flask import url_for
from servicedesk.web.blueprint import bp
from servicedesk.web.session import desk_required

def nav_entries(user):
    return [{"label": "Mine", "url": url_for("web.queue", name="mine"), "count": 3, "active": False}]

@bp.get("/desk/queues/<name>")
@desk_required
def queue(name):
    return "queue " + name
