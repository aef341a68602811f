"""The old notebook API, :class:`Report`: now a thin adapter that shows document nodes.

A notebook written for it (``report.heading(nb=..., en=...)``,
``report.table(frame, caption, name=...)``) keeps rendering: every call
builds the document node the chapters return (:mod:`evalkit.report.document`)
and displays it, and the renderer reads only those nodes. It numbers
nothing and writes no HTML of its own. New chapters build nodes directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from evalkit.errors import InputError
from evalkit.report.document import Figure, Heading, KeyFigures, Node, Paragraph, Record, Table, TitlePage
from evalkit.report.style import apply_report_style, localise_axes
from evalkit.report.words import Words, check_language

if TYPE_CHECKING:
    import matplotlib.pyplot as plt


def _display(node: Node) -> None:
    from IPython.display import display  # imported late: the library works without IPython

    display(node)


@dataclass
class Report:
    """The notebook's handle on its report (old API): each call shows one document node.

    Parameters
    ----------
    language
        ``nb``, ``nn`` or ``en``: the number format of tables' default cells.
    """

    language: str = "nb"
    figures_recorded: dict[str, float | int | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        check_language(self.language)
        # One chart style for the whole report, whichever module draws a chart.
        apply_report_style()

    @property
    def words(self) -> Words:
        return Words(self.language)

    def record(self, figures: dict[str, Any]) -> None:
        """Hand key figures (dotted keys to numbers) to ``results.json``."""
        node = Record.of(figures)
        self.figures_recorded.update(dict(node.figures))
        _display(node)

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
        """Show a captioned table (the renderer numbers it) and hand it to ``tables.xlsx``."""
        _display(Table.from_frame(frame, caption, name=name, number=self.words.number, formats=formatters,
                                  index=index, source=source, unit=unit, note=note))

    def figure(
        self,
        fig: plt.Figure,
        caption: str,
        *,
        name: str,
        source: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show a captioned chart (the renderer numbers it) and hand it to ``figures/<name>.png``."""
        # Tick labels in the report's language (1 234 / 0,5), where the chart style knows the language.
        try:
            localise_axes(fig, self.language)
        except InputError:
            pass
        _display(Figure.from_matplotlib(fig, caption, name=name, source=source, note=note))

    def text(self, markdown: str) -> None:
        """Show prose (Markdown); raw HTML in it is shown as text in the report."""
        _display(Paragraph(markdown))

    def pick(self, *, nb: str, en: str) -> str:
        """The text in the report's language (old notebooks only: new chapters take words from templates)."""
        return en if self.language == "en" else nb

    def say(self, *, nb: str, en: str) -> None:
        """Narrate in the report's language (Markdown; both versions are given in the notebook)."""
        self.text(self.pick(nb=nb, en=en))

    def heading(self, *, nb: str, en: str, level: int = 2) -> None:
        """A chapter (level 2) or section (level 3) heading; the renderer numbers it."""
        if level not in (2, 3, 4):
            raise InputError(f"{level} is not a heading level.", parameter="level",
                             hint="Use 2 (chapter), 3 (section) or 4.")
        _display(Heading(self.pick(nb=nb, en=en), level=level))

    def appendix(self, *, nb: str, en: str) -> None:
        """Start the appendices (``Vedlegg A``): this and every later chapter is an appendix."""
        _display(Heading(self.pick(nb=nb, en=en), level=2, appendix=True))

    def title_page(self, *, title: str, subtitle: str = "", facts: dict[str, Any], note: str = "") -> None:
        """The report's first page: title, who and when, and a note on the data."""
        shown = tuple((str(k), str(v)) for k, v in facts.items() if v)
        _display(TitlePage(title=title, subtitle=subtitle, facts=shown, note=note))

    def key_figures(self, figures: dict[str, Any], *, caption: str) -> None:
        """A box of key figures (label -> formatted value); the first one goes on the title page."""
        _display(KeyFigures(caption, tuple((str(v), str(k)) for k, v in figures.items())))
