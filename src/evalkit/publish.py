"""How a notebook hands its tables, charts and figures to the report.

A notebook creates one :class:`Report` and shows everything through it:
``report.table(...)`` and ``report.figure(...)`` number and caption what they
show, and ``report.record(...)`` hands key figures to ``results.json``. Each
output carries a machine-readable copy (a custom MIME type) beside its HTML,
so the renderer can write ``results.json``, ``tables.xlsx`` and
``figures/*.png`` from the executed notebook without the notebook doing I/O.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pandas as pd

from evalkit.i18n import check_language

FIGURES_MIME = "application/vnd.evalkit.figures+json"
TABLE_MIME = "application/vnd.evalkit.table+json"
CHART_META = "evalkit_chart"

_WORDS = {
    "nb": {"figure": "Figur", "table": "Tabell", "source": "Kilde"},
    "en": {"figure": "Figure", "table": "Table", "source": "Source"},
}


def _display(data: dict, metadata: dict | None = None) -> None:
    from IPython.display import display  # imported late: the library works without IPython

    display(data, raw=True, metadata=metadata or {})


def _clean(value: float) -> float | int:
    """A figure as JSON can hold it: NaN and infinities become None upstream."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


@dataclass
class Report:
    """The notebook's handle on its report: numbered tables, charts and key figures.

    Parameters
    ----------
    language
        ``nb`` or ``en``: the words of captions ("Figur 1", "Kilde").
    """

    language: str = "nb"
    _tables: int = field(default=0, init=False)
    _charts: int = field(default=0, init=False)
    figures_recorded: dict[str, float | int | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        check_language(self.language)

    @property
    def words(self) -> dict[str, str]:
        return _WORDS[self.language]

    def record(self, figures: dict[str, float]) -> None:
        """Hand key figures (dotted keys to numbers) to ``results.json``."""
        clean: dict[str, float | int | None] = {}
        for key, value in figures.items():
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                clean[key] = None
            else:
                clean[key] = _clean(value)
        self.figures_recorded.update(clean)
        _display({FIGURES_MIME: clean, "text/plain": ""})

    def table(
        self,
        frame: pd.DataFrame,
        caption: str,
        *,
        name: str,
        source: str | None = None,
        unit: str | None = None,
        formatters: dict | None = None,
        index: bool = True,
        note: str | None = None,
    ) -> None:
        """Show a numbered, captioned table and hand it to ``tables.xlsx``.

        Parameters
        ----------
        frame
            The table. Values are escaped in HTML.
        caption
            What the table shows.
        name
            Short sheet name for ``tables.xlsx`` (<= 31 characters).
        source, unit, note
            Shown under the table; ``unit`` also in the sheet.
        formatters
            Column -> function formatting a value for HTML (e.g. ``i18n.nok``).
        """
        self._tables += 1
        number = self._tables
        title = f"{self.words['table']} {number}: {caption}"
        shown = frame.copy()
        for column, fmt in (formatters or {}).items():
            if column in shown.columns:
                shown[column] = shown[column].map(lambda v, f=fmt: "" if pd.isna(v) else f(v))
        body = shown.to_html(classes="evalkit-table", border=0, escape=True, index=index, na_rep="")
        foot = " ".join(
            part
            for part in (
                html.escape(note) if note else "",
                f"{self.words['source']}: {html.escape(source)}." if source else "",
            )
            if part
        )
        markup = (
            f"<figure class='evalkit-table-figure' id='table-{number}'>"
            f"<figcaption>{html.escape(title)}</figcaption>{body}"
            + (f"<p class='evalkit-source'>{foot}</p>" if foot else "")
            + "</figure>"
        )
        payload = {
            "number": number,
            "name": name[:31],
            "caption": title,
            "source": source,
            "unit": unit,
            "index": index,
            "data": json.loads(frame.to_json(orient="split", date_format="iso", default_handler=str)),
        }
        _display({"text/html": markup, TABLE_MIME: payload, "text/plain": title})

    def figure(
        self,
        fig: plt.Figure,
        caption: str,
        *,
        name: str,
        source: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show a numbered, captioned chart and hand it to ``figures/<name>.png``."""
        self._charts += 1
        number = self._charts
        title = f"{self.words['figure']} {number}: {caption}"
        buffer = io.BytesIO()
        # Fixed metadata: PNG bytes must not depend on the time of rendering.
        fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        foot = " ".join(
            part
            for part in (
                html.escape(note) if note else "",
                f"{self.words['source']}: {html.escape(source)}." if source else "",
            )
            if part
        )
        markup = (
            f"<figure class='evalkit-chart' id='figure-{number}'>"
            f"<img src='data:image/png;base64,{png}' alt='{html.escape(title, quote=True)}'/>"
            f"<figcaption>{html.escape(title)}</figcaption>"
            + (f"<p class='evalkit-source'>{foot}</p>" if foot else "")
            + "</figure>"
        )
        _display(
            {"text/html": markup, "image/png": png, "text/plain": title},
            metadata={CHART_META: {"number": number, "name": name, "caption": title}},
        )

    def text(self, markdown: str) -> None:
        """Show generated prose (Markdown) — for sentences built from results."""
        _display({"text/markdown": markdown, "text/plain": markdown})

    def pick(self, *, nb: str, en: str) -> str:
        """The text in the report's language."""
        return nb if self.language == "nb" else en

    def say(self, *, nb: str, en: str) -> None:
        """Narrate in the report's language (Markdown; both versions are given in the notebook)."""
        self.text(self.pick(nb=nb, en=en))

    def heading(self, *, nb: str, en: str, level: int = 2) -> None:
        """A chapter (level 2) or section (level 3) heading in the report's language."""
        self.text("#" * level + " " + self.pick(nb=nb, en=en))

    def title_page(self, *, title: str, subtitle: str = "", facts: dict[str, str], note: str = "") -> None:
        """The report's first page: title, who and when, and a note on the data."""
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts.items() if v
        )
        markup = (
            "<section class='evalkit-title-page'>"
            f"<h1 class='evalkit-title'>{html.escape(title)}</h1>"
            + (f"<p class='evalkit-subtitle'>{html.escape(subtitle)}</p>" if subtitle else "")
            + f"<table class='evalkit-title-facts'>{rows}</table>"
            + (f"<p class='evalkit-data-note'>{html.escape(note)}</p>" if note else "")
            + "</section>"
        )
        _display({"text/html": markup, "text/plain": title})

    def key_figures(self, figures: dict[str, str], *, caption: str) -> None:
        """A box of key figures (label -> formatted value) for the summary page."""
        cells = "".join(
            f"<div class='evalkit-kf'><div class='evalkit-kf-value'>{html.escape(v)}</div>"
            f"<div class='evalkit-kf-label'>{html.escape(k)}</div></div>"
            for k, v in figures.items()
        )
        markup = (
            f"<aside class='evalkit-key-figures'><h4>{html.escape(caption)}</h4>"
            f"<div class='evalkit-kf-grid'>{cells}</div></aside>"
        )
        _display({"text/html": markup, "text/plain": caption})
