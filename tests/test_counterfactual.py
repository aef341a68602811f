"""Counterfactual helpers and the Vestre Toten use on the real SSB panel."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from evalkit import comparison_donors, maryland_grade, outcome_index, triangulate
from evalkit.methods.counterfactual.synthetic_control import synthetic_control
from evalkit.methods.counterfactual.design import GJOVIKREGIONEN, counterfactual_figures
from evalkit.errors import InputError
from evalkit.io.ssb import read_municipality_hierarchy, read_population_panel


def test_comparison_donors_exclude_region_and_list():
    hier = read_municipality_hierarchy()
    donors = comparison_donors(hier, treated="3443", exclude=["3405"])
    assert not set(GJOVIKREGIONEN) & set(donors)
    assert "3405" not in donors
    assert len(donors) == 357 - 5 - 1
    with pytest.raises(InputError, match="exclude"):
        comparison_donors(hier, treated="3443", exclude=["529"])


def test_outcome_index():
    data = pd.DataFrame({"u": ["a", "a", "b", "b"], "t": [1, 2, 1, 2], "y": [50.0, 55.0, 200.0, 180.0]})
    out = outcome_index(data, unit="u", time="t", outcome="y", base=1)
    assert out["y_index"].tolist() == [100.0, 110.0, 100.0, 90.0]
    g = outcome_index(data, unit="u", time="t", outcome="y", base=1, kind="growth")
    assert g["y_growth"].tolist() == pytest.approx([0.0, 10.0, 0.0, -10.0])
    with pytest.raises(InputError, match="base"):
        outcome_index(data, unit="u", time="t", outcome="y", base=3)


def test_maryland_grade():
    assert maryland_grade("synthetic_control", pre_period_match=True).level == 3
    assert maryland_grade("did", pre_period_match=False).level == 2
    assert maryland_grade("did").level == 2
    assert maryland_grade("before_after").level == 1
    assert maryland_grade("rct").level == 5
    assert "comparison group that matched" in maryland_grade("did", pre_period_match=True).description
    with pytest.raises(InputError, match="design"):
        maryland_grade("anecdote")


def test_triangulation():
    t = triangulate(120, 150, bottom_up_interval=(80, 160))
    assert t.agree is True
    assert t.summary().endswith("agree")
    t = triangulate(120, 500, bottom_up_interval=(80, 160), top_down_band=(-100, 100))
    assert t.agree is False
    assert t.summary().endswith("disagree")
    t = triangulate(120, -2.5, unit_top_down="index points")
    assert t.agree is None and t.summary().endswith("not comparable")
    assert triangulate(120, None).agree is None
    assert t.to_frame().shape == (2, 5)


def test_vestre_toten_population_synthetic_control():
    panel = read_population_panel()
    complete = panel.groupby("municipality_code")["pop"].count()
    panel = panel[panel["municipality_code"].isin(complete[complete == complete.max()].index)]
    panel = outcome_index(panel, unit="municipality_code", time="year", outcome="pop", base=2009)
    donors = [d for d in comparison_donors(read_municipality_hierarchy(), treated="3443")
              if d in set(panel["municipality_code"])]
    res = synthetic_control(panel, unit="municipality_code", time="year", outcome="pop_index",
                            treated="3443", treatment_start=2010, donors=donors)
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.pre_rmspe < 0.5  # index points
    assert res.treated_path.loc[2009] == pytest.approx(100.0)
    # Vestre Toten grew 12 714 -> 13 612 (2009-2026): index 107.1.
    assert res.treated_path.loc[2026] == pytest.approx(100 * 13612 / 12714, abs=0.01)
    placebo = res.placebo()
    assert placebo.gaps.shape[1] == len(donors) + 1
    figures = counterfactual_figures(res, placebo, type("D", (), {"att": 0.1, "se": 0.2})())
    assert set(figures) == {"counterfactual.att", "counterfactual.p_value", "counterfactual.pre_rmspe", "did.att", "did.se"}
    assert 0 < figures["counterfactual.p_value"] <= 1


def _small_population():
    import pandas as pd

    rows = []
    # A (treated) and B share region R1 and county 01; C and D are in R2 (county 02); D lacks 2005; E is too big.
    pops = {"A": [100, 110], "B": [200, 210], "C": [50, 60], "D": [None, 80], "E": [5000, 5100]}
    for code, values in pops.items():
        for year, pop in zip((2005, 2006), values):
            if pop is not None:
                rows.append({"municipality_code": code, "municipality_name": code, "year": year, "pop": pop,
                             "pop_0_14": pop * 0.2, "pop_20_66": pop * 0.6, "pop_67_plus": pop * 0.2})
    panel = pd.DataFrame(rows)
    hierarchy = pd.DataFrame({"municipality_code": list("ABCDE"), "ba_region_code": ["R1", "R1", "R2", "R2", "R3"],
                              "county_code": ["01", "01", "02", "02", "02"]})
    return panel, hierarchy


def test_population_outcome_adds_age_shares_and_index():
    from evalkit.methods.counterfactual.design import population_outcome

    panel, _ = _small_population()
    out = population_outcome(panel[panel["municipality_code"] != "D"], first_year=2005, base_year=2005)
    a = out[out["municipality_code"] == "A"].set_index("year")
    assert a["pop_index"].tolist() == [100.0, 110.0]
    assert a["share_20_66"].tolist() == pytest.approx([0.6, 0.6])


def test_comparable_donors_are_outside_the_region_complete_and_of_similar_size():
    from evalkit.methods.counterfactual.design import comparable_donors

    panel, hierarchy = _small_population()
    # B is in A's region, D has no 2005, E is too large: only C remains.
    assert comparable_donors(panel, hierarchy, treated="A", base_year=2005, population_range=(10, 1000)) == ["C"]
    assert comparable_donors(panel, hierarchy, treated="A", base_year=2005, population_range=(10, 1000), exclude=["C"]) == []


def test_comparison_paths_index_the_region_without_the_treated_unit_and_the_whole_county():
    from evalkit.methods.counterfactual.design import comparison_paths

    panel, hierarchy = _small_population()
    paths = comparison_paths(panel, hierarchy, treated="A", base_year=2005)
    assert paths.loc[2006, "treated"] == pytest.approx(110.0)
    assert paths.loc[2006, "region"] == pytest.approx(105.0)  # B alone: 210 / 200
    assert paths.loc[2006, "county"] == pytest.approx(100 * 320 / 300)  # A + B
