"""Helpers of the ticket page tests: the escalation tests' world, with passwords and browsers
whose "now" is pinned like the API calls of those tests."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from typing import Any

from servicedesk.db import frozen_now
from servicedesk.users.passwords import hash_password
from tests.escalations.conftest import local
from tests.web.conftest import PASSWORD, Browser

__all__ = ["PinnedBrowser", "local", "text_of", "with_passwords"]


def with_passwords(dbs: Any, *users: Any) -> None:
    """Let the world's users log in to the pages, in English (the tests read English words;
    the Finnish default has its own tests)."""
    digest = hash_password(PASSWORD)
    for user in users:
        user.password_hash = digest
        user.locale = "en"
        dbs.add(user)
    dbs.commit()


class PinnedBrowser(Browser):
    """A Browser whose requests run at `self.now` (servicedesk.db.frozen_now)."""

    def __init__(self, client: Any, now: datetime) -> None:
        super().__init__(client)
        self.now = now

    def get(self, url: str, **kw: Any) -> Any:
        with frozen_now(self.now):
            return super().get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        with frozen_now(self.now):
            return super().post(url, data, **kw)

    def form_values(self, html: str, prefix: str) -> dict[str, str]:
        """The hidden version and seen of a form on the page, as the browser would send them."""
        out = {}
        for name in ("version", "seen"):
            found = re.search(rf'name="{prefix}-{name}" type="hidden" value="(\d*)"', html)
            assert found, f"no {prefix}-{name} on the page"
            out[f"{prefix}-{name}"] = found.group(1)
        return out


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))
