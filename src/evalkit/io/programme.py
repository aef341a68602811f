"""A programme's records: validated loading of its tables (the I/O edge).

:func:`load_programme` reads a folder of tables (CSV or Excel), checks each
against :data:`evalkit.io.schema.SCHEMAS` and the references between them, and
returns a frozen :class:`Programme`. Any problem is raised as one
:class:`~evalkit.errors.InputError` naming the file, the row (as numbered in
a spreadsheet: header = row 1) and the column. Input files are only read.

Mistakes that are recoverable *and unambiguous* are read correctly and
recorded in :attr:`Programme.notes` for the report's data-quality appendix
instead of failing: a UTF-8 byte-order mark, a Latin-1/Windows-1252 file, a
``;``-separated file (as Norwegian Excel saves CSV), comma decimals and space
thousands separators (``125 000,50``), blank rows, a header in another case,
an Excel workbook whose table sits on one of several sheets, and a title or
merged-cell row above an Excel header. Anything that could be read two ways
(``1,500``: one and a half, or fifteen hundred?) fails with a message.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import hashlib
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors

from evalkit.results import ResultDisplay
from evalkit.errors import InputError
from evalkit.io.schema import (
    BOOLEAN_COLUMNS,
    FIRM_IDENTIFYING,
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    SCHEMAS,
)

_TRUE = {"true", "1", "yes", "ja", "sann"}
_FALSE = {"false", "0", "no", "nei", "usann"}
_SUFFIXES = (".csv", ".xlsx")
#: Formats people save tables in that evalkit does not read, and what to do instead.
_OTHER_FORMATS = {
    ".xls": "the old Excel format; save it as .xlsx (Excel workbook) or CSV UTF-8",
    ".xlsm": "a macro workbook; save it as .xlsx or CSV UTF-8",
    ".ods": "an OpenDocument spreadsheet; save it as .xlsx or CSV UTF-8",
    ".txt": "a text file; name it .csv if it is comma-separated",
    ".tsv": "a tab-separated file; name it .csv",
}
#: Largest whole number stored exactly in a float (integers beyond it are not plausible here).
_MAX_EXACT = 2**53
#: Tables that cannot be empty (no jobs registered yet is a real, if sad, state).
_MUST_HAVE_ROWS = ("budget", "projects", "firms")
#: How many rows of an Excel sheet are searched for the header row.
_HEADER_SEARCH_ROWS = 10

# Numbers a person in Norway writes: spaces (also no-break) as thousands separators, comma decimals.
_SPACES = "[ \u00a0\u202f]"
_NO_SPACE_THOUSANDS = re.compile(rf"^[+-]?\d{{1,3}}(?:{_SPACES}\d{{3}})+(?:[.,]\d+)?$")
_NO_DOT_THOUSANDS_COMMA_DECIMAL = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$")
_NO_DOTS_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$")
_EN_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?$|^[+-]?\d{1,3}(?:,\d{3})+\.\d+$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d*,\d+$")
_AMBIGUOUS_COMMA = re.compile(r"^[+-]?\d{1,3},\d{3}$")


@dataclass(frozen=True, repr=False)
class Programme(ResultDisplay):
    """A restructuring programme's records, validated.

    Attributes
    ----------
    name
        Name of the data folder (e.g. ``vestre_toten``).
    budget, projects, firms, participants, jobs, survey
        The tables of ``docs/data-model.md``; ``participants`` and ``survey``
        are empty frames with the right columns when not supplied.
    inputs
        ``{file name: sha256}`` of every file read, for the report's provenance.
    notes
        Recoverable mistakes in the files that were read correctly, one
        English sentence each naming the file (and column): for the report's
        data-quality appendix.
    """

    name: str
    budget: pd.DataFrame
    projects: pd.DataFrame
    firms: pd.DataFrame
    participants: pd.DataFrame
    jobs: pd.DataFrame
    survey: pd.DataFrame
    inputs: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def _title(self) -> str:
        return f"Programme {self.name}"

    def to_frame(self) -> pd.DataFrame:
        """Rows per table."""
        rows = [
            {"table": t, "rows": len(getattr(self, t))}
            for t in (*REQUIRED_TABLES, *OPTIONAL_TABLES)
        ]
        return pd.DataFrame(rows).set_index("table")

    def notes_frame(self) -> pd.DataFrame:
        """The data-quality notes as a one-column table (empty when the files were clean)."""
        return pd.DataFrame({"note": list(self.notes)}, index=pd.RangeIndex(1, len(self.notes) + 1, name="#"))

    def summary(self) -> str:
        text = (
            f"{len(self.projects)} projects, {len(self.firms)} firms, "
            f"{len(self.jobs)} job registrations, {len(self.survey)} survey answers"
        )
        return text + (f"; {len(self.notes)} data-quality notes" if self.notes else "")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def find_table(folder: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``folder`` (``table.csv`` or ``table.xlsx``).

    Raises
    ------
    InputError
        If both exist, if the table is saved in a format evalkit does not read
        (``.xls``, ``.ods``, ...), or if the name differs only in case.
    """
    found = [folder / f"{table}{suffix}" for suffix in _SUFFIXES if (folder / f"{table}{suffix}").is_file()]
    if len(found) > 1:
        raise InputError(
            f"both {found[0].name} and {found[1].name} exist for the table '{table}'.",
            file=folder,
            hint="Keep one of them.",
        )
    if found:
        return found[0]
    for suffix, advice in _OTHER_FORMATS.items():
        other = folder / f"{table}{suffix}"
        if other.is_file():
            raise InputError(f"is {advice}.", file=other, hint=f"evalkit reads {table}.csv or {table}.xlsx.")
    near = [
        p for p in sorted(folder.iterdir())
        if p.is_file() and p.stem.strip().lower() == table and p.suffix.lower() in _SUFFIXES
    ]
    if near:
        raise InputError(
            f"looks like the table '{table}' but its name is not exactly {table}{near[0].suffix.lower()}.",
            file=near[0],
            hint=f"Rename it to {table}{near[0].suffix.lower()} (lower case, no spaces).",
        )
    return None


# --- reading a file as a table of text ----------------------------------------------------------


