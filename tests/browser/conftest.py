"""Real-browser tests: Playwright driving Debian's Chromium against a live server.

They run once per CI run, on PostgreSQL (or anywhere with BROWSER_TESTS=1): the pages do not
depend on the database engine, and a browser is slow. Where they should run but Chromium or
Playwright is missing they are skipped with the reason, unless REQUIRE_BROWSER=1 (CI) makes
that a failure.

Every page a test opens is watched: a Content-Security-Policy violation, an uncaught script
error or a dialog (alert/confirm/prompt) fails the test. Hostile-text payloads call
`window.__xss()` (an exposed function), `alert()` or set `window.__pwned`; all three are
checked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import on_postgres
from tests.web.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
AXE_DIR = Path(__file__).parent.parent / "web" / "vendor" / "axe-core-4.14.1"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
HERE = Path(__file__).parent


def _wanted() -> bool:
    return on_postgres() or os.environ.get("BROWSER_TESTS") == "1"


def _required() -> bool:
    return os.environ.get("REQUIRE_BROWSER") == "1"


def _missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this package's tests `browser`; skip them where they should not or cannot run."""
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    if not ours:
        return
    if not _wanted():
        reason = "browser tests run once, on PostgreSQL (or set BROWSER_TESTS=1)"
    elif (why := _missing()) is None:
        return
    elif _required():
        # REQUIRE_BROWSER: the tests run and fail loudly in the browser fixture.
        return
    else:
        reason = f"browser tests cannot run: {why}"
    skip = pytest.mark.skip(reason=reason)
    for item in ours:
        item.add_marker(skip)


# --- the live server --------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The suite's app (on its private test database) served on a free local port."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """Every static file of every page would flood the report of a failure."""

    def buffered(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """Each response read whole and closed before the server writes it: a browser that
        drops a connection (a favicon request cut short by the next navigation) must not
        leave a static file open, whose ResourceWarning `filterwarnings = error` would pin
        on whatever test the garbage collector happens to run in."""
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    server = make_server(
        "127.0.0.1", 0, buffered, threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


# --- Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    why = _missing()
    if why is not None:
        if _required():
            pytest.fail(f"REQUIRE_BROWSER=1 but {why}", pytrace=False)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclass
class Watch:
    """What the pages of one test did that they must not."""

    csp: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    xss: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"CSP violation: {v}" for v in self.csp]
            + [f"script error: {e}" for e in self.page_errors]
            + [f"dialog opened: {d}" for d in self.dialogs]
            + [f"hostile script ran: {x}" for x in self.xss]
        )


#: Runs before any page script (through the DevTools protocol, so the CSP does not apply):
#: reports CSP violations to the test.
_INIT = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspReport(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""


class Contexts:
    """New browser contexts (separate cookie jars: separate people), each watched."""

    def __init__(self, chromium: Any, base_url: str) -> None:
        self.chromium, self.base_url = chromium, base_url
        self.watch = Watch()
        self._open: list[Any] = []

    def new_page(self, viewport: dict[str, int] | None = None, locale: str = "fi-FI") -> Any:
        # Reduced motion: no CSS transitions, so axe never measures a colour mid-fade.
        context = self.chromium.new_context(
            base_url=self.base_url, viewport=viewport or WIDE, locale=locale,
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        watch = self.watch
        context.expose_function("__cspReport", lambda report: watch.csp.append(report))
        context.expose_function("__xss", lambda *a: watch.xss.append(f"__xss{a!r}"))
        context.add_init_script(_INIT)
        self._open.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None,
        )

        def on_dialog(dialog: Any) -> None:
            watch.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    def close(self) -> None:
        for context in self._open:
            context.close()


@pytest.fixture
def pages(chromium: Any, live_server: str) -> Iterator[Contexts]:
    """`pages.new_page()`: a page in a fresh context. The test fails if any page of it broke
    the CSP, threw, opened a dialog or ran hostile script."""
    contexts = Contexts(chromium, live_server)
    yield contexts
    contexts.close()
    for line in contexts.watch.console_errors:
        print(f"browser console error: {line}")  # shown with a failure's report
    problems = contexts.watch.problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(pages: Contexts) -> Any:
    return pages.new_page()


# --- people -------------------------------------------------------------------------------


def login(page: Any, user: Any, password: str = PASSWORD) -> None:
    """Log in like a person: the login page, e-mail, password, the button."""
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login failed for {user.email}: {page.url}"


def logout(page: Any) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url("**/login")


# --- axe-core -----------------------------------------------------------------------------


def _axe_source() -> str:
    meta = json.loads((AXE_DIR / "VENDOR.json").read_text())
    data = (AXE_DIR / "axe.min.js").read_bytes()
    want = meta["files_sha256"]["axe.min.js"]
    got = hashlib.sha256(data).hexdigest()
    assert got == want, f"axe.min.js sha256 {got} differs from VENDOR.json's {want}"
    return data.decode("utf-8")


_AXE: list[str] = []

_RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  targets: v.nodes.slice(0, 8).map((n) => n.target.join(' ')
                    + ((n.any[0] && n.any[0].message) ? ` [${n.any[0].message}]` : ''))}));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page.

    axe is evaluated through the DevTools protocol: an injected <script> would be (rightly)
    refused by the page's CSP."""
    if not _AXE:
        _AXE.append(_axe_source())
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE[0])
    return page.evaluate(_RUN_AXE)


def assert_accessible(page: Any, what: str = "") -> None:
    found = axe_violations(page)
    if found:
        lines = [f"axe: {len(found)} serious/critical violation(s) on {what or page.url}:"]
        for v in found:
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
            lines += [f"      {t}" for t in v["targets"]]
        pytest.fail("\n".join(lines), pytrace=False)
