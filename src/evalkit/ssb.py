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
* Statbank download files (latin-1): wide tab-separated with one column per
  year and old 4-digit codes ("0529 Vestre Toten"); the same with ``K-``
  codes ("K-3443 Vestre Toten"); semicolon-separated, CRLF, with a title
  line and a blank line before the header.
"""

from __future__ import annotations

import csv
import io
import json
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
    """The project's ``data/ssb`` folder (real SSB files, see its PROVENANCE.md)."""
    return Path(__file__).resolve().parents[2] / "data" / "ssb"


# --------------------------------------------------------------------------- JSON-stat2


def read_jsonstat(source: str | Path | Mapping[str, Any] | bytes) -> pd.DataFrame:
    """Read an SSB PxWeb JSON-stat2 dataset into a tidy frame.

    Parameters
    ----------
    source
        A path to a ``.json`` file, the parsed dict, or a response body
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
    """
    where: str | Path | None = None
    if isinstance(source, Mapping):
        doc = dict(source)
    else:
        if isinstance(source, bytes):
            text = source.decode("utf-8")
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            text = source
        else:
            where = Path(source)
            if not where.exists():
                raise InputError("file not found.", file=where)
            text = where.read_text(encoding="utf-8")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg}, line {exc.lineno}).", file=where) from exc
    if doc.get("class") != "dataset" or "id" not in doc or "dimension" not in doc:
        raise InputError(
            "not a JSON-stat2 dataset (needs class 'dataset', 'id' and 'dimension').",
            file=where,
            hint="Ask PxWeb for \"response\": {\"format\": \"json-stat2\"}.",
        )
    ids: list[str] = list(doc["id"])
    size: list[int] = [int(s) for s in doc["size"]]
    codes: list[list[str]] = []
    labels: list[list[str]] = []
    for dim_id, n in zip(ids, size):
        cat = doc["dimension"][dim_id]["category"]
        index = cat.get("index")
        if index is None:
            ordered = list(cat.get("label", {}).keys())
        elif isinstance(index, list):
            ordered = list(index)
        else:
            ordered = sorted(index, key=lambda c: index[c])
        if len(ordered) != n:
            raise InputError(
                f"dimension '{dim_id}' has {len(ordered)} categories but size says {n}.", file=where
            )
        codes.append(ordered)
        labels.append([cat.get("label", {}).get(c, c) for c in ordered])
    n_cells = int(np.prod(size)) if size else 0
    raw = doc.get("value", [])
    if isinstance(raw, Mapping):  # JSON-stat also allows a sparse value object
        values = np.full(n_cells, np.nan)
        for key, val in raw.items():
            values[int(key)] = np.nan if val is None else float(val)
    else:
        if len(raw) != n_cells:
            raise InputError(
                f"'value' has {len(raw)} cells but the dimensions give {n_cells}.", file=where
            )
        values = np.array([np.nan if v is None else float(v) for v in raw], dtype=float)
    status = [None] * n_cells
    raw_status = doc.get("status")
    if isinstance(raw_status, Mapping):
        for key, sym in raw_status.items():
            status[int(key)] = sym
    elif isinstance(raw_status, list):
        status = list(raw_status) if len(raw_status) == n_cells else [raw_status[0]] * n_cells
    elif isinstance(raw_status, str):
        status = [raw_status] * n_cells
    # Row-major: the last dimension varies fastest (JSON-stat 2.0 'value').
    grid = np.indices(size).reshape(len(size), -1)
    frame = pd.DataFrame(
        {
            **{dim_id: np.asarray(codes[i], dtype=object)[grid[i]] for i, dim_id in enumerate(ids)},
            **{f"{dim_id}_label": np.asarray(labels[i], dtype=object)[grid[i]] for i, dim_id in enumerate(ids)},
        }
    )
    ordered_cols = [c for dim_id in ids for c in (dim_id, f"{dim_id}_label")]
    frame = frame[ordered_cols]
    frame["value"] = values
    frame["status"] = pd.Series(status, dtype=object)
    ext = doc.get("extension", {}).get("px", {})
    unit = None
    metric = (doc.get("role") or {}).get("metric") or []
    if metric:
        units = doc["dimension"][metric[0]]["category"].get("unit", {})
        unit = {k: v.get("base") for k, v in units.items()} or None
    frame.attrs.update(
        {
            "label": doc.get("label"),
            "source": doc.get("source"),
            "updated": doc.get("updated"),
            "table_id": ext.get("tableid"),
            "unit": unit,
            "time_dimension": ((doc.get("role") or {}).get("time") or [None])[0],
        }
    )
    return frame


# --------------------------------------------------------------------------- Statbank CSV

_REGION = re.compile(r"^(?:K-)?(\d{4})\s+(.*)$")
_YEAR_COL = re.compile(r"(\d{4})\s*$")