def decode_text(data: bytes, path: Path | str) -> tuple[str, list[str]]:
    """Decode a text table's bytes: UTF-8 (with or without BOM), else Windows-1252/Latin-1.

    Returns
    -------
    text, notes
        The text, and a sentence for each recoverable mistake found.

    Raises
    ------
    InputError
        If the file is empty, or holds binary data (e.g. a workbook saved with
        a ``.csv`` name).
    """
    name = Path(str(path)).name
    notes: list[str] = []
    if not data.strip(b" \t\r\n\x00"):
        raise InputError("is empty.", file=path, hint="It needs a header row and data rows.")
    if data[:4] == b"PK\x03\x04":
        raise InputError(
            "is an Excel workbook (or another zip file), not CSV text.",
            file=path,
            hint=f"Rename it to {Path(name).stem}.xlsx, or save it from Excel as CSV UTF-8.",
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Excel's "Unicode text" is UTF-16 with a byte-order mark: unambiguous.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("is not valid UTF-16 text.", file=path, hint="Save it as CSV UTF-8.") from None
        notes.append(f"{name} was saved as UTF-16 (\"Unicode text\"); it was read as such.")
    elif data[:3] == b"\xef\xbb\xbf":
        try:
            text = data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"starts with a UTF-8 byte-order mark but is not UTF-8 (byte {exc.start + 3}).",
                file=path,
                hint="Save it as CSV UTF-8.",
            ) from None
        notes.append(f"{name} starts with a UTF-8 byte-order mark (BOM, as Excel saves CSV UTF-8); it was ignored.")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if b"\x00" in data:
                raise InputError("holds binary data, not text.", file=path, hint="Save it as CSV UTF-8.") from None
            # Norwegian files that are not UTF-8 are Windows-1252 (Excel) or Latin-1 (SSB exports).
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "Latin-1"
            notes.append(_ENCODING_NOTE.format(name=name, encoding=encoding) + _ENCODING_EXAMPLE.format(
                example=f"e.g. '{_word_around(text, exc.start)}'"))
    if "\x00" in text:
        raise InputError("holds binary data (NUL characters), not text.", file=path, hint="Save it as CSV UTF-8.")
    return text, notes


_ENCODING_NOTE = "{name} is not UTF-8; it was read as {encoding} (Latin-1)"
_ENCODING_EXAMPLE = ", so that {example} reads right."


def _encoding_example(frame: pd.DataFrame, table: str | None) -> str | None:
    """What the encoding note shows: the first non-ASCII cell, unless it names a firm (then where it is)."""
    hidden = set(FIRM_IDENTIFYING.get(table or "", ()))
    first_hidden = None
    for column in frame.columns:
        for row, value in zip(frame.index, frame[column].tolist()):
            if isinstance(value, str) and not value.isascii():
                if _normal(column) not in hidden:
                    return _ENCODING_EXAMPLE.format(example=f"e.g. '{value[:40]}'")
                if first_hidden is None or row < first_hidden[0]:
                    first_hidden = (row, column)
                break
    if first_hidden is not None:
        return f", so that letters such as æ, ø and å read right (the first in row {first_hidden[0]}, column '{first_hidden[1]}')."
    return None


def _word_around(text: str, position: int) -> str:
    start = max(text.rfind(c, 0, position) for c in ",;\t\n\r") + 1
    ends = [i for i in (text.find(c, position) for c in ",;\t\n\r") if i != -1]
    return text[start:min(ends) if ends else len(text)].strip()[:40]


def _normal(name: str) -> str:
    return str(name).replace("\ufeff", "").strip().lower()


def _choose_separator(header: str, table: str | None) -> str:
    """``,`` unless the header line only makes sense split by ``;`` or a tab."""
    expected = {c for c in SCHEMAS[table].columns} if table in SCHEMAS else set()

    def score(sep: str) -> int:
        fields = next(csv.reader([header], delimiter=sep), [])
        return len({_normal(f) for f in fields} & expected) if expected else len(fields)

    best = max((",", ";", "\t"), key=lambda s: (score(s), s == ","))
    return best if score(best) > score(",") else ","


def parse_csv_text(text: str, path: Path | str, table: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Parse CSV text into a frame of strings indexed by the row number in the file.

    Returns
    -------
    frame, notes
        Cells stripped, blank cells missing, blank rows dropped; the index is
        the row number a person sees (header = row 1).
    """
    name = Path(str(path)).name
    notes: list[str] = []
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip(" \t,;")), None)
    if first is None:
        raise InputError("has no header row (only blank lines).", file=path, hint="The first line must name the columns.")
    if first > 0:
        raise InputError(
            f"starts with {first} blank line(s) before the header.",
            file=path,
            row=1,
            hint="Delete the blank lines above the column names.",
        )
    sep = _choose_separator(lines[0], table)
    if sep != ",":
        notes.append(f"{name} uses '{'tab' if sep == chr(9) else sep}' between columns (as Norwegian Excel saves CSV); it was read that way.")
    header = next(csv.reader([lines[0]], delimiter=sep), [])
    names = [str(h).replace("\ufeff", "").strip() for h in header]
    seen: dict[str, int] = {}
    for position, column in enumerate(names):
        if column and column in seen:
            raise InputError(
                f"the column '{column}' appears twice (columns {seen[column] + 1} and {position + 1}).",
                file=path,
                row=1,
                column=column,
                hint="Delete or rename one of them.",
            )
        seen[column] = position
    # The csv module, not pandas, so that a row with too many cells is an error (pandas would
    # silently turn the first column into an index) and an unclosed quote is caught (strict).
    records: list[list[str]] = []
    numbers: list[int] = []
    blank: list[int] = []  # blank rows are counted, never built into the frame
    row = 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        next(reader)  # the header, read above
        for record in reader:
            row += 1
            if not "".join(record).strip():
                blank.append(row)
                continue
            if len(record) > len(names) and any(cell.strip() for cell in record[len(names):]):
                raise InputError(
                    f"has {len(record)} cells where the header has {len(names)}.",
                    file=path,
                    row=row,
                    hint="A value probably holds an unquoted separator (e.g. a comma decimal in a "
                    "comma-separated file): quote it, or save the file from Excel as CSV UTF-8.",
                )
            records.append((record + [""] * len(names))[: len(names)])
            numbers.append(row)
    except csv.Error as exc:
        raise InputError(
            f"has an unclosed or misplaced quote (\") in or after row {row + 1} ({exc}).",
            file=path,
            row=row + 1,
            hint="Check the quotes in that row.",
        ) from None
    frame = pd.DataFrame(records, columns=range(len(names)), dtype=object) if records else pd.DataFrame(
        columns=range(len(names)), dtype=object
    )
    frame.columns = [n or f"(column {i + 1})" for i, n in enumerate(names)]
    frame.index = pd.Index(numbers, dtype="int64")
    frame, blank_notes = _tidy_cells(frame, name)
    return frame, notes + _blank_notes(name, blank, numbers[-1] if numbers else None) + blank_notes


def _blank_notes(name: str, blank: list[int], last_data: int | None) -> list[str]:
    """Notes on blank rows (ascending row numbers): those after the last data row, and those between."""
    notes = []
    trailing = [r for r in blank if last_data is None or r > last_data]
    inner = blank[: len(blank) - len(trailing)]
    if trailing:
        notes.append(f"{name} ends with {len(trailing)} blank row(s); they were ignored.")
    if inner:
        notes.append(f"{name} has blank row(s) {_rows_text(inner)}; they were ignored.")
    return notes


def _tidy_cells(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Strip cells, make blank cells missing, drop blank rows (saying which)."""
    notes: list[str] = []
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    cells = [[_cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    index = list(frame.index)
    blank = [all(v is None for v in row) for row in cells]
    if any(blank):
        # One pass (a sheet may end with hundreds of thousands of blank rows).
        last_data = max((r for r, b in zip(index, blank) if not b), default=None)
        notes += _blank_notes(name, [r for r, b in zip(index, blank) if b], last_data)
        cells = [row for row, b in zip(cells, blank) if not b]
        index = [r for r, b in zip(index, blank) if not b]
    tidy = pd.DataFrame(cells, columns=list(frame.columns), index=pd.Index(index, dtype="int64"), dtype=object)
    return tidy, notes


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:5])
    return shown + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")


def read_excel_table(path: Path, table: str | None = None, data: bytes | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read a table from an ``.xlsx`` workbook as text, indexed by Excel row number.

    The sheet is the one named like the table, else the only non-empty one.
    The header is the first row, or the one row among the first ten that
    holds all the table's columns (a title or merged cells above it).

    Raises
    ------
    InputError
        If the workbook cannot be read, the sheet is ambiguous, or no header
        row can be found without guessing.
    """
    notes: list[str] = []
    data = data if data is not None else read_file_bytes(path)
    book = _open_workbook(data, path)
    try:
        return _read_book(book, path, table, notes)
    finally:
        book.close()


def _read_book(book, path: Path, table: str | None, notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    name = path.name
    sheets, hidden, layout = _read_sheets(book, path)
    filled = {s: rows for s, rows in sheets.items() if rows and s not in hidden}
    named = [s for s in sheets if table and _normal(s) == table and s not in hidden]
    for sheet_name in sheets:
        if sheet_name in hidden and table and _normal(sheet_name) == table:
            notes.append(f"{name}: the sheet '{sheet_name}' is hidden and was not read (hidden sheets never are).")
    if named:
        sheet = named[0]
    elif len(filled) == 1:
        sheet = next(iter(filled))
    elif not filled:
        with_data = [s for s, rows in sheets.items() if rows]
        if with_data:
            raise InputError(
                f"holds data only on hidden sheets ({', '.join(repr(s) for s in with_data)}).",
                file=path,
                hint="Unhide the sheet with the table (Excel: right-click a sheet tab, Unhide), or copy it to a visible sheet.",
            )
        raise InputError("is empty (no sheet has any cells).", file=path, hint="It needs a header row and data rows.")
    else:
        raise InputError(
            f"has {len(filled)} sheets with data ({', '.join(repr(s) for s in filled)}) and none is named '{table}'.",
            file=path,
            hint=f"Name the sheet with the table '{table}', or delete the other sheets.",
        )
    if len(sheets) > 1:
        notes.append(f"{name} has {len(sheets)} sheets; the table was read from the sheet '{sheet}'.")
    width = max(len(r) for r in sheets[sheet])
    raw = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in sheets[sheet]], dtype=object)
    header_row = _header_row(raw, table, path, sheet)
    if header_row > 0:
        notes.append(
            f"{name}: the column names are in row {header_row + 1} of the sheet '{sheet}'; "
            f"the {header_row} row(s) above (a title or merged cells) were ignored."
        )
    names = [str(v).strip() for v in raw.iloc[header_row]]
    sheet_layout = _sheet_layout(book, sheet, path, layout, names)
    seen: dict[str, int] = {}
    for position, column in enumerate(names):
        if column and column in seen:
            raise InputError(
                f"the column '{column}' appears twice (columns {seen[column] + 1} and {position + 1}).",
                file=path,
                row=header_row + 1,
                column=column,
                hint="Delete or rename one of them.",
            )
        seen[column] = position
    frame = raw.iloc[header_row + 1:].copy()
    frame.columns = [n or f"(column {i + 1})" for i, n in enumerate(names)]
    # Excel rows are 1-based: data row k of the frame sits in sheet row header_row + 2 + k.
    frame.index = pd.RangeIndex(header_row + 2, header_row + 2 + len(frame))
    frame, blank_notes = _tidy_cells(frame, name)
    frame.attrs["header_row"] = header_row + 1
    frame.attrs["merged"] = sheet_layout.merged
    frame.attrs["date_cells"] = sheet_layout.dates
    hidden_rows = [r for r in sheet_layout.hidden_rows if r > header_row + 1 and r in set(frame.index)]
    if hidden_rows:
        how = "hidden or filtered out (the sheet has a filter)" if sheet_layout.filtered else "hidden"
        notes.append(
            f"{name}: {len(hidden_rows)} row(s) of the sheet '{sheet}' are {how} ({_rows_text(hidden_rows)}); "
            "they were read like the others (a hidden row is still a row of the table)."
        )
    return frame, notes + blank_notes


#: An .xlsx whose parts unpack to more than this is refused before it is parsed (a zip bomb, or
#: a workbook far larger than any programme's records).
MAX_XLSX_UNPACKED = 200 * 2**20
#: A cell longer than this (characters) is refused: no field of the data model is near it.
MAX_CELL_CHARS = 2**20


@dataclass(frozen=True)
class _Layout:
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (first row, first column, last row, last column)
    hidden_rows: tuple[int, ...] = ()
    filtered: bool = False
    dates: frozenset = frozenset()  # (sheet row, sheet column) of cells Excel holds as dates


def _open_workbook(data: bytes, path: Path):
    """The workbook, read-only with cached values; refused if it unpacks to too much."""
    import openpyxl

    hint = "Open it in Excel and save it again as .xlsx, or as CSV UTF-8."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(f"cannot be read as an Excel workbook ({type(exc).__name__}).", file=path, hint=hint) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise InputError(
            f"unpacks to {unpacked / 2**20:.0f} MB, more than the {MAX_XLSX_UNPACKED / 2**20:.0f} MB evalkit opens.",
            file=path,
            hint="Delete unused sheets, images and formatting, or save the table as CSV UTF-8.",
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, TypeError) as exc:
        raise InputError(f"cannot be read as an Excel workbook ({type(exc).__name__}).", file=path, hint=hint) from None
    except Exception as exc:  # openpyxl raises its own kinds for a broken workbook
        raise InputError(f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc}).", file=path, hint=hint) from None


def _excel_text(value: Any) -> str:
    """A cell's value as the text a CSV export would hold ('' when blank)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _read_sheets(book, path: Path) -> tuple[dict[str, list[tuple]], set[str], dict[str, _Layout]]:
    """Every sheet's rows as text, trailing blank rows dropped (in linear time), and which are hidden."""
    sheets: dict[str, list[tuple]] = {}
    hidden: set[str] = set()
    layout: dict[str, _Layout] = {}
    try:
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                hidden.add(sheet.title)
            rows: list[tuple] = []
            dates: set[tuple[int, int]] = set()
            last = 0  # rows up to the last one with a value; blank rows after it are never kept
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                    if last:
                        rows.append(())
                    continue
                cells = []
                for column, value in enumerate(values, start=1):
                    if isinstance(value, (datetime.date, datetime.time)):
                        dates.add((number, column))
                    text = _excel_text(value)
                    if len(text) > MAX_CELL_CHARS:
                        raise InputError(
                            f"a cell of the sheet '{sheet.title}' holds {len(text)} characters "
                            f"(more than {MAX_CELL_CHARS}).",
                            file=path, row=number, hint="No field of the data model is that long: check the cell.",
                        )
                    cells.append(text)
                while len(rows) < number - 1:
                    rows.append(())
                rows.append(tuple(cells))
                last = number
            sheets[sheet.title] = rows[:last]
            layout[sheet.title] = _Layout(dates=frozenset(dates))
    except InputError:
        raise
    except Exception as exc:  # a broken part found while reading the rows
        raise InputError(
            f"cannot be read as an Excel workbook ({type(exc).__name__}).",
            file=path, hint="Open it in Excel and save it again as .xlsx, or as CSV UTF-8.",
        ) from None
    return sheets, hidden, layout


_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')


def _column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(letter) - 64
    return number


def _sheet_layout(book, sheet: str, path: Path, layout: dict[str, _Layout], names: list[str]) -> _Layout:
    """What the values alone do not show: merged ranges, hidden rows, a filter, formulas without values.

    Read from the sheet's XML (openpyxl's read-only mode does not keep them).

    Raises
    ------
    InputError
        For a formula cell without a saved value (a workbook written by a
        program, not saved by Excel): its value is unknown.
    """
    source = book[sheet]
    part = getattr(source, "_worksheet_path", None)
    archive = getattr(book, "_archive", None)
    base = layout.get(sheet, _Layout())
    if part is None or archive is None:
        return base
    try:
        xml = archive.read(part)
    except (KeyError, OSError, ValueError):
        return base
    merged = tuple(
        (int(r1), _column_number(c1), int(r2), _column_number(c2)) for c1, r1, c2, r2 in _MERGED.findall(xml)
    )
    hidden_rows: tuple[int, ...] = ()
    if b'hidden="' in xml:
        hidden_rows = tuple(
            int(_ROW_NUMBER.search(tag).group(1)) for tag in _ROW_TAG.findall(xml)
            if _HIDDEN.search(tag) and _ROW_NUMBER.search(tag)
        )
    filtered = b"autoFilter" in xml
    if b"<f" in xml or b":f>" in xml or b":f " in xml:
        _check_formulas(xml, sheet, path, names)
    return _Layout(merged=merged, hidden_rows=hidden_rows, filtered=filtered, dates=base.dates)


def _check_formulas(xml: bytes, sheet: str, path: Path, names: list[str]) -> None:
    from xml.etree import ElementTree

    for _, element in ElementTree.iterparse(io.BytesIO(xml)):
        if element.tag.rsplit("}", 1)[-1] != "c":
            continue
        children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
        if "f" in children and (children.get("v") is None or not (children["v"].text or "").strip()):
            ref = element.get("r", "")
            letters = "".join(ch for ch in ref if ch.isalpha())
            digits = "".join(ch for ch in ref if ch.isdigit())
            formula = (children["f"].text or "").strip()
            raise InputError(
                f"the cell {ref} of the sheet '{sheet}' holds a formula without a saved value"
                + (f" (={formula[:60]})" if formula else "") + ".",
                file=path,
                row=int(digits) if digits else None,
                column=(names[_column_number(letters) - 1] or None) if letters and _column_number(letters) <= len(names)
                else letters or None,
                hint="Open and save it in Excel (which saves the values), or paste values (Paste Special, Values).",
            )
        element.clear()


def _header_row(raw: pd.DataFrame, table: str | None, path: Path, sheet: str) -> int:
    if raw.empty or table not in SCHEMAS:
        return 0
    expected = set(SCHEMAS[table].columns)
    found = [
        len({_normal(v) for v in raw.iloc[r]} & expected)
        for r in range(min(_HEADER_SEARCH_ROWS, len(raw)))
    ]
    if found[0] == len(expected):
        return 0
    complete = [r for r, n in enumerate(found) if n == len(expected)]
    if len(complete) == 1:
        return complete[0]
    if complete:
        raise InputError(
            f"rows {', '.join(str(r + 1) for r in complete)} of the sheet '{sheet}' all look like the header.",
            file=path,
            hint="Keep one header row at the top of the sheet.",
        )
    partial = [r for r, n in enumerate(found) if n > 0]
    union = set().union(*({_normal(v) for v in raw.iloc[r]} & expected for r in partial)) if partial else set()
    if len(partial) > 1 and union == expected:
        raise InputError(
            f"the column names are spread over rows {', '.join(str(r + 1) for r in partial)} of the sheet "
            f"'{sheet}' (a header of several rows, perhaps merged cells).",
            file=path,
            row=partial[0] + 1,
            hint="Put all column names in one row at the top and unmerge the cells.",
        )
    return 0


def read_table_bytes(data: bytes, path: Path | str, table: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV table from its bytes: decode, find the separator, parse (see :func:`parse_csv_text`)."""
    text, notes = decode_text(data, path)
    frame, more = parse_csv_text(text, path, table)
    # The encoding note's example is chosen from the parsed cells, so that it never quotes a
    # firm's name or organisation number (the notes are published in the report).
    head = _ENCODING_NOTE.format(name=Path(str(path)).name, encoding="")[: -len(" (Latin-1)")]
    for i, note in enumerate(notes):
        if note.startswith(head):
            example = _encoding_example(frame, table)
            note = note.split(", so that ")[0]
            notes[i] = note + (example or ".")
    return frame, notes + more


def read_raw_table(path: Path, table: str | None = None, data: bytes | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV or ``.xlsx`` file as text, indexed by row number, with notes on what was recovered.

    ``data`` are the file's bytes when already read (the loader hashes exactly what it parses).
    """
    path = Path(path)
    table = table or path.stem
    if data is None:
        data = read_file_bytes(path)
    if path.suffix.lower() == ".xlsx":
        return read_excel_table(path, table, data=data)
    return read_table_bytes(data, path, table)


def read_file_bytes(path: Path) -> bytes:
    """A file's bytes; a file that cannot be read is an :class:`InputError`, not an ``OSError``."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror or type(exc).__name__}).",
            file=path,
            hint="Check that the file is readable (its permissions, or whether another program locks it).",
        ) from None


# --- checking a table against its schema --------------------------------------------------------


class FileRows(list):
    """Row numbers in the file, by position: a list that pandas' ``attrs`` copies in O(1).

    pandas deep-copies ``attrs`` on nearly every operation (each column taken out of a frame);
    a plain list of 200 000 row numbers made that the loader's main cost. Never changed after
    the loader makes it, so a copy may share it.
    """

    def __deepcopy__(self, memo: dict) -> "FileRows":
        return self

    def __copy__(self) -> "FileRows":
        return self


def file_row(frame: pd.DataFrame, position: int) -> int:
    """The row a person sees in the file for the frame's row at ``position`` (0-based).

    The loader keeps each row's number in the file in ``attrs["file_rows"]``:
    blank rows dropped and an Excel header below row 1 would make
    ``position + 2`` wrong. A frame built in code is numbered as a spreadsheet
    with its header in row 1.
    """
    rows = frame.attrs.get("file_rows") if hasattr(frame, "attrs") else None
    if rows is not None and 0 <= position < len(rows):
        return int(rows[position])
    return int(position) + 2


def _match_columns(frame: pd.DataFrame, table: str, path: Path | str, notes: list[str]) -> pd.DataFrame:
    """Rename headers that differ from the schema only in case or spacing; reject missing ones."""
    schema = SCHEMAS[table]
    name = Path(str(path)).name
    present = {_normal(c): c for c in frame.columns}
    renames = {}
    for column in schema.columns:
        if column not in frame.columns and column in present:
            renames[present[column]] = column
    if renames:
        frame = frame.rename(columns=renames)
        notes.append(
            f"{name}: the column name(s) {', '.join(repr(k) for k in renames)} were read as "
            f"{', '.join(repr(v) for v in renames.values())}."
        )
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in schema.columns]
        close = difflib.get_close_matches(missing[0], extra, n=1, cutoff=0.6)
        raise InputError(
            f"the column '{missing[0]}' is missing" + (f" (is '{close[0]}' a misspelling of it?)." if close else "."),
            file=path,
            row=frame.attrs["header_row"] if frame.attrs.get("header_row", 1) != 1 else None,
            column=missing[0],
            hint=f"Columns of '{table}': {', '.join(schema.columns)} (see docs/data-model.md).",
        )
    return frame


def check_table(
    frame: pd.DataFrame, table: str, path: Path | str, notes: list[str] | None = None
) -> pd.DataFrame:
    """Coerce and check one table of text against the schema's declaration.

    ``frame`` is indexed by the row numbers of the file (as returned by the
    readers). The checks are those declared in :data:`evalkit.io.schema.SCHEMAS`
    (types, empty cells, uniqueness, allowed values, ranges, patterns), done
    here cell by cell so that the *first* bad cell in the file is named.
    (Plain Python over the cells: programme tables are small, and this is
    ten times faster than pandas' per-column machinery on them.)

    Returns
    -------
    DataFrame
        Coerced, with a fresh ``RangeIndex``; ``attrs["file_rows"]`` maps
        positions back to row numbers in the file.

    Raises
    ------
    InputError
        For the first bad cell (lowest row, then the schema's column order).
    """
    if table not in SCHEMAS:
        raise InputError(f"'{table}' is not a table of the data model.", file=path)
    notes = notes if notes is not None else []
    schema = SCHEMAS[table]
    merged_ranges = frame.attrs.get("merged", ())
    positions = {c: i for i, c in enumerate(frame.columns, start=1)}  # sheet columns of an Excel table
    frame = _match_columns(frame, table, path, notes)
    positions = dict(zip(frame.columns, positions.values()))
    if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 or not pd.api.types.is_integer_dtype(frame.index):
        # A frame not from the readers: number its rows as a spreadsheet would (header = row 1).
        rows = list(range(2, len(frame) + 2))
    else:
        rows = [int(i) for i in frame.index]
    name = Path(str(path)).name
    problems: list[tuple[int, int, InputError]] = []  # (row, column order, error)
    out: dict[str, Any] = {}

    def fail(order: int, row: int, problem: str, column: str, hint: str | None) -> None:
        problems.append((row, order, InputError(problem, file=path, row=row, column=column, hint=hint)))

    for order, (column, spec) in enumerate(schema.columns.items()):
        cells = [_cell_text(v) for v in frame[column].tolist()]
        dtype = str(spec.dtype)
        if column in BOOLEAN_COLUMNS.get(table, ()):
            flags = []
            for row, cell in zip(rows, cells):
                word = (cell or "").lower()
                if word not in _TRUE and word not in _FALSE:
                    fail(order, row, f"'{cell or ''}' is not a yes/no value.", column, "Use true or false.")
                    break
                flags.append(word in _TRUE)
            out[column] = pd.Series(flags if len(flags) == len(cells) else [False] * len(cells), dtype=bool)
            continue
        values: list[Any] = cells
        if dtype in ("float64", "int64", "Int64"):
            integer = dtype != "float64"
            numbers, error, recovered = _to_numbers(cells, rows, integer=integer)
            if error is not None:
                row, problem, hint = error
                fail(order, row, problem, column, hint)
                continue
            if recovered:
                row, text, number = recovered[0]
                notes.append(
                    f"{name}, column '{column}': {len(recovered)} value(s) written the Norwegian way "
                    f"(e.g. '{text}' in row {row}) were read as numbers ({number:g})."
                )
            values = numbers
        if not spec.nullable:
            empty = next((row for row, v in zip(rows, values) if v is None), None)
            if empty is not None:
                merged = _merged_range(merged_ranges, empty, positions.get(column))
                if merged:
                    fail(order, empty, f"is part of the merged cells {merged}, whose value only the first cell holds.",
                         column, "Unmerge the cells in Excel and fill in the value in every row.")
                else:
                    fail(order, empty, "is empty.", column, "Fill in a value.")
        present = [(row, v) for row, v in zip(rows, values) if v is not None]
        for check in spec.checks:
            bad = _failed(check, present)
            if bad is not None:
                fail(order, bad[0], bad[1], column, bad[2])
        if spec.unique:
            first_row: dict[Any, int] = {}
            for row, v in present:
                if v in first_row:
                    fail(order, row, f"'{v}' appears again (first in row {first_row[v]}).", column,
                         "Each value in this column must be unique.")
                    break
                first_row[v] = row
        if dtype == "float64":
            out[column] = pd.Series([math.nan if v is None else v for v in values], dtype=float)
        elif dtype in ("int64", "Int64"):
            out[column] = pd.array([pd.NA if v is None else int(v) for v in values], dtype="Int64")
        else:
            out[column] = pd.Series(values, dtype=object)
    if problems:
        problems.sort(key=lambda p: (p[0], p[1]))
        raise problems[0][2]
    result = pd.DataFrame(out, index=pd.RangeIndex(len(rows)))
    for column in frame.columns:
        if column not in result.columns:
            result[column] = [_cell_text(v) for v in frame[column].tolist()]
    result.attrs["source_file"] = str(path)
    result.attrs["file_rows"] = FileRows(rows)
    return result


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _merged_range(ranges, row: int, column: int | None) -> str | None:
    """The merged range (``A5:A7``) holding the cell, if it is not the range's first cell."""
    if column is None:
        return None
    for r1, c1, r2, c2 in ranges:
        if r1 <= row <= r2 and c1 <= column <= c2 and (row, column) != (r1, c1):
            return f"{_column_letters(c1)}{r1}:{_column_letters(c2)}{r2}"
    return None


def _cell_text(value: Any) -> str | None:
    """A cell as stripped text, or None when blank."""
    if value is None or value is pd.NA or isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _failed(check: Any, present: list[tuple[int, Any]]) -> tuple[int, str, str | None] | None:
    """The first (row, problem, hint) failing a declared pandera check."""
    stats = check.statistics
    name = check.name
    if name == "isin":
        allowed = [str(a) for a in stats["allowed_values"]]
        for row, value in present:
            if str(value) not in allowed:
                close = difflib.get_close_matches(str(value).lower().replace(" ", "_"), allowed, n=1, cutoff=0.6)
                return row, f"'{value}' is not an allowed value.", (
                    (f"Did you mean '{close[0]}'? " if close else "") + f"Use one of: {', '.join(sorted(allowed))}."
                )
    elif name == "str_matches":
        pattern = re.compile(stats["pattern"])
        for row, value in present:
            if not pattern.match(str(value)) or not str(value).isascii():
                return row, f"'{value}' is not a 9-digit organisation number.", "Write it as 9 digits without spaces."
    elif name == "str_length":
        for row, value in present:
            if len(str(value)) < (stats.get("min_value") or 0):
                return row, "is empty.", "Fill in a value."
    elif name == "greater_than_or_equal_to":
        for row, value in present:
            if value < stats["min_value"]:
                return row, f"'{value:g}' is negative.", "Amounts and jobs must be >= 0."
    elif name == "less_than_or_equal_to":
        for row, value in present:
            if value > stats["max_value"]:
                return row, f"'{value:g}' full-time equivalents in one row is not plausible (more than {stats['max_value']:,}).".replace(",", " "), (
                    "Check the value: FTE are full-time jobs of one firm in one project and year.")
    elif name == "in_range":
        for row, value in present:
            if not stats["min_value"] <= value <= stats["max_value"]:
                return row, f"'{value:g}' is not a plausible year.", (
                    f"Write a four-digit year between {stats['min_value']} and {stats['max_value']}."
                )
    return None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$|^\d{1,2}\.\d{1,2}\.\d{2,4}$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _to_numbers(
    cells: list[str | None], rows: list[int], *, integer: bool
) -> tuple[list[float | None], tuple[int, str, str] | None, list[tuple[int, str, float]]]:
    # Coerced here, not by pandera, so that the first bad cell is named with its row.
    numbers: list[float | None] = []
    recovered: list[tuple[int, str, float]] = []
    kind = "a whole number" if integer else "a number"
    hint = "Write plain numbers with '.' as decimal mark and no thousands separators, e.g. 125000.50."
    for row, cell in zip(rows, cells):
        if cell is None:
            numbers.append(None)
            continue
        if _PLAIN_NUMBER.match(cell):
            number = float(cell)
        else:
            parsed, was_recovered, ambiguity = parse_number(cell)
            if parsed is None and _DATE.match(cell):
                return numbers, (row, f"'{cell}' holds a date, not {'a year' if integer else 'a number'}.", (
                    "Write the year as a number, e.g. 2012 (in Excel, format the column as Number: a year "
                    "typed into a date cell shows as a date in 1905)." if integer else
                    "Write the number itself (in Excel, format the column as Number)."
                )), recovered
            if parsed is None:
                return numbers, (row, f"'{cell}' is not {kind}" + (f" ({ambiguity})." if ambiguity else "."), hint), recovered
            number = parsed
            recovered.append((row, cell, number))
        if not math.isfinite(number) or integer and abs(number) >= _MAX_EXACT:
            return numbers, (row, f"'{cell}' is too large to be {kind}.", hint), recovered
        if integer and number % 1 != 0:
            return numbers, (row, f"'{cell}' is not a whole number.", "Write a whole number, e.g. 2012."), recovered
        numbers.append(number)
    return numbers, None, recovered


def parse_number(text: str) -> tuple[float | None, bool, str | None]:
    """Read a number as a person in Norway may write it.

    Returns
    -------
    number, recovered, ambiguity
        ``number`` is ``None`` if the text is not a number; ``recovered`` says
        it was written with comma decimals or thousands separators;
        ``ambiguity`` explains why a number-like text was *not* read.
    """
    text = text.strip().replace("\u2212", "-")  # the typographic minus Excel/Word produce
    if _AMBIGUOUS_COMMA.match(text):
        return None, False, "could be a comma decimal or a thousands separator"
    cleaned = None
    if _NO_SPACE_THOUSANDS.match(text):
        cleaned = re.sub(_SPACES, "", text).replace(",", ".")
    elif _NO_DOT_THOUSANDS_COMMA_DECIMAL.match(text):
        cleaned = text.replace(".", "").replace(",", ".")
    elif _NO_DOTS_THOUSANDS.match(text):
        cleaned = text.replace(".", "")
    elif _EN_COMMA_THOUSANDS.match(text):
        cleaned = text.replace(",", "")
    elif _COMMA_DECIMAL.match(text):
        cleaned = text.replace(",", ".")
    if cleaned is None:
        return None, False, None
    try:
        return float(cleaned), True, None
    except ValueError:
        return None, False, None


def validate_table(frame: pd.DataFrame, table: str, path: Path | str, notes: list[str] | None = None) -> pd.DataFrame:
    """Check a table (:func:`check_table`), then let pandera coerce it to the declared dtypes.

    pandera's validation is kept as the guard of the data model (dtypes);
    the row-precise messages come from :func:`check_table`.
    """
    checked = check_table(frame, table, path, notes)
    attrs = dict(checked.attrs)
    try:
        valid = SCHEMAS[table].validate(checked, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        raise _first_failure(errors, checked, path) from None
    valid.attrs.update(attrs)
    return valid


def _first_failure(errors: pandera.errors.SchemaErrors, frame: pd.DataFrame, path: Path | str) -> InputError:
    # A fallback: check_table should have caught every declared check first.
    cases = errors.failure_cases.copy()
    cases["_row"] = pd.to_numeric(cases["index"], errors="coerce")
    cases = cases.sort_values(["_row", "column"], na_position="first", kind="stable")
    case = cases.iloc[0]
    column = case["column"] if isinstance(case["column"], str) else None
    row = file_row(frame, int(case["_row"])) if not pd.isna(case["_row"]) else None
    return InputError(f"'{case['failure_case']}' fails the check {case['check']}.", file=path, row=row, column=column)


def _empty(table: str) -> pd.DataFrame:
    schema = SCHEMAS[table]
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in schema.columns})
    for column in BOOLEAN_COLUMNS.get(table, ()):
        frame[column] = frame[column].astype(bool)
    for name, column in schema.columns.items():
        if str(column.dtype) in ("float64", "int64", "Int64"):
            frame[name] = frame[name].astype(float if str(column.dtype) == "float64" else "Int64")
    return schema.validate(frame)


def load_programme(folder: str | Path) -> Programme:
    """Load and validate a programme's records from a folder.

    Parameters
    ----------
    folder
        A folder with ``budget``, ``projects``, ``firms``, ``jobs`` and
        optionally ``participants`` and ``survey`` tables, each as ``.csv``
        (UTF-8) or ``.xlsx``. See ``docs/data-model.md``.

    Returns
    -------
    Programme
        With :attr:`Programme.notes` on the recoverable mistakes that were
        read correctly.

    Raises
    ------
    InputError
        If a file is missing or unreadable, a column is missing, a value has
        the wrong type or range, an id is duplicated, or a row refers to a
        project or firm that does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "does not exist." if not folder.exists() else "is not a folder.",
            file=folder,
            hint="Give the programme's data folder.",
        )
    tables: dict[str, pd.DataFrame] = {}
    inputs: dict[str, str] = {}
    notes: list[str] = []
    ignored = check_folder_files(folder)
    if ignored:
        notes.append(
            f"The data folder holds {len(ignored)} file(s) that are not tables and were not read: "
            f"{', '.join(ignored[:8])}" + (f" and {len(ignored) - 8} more." if len(ignored) > 8 else ".")
        )
    for table in (*REQUIRED_TABLES, *OPTIONAL_TABLES):
        path = find_table(folder, table)
        if path is None:
            if table in REQUIRED_TABLES:
                raise InputError(
                    f"the table '{table}' is missing.",
                    file=folder,
                    hint=f"Add {table}.csv or {table}.xlsx (see docs/data-model.md).",
                )
            tables[table] = _empty(table)
            continue
        _check_inside(path, folder)
        data = read_file_bytes(path)
        inputs[path.name] = hashlib.sha256(data).hexdigest()  # exactly the bytes parsed
        raw, read_notes = read_raw_table(path, table, data=data)
        notes += read_notes
        if raw.empty and table in _MUST_HAVE_ROWS:
            _match_columns(raw, table, path, [])  # a missing column is the clearer message
            raise InputError("has a header but no data rows.", file=path, row=2, hint=f"Add the {table} rows.")
        tables[table] = validate_table(raw, table, path, notes)
    check_references(tables, folder)
    return Programme(name=folder.name, inputs=inputs, notes=redact_notes(notes, tables), **tables)


#: Put in a note where it would have quoted a value that identifies a firm.
WITHHELD = "[withheld: identifies a firm]"


def redact_notes(notes: list[str], tables: dict[str, pd.DataFrame]) -> tuple[str, ...]:
    """The notes with every quoted value of a firm-identifying column replaced by :data:`WITHHELD`.

    The notes go into the published report's data-quality appendix, where
    firm names and organisation numbers must not appear unless the evaluation
    publishes firm names (the report's firm tables are pseudonymised
    otherwise): a note never quotes them, whatever the setting. The readers
    avoid quoting such cells; this is the check behind them.
    """
    if not notes:
        return ()
    secret = {
        str(v).strip()
        for table, columns in FIRM_IDENTIFYING.items() if table in tables
        for column in columns if column in tables[table].columns
        for v in tables[table][column].tolist() if isinstance(v, str) and v.strip()
    }

    def withhold(match: re.Match) -> str:
        quoted = match.group(1).strip()
        if quoted in secret or any(code in secret for code in re.findall(r"\d{9}", quoted)):
            return WITHHELD
        return match.group(0)

    return tuple(re.sub(r"'([^']*)'", withhold, note) for note in notes)


#: Files that are obviously not tables (notes, system and lock files): ignored, and listed in the notes.
_NOT_TABLES = re.compile(
    r"^(readme|license|licence|provenance|changelog|notes?)(\.[a-z0-9]+)?$"  # notes beside the data
    r"|\.(md|rst|pdf|docx?|txt|log|bak|old|tmp|orig)$"  # documents, backups
    r"|^\.ds_store$|^thumbs\.db$|^desktop\.ini$|^icon\r?$"  # macOS / Windows folder files
    r"|^\.~lock\..*#$|^~\$|^~.*\.tmp$|^\._|~$|\.swp$",  # LibreOffice/Excel lock files, editor files
    re.IGNORECASE,
)


def _table_names() -> list[str]:
    return [*REQUIRED_TABLES, *OPTIONAL_TABLES]


def check_folder_files(folder: Path) -> list[str]:
    """Check that every file in the data folder is a table; return the obvious non-tables it holds.

    Obvious non-tables (a README, ``.DS_Store``, an office lock file such as
    ``.~lock.jobs.csv#`` or ``~$jobs.xlsx``, backups, hidden files and
    folders) are not read, not even opened, and are returned (for a note).

    Raises
    ------
    InputError
        For any other file: a misnamed table (``survey_2017.csv``,
        ``participant.csv``) would otherwise be silently left out.
    """
    tables = _table_names()
    ignored: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        name = entry.name
        stem = Path(name).stem.strip().lower()
        suffix = Path(name).suffix.lower()
        if stem in tables and (suffix in _SUFFIXES or suffix in _OTHER_FORMATS):
            continue  # a table (or one saved in another format): find_table speaks of it
        if name.startswith(".") or _NOT_TABLES.search(name) or entry.is_dir():
            ignored.append(name + ("/" if entry.is_dir() and not entry.is_symlink() else ""))
            continue
        close = difflib.get_close_matches(stem, tables, n=1, cutoff=0.6)
        if not close:
            close = [t for t in tables if t in stem or stem in t][:1]
        raise InputError(
            "is not a table of the data model" + (f" (is it the table '{close[0]}'?)." if close else "."),
            file=entry,
            hint=(f"Rename it to {close[0]}{suffix if suffix in _SUFFIXES else '.csv'}, or move it out of the data folder."
                  if close else f"Tables: {', '.join(tables)} (see docs/data-model.md); move other files out of the data folder."),
        )
    return ignored


def _check_inside(path: Path, folder: Path) -> None:
    """Refuse a table that is a symbolic link to a file outside the data folder."""
    real = Path(os.path.realpath(path))
    home = Path(os.path.realpath(folder))
    if path.is_symlink() and home not in real.parents:
        raise InputError(
            f"is a symbolic link to {real}, outside the data folder.",
            file=path,
            hint="Copy the file into the data folder (the report lists and hashes the files it was made from).",
        )


def check_references(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Check that rows refer to known projects and firms, and that a project's figures agree.

    Raises
    ------
    InputError
        For a reference to an unknown project or firm, a total cost that is
        not the sum of its parts, more paid than approved, jobs registered
        before their project was approved, or a firm answering the survey
        twice about the same project.
    """
    projects = tables["projects"]
    firm_ids = set(tables["firms"]["org_number"])
    project_ids = set(projects["project_id"])
    refs = [
        ("projects", "org_number", firm_ids, "firm", "firms"),
        ("participants", "project_id", project_ids, "project", "projects"),
        ("participants", "org_number", firm_ids, "firm", "firms"),
        ("jobs", "project_id", project_ids, "project", "projects"),
        ("jobs", "org_number", firm_ids, "firm", "firms"),
        ("survey", "project_id", project_ids, "project", "projects"),
        ("survey", "org_number", firm_ids, "firm", "firms"),
    ]
    for table, column, known, what, where in refs:
        frame = tables[table]
        unknown = (~frame[column].isin(known)).to_numpy()
        if unknown.any():
            position = int(np.argmax(unknown))
            raise InputError(
                f"refers to the {what} '{frame[column].iloc[position]}', which is not in {where}.",
                file=frame.attrs.get("source_file", folder / table),
                row=file_row(frame, position),
                column=column,
                hint=f"Add it to {where} or correct the {what}.",
            )
    source = projects.attrs.get("source_file")
    parts = projects[
        ["grant_paid_nok", "cofunding_innovasjon_norge_nok", "cofunding_other_public_nok", "cofunding_private_nok"]
    ].sum(axis=1)
    off = ((parts - projects["total_cost_nok"]).abs() > 1.0).to_numpy()
    if off.any():
        position = int(np.argmax(off))
        raise InputError(
            f"total cost {projects['total_cost_nok'].iloc[position]:.0f} is not the grant paid plus the "
            f"co-funding ({parts.iloc[position]:.0f}).",
            file=source,
            row=file_row(projects, position),
            column="total_cost_nok",
            hint="total_cost_nok = grant_paid_nok + the three cofunding_* columns.",
        )
    over = (projects["grant_paid_nok"] > projects["grant_approved_nok"] + 1.0).to_numpy()
    if over.any():
        position = int(np.argmax(over))
        raise InputError(
            "more grant was paid than approved.",
            file=source,
            row=file_row(projects, position),
            column="grant_paid_nok",
            hint="Check grant_paid_nok and grant_approved_nok.",
        )
    jobs = tables["jobs"]
    approved = jobs["project_id"].map(dict(zip(projects["project_id"], projects["year"])))
    early = (jobs["year"].astype(float) < approved.astype(float)).to_numpy()
    if early.any():
        position = int(np.argmax(early))
        raise InputError(
            f"jobs registered in {jobs['year'].iloc[position]}, before their project "
            f"'{jobs['project_id'].iloc[position]}' was approved ({approved.iloc[position]}).",
            file=jobs.attrs.get("source_file"),
            row=file_row(jobs, position),
            column="year",
            hint="Check the year of the registration or of the project.",
        )
    key = ["project_id", "org_number", "year"]
    again = jobs.duplicated(key, keep="first").to_numpy()
    if again.any():
        position = int(np.argmax(again))
        same = (jobs[key] == jobs[key].iloc[position]).all(axis=1).to_numpy()
        first = int(np.argmax(same))
        raise InputError(
            f"the jobs of the firm '{jobs['org_number'].iloc[position]}' in the project "
            f"'{jobs['project_id'].iloc[position]}' in {_plain(jobs['year'].iloc[position])} are registered twice "
            f"(rows {file_row(jobs, first)} and {file_row(jobs, position)}).",
            file=jobs.attrs.get("source_file"),
            row=file_row(jobs, position),
            hint="Keep one row per project, firm and year (add the FTE up if both are real).",
        )
    members = set(zip(projects["project_id"], projects["org_number"])) | set(
        zip(tables["participants"]["project_id"], tables["participants"]["org_number"])
    )
    survey = tables["survey"]
    for frame, doing in ((jobs, "registered jobs in"), (survey, "answered the survey about")):
        outside = np.array([(p, o) not in members for p, o in zip(frame["project_id"], frame["org_number"])], dtype=bool)
        if outside.any():
            position = int(np.argmax(outside))
            raise InputError(
                f"the firm '{frame['org_number'].iloc[position]}' {doing} the project "
                f"'{frame['project_id'].iloc[position]}', but is neither its applicant nor one of its participants.",
                file=frame.attrs.get("source_file"),
                row=file_row(frame, position),
                column="org_number",
                hint="Add the firm to participants.csv for that project, or correct the project or the firm.",
            )
    support = float(tables["budget"].loc[tables["budget"]["category"] == "project_support", "amount_nok"].sum())
    paid = float(projects["grant_paid_nok"].sum())
    if paid > support + 1.0:
        raise InputError(
            f"the projects were paid {paid:.0f} NOK in grants, more than the budget's project support "
            f"({support:.0f} NOK).",
            file=tables["budget"].attrs.get("source_file", folder / "budget"),
            column="amount_nok",
            hint="Grants are paid from the programme's project support: check the budget rows of category "
                 "project_support, and grant_paid_nok in projects.",
        )
    twice = survey.duplicated(["org_number", "project_id"]).to_numpy()
    if twice.any():
        position = int(np.argmax(twice))
        raise InputError(
            f"the firm '{survey['org_number'].iloc[position]}' answered twice about the project "
            f"'{survey['project_id'].iloc[position]}'.",
            file=survey.attrs.get("source_file"),
            row=file_row(survey, position),
            column="project_id",
            hint="Keep one answer per firm and project.",
        )


def _plain(value: Any) -> Any:
    """A number as a message shows it (``2011``, not ``np.int64(2011)``)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return int(value) if float(value).is_integer() else float(value)
    return value


def check_period(programme: Programme, period: tuple[int, int]) -> None:
    """Check the records against the evaluation period.

    A project approved outside the period cannot be the programme's, and a
    job registered before the programme started cannot be its result; jobs
    registered after the period are real (reported as "after the period"),
    and a budget may plan years beyond it.

    Raises
    ------
    InputError
        Naming the file, row and column ``year``.
    """
    start, end = period
    checks = [
        ("projects", (programme.projects["year"] < start) | (programme.projects["year"] > end),
         "a project approved in {year}, outside the programme period {start}-{end}."),
        ("jobs", programme.jobs["year"] < start,
         "jobs registered in {year}, before the programme period {start}-{end} began."),
        ("budget", programme.budget["year"] < start,
         "funds in {year}, before the programme period {start}-{end} began."),
    ]
    for table, outside, words in checks:
        frame = getattr(programme, table)
        outside = outside.fillna(False).to_numpy(dtype=bool)
        if outside.any():
            position = int(np.argmax(outside))
            raise InputError(
                words.format(year=frame["year"].iloc[position], start=start, end=end),
                file=frame.attrs.get("source_file", table),
                row=file_row(frame, position),
                column="year",
                hint="Correct the year, or the evaluation's period.",
            )
