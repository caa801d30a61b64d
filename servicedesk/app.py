"""The application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from servicedesk import db, errors
from servicedesk.config import Settings, load_settings

log = logging.getLogger(__name__)

#: Requests that only read: on SQLite their transaction begins DEFERRED (see servicedesk.db).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ServiceDeskFlask(Flask):
    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Mark a read request, and handle it again as a write if it turned out to write.

        The first answer of a read request is held back until it is known that no write
        was stopped in its DEFERRED transaction (`db.WriteInReadTransaction`); if one was,
        it is dropped and the request runs again from scratch with the write lock.
        """
        if environ.get("REQUEST_METHOD") not in READ_METHODS or not db.defers_reads(self):
            return super().wsgi_app(environ, start_response)
        environ[db.READ_REQUEST] = True
        held: list[tuple[Any, ...]] = []

        def hold(status: str, headers: list[Any], exc_info: Any = None) -> Callable[..., Any]:
            held.append((status, headers, exc_info))
            return _no_write

        body: Iterable[bytes] = super().wsgi_app(environ, hold)
        if db.WROTE_IN_READ not in environ:
            start_response(*held[-1])
            return body
        log.warning("a read request wrote (%s %s: %s); handled again as a write",
                    environ["REQUEST_METHOD"], environ.get("PATH_INFO"),
                    " ".join(environ.pop(db.WROTE_IN_READ)))
        close = getattr(body, "close", None)
        if close is not None:
            close()
        environ[db.READ_REQUEST] = False
        return super().wsgi_app(environ, start_response)

    def dispatch_request(self) -> Any:  # type: ignore[override]
        """Run the view, then commit its unit of work: the request's one commit point.

        Committing here (not in after_request) lets a failing commit, such as a
        unique-constraint race, reach the error handlers as a clean 409 or 412.
        """
        response = self.make_response(super().dispatch_request())
        if response.status_code < 400:
            db.commit_request_session()
        return response


def _no_write(_data: bytes) -> None:
    raise RuntimeError("a held read answer cannot be written before it is released")


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: ids fit the database's INTEGER; a larger one is no record (404).

    ASCII digits only: werkzeug's `\\d` would also match a full-width "1" (U+FF11), read as 1.
    """

    regex = r"[0-9]+"

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Flask:
    # No app-wide static folder: the web blueprint serves /static (vendored files included).
    app = ServiceDeskFlask(__name__, instance_relative_config=True, static_folder=None)
    app.url_map.converters["int"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    settings: Settings = load_settings(app.instance_path, env)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SETTINGS=settings,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.mode == "production",
    )
    if overrides:
        app.config.update(overrides)
    if settings.trusted_proxy_count > 0:
        # Behind N reverse proxies: the client's address (the login throttle keys on it)
        # and scheme are the ones the proxies saw, read from their X-Forwarded-* headers.
        n = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO)
    db.init_app(app, app.config.get("DATABASE_URL", settings.database_url))
    errors.register(app)

    from servicedesk.api import init_api

    init_api(app)

    from servicedesk.web import init_web

    init_web(app)

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness and database reachability, for the load balancer."""
        try:
            db.session().execute(text("SELECT 1"))
        except Exception:  # the probe answers, whatever the database does
            return errors.error_response(503, "unavailable", "The database does not answer.")
        return jsonify({"status": "ok"})

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp

    @app.after_request
    def _api_options(resp: Response) -> Response:
        """OPTIONS on an API path answers 204 with Allow, not Flask's empty text/html 200."""
        if (
            request.method == "OPTIONS"
            and request.path.startswith("/api/")
            and resp.status_code == 200
        ):
            resp.status_code = 204
            resp.set_data(b"")
            resp.headers.pop("Content-Type", None)
        return resp

    return app
