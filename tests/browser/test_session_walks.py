"""Walks through the door of the desk in Chromium: logging in, the language switch, the CSRF
guard, the end user refused, the API docs page with no internet."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Contexts, login, logout
from tests.web.conftest import PASSWORD


def _lang(page: Any) -> str:
    return page.evaluate("() => document.documentElement.lang")


def _switch(page: Any, code: str) -> None:
    page.locator("#lang-select").select_option(code)
    page.locator("form[action='/language'] button[type=submit]").click()
    page.wait_for_function(f"() => document.documentElement.lang === '{code}'")


def _catalogue(lang: str) -> Any:
    import gettext
    from pathlib import Path

    import servicedesk

    folder = Path(servicedesk.__file__).parent / "translations"
    return gettext.translation("messages", str(folder), [lang])


def _texts(page: Any) -> tuple[str, str]:
    """The page's title and its header's logout button, the words a language change shows."""
    return page.title(), page.locator("form[action='/logout'] button").inner_text()


def test_agent_logs_in_through_the_login_page_and_lands_on_a_queue(
    page: Any, make: Any
) -> None:
    agent = make.user("agent", password=PASSWORD)
    login(page, agent)
    assert "/desk/queues/" in page.url
    assert page.locator("main#main").is_visible()


def test_a_wrong_password_keeps_the_visitor_on_the_login_page_with_a_message(
    page: Any, make: Any
) -> None:
    agent = make.user("agent", password=PASSWORD)
    page.goto("/login")
    page.locator("#email").fill(agent.email)
    page.locator("#password").fill("not-the-password")
    page.locator("main form button[type=submit]").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert summary.is_visible()
    # The summary takes the focus, so a keyboard or screen-reader user lands on it.
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert "/login" in page.url


def test_the_language_switch_changes_the_page_and_is_remembered_after_logging_in_again(
    pages: Contexts, make: Any
) -> None:
    agent = make.user("agent", password=PASSWORD)  # Finnish by default
    page = pages.new_page()
    login(page, agent)
    assert _lang(page) == "fi"
    finnish = _texts(page)
    _switch(page, "en")
    english = _texts(page)
    _switch(page, "sv")
    swedish = _texts(page)
    assert len({finnish, english, swedish}) == 3, (finnish, english, swedish)
    # the words are the catalogues' words: Finnish in fi, Swedish in sv
    for lang, (_title, logout_text) in (("fi", finnish), ("sv", swedish), ("en", english)):
        assert logout_text == _catalogue(lang).gettext("Log out"), (lang, logout_text)
    assert finnish[1] != "Log out" and swedish[1] != "Log out"
    _switch(page, "fi")
    assert _texts(page) == finnish
    _switch(page, "en")
    logout(page)
    login(page, agent)
    assert _lang(page) == "en"
    assert _texts(page) == english
    # and in another browser too: the choice is kept on the user, not in a cookie
    other = pages.new_page()
    login(other, agent)
    assert _lang(other) == "en"


def test_the_login_page_speaks_the_language_chosen_before_logging_in(page: Any) -> None:
    page.goto("/login")
    assert _lang(page) == "fi"
    finnish = page.locator("h1").inner_text()
    _switch(page, "sv")
    assert page.locator("h1").inner_text() != finnish


def test_a_form_posted_without_its_csrf_token_is_refused_with_400(page: Any, make: Any) -> None:
    agent = make.user("agent", password=PASSWORD)
    login(page, agent)
    page.evaluate(
        "() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())"
    )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("form[action='/logout'] button").click()
    assert posted.value.status == 400
    # nothing happened: still logged in
    page.goto("/desk/queues/mine")
    assert "/login" not in page.url
    # and a bare POST from the page's own session, with no token at all
    assert page.request.post("/language", form={"lang": "en"}).status == 400


def test_the_end_user_is_refused_the_desk_pages(page: Any, make: Any) -> None:
    user = make.user("end_user", password=PASSWORD)
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    for path in (
        "/desk/queues/mine",
        "/desk/queues/default",
        "/desk/new",
        "/desk/supplier",
        "/desk/admin/canned-replies",
    ):
        resp = page.goto(path)
        assert resp is not None and resp.status == 403, (path, resp and resp.status)


def test_the_api_docs_page_works_with_no_internet(pages: Contexts) -> None:
    page = pages.new_page()
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(pages.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto("/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 5
    assert outside == []


def test_the_watch_sees_a_csp_violation_a_dialog_and_a_call_of_the_canary(
    pages: Contexts,
) -> None:
    """The net under the other tests: an inline script is refused by the page's CSP and
    reported; a dialog and a call of `__xss()` are recorded (then forgiven here)."""
    page = pages.new_page()
    page.goto("/login")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__pwned = 1'; document.body.append(s); }"""
    )
    page.wait_for_function("() => true")
    page.evaluate("() => { alert('hello'); window.__xss('canary'); }")
    page.wait_for_timeout(200)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    watch = pages.watch
    assert any("script-src" in v for v in watch.csp), watch.csp
    assert watch.dialogs == ["alert: hello"]
    assert watch.xss == ["__xss('canary',)"]
    watch.csp.clear()
    watch.dialogs.clear()
    watch.xss.clear()
