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
from typing import TYPE_CHECKING

import pandas as pd

from evalkit.errors import InputError
from evalkit.report import i18n
from evalkit.report.i18n import check_language
from evalkit.report.style import apply_report_style, localise_axes

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

FIGURES_MIME = "application/vnd.evalkit.figures+json"
TABLE_MIME = "application/vnd.evalkit.table+json"
CHART_META = "evalkit_chart"
#: Output metadata key saying what a Report output is (heading, table, ...), for the page layout.
KIND = "evalkit_kind"
#: Tables up to this many rows are kept on one page; longer ones break with a repeated header row.
SHORT_TABLE_ROWS = 25

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
        # One chart style for the whole report, whichever module draws a chart.
        apply_report_style()

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
        body = _html_table(frame, formatters or {}, index=index, language=self.language)
        foot = self._foot(note, source)
        # Short tables never break across pages; long ones may, repeating their header row.
        size = "evalkit-short" if len(frame) <= SHORT_TABLE_ROWS else "evalkit-long"
        markup = (
            f"<figure class='evalkit-table-figure {size}' id='table-{number}'>"
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
            "note": note,
            "index": index,
            "index_names": [None if n is None else str(n) for n in frame.index.names],
            "language": self.language,
            "data": json.loads(frame.to_json(orient="split", date_format="iso", default_handler=str)),
        }
        _display({"text/html": markup, TABLE_MIME: payload, "text/plain": title}, metadata={KIND: "table"})

    def _foot(self, note: str | None, source: str | None) -> str:
        """The line under a table or chart: note, then "Kilde: ..." (escaped)."""
        parts = [html.escape(note) if note else "", f"{self.words['source']}: {html.escape(source)}." if source else ""]
        return " ".join(part for part in parts if part)

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
        # Tick labels in the report's language (1 234 / 0,5), unless the chart chose its own format.
        localise_axes(fig, self.language)
        buffer = io.BytesIO()
        # Fixed metadata: PNG bytes must not depend on the time of rendering.
        fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
        import matplotlib.pyplot as plt  # here: pyplot costs ~0.3 s at import
        plt.close(fig)
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        foot = self._foot(note, source)
        markup = (
            f"<figure class='evalkit-chart' id='figure-{number}'>"
            f"<img src='data:image/png;base64,{png}' alt='{html.escape(title, quote=True)}'/>"
            f"<figcaption>{html.escape(title)}</figcaption>"
            + (f"<p class='evalkit-source'>{foot}</p>" if foot else "")
            + "</figure>"
        )
        _display(
            {"text/html": markup, "image/png": png, "text/plain": title},
            metadata={CHART_META: {"number": number, "name": name, "caption": title}, KIND: "figure"},
        )

    def text(self, markdown: str) -> None:
        """Show generated prose (Markdown) — for sentences built from results.

        Raw HTML in the text is shown as text in the report (data such as firm
        names may hold ``<`` and ``&``); use :meth:`table` for tables.
        """
        _display({"text/markdown": markdown, "text/plain": markdown})

    def pick(self, *, nb: str, en: str) -> str:
        """The text in the report's language."""
        return nb if self.language == "nb" else en

    def say(self, *, nb: str, en: str) -> None:
        """Narrate in the report's language (Markdown; both versions are given in the notebook)."""
        self.text(self.pick(nb=nb, en=en))

    def heading(self, *, nb: str, en: str, level: int = 2) -> None:
        """A chapter (level 2) or section (level 3) heading in the report's language.

        The rendered report numbers chapters and sections (``2``, ``2.1``) and
        lists them in its table of contents.
        """
        if level not in (1, 2, 3, 4):
            raise InputError(f"{level} is not a heading level.", parameter="level", hint="Use 2 (chapter) or 3 (section).")
        text = "#" * level + " " + _one_line(self.pick(nb=nb, en=en))
        _display({"text/markdown": text, "text/plain": text}, metadata={KIND: "heading"})

    def appendix(self, *, nb: str, en: str) -> None:
        """Start an appendix (``Vedlegg A`` / ``Appendix A``): a chapter after the main text.

        Every chapter after the first appendix heading is an appendix too; the
        renderer adds its own last appendix on reproducibility.
        """
        text = "## " + _one_line(self.pick(nb=nb, en=en))
        _display({"text/markdown": text, "text/plain": text}, metadata={KIND: "appendix"})

    def title_page(self, *, title: str, subtitle: str = "", facts: dict[str, str], note: str = "") -> None:
        """The report's first page: title, who and when, and a note on the data.

        The rendered report puts the first key-figures box (:meth:`key_figures`)
        on this page as well.
        """
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
        _display({"text/html": markup, "text/plain": title}, metadata={KIND: "title_page"})

    def key_figures(self, figures: dict[str, str], *, caption: str) -> None:
        """A box of key figures (label -> formatted value) for the summary page."""
        cells = "".join(
            f"<div class='evalkit-kf'><div class='evalkit-kf-value'>{html.escape(str(v))}</div>"
            f"<div class='evalkit-kf-label'>{html.escape(k)}</div></div>"
            for k, v in figures.items()
        )
        markup = (
            f"<aside class='evalkit-key-figures'><div class='evalkit-kf-caption'>{html.escape(caption)}</div>"
            f"<div class='evalkit-kf-grid'>{cells}</div></aside>"
        )
        _display({"text/html": markup, "text/plain": caption}, metadata={KIND: "key_figures"})


