"""The register of Norwegian restructuring programmes (omstillingsprogram), for portfolio studies.

One row per programme: its 2024 municipality code(s), name, first and last
programme year, and the public source that gives the years (publisher, title,
address, the sentence quoted). Only programmes whose years a public source
gives are in it; how it was built and what is missing is in
``data/programmes/PROVENANCE.md`` of the project.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from evalkit.errors import InputError

#: Separator of two sources in one row (start year from one page, end year from another).
SOURCE_SEPARATOR = " | "
COLUMNS = ("programme_id", "name", "municipality_codes", "first_year", "last_year",
           "source_publisher", "source_title", "source_url", "source_quote")


def programme_register(path: str | Path | None = None) -> pd.DataFrame:
    """The programme register as a frame.

    Parameters
    ----------
    path
        A register CSV of the same columns; ``None`` reads the one shipped with evalkit.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``programme_id``: ``name``, ``municipality_codes`` (a tuple of
        4-digit 2024 codes), ``first_year``, ``last_year`` (nullable integers:
        missing when the source gives only the start), ``sources`` (a tuple of
        ``(publisher, title, url, quote)``), ``regional`` (more than one municipality).
    """
    if path is None:
        path = Path(str(resources.files("evalkit.data.programmes"))) / "register.csv"
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist.", file=path, hint="Give the path of a programme register CSV.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"the column '{missing[0]}' is missing.", file=path, column=missing[0],
                         hint=f"A register has the columns {', '.join(COLUMNS)}.")
    out = pd.DataFrame(index=pd.Index(frame["programme_id"], name="programme_id"))
    out["name"] = frame["name"].to_numpy()
    out["municipality_codes"] = [tuple(c.strip() for c in codes.split(";") if c.strip())
                                 for codes in frame["municipality_codes"]]
    for column in ("first_year", "last_year"):
        years = pd.to_numeric(frame[column].replace("", None), errors="coerce")
        bad = frame[column].ne("") & years.isna()
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 2  # header is row 1
            raise InputError(f"'{frame[column][bad].iloc[0]}' is not a year.", file=path, row=row, column=column,
                             hint="Write the year as a number, e.g. 2010.")
        out[column] = years.astype("Int64").to_numpy()
    parts = [frame[c].str.split(SOURCE_SEPARATOR, regex=False) for c in
             ("source_publisher", "source_title", "source_url", "source_quote")]
    out["sources"] = [tuple(zip(*row)) for row in zip(*parts)]
    out["regional"] = out["municipality_codes"].map(len) > 1
    return out


def programme_cohorts(register: pd.DataFrame, *, units: pd.Index | None = None) -> pd.Series:
    """Each municipality's first programme year (its cohort), for a staggered design.

    A municipality in several programmes gets its first one; municipalities of
    ``units`` not in the register get 0 (never treated, as :func:`evalkit.staggered_did` reads it).
    """
    first: dict[str, int] = {}
    for codes, year in zip(register["municipality_codes"], register["first_year"]):
        if pd.isna(year):
            continue
        for code in codes:
            first[code] = min(first.get(code, int(year)), int(year))
    cohorts = pd.Series(first, name="cohort", dtype="int64").sort_index()
    cohorts.index.name = "municipality_code"
    if units is not None:
        cohorts = cohorts.reindex(units, fill_value=0).astype("int64")
    return cohorts
