"""Session login for the pages: log in, log out, the language switch, and who may see what.

The login form shares the API's guessing throttle (`servicedesk.users.throttle`), so
a password cannot be guessed faster through the pages than through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from servicedesk import db
from servicedesk.enums import CUSTOMER_ROLES, Role
from servicedesk.errors import ApiError
from servicedesk.users import throttle
from servicedesk.users.models import User
from servicedesk.users.passwords import verify_password
from servicedesk.web.blueprint import bp
from servicedesk.web.i18n import LOCALES
from servicedesk.web.uploads import allow_uploads

csrf = CSRFProtect()
login_manager = LoginManager()

#: Who works in the desk pages. End users and customer contacts use the portal.
DESK_ROLES = frozenset({Role.AGENT, Role.SUPPLIER_AGENT, Role.ACCOUNT_MANAGER, Role.ADMIN})

F = TypeVar("F", bound=Callable[..., Any])


def init_session_login(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    # The API is bearer-token only and needs no CSRF token; the pages check it themselves.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # A desk agent keeps a ticket open for hours: the token lives as long as the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    if settings.mode == "production":
        app.config.update(
            SESSION_COOKIE_NAME="__Host-session",
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_PATH="/",
            SESSION_COOKIE_DOMAIN=None,
        )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(key: str) -> User | None:
    user_id, _, _fp = key.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session().get(User, int(user_id))
    # get_id() carries a fingerprint of the password hash: a changed password ends the session.
    if user is None or not user.active or user.get_id() != key:
        return None
    return user


@bp.before_request
def _protect_forms() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        allow_uploads()  # before the CSRF check parses the form
        csrf.protect()


def desk_required(view: F) -> F:
    """The desk pages: the centre's staff and supplier agents only."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role_enum not in DESK_ROLES:
            abort(403, description=_("These pages are for the service desk staff."))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def portal_required(view: F) -> F:
    """The portal pages: end users and customer contacts only."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role_enum not in CUSTOMER_ROLES:
            abort(403, description=_("The portal is for the customers' users."))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """A desk page for some roles only; the others get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role_enum not in roles:
                abort(403, description=_("Your role does not use this page."))
            return view(*args, **kwargs)

        return cast(F, desk_required(wrapper))

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def home_for(user: User) -> str:
    if user.role_enum in CUSTOMER_ROLES:
        return url_for("web.portal_tickets")
    if user.role_enum is Role.SUPPLIER_AGENT:
        return url_for("web.supplier_legs")
    if user.role_enum in DESK_ROLES:
        return url_for("web.queue", name="default")
    return url_for("web.index")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Length(max=254)], id="email"
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with e-mail and password; the session is renewed on login."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("web/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("web/login.html", form=form), 422
    sess = db.session()
    email = (form.email.data or "").strip().lower()
    address = request.remote_addr or ""
    try:
        throttle.begin_attempt(sess, email, address)
    except ApiError as exc:
        form.form_errors.append(_("Too many failed logins for this e-mail; try again later."))
        return render_template("web/login.html", form=form), exc.status, exc.headers
    user = sess.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, form.password.data or "")
    if not ok or user is None or not user.active:
        form.form_errors.append(_("The e-mail or the password is not right."))
        return render_template("web/login.html", form=form), 401
    throttle.succeeded(sess, email, address)
    lang = session.get("lang")
    session.clear()  # a new session on login: nothing of the anonymous one carries over
    login_user(user)
    if lang in LOCALES and lang != user.locale:
        user.locale = lang
    return redirect(safe_next(form.next.data, home_for(user)), code=303)


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("web.login"), code=303)


@bp.post("/language")
def language() -> Response:
    """Switch the pages' language; remembered on the user (and for the login page)."""
    lang = request.form.get("lang", "")
    if lang not in LOCALES:
        abort(400, description=_("Unknown language."))
    session["lang"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
    return redirect(safe_next(request.form.get("next"), url_for("web.index")), code=303)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on every page (the API docs included)."""
    return bp.send_static_file("favicon.svg")


@bp.get("/")
def index() -> Any:
    """The front door: the desk for staff, the portal for the customers' people, the login
    page for everybody else."""
    if current_user.is_authenticated and (
        current_user.role_enum in DESK_ROLES or current_user.role_enum in CUSTOMER_ROLES
    ):
        return redirect(home_for(current_user))
    return render_template("web/index.html")
