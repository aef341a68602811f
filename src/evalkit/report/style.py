"""One chart style for every report, and axis numbers in the report's language.

:func:`apply_report_style` sets matplotlib's defaults (fonts, sizes, colours,
grid) so that every chart of a report looks the same whoever wrote the
``plot()`` that made it; the chapters draw inside :func:`report_style`. :func:`localise_axes` makes tick labels follow
the report's language (``1 234`` and ``0,5`` in Norwegian) with Babel, via
:class:`evalkit.report.words.Words` (the one number formatter of a report).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, ScalarFormatter

from evalkit.report.words import Words

#: The report palette: dark blue first (the programme), then colours that stay apart in greyscale print.
PALETTE = ("#1f3b5a", "#d9822b", "#3a8d7f", "#8c8c8c", "#b5443b", "#6b5b95", "#c5a632")

#: matplotlib settings of report charts (16 x 9 cm at 150 dpi; DejaVu Sans, as the report's headings).
REPORT_RC: dict[str, Any] = {
    "figure.figsize": (6.3, 3.55),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#666666",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.fontsize": 8,
    # A white, borderless legend box: lines and bars behind the legend do not run through its text.
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "none",
    "lines.linewidth": 1.8,
    "patch.edgecolor": "white",
    "svg.hashsalt": "evalkit",  # deterministic ids if a chart is ever saved as SVG
}


def apply_report_style() -> None:
    """Set matplotlib's defaults to the report style (for the rest of the session)."""
    mpl.rcParams.update(REPORT_RC)


@contextmanager
def report_style() -> Iterator[None]:
    """The report style inside a ``with`` block only (for charts made outside a report)."""
    with mpl.rc_context(REPORT_RC):
        yield


class LocaleFormatter(Formatter):
    """Tick labels in a report language: ``1 234`` / ``1,234``, ``0,5`` / ``0.5``.

    Years stay ungrouped (``2016``, not ``2 016``): when every tick is a whole
    number between 1800 and 2200 the axis is taken to be a time axis.
    """

    def __init__(self, language: str = "nb") -> None:
        self.words = Words(language)
        self.language = self.words.language
        self._decimals = 0
        self._years = False

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        shown = [float(v) for v in locs if math.isfinite(v)]
        lo, hi = self.axis.get_view_interval() if self.axis is not None else (-math.inf, math.inf)
        visible = [v for v in shown if min(lo, hi) - 1e-9 <= v <= max(lo, hi) + 1e-9] or shown
        self._years = bool(visible) and all(v.is_integer() and 1800 <= v <= 2200 for v in visible)
        # As many decimals as the ticks need to be shown exactly, at most 3: ticks 0.25 apart read
        # "0,25", "0,50" (one decimal from the spacing alone would round 0.25 to "0,2").
        self._decimals = next((d for d in range(3) if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v))
                                                          for v in shown)), 3)

    def __call__(self, value: float, pos: int | None = None) -> str:
        if not math.isfinite(value):
            return ""
        if self._years and float(value).is_integer():
            return str(int(value))
        if abs(value) < 10 ** -(self._decimals + 3):
            value = 0.0  # no "-0"
        return self.words.number(value, self._decimals)


def localise_axes(fig: Figure, language: str) -> Figure:
    """Give every linear axis of ``fig`` tick labels in ``language``.

    Only axes that still use matplotlib's default number formatter are
    changed; a chart that chose its own (percent, dates, log) keeps it.
    Returns the same figure.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "linear" and type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(LocaleFormatter(language))
    return fig
