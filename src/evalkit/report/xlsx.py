"""``tables.xlsx``: every table of the report, one sheet each, from the table nodes.

A sheet holds the table's caption ("Tabell 3: ..."), unit, source and note
above the header row, then the raw values: numbers stay numbers (in the
table's unit, as the analysis computed them); text is always stored as
text, never as a formula, so a value from the data that starts with ``=``,
``+``, ``-`` or ``@`` (a sector called ``=HYPERLINK(...)``) cannot run in
the reader's spreadsheet. The bytes depend on the content only (fixed
document dates and zip timestamps), so re-rendering the same evaluation
gives the same file.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from evalkit.report.document import Table
from evalkit.report.words import Words

#: Fixed document dates and zip timestamps of tables.xlsx (the zip format's earliest date).
XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)
#: First characters that make a spreadsheet read a typed text as a formula (or a DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Control characters an XML file cannot hold (openpyxl refuses them): shown as U+FFFD.
_ILLEGAL = {c: "\ufffd" for c in (*range(0, 9), 11, 12, *range(14, 32))}
#: Header row of every sheet (unit in A2, source A3, note A4), so every sheet reads the same way.
HEAD_ROW = 6


@dataclass(frozen=True)
class NumberedTable:
    """A table node with the number the renderer gave it ("3", "A.1") and its label ("Tabell 3")."""

    number: str
    label: str
    table: Table

    @property
    def file_label(self) -> str:
        return self.number.zfill(2) if self.number.isdigit() else self.number.replace(".", "")


def _sheet_name(entry: NumberedTable, used: set[str]) -> str:
    name = f"{entry.file_label} {entry.table.name}"
    for bad in "[]:*?/\\":
        name = name.replace(bad, "-")
    name = name[:31]
    candidate, n = name, 2
    while candidate.lower() in used:  # Excel sheet names are unique regardless of case
        suffix = f"~{n}"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _excel_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


def put(cell: Any, value: Any) -> Any:
    """Set ``cell`` to ``value``: a text always as a text cell (never a formula), numbers as numbers."""
    if isinstance(value, str):
        text = value.translate(_ILLEGAL)
        cell.value = text
        cell.data_type = "s"  # openpyxl would read "=..." as a formula
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and so does the spreadsheet, when the cell is edited
        return cell
    cell.value = value
    return cell


def tables_workbook(tables: Sequence[NumberedTable], language: str = "nb") -> bytes:
    """``tables.xlsx`` as bytes: one sheet per table; the bytes depend on the tables only."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    words = Words(language)
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    rule = Border(bottom=Side(style="thin", color="1F3B5A"))
    for entry in tables:
        table = entry.table
        sheet = workbook.create_sheet(_sheet_name(entry, used))
        put(sheet["A1"], f"{entry.label}: {table.caption}").font = Font(bold=True, size=12)
        if table.unit:
            put(sheet.cell(row=2, column=1), words._("Unit: {unit}", unit=table.unit))
        if table.source:
            put(sheet.cell(row=3, column=1), words._("Source: {source}", source=table.source))
        if table.note:
            put(sheet.cell(row=4, column=1), words._("Note: {note}", note=table.note))
        for column, label in enumerate(table.header, start=1):
            cell = put(sheet.cell(row=HEAD_ROW, column=column), str(label))
            cell.font, cell.border = bold, rule
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for offset, values in enumerate(table.values, start=1):
            for column, value in enumerate(values, start=1):
                cell = put(sheet.cell(row=HEAD_ROW + offset, column=column), _excel_value(value))
                if type(cell.value) is int and not (1800 <= cell.value <= 2200):
                    cell.number_format = "#,##0"
        sheet.freeze_panes = sheet.cell(row=HEAD_ROW + 1, column=1)
        for column in range(1, len(table.header) + 1):
            cells = [sheet.cell(row=r, column=column).value for r in range(HEAD_ROW, sheet.max_row + 1)]
            width = max((len(str(v)) for v in cells if v is not None), default=8)
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 70)
    if not tables:
        workbook.create_sheet("empty")
    workbook.properties.creator = "evalkit"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue(), workbook.properties)


def _deterministic_zip(data: bytes, properties: Any) -> bytes:
    """The same zip with fixed timestamps (entries and document properties), so bytes follow content."""
    from copy import copy

    from openpyxl.xml.functions import tostring

    # openpyxl stamps "modified" with the time of saving: the properties are written again, dated.
    fixed = copy(properties)
    fixed.created = fixed.modified = datetime(*XLSX_EPOCH)
    core = tostring(fixed.to_tree())
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = core if item.filename == "docProps/core.xml" else source.read(item.filename)
            info = zipfile.ZipInfo(item.filename, date_time=XLSX_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()


def write_tables_xlsx(tables: Sequence[NumberedTable], path: str | Path, language: str = "nb") -> None:
    """Write :func:`tables_workbook` to ``path``."""
    Path(path).write_bytes(tables_workbook(tables, language))
