"""The files of a report folder, from the report's items: HTML, PDF, tables.xlsx, figures, results.json.

:func:`write_report` is what the render path calls once the notebook has
run; every file is made from the document nodes the notebook showed (and
``results.json``'s ``meta``), none from the notebook's code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalkit.report.document import TitlePage
from evalkit.report.html import Document, Item, figures_of, layout, png_bytes, render_html
from evalkit.report.xlsx import NumberedTable, write_tables_xlsx


def results_json(meta: Mapping[str, Any], figures: Mapping[str, Any]) -> str:
    """``results.json`` text: sorted keys, no timestamps, so equal inputs give equal bytes."""
    return json.dumps({"meta": meta, "figures": figures}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _file_name(name: str) -> str:
    """A figure's name as a file name: letters, digits, ``-``, ``_`` and ``.`` (no folders, no hidden file)."""
    kept = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return kept.lstrip(".") or "figure"


def numbered_tables(document: Document) -> list[NumberedTable]:
    """The document's tables with their numbers, for tables.xlsx."""
    return [NumberedTable(b.number, b.label, b.node) for b in document.tables]  # type: ignore[arg-type]


def write_report(
    items: Iterable[Item],
    folder: str | Path,
    *,
    meta: Mapping[str, Any] | None = None,
    language: str = "nb",
    pdf: bool = False,
    title_page: TitlePage | None = None,
) -> Document:
    """Write report.html, results.json, tables.xlsx, figures/*.png (and report.pdf) into ``folder``.

    Parameters
    ----------
    items
        The report's nodes (and plain outputs), as :func:`evalkit.report.html.notebook_items` reads them.
    folder
        The (staging) report folder; it exists.
    meta
        ``results.json``'s ``meta``: written with the recorded figures, and
        the reproducibility appendix; without it neither is made.
    language
        ``nb``, ``nn`` or ``en``.
    pdf
        Also print ``report.pdf`` (A4) with WeasyPrint.
    title_page
        The title page when the items have none (made from the evaluation file).

    Returns
    -------
    Document
        The report as laid out (numbers, contents).
    """
    folder = Path(folder)
    items = list(items)
    document = layout(items, language, meta=meta, title_page=title_page)
    page = render_html(document)
    (folder / "report.html").write_text(page, encoding="utf-8")
    if meta is not None:
        (folder / "results.json").write_text(results_json(meta, figures_of(items)), encoding="utf-8")
    write_tables_xlsx(numbered_tables(document), folder / "tables.xlsx", document.language)
    if document.figures:
        (folder / "figures").mkdir(exist_ok=True)
        for block in document.figures:
            name = _file_name(f"{block.file_label}-{block.node.name}")
            (folder / "figures" / f"{name}.png").write_bytes(png_bytes(block))
    if pdf:
        from evalkit.report.pdf import html_to_pdf

        html_to_pdf(page, folder / "report.pdf")
    return document