def read_statbank_csv(path: str | Path, *, encoding: str = "latin-1") -> pd.DataFrame:
    """Read an SSB Statbank download file into a tidy frame.

    Handles the three real export formats of SSB tables (see the module
    docstring): tab- or semicolon-separated, with or without a title line,
    ``0529``- or ``K-3443``-style region codes, one column per year.

    Returns
    -------
    DataFrame
        ``region_code`` (4 digits as published; not yet harmonised),
        ``region_name``, one column per other classifying variable (e.g.
        ``age``), ``contents`` (e.g. "Persons"), ``year`` (int), ``value``
        (float) and ``status`` (the SSB symbol where a cell holds one
        instead of a number, e.g. ".." — never read as zero).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found.", file=path)
    text = path.read_bytes().decode(encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # The header is the first line holding a quoted "region" field; a title
    # line and a blank line may come before it.
    header_at = next((i for i, line in enumerate(lines) if re.match(r'^\s*"?region"?\s*[\t;,]', line, re.I)), None)
    if header_at is None:
        raise InputError(
            "no header line starting with \"region\" found.",
            file=path,
            hint="Download the table from Statbank as CSV with the region variable first.",
        )
    header_line = lines[header_at]
    sep = "\t" if "\t" in header_line else (";" if ";" in header_line else ",")
    body = "\n".join(lines[header_at:])
    rows = list(csv.reader(io.StringIO(body), delimiter=sep, quotechar='"'))
    header = [h.strip() for h in rows[0]]
    value_cols = [i for i, h in enumerate(header) if _YEAR_COL.search(h)]
    if not value_cols:
        raise InputError("no column named like 'Persons 2005' (contents and year).", file=path)
    class_cols = [i for i in range(len(header)) if i not in value_cols]
    records: list[dict[str, Any]] = []
    for line_no, row in enumerate(rows[1:], start=header_at + 2):
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
            cell = row[i].strip()
            year = int(_YEAR_COL.search(header[i]).group(1))  # type: ignore[union-attr]
            contents = _YEAR_COL.sub("", header[i]).strip()
            rec = dict(base, contents=contents, year=year)
            try:
                rec["value"] = float(cell.replace("\u00a0", "").replace(" ", "").replace(",", "."))
                rec["status"] = None
            except ValueError:
                if cell not in STATUS_SYMBOLS:
                    raise InputError(
                        f"cell '{cell}' is neither a number nor an SSB symbol.",
                        file=path,
                        row=line_no,
                        column=header[i],
                    ) from None
                rec["value"] = np.nan
                rec["status"] = cell
            records.append(rec)
    frame = pd.DataFrame.from_records(records)
    frame["status"] = frame["status"].astype(object)
    frame.attrs["source"] = SSB_SOURCE
    frame.attrs["file"] = str(path)
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
    merged = frame.merge(table, left_on="_code", right_on="municipality_code_original", how="left")
    in_range = (merged[year] >= merged["year_from"]) & (merged[year] <= merged["year_to"])
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


def read_population_panel(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped SSB 07459 panel: population 1 January, 357 municipalities, 2005-2026.

    Columns ``municipality_code`` (2024 borders, str), ``municipality_name``,
    ``year``, ``pop`` and the sex/age breakdowns (see data/ssb/PROVENANCE.md).
    Kilde: SSB, table 07459.
    """
    path = Path(path) if path is not None else default_data_dir() / "ssb07459_population_jan1_municipalities_b2024_2005_2026.csv"
    if not Path(path).exists():
        raise InputError("file not found.", file=path)
    panel = pd.read_csv(path, dtype={"municipality_code": str})
    panel.attrs["source"] = f"{SSB_SOURCE}, tabell 07459"
    return panel


def read_employment_table(source: str | Path | Mapping[str, Any] | bytes) -> pd.DataFrame:
    """SSB employment by municipality (tables 07984 / 13470) as a panel.

    Reads a JSON-stat2 response (or a Statbank CSV download) of 07984 or 13470
    with one series per municipality: query the totals (e.g. NACE "00-99",
    both sexes, age 15-74); a dataset with several categories of another
    variable is refused rather than summed. Codes are harmonised to 2024
    borders. Returns ``municipality_code``, ``year`` and ``employed``
    (missing cells stay NaN).
    """
    if isinstance(source, (str, Path)) and str(source).lower().endswith(".csv"):
        tidy = read_statbank_csv(source)
        tidy = tidy.rename(columns={"value": "employed"})
    else:
        raw = read_jsonstat(source)
        region = next((c for c in raw.columns if c.lower() == "region"), None)
        time = raw.attrs.get("time_dimension") or "Tid"
        if region is None or time not in raw.columns:
            raise InputError("the dataset has no 'Region' and time dimension.", parameter="source")
        tidy = pd.DataFrame(
            {
                "region_code": raw[region].astype(str).str.replace("K-", "", regex=False),
                "year": raw[time].astype(int),
                "employed": raw["value"],
                "status": raw["status"],
            }
        )
        others = [
            c for c in raw.columns
            if not c.endswith("_label") and c not in (region, time, "value", "status", "ContentsCode")
        ]
        multi = [c for c in others if raw[c].nunique() > 1]
        if multi:
            raise InputError(
                f"the dataset has several categories of {multi}; one series per municipality is needed.",
                parameter="source",
                hint="Query the totals only (e.g. NACE '00-99', Kjonn '0', Alder '15-74').",
            )
    tidy = tidy[tidy["region_code"].str.fullmatch(r"\d{4}")]
    out = harmonise_municipality_codes(tidy[["region_code", "year", "employed"]], value="employed")
    return out.rename(columns={"region_code": "municipality_code"})