def _one_line(text: str) -> str:
    # A heading is one Markdown line; a newline would end it and turn the rest into prose.
    return " ".join(text.split())


def _label(value: object) -> str:
    if isinstance(value, tuple):
        return " – ".join(str(part) for part in value if str(part))
    return "" if value is None else str(value)


def _looks_like_years(values: pd.Series) -> bool:
    numbers = values.dropna()
    return len(numbers) > 0 and bool(((numbers % 1 == 0) & numbers.between(1800, 2200)).all())


def _default_format(values: pd.Series, language: str):
    """How a numeric column without a formatter shows: the language's marks, years ungrouped."""
    if _looks_like_years(values):
        return lambda v: str(int(v))
    whole = bool((values.dropna() % 1 == 0).all())
    return lambda v: i18n.number(v, language, 0 if whole else 2)


def _html_table(frame: pd.DataFrame, formatters: dict, *, index: bool, language: str) -> str:
    """A table as escaped HTML: one header row, numbers right-aligned, formatted for the language.

    The index (when shown) becomes the first column(s), so its name stands in
    the header row instead of a second header row.
    """
    shown = frame.reset_index() if index else frame.reset_index(drop=True)
    if index and isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        shown = shown.rename(columns={"index": ""})
    keys = list(frame.columns)
    index_count = shown.shape[1] - len(keys)
    header = [_label(n) for n in (list(frame.index.names) if index else [])] + [_label(c) for c in keys]
    columns = []
    for position in range(shown.shape[1]):
        values = shown.iloc[:, position]
        key = keys[position - index_count] if position >= index_count else None
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if key is not None and key in formatters:
            fmt = formatters[key]
        elif numeric:
            fmt = _default_format(values, language)
        else:
            fmt = str
        cells = ["" if _missing(v) else html.escape(str(fmt(v))) for v in values]
        # Index columns are row labels: left-aligned whatever their type.
        columns.append((numeric and position >= index_count, cells))
    head = "".join(
        f"<th class='{'num' if numeric else 'text'}' scope='col'>{html.escape(label)}</th>"
        for label, (numeric, _) in zip(header, columns)
    )
    rows = []
    for row in range(len(shown)):
        cells = []
        for position, (numeric, values) in enumerate(columns):
            tag = "th scope='row'" if position < index_count else "td"
            cells.append(f"<{tag} class='{'num' if numeric else 'text'}'>{values[row]}</{tag.split()[0]}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table class='evalkit-table'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
