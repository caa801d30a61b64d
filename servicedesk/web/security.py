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


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _csp(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if resp.mimetype == "text/html":
            # Pages carry the user's data: never kept by a shared cache.
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp
