"""Statistics Norway (SSB) data: JSON-stat2, Statbank CSV exports, municipality codes.

Loaders at the edge of evalkit: they read SSB's real formats into one tidy
shape and harmonise municipality codes to 2024 borders, so the
counterfactual methods get a clean panel. Kilde: Statistisk sentralbyrå (SSB).

Formats
-------
* JSON-stat2 (PxWeb API, ``"response": {"format": "json-stat2"}``): the
  JSON-stat 2.0 specification (json-stat.org/format): ``id`` gives the
  dimension order, ``size`` their lengths, ``value`` is a flat row-major
  array (the last dimension varies fastest), ``status`` a sparse map from
  cell index to a symbol. SSB's symbols: ``"."`` not applicable, ``".."``
  not available (the cell's value is then null), ``":"`` confidential.
* Statbank download files (Latin-1 as downloaded; UTF-8 once saved again
  in an editor, so the reader detects which): wide tab-separated with one column per
  year and old 4-digit codes ("0529 Vestre Toten"); the same with ``K-``
  codes ("K-3443 Vestre Toten"); semicolon-separated, CRLF, with a title
  line and a blank line before the header.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import InputError

__all__ = [
    "SSB_SOURCE",
    "read_jsonstat",
    "read_statbank_csv",
    "harmonise_municipality_codes",
    "read_redistricting",
    "read_municipality_hierarchy",
    "read_population_panel",
    "read_employment_table",
    "default_data_dir",
    "table_path",
    "approximate_units",
    "TABLE_FILES",
]

SSB_SOURCE = "Kilde: Statistisk sentralbyrå (SSB)"

#: SSB's status symbols (explanation of symbols, ssb.no).
STATUS_SYMBOLS = {
    ".": "not applicable",
    "..": "not available",
    "...": "not yet available",
    ":": "confidential",
    "-": "nil",
}


def default_data_dir() -> Path:
    """The folder of SSB reference tables shipped with evalkit (see the PROVENANCE.md beside them)."""
    from importlib import resources

    return Path(str(resources.files("evalkit.data.ssb")))


#: The shipped reference tables by role; a user's own SSB folder holds them under the same names.
TABLE_FILES = {
    "population": "ssb07459_population_jan1_municipalities_b2024_2005_2026.csv",
    "hierarchy": "municipality_hierarchy_b2024.csv",
    "redistricting": "municipality_code_redistricting_to_b2024.csv",
    "ba_regions": "ba_regions_2020codes_by_municipality.csv",
}


def table_path(table: str, folder: str | Path | None = None) -> Path:
    """Where a reference table is: in ``folder`` when given, else the copy shipped with evalkit.

    Parameters
    ----------
    table
        One of :data:`TABLE_FILES` (``population``, ``hierarchy``, ``redistricting``, ``ba_regions``).
    folder
        A folder with the user's own SSB tables under the same file names, or ``None``.
    """
    return (Path(folder) if folder else default_data_dir()) / TABLE_FILES[table]

# --------------------------------------------------------------------------- reading files


def _read_file(path: Path, what: str) -> bytes:
    """The bytes of ``path``, or one :class:`InputError` saying why they cannot be had."""
    if not path.exists():
        raise InputError("does not exist.", file=path, hint=f"Give the path of the {what} file.")
    if path.is_dir():
        raise InputError("is a folder, not a file.", file=path, hint=f"Give the path of the {what} file inside it.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}).", file=path, hint="Check that the file is readable.") from None


def _line_of(data: bytes, position: int) -> int:
    """The 1-based line holding byte ``position``."""
    return data.count(b"\n", 0, position) + 1


def _decode(data: bytes, where: dict[str, Any], encoding: str | None, hint: str) -> tuple[str, str]:
    """Text and the encoding used: ``encoding`` if given, else UTF-8 (BOM or not), else Latin-1.

    Statbank saves its downloads as Latin-1, but a file opened and saved again
    in an editor is often UTF-8; Latin-1 decodes any bytes, so trying it first
    would turn UTF-8's "ø" silently into "Ã¸".
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"unknown encoding {encoding!r}.", parameter="encoding",
                hint="Leave it out to detect UTF-8 or Latin-1, or give e.g. 'latin-1'.",
            ) from None
        candidates = [encoding]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "latin-1"]
    for number, name in enumerate(candidates, start=1):
        try:
            return data.decode(name).removeprefix("\ufeff"), name
        except UnicodeDecodeError as exc:
            if number == len(candidates):
                raise InputError(
                    f"is not {name.removesuffix('-sig')} text (byte {exc.start} cannot be decoded).",
                    row=_line_of(data, exc.start), hint=hint, **where,
                ) from None
    raise AssertionError("unreachable: Latin-1 decodes any bytes")


# --------------------------------------------------------------------------- JSON-stat2

#: PxWeb answers are dense; a sparse 'value' object may not claim a grid larger than this.
_MAX_CELLS = 10_000_000


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _mapping(value: Any) -> Mapping[str, Any]:
    """Optional metadata (extension, role, unit) as a mapping; anything else counts as absent."""
    return value if isinstance(value, Mapping) else {}


def _cell_index(key: Any, n_cells: int, name: str, where: dict[str, Any]) -> int:
    """A sparse map's key as a cell index in ``0 .. n_cells - 1``."""
    text = str(key)
    if not text.isascii() or not text.isdigit() or int(text) >= n_cells:
        raise InputError(f"'{name}' has the key {key!r}, which is not a cell index 0-{n_cells - 1}.", **where)
    return int(text)


def _number(value: Any, index: int | str, where: dict[str, Any]) -> float:
    """A JSON-stat cell value: a number or null (missing); anything else is refused."""
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise InputError(f"'value' cell {index} is {value!r}, not a number or null.", **where)
    try:
        return float(value)
    except OverflowError:
        raise InputError(f"'value' cell {index} is too large to be a number.", **where) from None


def _jsonstat_document(source: str | Path | Mapping[str, Any] | bytes) -> tuple[Any, dict[str, Any]]:
    """The parsed document and where it came from (``file=`` or ``parameter='source'``)."""
    if isinstance(source, Mapping):
        return dict(source), {"parameter": "source"}
    if isinstance(source, bytes):
        where, data = {"parameter": "source"}, source
    elif isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        where, data = {"parameter": "source"}, source.encode("utf-8", "surrogatepass")
    elif isinstance(source, (str, Path)):
        where, data = {"file": Path(source)}, _read_file(Path(source), "JSON-stat2")
    else:
        raise InputError(
            f"expected a file path, a JSON-stat2 dict or a response body, got {type(source).__name__}.",
            parameter="source",
        )
    text, _ = _decode(data, where, "utf-8-sig", "JSON is UTF-8 text: save it as such.")  # RFC 8259
    try:
        return json.loads(text, parse_constant=_refuse_constant), where
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON ({exc.msg}).", row=exc.lineno, **where) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"is not valid JSON ({exc}).", **where) from None


def _dimension_categories(
    doc: Mapping[str, Any], dim_id: str, n: int, where: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Codes in the order of ``category.index`` and their labels, checked against ``size``."""
    dimension = doc["dimension"].get(dim_id)
    category = dimension.get("category") if isinstance(dimension, Mapping) else None
    if not isinstance(category, Mapping):
        raise InputError(f"dimension '{dim_id}' has no 'category'.", **where)
    labels = category.get("label", {})
    index = category.get("index")
    if not isinstance(labels, Mapping):
        raise InputError(f"dimension '{dim_id}': 'category.label' is not an object.", **where)
    if index is None:
        ordered = [str(c) for c in labels]
    elif isinstance(index, list):
        ordered = [str(c) for c in index]
    elif isinstance(index, Mapping) and sorted(
        v for v in index.values() if isinstance(v, int) and not isinstance(v, bool)
    ) == list(range(len(index))):
        ordered = sorted(index, key=lambda c: index[c])
    else:
        raise InputError(
            f"dimension '{dim_id}': 'category.index' must be a list of codes or an object of positions 0, 1, 2, ...",
            **where,
        )
    if len(ordered) != n:
        raise InputError(f"dimension '{dim_id}' has {len(ordered)} categories but size says {n}.", **where)
    if len(set(ordered)) != n:
        raise InputError(f"dimension '{dim_id}' lists a category twice.", **where)
    return ordered, [str(labels.get(c, c)) for c in ordered]


def read_jsonstat(source: str | Path | Mapping[str, Any] | bytes) -> pd.DataFrame:
    """Read an SSB PxWeb JSON-stat2 dataset into a tidy frame.

    Parameters
    ----------
    source
        A file path, a parsed dict, or a response body
        (``str``/``bytes`` starting with ``{``).

    Returns
    -------
    DataFrame
        One row per cell; for each dimension ``<id>`` (the code) and
        ``<id>_label``; ``value`` (float, NaN where missing) and ``status``
        (the SSB symbol, e.g. ``".."`` not available, ``"."`` not
        applicable; None where the cell has a value). Missing cells are
        never turned into zeros. ``attrs`` holds the table's ``label``,
        ``source``, ``updated``, ``table_id`` and the unit.

    Raises
    ------
    evalkit.errors.InputError
        Naming the file (or the parameter ``source``): not JSON (with the
        line), not a JSON-stat2 dataset, a missing key, ``id`` and ``size``
        of different lengths, a dimension whose categories do not match its
        size, a ``value`` or ``status`` that does not fit the grid.
    """
    doc, where = _jsonstat_document(source)
    if not isinstance(doc, Mapping) or doc.get("class") != "dataset":
        raise InputError(
            "is not a JSON-stat2 dataset (needs class 'dataset', 'id', 'size', 'dimension' and 'value').",
            hint="Ask PxWeb for \"response\": {\"format\": \"json-stat2\"}.",
            **where,
        )
    missing = [key for key in ("id", "size", "dimension", "value") if key not in doc]
    if missing:
        raise InputError(f"the dataset has no '{missing[0]}'.", hint="Ask PxWeb for \"response\": {\"format\": \"json-stat2\"}.", **where)
    ids, size = doc["id"], doc["size"]
    if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)):
        raise InputError("'id' must be a list of distinct dimension names.", **where)
    if not (isinstance(size, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in size)):
        raise InputError("'size' must be a list of whole numbers >= 0.", **where)
    if len(ids) != len(size) or not ids:
        raise InputError(f"'id' names {len(ids)} dimensions but 'size' gives {len(size)} sizes.", **where)
    if not isinstance(doc["dimension"], Mapping) or not all(i in doc["dimension"] for i in ids):
        absent = next((i for i in ids if not isinstance(doc["dimension"], Mapping) or i not in doc["dimension"]), "")
        raise InputError(f"'dimension' has no entry for '{absent}'.", **where)
    codes, labels = zip(*(_dimension_categories(doc, i, n, where) for i, n in zip(ids, size)))
    n_cells = math.prod(size)
    raw = doc["value"]
    if isinstance(raw, Mapping):  # JSON-stat also allows a sparse value object
        if n_cells > _MAX_CELLS:
            raise InputError(f"the dimensions give {n_cells} cells, more than evalkit reads ({_MAX_CELLS}).", **where)
        values = np.full(n_cells, np.nan)
        for key, val in raw.items():
            values[_cell_index(key, n_cells, "value", where)] = _number(val, key, where)
    elif isinstance(raw, list):
        if len(raw) != n_cells:
            raise InputError(f"'value' has {len(raw)} cells but the dimensions give {n_cells}.", **where)
        values = np.array([_number(v, i, where) for i, v in enumerate(raw)], dtype=float)
    else:
        raise InputError("'value' must be a list or an object of cells.", **where)
    raw_status = doc.get("status")
    status: list[Any] = [None] * n_cells
    if isinstance(raw_status, Mapping):
        for key, sym in raw_status.items():
            status[_cell_index(key, n_cells, "status", where)] = sym
    elif isinstance(raw_status, list) and len(raw_status) in (1, n_cells):
        status = list(raw_status) * (n_cells if len(raw_status) == 1 else 1)
    elif isinstance(raw_status, str):
        status = [raw_status] * n_cells
    elif raw_status is not None:
        raise InputError(f"'status' must have 1 or {n_cells} entries, or be an object of cells.", **where)
    # Row-major: the last dimension varies fastest (JSON-stat 2.0 'value').
    grid = np.indices(size).reshape(len(size), -1)
    frame = pd.DataFrame(
        {
            **{dim_id: np.asarray(codes[i], dtype=object)[grid[i]] for i, dim_id in enumerate(ids)},
            **{f"{dim_id}_label": np.asarray(labels[i], dtype=object)[grid[i]] for i, dim_id in enumerate(ids)},
        }
    )
    frame = frame[[c for dim_id in ids for c in (dim_id, f"{dim_id}_label")]]
    frame["value"] = values
    frame["status"] = pd.Series(status, dtype=object)
    role = _mapping(doc.get("role"))
    metric = [m for m in role.get("metric") or [] if isinstance(m, str)] if isinstance(role.get("metric"), list) else []
    units = _mapping(_mapping(_mapping(doc["dimension"].get(metric[0] if metric else "")).get("category")).get("unit"))
    time = role.get("time") if isinstance(role.get("time"), list) else []
    frame.attrs.update(
        {
            "label": doc.get("label"),
            "source": doc.get("source"),
            "updated": doc.get("updated"),
            "table_id": _mapping(_mapping(doc.get("extension")).get("px")).get("tableid"),
            "unit": {k: _mapping(v).get("base") for k, v in units.items()} or None,
            "time_dimension": time[0] if time else None,
        }
    )
    return frame


# --------------------------------------------------------------------------- Statbank CSV

_REGION = re.compile(r"^(?:K-)?([0-9]{4})\s+(.*)$")
_YEAR_COL = re.compile(r"([0-9]{4})\s*$")
#: A Statbank number: digits, thousands grouped by (no-break) spaces, a '.' or ',' decimal mark.
#: Stricter than float(), which would also take "nan", "inf", "1_000" and "1e5".
_STATBANK_NUMBER = re.compile(r"^[+-]?(?:[0-9]+|[0-9]{1,3}(?:[ \u00a0][0-9]{3})+)(?:[.,][0-9]+)?$")


def _statbank_rows(text: str, path: Path) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header's line number, its fields, and each data row with the line it starts on."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # The header is the first line holding a quoted "region" field; a title
    # line and a blank line may come before it.
    header_at = next((i for i, line in enumerate(lines) if re.match(r'^\s*"?region"?\s*[\t;,]', line, re.I)), None)
    if header_at is None:
        raise InputError(
            "has no header line starting with \"region\".",
            file=path,
            hint="Download the table from Statbank as CSV with the region variable first.",
        )
    sep = "\t" if "\t" in lines[header_at] else (";" if ";" in lines[header_at] else ",")
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])), delimiter=sep, quotechar='"')
    rows: list[tuple[int, list[str]]] = []
    try:
        header = [h.strip() for h in next(reader)]
        last = reader.line_num
        for row in reader:
            rows.append((header_at + last + 1, row))  # a quoted field may span lines: its first line
            last = reader.line_num
    except csv.Error as exc:
        raise InputError(f"cannot be read as CSV ({exc}).", file=path, row=header_at + reader.line_num) from None
    return header_at + 1, header, rows


def _statbank_cell(cell: str, path: Path, row: int, column: str) -> tuple[float, str | None]:
    """A value cell as ``(value, status)``: a number, or NaN and SSB's symbol for it."""
    if _STATBANK_NUMBER.match(cell):
        value = float(re.sub(r"[ \u00a0]", "", cell).replace(",", "."))
        if not math.isfinite(value):
            raise InputError(f"the number '{cell[:20]}...' is too large.", file=path, row=row, column=column)
        return value, None
    if cell in STATUS_SYMBOLS:
        return np.nan, cell
    raise InputError(
        f"cell '{cell}' is neither a number nor an SSB symbol.",
        file=path,
        row=row,
        column=column,
        hint=f"Numbers like 1 234 or 12,5; symbols {', '.join(repr(s) for s in STATUS_SYMBOLS)}.",
    )


def read_statbank_csv(path: str | Path, *, encoding: str | None = None) -> pd.DataFrame:
    """Read an SSB Statbank download file into a tidy frame.

    Handles the three real export formats of SSB tables (see the module
    docstring): tab- or semicolon-separated, with or without a title line,
    ``0529``- or ``K-3443``-style region codes, one column per year.

    Parameters
    ----------
    path
        The downloaded file.
    encoding
        ``None`` (default) detects it: UTF-8 (with or without a byte-order
        mark) when the bytes are valid UTF-8, else Latin-1 (as Statbank saves
        its downloads). ``attrs["encoding"]`` says which was used.

    Returns
    -------
    DataFrame
        ``region_code`` (4 digits as published; not yet harmonised),
        ``region_name``, one column per other classifying variable (e.g.
        ``age``), ``contents`` (e.g. "Persons"), ``year`` (int), ``value``
        (float) and ``status`` (the SSB symbol where a cell holds one
        instead of a number, e.g. ".." — never read as zero).

    Raises
    ------
    evalkit.errors.InputError
        Naming the file, and the row and column where there is one: a
        missing file or a folder, bytes that are not text in ``encoding``,
        no header, a column twice, no data rows, a row of the wrong length,
        a region without a code, a cell that is neither a plain number nor
        an SSB symbol (``nan``, ``inf``, ``1_000`` are refused).
    """
    path = Path(path)
    hint = "Leave out encoding= to detect UTF-8 or Latin-1." if encoding else "It starts with a UTF-8 byte-order mark: save it again as UTF-8."
    text, used = _decode(_read_file(path, "Statbank CSV"), {"file": path}, encoding, hint)
    header_row, header, rows = _statbank_rows(text, path)
    twice = next((h for i, h in enumerate(header) if h in header[:i]), None)
    if twice is not None:
        raise InputError(f"the column '{twice}' appears twice.", file=path, row=header_row, column=twice)
    value_cols = [i for i, h in enumerate(header) if _YEAR_COL.search(h)]
    if not value_cols:
        raise InputError("has no column named like 'Persons 2005' (contents and year).", file=path, row=header_row)
    class_cols = [i for i in range(len(header)) if i not in value_cols]
    records: list[dict[str, Any]] = []
    for line_no, row in rows:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(
                f"{len(row)} fields where the header has {len(header)}.", file=path, row=line_no
            )
        region = row[0].strip()
        match = _REGION.match(region)
        if not match:
            raise InputError(
                f"region '{region}' is not a 4-digit municipality code and a name.",
                file=path,
                row=line_no,
                column=header[0],
            )
        base: dict[str, Any] = {"region_code": match.group(1), "region_name": match.group(2).strip()}
        for i in class_cols[1:]:
            base[header[i]] = row[i].strip()
        for i in value_cols:
            value, status = _statbank_cell(row[i].strip(), path, line_no, header[i])
            year = int(_YEAR_COL.search(header[i]).group(1))  # type: ignore[union-attr]
            records.append(dict(base, contents=_YEAR_COL.sub("", header[i]).strip(), year=year, value=value, status=status))
    if not records:
        raise InputError(
            "has a header but no data rows.", file=path, row=header_row + 1,
            hint="Download the table again with at least one region selected.",
        )
    frame = pd.DataFrame.from_records(records)
    frame["status"] = frame["status"].astype(object)
    frame.attrs["source"] = SSB_SOURCE
    frame.attrs["file"] = str(path)
    frame.attrs["encoding"] = used
    return frame


# --------------------------------------------------------------------------- municipality codes


def read_redistricting(path: str | Path | None = None) -> pd.DataFrame:
    """The code-change table to 2024 borders (``municipality_code_original`` -> ``_current``)."""
    path = Path(path) if path is not None else default_data_dir() / "municipality_code_redistricting_to_b2024.csv"
    table = pd.read_csv(
        path, dtype={"municipality_code_original": str, "municipality_code_current": str}
    )
    return table


def harmonise_municipality_codes(
    data: pd.DataFrame,
    *,
    code: str = "region_code",
    year: str = "year",
    value: str | Iterable[str] = "value",
    redistricting: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Recode municipality data to 2024 borders and sum what merges.

    Each row published under ``municipality_code_original`` in a year between
    ``year_from`` and ``year_to`` counts ``weighting`` x value towards
    ``municipality_code_current`` (SSB KLASS classification 131 as curated in
    the shipped redistricting table). Split municipalities therefore get
    approximate (weighted) values. Missing values stay missing: a sum with a
    missing part is missing, not zero.

    Returns
    -------
    DataFrame
        The other columns of ``data`` (names dropped, since a merged
        municipality has a new name), ``code`` now 2024 codes.
    """
    value_cols = [value] if isinstance(value, str) else list(value)
    for col in [code, year, *value_cols]:
        if col not in data.columns:
            raise InputError(f"column '{col}' is not in the data.", parameter="data")
    table = redistricting if redistricting is not None else read_redistricting()
    frame = data.copy()
    frame["_code"] = frame[code].astype(str).str.replace("K-", "", regex=False).str.zfill(4)
    frame["_row"] = np.arange(len(frame))
    merged = frame.merge(table, left_on="_code", right_on="municipality_code_original", how="left")
    in_range = (merged[year] >= merged["year_from"]) & (merged[year] <= merged["year_to"])
    # A known code used outside its years: PxWeb fills such cells with ".." (no value), which may
    # be dropped; a real value there would be lost silently, so it is an error.
    mapped_rows = set(merged.loc[in_range, "_row"])
    known = frame["_code"].isin(table["municipality_code_original"])
    lost = known & ~frame["_row"].isin(mapped_rows) & frame[value_cols].notna().any(axis=1)
    if lost.any():
        bad = frame.loc[lost].iloc[0]
        spans = table.loc[table["municipality_code_original"] == bad["_code"], ["year_from", "year_to"]]
        valid = ", ".join(f"{a}-{b}" for a, b in spans.drop_duplicates().itertuples(index=False))
        shown = bad[code].item() if isinstance(bad[code], np.generic) else bad[code]  # 529, not np.int64(529)
        raise InputError(
            f"municipality code {shown!r} has a value in {bad[year]}, but that code is valid only in {valid}.",
            column=code,
            hint="Use the code in force that year (e.g. 0529 up to 2019, 3443 from 2020).",
        )
    merged = merged[in_range | merged["municipality_code_current"].isna()]
    unknown = merged["municipality_code_current"].isna()
    if unknown.any():
        bad = merged.loc[unknown, [code, year]].iloc[0].tolist()
        raise InputError(
            f"municipality code {bad[0]!r} in {bad[1]} is not in the redistricting table.",
            column=code,
            hint="Check the code, or pass a redistricting table that covers it.",
        )
    for col in value_cols:
        merged[col] = merged[col] * merged["weighting"]
    keys = [c for c in data.columns if c not in value_cols and c not in (code, "region_name", "municipality_name", "status")]
    merged[code] = merged["municipality_code_current"]
    group = [code, *keys]
    # min_count=1 keeps NaN when every part is NaN; any NaN part makes the sum NaN.
    agg = merged.groupby(group, sort=True, dropna=False)[value_cols].agg(
        lambda s: s.sum(min_count=len(s)) if s.notna().all() else np.nan
    )
    return agg.reset_index()


# --------------------------------------------------------------------------- shipped tables


def read_municipality_hierarchy(path: str | Path | None = None) -> pd.DataFrame:
    """Municipality -> county, BA region (bo- og arbeidsmarkedsregion), 2024 borders."""
    path = Path(path) if path is not None else default_data_dir() / "municipality_hierarchy_b2024.csv"
    return pd.read_csv(
        path, dtype={"municipality_code": str, "county_code": str, "ba_region_code": str}
    )

#: Columns every SSB 07459 panel has (data/ssb/PROVENANCE.md).
_PANEL_COLUMNS = ("municipality_code", "municipality_name", "year", "pop")


def read_population_panel(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped SSB 07459 panel: population 1 January, 357 municipalities, 2005-2026.

    The one reader of this panel: :mod:`evalkit.methods.descriptive.monitoring` and the
    counterfactual chapters both use it.

    Parameters
    ----------
    path
        ``ssb07459_population_jan1_municipalities_b2024_2005_2026.csv``;
        default the shipped file in :func:`default_data_dir`.

    Returns
    -------
    DataFrame
        ``municipality_code`` (2024 borders, 4-digit str), ``municipality_name``,
        ``year`` (int), ``pop`` (persons on 1 January) and the sex/age
        breakdowns (see the PROVENANCE.md shipped beside it), and ``approximate``
        (True for every row of a unit rebuilt with fractional weights:
        :func:`approximate_units`). Kilde: SSB, table 07459.

    Raises
    ------
    evalkit.errors.InputError
        A missing file or a folder, a file that is not UTF-8 CSV, a missing
        column, a year or population that is not a whole number (naming
        the file's row and column).
    """
    path = Path(path) if path is not None else default_data_dir() / "ssb07459_population_jan1_municipalities_b2024_2005_2026.csv"
    data = _read_file(path, "SSB 07459 population")
    text, _ = _decode(data, {"file": path}, "utf-8-sig", "Save it as UTF-8, as the copy shipped with evalkit.")
    try:
        # Blank lines are kept (and dropped below) so that positions stay file rows.
        panel = pd.read_csv(io.StringIO(text), dtype={"municipality_code": str}, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot be read as CSV ({str(exc).strip()}).", file=path) from None
    missing = [c for c in _PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise InputError(f"the column '{missing[0]}' is missing.", file=path, column=missing[0],
                         hint="Expected SSB 07459 in the shape of the copy shipped with evalkit (see its PROVENANCE.md).")
    panel.index = pd.RangeIndex(2, len(panel) + 2)  # header = row 1
    panel = panel[~panel.isna().all(axis=1)]
    for column in ("year", "pop"):
        numbers = pd.to_numeric(panel[column], errors="coerce")
        bad = ~(numbers.notna() & (numbers >= 0) & (numbers == numbers.round()))
        if bad.any():
            row = int(bad.idxmax())
            raise InputError(f"'{panel.at[row, column]}' is not a whole number >= 0.", file=path, row=row, column=column)
        panel[column] = numbers.astype("int64")
    codes = panel["municipality_code"].fillna("").str.strip()
    bad = ~codes.str.fullmatch(r"[0-9]{1,4}")
    if bad.any():
        row = int(bad.idxmax())
        raise InputError(f"'{codes[row]}' is not a municipality code (4 digits).", file=path, row=row, column="municipality_code")
    panel["municipality_code"] = codes.str.zfill(4)
    panel = panel.reset_index(drop=True)
    # A unit rebuilt from a split municipality with fractional weights has an approximate series.
    beside = path.parent / TABLE_FILES["redistricting"]
    approximate = approximate_units(beside if beside.is_file() else None)
    panel["approximate"] = panel["municipality_code"].isin(approximate)
    panel.attrs["source"] = f"{SSB_SOURCE}, tabell 07459"
    return panel


def approximate_units(path: str | Path | None = None) -> frozenset[str]:
    """Municipalities (2024 codes) whose series are rebuilt from a split municipality with weights below 1.

    SSB publishes a split municipality's history under the old code only; the
    panel's 2024-border series of each successor takes a fixed share of it
    (``weighting`` < 1 in the code-change table), so it is an approximation:
    successors share the same shape before the split and jump at it (see the
    PROVENANCE.md shipped with the table). Such units make poor donors and placebos.
    """
    table = read_redistricting(path)
    weights = pd.to_numeric(table["weighting"], errors="coerce")
    return frozenset(table.loc[weights < 1, "municipality_code_current"].astype(str).str.zfill(4))


def _one_series(tidy: pd.DataFrame, columns: Iterable[str], where: dict[str, Any]) -> None:
    """Refuse a table holding several categories of a variable: summing them is the caller's choice."""
    multi = [c for c in columns if tidy[c].nunique(dropna=False) > 1]
    if multi:
        raise InputError(
            f"the table has several categories of {multi}; one series per municipality is needed.",
            hint="Query the totals only (e.g. NACE '00-99', Kjonn '0', Alder '15-74').",
            **where,
        )


def read_employment_table(source: str | Path | Mapping[str, Any] | bytes) -> pd.DataFrame:
    """SSB employment by municipality (tables 07984 / 13470) as a panel.

    Reads a JSON-stat2 response (or a Statbank CSV download) of 07984 or 13470
    with one series per municipality: query the totals (e.g. NACE "00-99",
    both sexes, age 15-74); a table with several categories of another
    variable is refused rather than summed. Codes are harmonised to 2024
    borders. Returns ``municipality_code``, ``year`` and ``employed``
    (missing cells stay NaN).

    Raises
    ------
    evalkit.errors.InputError
        What :func:`read_jsonstat` or :func:`read_statbank_csv` refuse; no
        region or time dimension; a time that is not a year (e.g. quarterly
        data); several categories of another variable; no municipality rows;
        a municipality code not in the redistricting table.
    """
    is_path = isinstance(source, Path) or isinstance(source, str) and source.lstrip()[:1] not in ("{", "[")
    where: dict[str, Any] = {"file": Path(source)} if is_path else {"parameter": "source"}  # type: ignore[arg-type]
    if is_path and str(source).lower().endswith(".csv"):
        tidy = read_statbank_csv(source).rename(columns={"value": "employed"})  # type: ignore[arg-type]
        _one_series(tidy, [c for c in tidy.columns if c not in ("region_code", "region_name", "year", "employed", "status")], where)
    else:
        raw = read_jsonstat(source)
        region = next((c for c in raw.columns if c.lower() == "region"), None)
        time = raw.attrs.get("time_dimension") or "Tid"
        if region is None or time not in raw.columns:
            raise InputError("the dataset has no 'Region' and time dimension.", **where)
        years = raw[time].astype(str)
        not_year = ~years.str.fullmatch(r"[0-9]{4}")
        if not_year.any():
            raise InputError(
                f"the time '{years[not_year].iloc[0]}' is not a year.", hint="Query yearly figures.", **where
            )
        tidy = pd.DataFrame(
            {
                "region_code": raw[region].astype(str).str.replace("K-", "", regex=False),
                "year": years.astype(int),
                "employed": raw["value"],
            }
        )
        _one_series(raw, [
            c for c in raw.columns
            if not c.endswith("_label") and c not in (region, time, "value", "status", "ContentsCode")
        ], where)
    tidy = tidy[tidy["region_code"].str.fullmatch(r"[0-9]{4}")]
    if tidy.empty:
        raise InputError("has no municipality rows (4-digit region codes).", hint="Query the municipalities (Region).", **where)
    try:
        out = harmonise_municipality_codes(tidy[["region_code", "year", "employed"]], value="employed")
    except InputError as exc:
        raise InputError(exc.problem, hint=exc.hint, **where) from None
    return out.rename(columns={"region_code": "municipality_code"})
