"""Response headers of the pages: a strict Content-Security-Policy and friends.

No inline script, no `unsafe-inline`, no `unsafe-eval`: ticket text is hostile input,
and a policy that forbids inline script is the net under the autoescaping.
"""

from __future__ import annotations

from flask import Flask, Response

#: Bootstrap's CSS draws its form icons from data: SVG images; nothing else leaves 'self'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


#: Production is served over HTTPS only: browsers must never try plain HTTP for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_security_headers(app: Flask) -> None:
    settings = app.config.get("SETTINGS")
    production = settings is not None and settings.mode == "production"

    @app.after_request
    def _csp(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if production:
            resp.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        if resp.mimetype == "text/html":
            # Pages carry the user's data: never kept by a shared cache.
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp
