"""Report files from an executed notebook: HTML without code, tables.xlsx, figures/*.png, PDF."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pandas as pd

from evalkit.publish import CHART_META, TABLE_MIME


def notebook_to_html(notebook: nbformat.NotebookNode) -> str:
    """The report as one HTML page: no code cells, no prompts, figures embedded."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook)
    return body


def tables_of(notebook: nbformat.NotebookNode) -> list[dict]:
    """Every table the notebook showed with ``Report.table``, in order."""
    return [
        output["data"][TABLE_MIME]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if TABLE_MIME in output.get("data", {})
    ]


def charts_of(notebook: nbformat.NotebookNode) -> list[tuple[dict, bytes]]:
    """Every chart the notebook showed with ``Report.figure``: (metadata, PNG bytes)."""
    charts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get(CHART_META)
            if meta and "image/png" in output.get("data", {}):
                charts.append((meta, base64.b64decode(output["data"]["image/png"])))
    return charts


def write_tables_xlsx(tables: list[dict], path: Path) -> None:
    """One sheet per table: caption, unit and source above the data."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        used: set[str] = set()
        for table in tables:
            sheet = _sheet_name(table, used)
            data = table["data"]
            frame = pd.DataFrame(data["data"], index=data.get("index"), columns=data["columns"])
            head = [table["caption"], f"Unit: {table['unit']}" if table.get("unit") else "",
                    f"Source: {table['source']}" if table.get("source") else ""]
            pd.DataFrame({"": head}).to_excel(writer, sheet_name=sheet, index=False, header=False)
            frame.to_excel(writer, sheet_name=sheet, startrow=4, index=table.get("index", True))
        if not tables:
            pd.DataFrame().to_excel(writer, sheet_name="empty")


def _sheet_name(table: dict, used: set[str]) -> str:
    name = f"{table['number']:02d} {table['name']}"[:31]
    for bad in "[]:*?/\\":
        name = name.replace(bad, "-")
    used.add(name)
    return name


def write_outputs(notebook: nbformat.NotebookNode, folder: Path, *, evaluation=None, pdf: bool = False) -> None:
    """Write report.html, tables.xlsx, figures/*.png (and report.pdf) into ``folder``."""
    html_path = folder / "report.html"
    html_path.write_text(notebook_to_html(notebook), encoding="utf-8")
    write_tables_xlsx(tables_of(notebook), folder / "tables.xlsx")
    charts = charts_of(notebook)
    if charts:
        (folder / "figures").mkdir(exist_ok=True)
        for meta, png in charts:
            (folder / "figures" / f"{meta['number']:02d}-{meta['name']}.png").write_bytes(png)
    if pdf:
        from evalkit.pdf import html_to_pdf

        html_to_pdf(html_path, folder / "report.pdf")
