"""SSB loaders on the real files (Kilde: SSB)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import harmonise_municipality_codes, read_jsonstat, read_statbank_csv
from evalkit.errors import InputError
from evalkit.ssb import read_municipality_hierarchy, read_population_panel

HERE = Path(__file__).parent / "data" / "ssb"
EXPORTS = HERE / "ssb07459_raw_statbank_exports"
JSONSTAT = HERE / "ssb_jsonstat2_example_table05300.json"


def test_jsonstat_shape_order_and_status():
    frame = read_jsonstat(JSONSTAT)
    assert frame.shape[0] == 6 * 8 * 1 * 9
    assert list(frame.columns[:2]) == ["Avstand1", "Avstand1_label"]
    # Last dimension (Tid) varies fastest: the first value is 01/01/1991 = 16.
    first = frame.iloc[0]
    assert (first["Avstand1"], first["Kulturtilbud"], first["Tid"], first["value"]) == ("01", "01", "1991", 16.0)
    assert frame.iloc[1]["Tid"] == "1994"
    # Status symbols are kept and their cells stay missing, never zero.
    assert frame.loc[71, "status"] == "." and np.isnan(frame.loc[71, "value"])
    assert frame.loc[360, "status"] == ".." and np.isnan(frame.loc[360, "value"])
    assert (frame["status"] == ".").sum() == 20 and (frame["status"] == "..").sum() == 8
    assert frame["value"].notna().sum() == 432 - 28
    assert frame.attrs["table_id"] == "05300"
    assert frame.attrs["unit"] == {"Avstand": "prosent"}


def test_jsonstat_accepts_dict_and_body():
    text = JSONSTAT.read_text(encoding="utf-8")
    a = read_jsonstat(json.loads(text))
    b = read_jsonstat(text.encode("utf-8"))
    pd.testing.assert_frame_equal(a, b)


def test_jsonstat_bad_input(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"class": "collection"}', encoding="utf-8")
    with pytest.raises(InputError, match="JSON-stat2"):
        read_jsonstat(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_jsonstat(tmp_path / "missing.json")


@pytest.mark.parametrize(
    "name, codes, years",
    [
        ("ssb07459_persons_by_age_gjovikregionen_2005-2009.csv", "0529", [2005, 2006, 2007, 2008, 2009]),
        ("ssb07459_persons_by_age_gjovikregionen_2020.csv", "3443", [2020]),
        ("ssb07459_persons_by_age_gjovikregionen_2024.csv", "3443", [2024]),
    ],
)
def test_statbank_three_formats(name, codes, years):
    frame = read_statbank_csv(EXPORTS / name)
    assert set(frame["year"]) == set(years)
    assert codes in set(frame["region_code"])
    assert frame["age"].nunique() == 106
    assert "Gjøvik" in set(frame["region_name"])  # latin-1 decoded
    assert frame["contents"].iloc[0] == "Persons"
    assert frame["status"].isna().all()


def test_statbank_harmonised_totals_match_panel():
    panel = read_population_panel().set_index(["municipality_code", "year"])["pop"]
    for name in sorted(EXPORTS.glob("*.csv")):
        tidy = harmonise_municipality_codes(read_statbank_csv(name))
        totals = tidy.groupby(["region_code", "year"])["value"].sum()
        assert set(totals.index.get_level_values(0)) == {"3407", "3442", "3443", "3447", "3448"}
        for key, value in totals.items():
            if key[1] in (2010, 2011, 2012, 2013, 2014):
                continue  # PROVENANCE: 2010-2014 totals not checked against the panel
            assert value == panel[key], (name.name, key)
    vt = harmonise_municipality_codes(read_statbank_csv(EXPORTS / "ssb07459_persons_by_age_gjovikregionen_2005-2009.csv"))
    assert vt[(vt.region_code == "3443") & (vt.year == 2005)]["value"].sum() == 12546


def test_harmonise_weights_and_missing():
    data = pd.DataFrame(
        {"region_code": ["1534", "1546", "0529", "0529"], "year": [2015, 2015, 2015, 2016], "value": [100.0, 50.0, 7.0, np.nan]}
    )
    out = harmonise_municipality_codes(data).set_index(["region_code", "year"])["value"]
    # 1534 and 1546 each count 0.5 towards 1508 and 1580 (a split).
    assert out[("1508", 2015)] == pytest.approx(75.0)
    assert out[("1580", 2015)] == pytest.approx(75.0)
    assert out[("3443", 2015)] == 7.0
    assert np.isnan(out[("3443", 2016)])  # missing stays missing
    with pytest.raises(InputError, match="not in the redistricting"):
        harmonise_municipality_codes(pd.DataFrame({"region_code": ["9999"], "year": [2015], "value": [1.0]}))


def test_statbank_bad_cell(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes('"region"\t"age"\t"Persons 2005"\n"0529 Vestre Toten"\t"0 years"\tabc\n'.encode("latin-1"))
    with pytest.raises(InputError, match="row 2"):
        read_statbank_csv(f)
    f.write_bytes('"region"\t"age"\t"Persons 2005"\n"0529 Vestre Toten"\t"0 years"\t..\n'.encode("latin-1"))
    frame = read_statbank_csv(f)
    assert frame.loc[0, "status"] == ".." and np.isnan(frame.loc[0, "value"])


def test_shipped_panel_and_hierarchy():
    panel = read_population_panel()
    assert panel["municipality_code"].nunique() == 357
    assert panel["year"].min() == 2005 and panel["year"].max() == 2026
    vt = panel[panel["municipality_code"] == "3443"].set_index("year")["pop"]
    assert vt[2018] == 13314  # Fylkesmannen: "Folketall pr. 1.1.2018: 13.314"
    hier = read_municipality_hierarchy()
    region = hier[hier["ba_region_code"] == "18"]["municipality_code"]
    assert set(region) == {"3407", "3442", "3443", "3447", "3448"}
