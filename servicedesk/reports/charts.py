"""The report's charts as SVG text, drawn by matplotlib on the server: the page, the PDF and
the e-mail show the same picture, and no script runs in the reader's browser.

Pure functions of plain numbers and already-translated labels (no request, no database).
The figures use matplotlib's object API (`Figure`), not `pyplot`, so that nothing global
is touched and threads of one worker can draw at once. Text stays text in the SVG
(`svg.fonttype: none`): small, selectable and sharp in the PDF. Every chart has a data table
beside it on the page; the `<svg>` carries `role="img"` and a title for screen readers.

Pages show a chart as `<img src="data:image/svg+xml;base64,...">` (`data_uri`): the pages'
Content-Security-Policy forbids inline styles, and matplotlib styles every path inline; an
image is its own document, so its styles apply, and `img-src data:` is allowed.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")  # no display here, ever

from matplotlib import rc_context
from matplotlib.figure import Figure

#: Colours with enough contrast on white (WCAG AA for the 3:1 of graphics).
MET = "#1f6f43"
BREACHED = "#b3261e"
VOLUME = "#3b5b92"
TARGET = "#5f4b00"
GRID = "#d0d0d0"

_STYLE = {
    "svg.fonttype": "none",  # text as <text>, not paths
    "svg.hashsalt": "kpk-servicedesk",  # stable ids: the same data draws the same bytes
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
}


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend: its label, compliance % (None: no clocks) and volume."""

    label: str
    percent: Decimal | None
    received: int


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: a label, its value, and the line's target (percent charts)."""

    label: str
    value: float
    target: float | None = None


def _svg(fig: Figure, title: str) -> str:
    """The figure as an inline `<svg>` element, titled for screen readers."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    start = text.index("<svg")
    svg = text[start:]
    # Inline SVG: no fixed pt size, so it scales with its box; role and title for AT.
    svg = re.sub(r'\swidth="[^"]+"\s+height="[^"]+"', "", svg, count=1)
    svg = svg.replace(
        "<svg",
        f'<svg role="img" aria-label="{escape(title, {chr(34): "&quot;"})}"'
        ' class="chart" preserveAspectRatio="xMidYMid meet"',
        1,
    )
    return svg.replace(">", f"><title>{escape(title)}</title>", 1)


def trend_svg(
    points: Sequence[TrendPoint], *, title: str, percent_label: str, volume_label: str
) -> str:
    """Compliance % per month as a line over the month's received tickets as bars."""
    with rc_context(_STYLE):
        fig = Figure(figsize=(7.2, 3.0), dpi=100, layout="constrained")
        volume_ax = fig.add_subplot()
        xs = list(range(len(points)))
        volume_ax.bar(xs, [p.received for p in points], color=VOLUME, alpha=0.35, width=0.6)
        volume_ax.set_ylabel(volume_label)
        volume_ax.set_xticks(xs, [p.label for p in points], rotation=45, ha="right")
        volume_ax.grid(False)
        percent_ax = volume_ax.twinx()
        percent_ax.spines["right"].set_visible(True)
        shown = [
            (x, float(p.percent)) for x, p in zip(xs, points, strict=True) if p.percent is not None
        ]
        if shown:
            percent_ax.plot(
                [x for x, _ in shown], [y for _, y in shown], color=MET, marker="o", lw=1.8
            )
        percent_ax.set_ylim(0, 105)
        percent_ax.set_ylabel(percent_label)
        percent_ax.yaxis.set_major_formatter("{x:.0f} %")
        return _svg(fig, title)


def bars_svg(
    bars: Sequence[Bar], *, title: str, value_label: str, percent: bool, decimal_sep: str = "."
) -> str:
    """Horizontal bars, one per label; a percent chart also marks each bar's target.

    `decimal_sep` is the reader's (Finnish and Swedish write 88,5 %)."""
    with rc_context(_STYLE):
        height = 0.9 + 0.32 * max(len(bars), 1)
        fig = Figure(figsize=(7.2, height), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(len(bars)))[::-1]
        colours = [
            BREACHED if percent and b.target is not None and b.value < b.target else VOLUME
            for b in bars
        ]
        if percent:
            colours = [MET if c == VOLUME else c for c in colours]
        ax.barh(ys, [b.value for b in bars], color=colours, height=0.6)
        for y, b in zip(ys, bars, strict=True):
            if b.target is not None:
                ax.plot([b.target, b.target], [y - 0.4, y + 0.4], color=TARGET, lw=2)
            shown = f"{b.value:.1f} %".replace(".", decimal_sep) if percent else f"{b.value:.0f}"
            ax.annotate(shown, (b.value, y), xytext=(3, 0), textcoords="offset points", va="center")
        ax.set_yticks(ys, [b.label for b in bars])
        ax.set_xlabel(value_label)
        if percent:
            ax.set_xlim(0, 112)
            ax.xaxis.set_major_formatter("{x:.0f} %")
        else:
            ax.set_xlim(0, max([b.value for b in bars] + [1]) * 1.15)
        ax.grid(axis="y", visible=False)
        return _svg(fig, title)


def data_uri(svg: str) -> str:
    """An SVG from this module as an `<img src>` (see the module note on CSP)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
