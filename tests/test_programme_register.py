"""Checks of the restructuring-programme register (src/evalkit/data/programmes/register.csv)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from evalkit.io.register import COLUMNS
from evalkit.io.ssb import table_path

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "src" / "evalkit" / "data" / "programmes" / "register.csv"
HIERARCHY = table_path("hierarchy")

SOURCE_COLUMNS = list(COLUMNS[-4:])
# Rows that need two sources (start year from one page, end year from another)
# list them in the same order in every source column, separated by this.
SEP = " | "


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    # Codes are strings with leading zeros; read everything as text and
    # convert the years explicitly so a stray "2010.0" or "ca. 2010" fails.
    return pd.read_csv(REGISTER, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def valid_codes() -> set[str]:
    h = pd.read_csv(HIERARCHY, dtype=str)
    return set(h["municipality_code"])


def test_columns_exact_and_ordered(register):
    assert list(register.columns) == list(COLUMNS)


def test_not_empty(register):
    assert len(register) >= 20


def test_programme_id_unique_slug(register):
    ids = register["programme_id"]
    assert ids.is_unique, ids[ids.duplicated()].tolist()
    bad = [i for i in ids if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i)]
    assert not bad, bad


def test_name_present(register):
    assert (register["name"].str.strip() != "").all()


def test_codes_are_valid_2024_codes(register, valid_codes):
    problems = []
    for pid, codes in zip(register["programme_id"], register["municipality_codes"]):
        parts = codes.split(";")
        if len(parts) != len(set(parts)):
            problems.append((pid, "duplicate code", codes))
        for c in parts:
            if not re.fullmatch(r"\d{4}", c):
                problems.append((pid, "not 4 digits", c))
            elif c not in valid_codes:
                problems.append((pid, "not in 2024 hierarchy", c))
    assert not problems, problems


def test_years_are_integers_in_range_and_ordered(register):
    problems = []
    for pid, first, last in zip(register["programme_id"], register["first_year"], register["last_year"]):
        if not re.fullmatch(r"\d{4}", first):
            problems.append((pid, "first_year", first))
            continue
        f = int(first)
        if not 1980 <= f <= 2026:
            problems.append((pid, "first_year out of range", f))
        if last == "":
            continue
        if not re.fullmatch(r"\d{4}", last):
            problems.append((pid, "last_year", last))
            continue
        l_ = int(last)
        if not 1980 <= l_ <= 2026:
            problems.append((pid, "last_year out of range", l_))
        if f > l_:
            problems.append((pid, "first_year > last_year", f, l_))
    assert not problems, problems


def test_every_row_has_full_source(register):
    for col in SOURCE_COLUMNS:
        empty = register.loc[register[col].str.strip() == "", "programme_id"].tolist()
        assert not empty, (col, empty)


def test_multi_source_rows_are_aligned(register):
    counts = register[SOURCE_COLUMNS].apply(lambda s: s.str.count(re.escape(SEP)))
    misaligned = register.loc[counts.nunique(axis=1) > 1, "programme_id"].tolist()
    assert not misaligned, misaligned


def test_urls_look_like_urls(register):
    for pid, urls in zip(register["programme_id"], register["source_url"]):
        for u in urls.split(SEP):
            assert re.match(r"https?://\S+$", u), (pid, u)


# Years that the quoted sentence implies without writing them out.  Each one is
# explained in data/programmes/PROVENANCE.md; keep this list short.
INFERRED_YEARS = {
    # "ble avsluttet ved nyttår" on a page published in spring 2018
    ("vestre-toten-2010", "2017"),
}


def test_quote_contains_the_years(register):
    # The quote is what justifies the years, so each year given must appear in
    # it, written in full or as the two-digit end of a range ("2012-17").
    problems = []
    for pid, first, last, quote in zip(
        register["programme_id"], register["first_year"], register["last_year"], register["source_quote"]
    ):
        if first not in quote and (pid, first) not in INFERRED_YEARS:
            problems.append((pid, first))
        if (
            last
            and last not in quote
            and not re.search(r"[-–]\s*" + last[2:] + r"\b", quote)
            and (pid, last) not in INFERRED_YEARS
        ):
            problems.append((pid, last))
    assert not problems, problems


def test_inferred_years_are_still_used(register):
    # An exception that no longer matches a row should be removed, not kept.
    r = register.set_index("programme_id")
    for pid, year in INFERRED_YEARS:
        assert year in (r.loc[pid, "first_year"], r.loc[pid, "last_year"]), pid


def test_known_programmes(register):
    # Spot checks against the sources (see data/programmes/PROVENANCE.md).
    r = register.set_index("programme_id")
    assert (r.loc["vestre-toten-2010", ["municipality_codes", "first_year", "last_year"]] == ["3443", "2010", "2017"]).all()
    assert (r.loc["vaksdal-1997", ["municipality_codes", "first_year", "last_year"]] == ["4628", "1997", "2002"]).all()
    assert (r.loc["amot-2001", ["first_year", "last_year"]] == ["2001", "2007"]).all()
    assert r.loc["lierne-2015", "last_year"] == ""
    assert set(r.loc["ringeriksregionen-2013", "municipality_codes"].split(";")) == {"3305", "3236", "3310"}
