"""Hostile text: what an outsider may type into a ticket, a comment, a name or an e-mail.

Each payload, if it ever ran, would call the test's exposed `window.__xss()`, open a dialog
(`alert`), or set `window.__pwned`; the browser tests watch for all three.
"""

from __future__ import annotations

PAYLOADS: tuple[str, ...] = (
    "<script>window.__pwned=1;__xss('script')</script>",
    "<SCRIPT SRC=//127.0.0.1/x.js></SCRIPT>",
    "<img src=x onerror=\"window.__pwned=1;__xss('img')\">",
    "<img src=x onerror=alert(1)>",
    "<svg onload=\"window.__pwned=1;__xss('svg')\">",
    "<svg><script>window.__pwned=1</script></svg>",
    "<body onload=alert(1)>",
    "<iframe srcdoc=\"<script>parent.__pwned=1;parent.__xss('srcdoc')</script>\"></iframe>",
    "<iframe src=\"javascript:parent.__pwned=1\"></iframe>",
    "<a href=\"javascript:window.__pwned=1;__xss('href')\">click me</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">tab-split scheme</a>",
    "\"><script>window.__pwned=1;__xss('attr-break')</script>",
    "'><img src=x onerror=window.__pwned=1>",
    "\" onmouseover=\"window.__pwned=1\" autofocus onfocus=\"__xss('onfocus')\" x=\"",
    "' onfocus='window.__pwned=1' autofocus '",
    "</textarea><script>window.__pwned=1;__xss('textarea')</script>",
    "</title><script>window.__pwned=1;__xss('title')</script>",
    "</script><script>window.__pwned=1;__xss('script-close')</script>",
    "{{7*7}} {{ config }} {% raw %}{{ self }}{% endraw %}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "{{constructor.constructor('window.__pwned=1')()}}",
    "<div style=\"width:expression(window.__pwned=1)\">IE expression</div>",
    "<style>@import 'javascript:window.__pwned=1';</style>",
    "<link rel=stylesheet href=\"javascript:window.__pwned=1\">",
    "<object data=\"javascript:window.__pwned=1\"></object>",
    "<embed src=\"javascript:window.__pwned=1\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1>",
    "<details open ontoggle=\"window.__pwned=1;__xss('details')\">",
    "<input autofocus onfocus=\"window.__pwned=1;__xss('input')\">",
    "<video><source onerror=\"window.__pwned=1;__xss('video')\"></video>",
    "<marquee onstart=\"window.__pwned=1\">marquee</marquee>",
    "\\u003cscript\\u003ewindow.__pwned=1\\u003c/script\\u003e",
    "\u003cimg src=x onerror=window.__pwned=1\u003e",
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "<scr<script>ipt>window.__pwned=1</scr</script>ipt>",
    "<div hx-get=\"/logout\" hx-trigger=\"load\" hx-on::load=\"window.__pwned=1\">htmx</div>",
    "<form action=\"javascript:window.__pwned=1\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__pwned=1\">",
    "<base href=\"javascript:window.__pwned=1//\">",
    "javascript:window.__pwned=1",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    "<!--<img src=\"--><img src=x onerror=window.__pwned=1//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__pwned=1>\">",
    "Normal text with a \u202eRTL override and a zero\u200bwidth space",
)

assert len(PAYLOADS) >= 30
