"""portfolio_study: which programmes and municipalities it uses, that it runs the estimators it names, known effects."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.io.register import programme_register
from evalkit.io.ssb import read_population_panel
from evalkit.methods.counterfactual.pooled import pooled_synthetic_control
from evalkit.methods.counterfactual.portfolio_study import PortfolioStudy, portfolio_study
from evalkit.methods.counterfactual.staggered import staggered_did

FIGURE_KEYS = {
    "portfolio.programmes", "portfolio.att.simple", "portfolio.att.simple.se", "portfolio.att.dynamic",
    "portfolio.pooled_sc.att", "portfolio.pooled_sc.p_value", "portfolio.pretrend_p",
}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return read_population_panel()


@pytest.fixture(scope="module")
def study(panel) -> PortfolioStudy:
    return portfolio_study(panel, programme_register(), bootstrap=99, permutations=99, placebos=19, seed=1)


# --------------------------------------------------------------------------- the shipped data


def test_uses_the_programmes_with_three_pre_years_and_lists_the_rest(study):
    reg = study.register
    assert len(reg) == 35
    assert (reg["status"] == "used").sum() == 26
    # Eight start before 2005 + 3 (Sør-Varanger 1991 ... Berlevåg 2007).
    early = reg.index[reg["status"] == "starts_too_early"]
    assert set(early) == {"sor-varanger-1991", "vaksdal-1997", "amot-2001", "al-2002", "valer-hedmark-2002",
                          "vanylven-2004", "meraker-2006", "berlevag-2007"}
    assert reg.loc[early, "first_year"].max() < 2008
    # Sør-Varanger's second programme (2016) is in a municipality first treated in 1991.
    assert reg.at["sor-varanger-2016", "status"] == "earlier_programme"
    # Elverumregionen keeps Elverum only: Våler and Åmot had programmes in 2002 and 2001.
    assert reg.at["elverumregionen-2015", "analysed_codes"] == ("3420",)
    assert reg.at["ringeriksregionen-2013", "analysed_codes"] == ("3305", "3236", "3310")


def test_municipalities_left_out_of_treated_and_controls(study, panel):
    ex = study.excluded
    assert (ex["reason"] == "programme_before_window").sum() == 8
    assert set(ex.index[ex["reason"] == "approximate"]) == set(panel.loc[panel["approximate"], "municipality_code"])
    counts = panel.groupby("municipality_code").size()
    assert set(ex.index[ex["reason"] == "incomplete"]) == set(counts.index[counts < counts.max()])
    units = study.units
    assert not set(ex.index) & set(units.index)
    assert len(units) + len(ex) == panel["municipality_code"].nunique() == 357
    assert (units["cohort"] > 0).sum() == 29 and (units["cohort"] == 0).sum() == 311
    assert units["cohort"][units["cohort"] > 0].between(2008, 2026).all()


def test_runs_staggered_did_as_documented(study, panel):
    keep = study.units.index
    frame = panel[panel["municipality_code"].isin(keep)].copy()
    frame["cohort"] = frame["municipality_code"].map(study.units["cohort"])
    frame["log"] = np.log(frame["pop"])
    direct = staggered_did(frame, outcome="log", unit="municipality_code", time="year", cohort="cohort",
                           control="not_yet_treated", method="dr", base_period="varying", bootstrap=99, seed=1)
    mine = study.staggered[("log", "not_yet_treated")]
    pd.testing.assert_frame_equal(mine.att_gt, direct.att_gt)
    assert mine.aggregate("dynamic").att == pytest.approx(direct.aggregate("dynamic").att, abs=1e-15)
    # The index outcome is population / first-year population x 100.
    first = frame[frame["year"] == 2005].set_index("municipality_code")["pop"]
    frame["index"] = frame["pop"] / frame["municipality_code"].map(first) * 100
    idx = staggered_did(frame, outcome="index", unit="municipality_code", time="year", cohort="cohort")
    assert study.staggered[("index", "never_treated")].att_gt["att"].to_numpy() == pytest.approx(
        idx.att_gt["att"].to_numpy(), abs=1e-10)


def test_pooled_synthetic_control_is_by_programme_with_summed_population(study, panel):
    units = study.primary_pooled.units
    assert len(units) == 26 and units["used"].all()
    assert units.loc["ringeriksregionen-2013", "start"] == 2013
    # Rebuild the regional programme by hand: the sum of its three municipalities against the never-treated.
    donors = study.units.index[study.units["cohort"] == 0]
    codes = ["3305", "3236", "3310"]
    region = panel[panel["municipality_code"].isin(codes)].groupby("year", as_index=False)["pop"].sum()
    region["municipality_code"] = "region"
    data = pd.concat([panel[panel["municipality_code"].isin(donors)], region])
    alone = pooled_synthetic_control(data, unit="municipality_code", time="year", outcome="pop",
                                     starts={"region": 2013}, normalise="log", permutations=9)
    assert units.loc["ringeriksregionen-2013", "post_mean_gap"] == pytest.approx(
        alone.units.loc["region", "post_mean_gap"], abs=1e-9)


def test_figures_are_exactly_the_seven_keys(study):
    figures = study.figures()
    assert set(figures) == FIGURE_KEYS
    assert figures["portfolio.programmes"] == 26
    simple = study.staggered[("log", "never_treated")].aggregate("simple")
    assert figures["portfolio.att.simple"] == simple.att
    assert figures["portfolio.att.simple.se"] == simple.se
    assert figures["portfolio.pooled_sc.att"] == study.pooled["log"].att
    assert figures["portfolio.pretrend_p"] == study.staggered[("log", "never_treated")].pretrend_test()["p_value"]
    assert 0 < figures["portfolio.pooled_sc.p_value"] <= 1
    assert all(isinstance(v, float) and math.isfinite(v) for v in figures.values())


def test_placebo_calibration_of_the_pre_trend_test(study):
    placebos = study.pretrend_placebos
    assert len(placebos) == 19 and list(placebos.columns) == ["statistic", "df", "p_value", "pre_mean", "att"]
    calibration = study.pretrend_calibration()
    # On the shipped data the raw test rejects for nearly every placebo: its p-value is no evidence by itself.
    assert calibration["placebo_reject_share"] > 0.9
    ratio = placebos["statistic"] / placebos["df"]
    actual = study.pretrend()
    assert calibration["calibrated_p"] == (1 + (ratio >= actual["statistic"] / actual["df"]).sum()) / 20
    # The programme municipalities lost population faster than the others before their programmes started.
    assert calibration["pre_mean"] < 0
    again = portfolio_study(read_population_panel(), programme_register(), outcomes=("log",),
                            control=("never_treated",), bootstrap=0, permutations=9, placebos=19, seed=1)
    pd.testing.assert_frame_equal(again.pretrend_placebos, placebos)  # same seed, same placebos


def test_result_contract(study):
    frame = study.to_frame()
    assert len(frame) == 6  # 2 outcomes x 2 comparison groups + pooled synthetic control for 2 outcomes
    frame.loc[0, "att"] = 99.0
    assert study.to_frame().loc[0, "att"] != 99.0  # a copy
    tidy = study.tidy()
    assert {"term", "estimate", "std_error", "conf_low", "conf_high", "p_value"} <= set(tidy.columns)
    context = study.context()
    json.dumps(context)  # plain values only
    assert context["programmes"] == 26 and context["primary"]["outcome"] == "log"
    assert context["primary"]["att_share"] == pytest.approx(math.expm1(context["primary"]["att"]))
    assert "<table" in study._repr_html_()
    fig, ax = study.plot(labels={"x": "år"})
    assert ax.get_xlabel() == "år"
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(Exception):
        study.seed = 2  # frozen


# --------------------------------------------------------------------------- known effects


def fake(effect: float, *, decline_before: float = 0.0, seed: int = 0, n: int = 80, treated: int = 16):
    """Log population = unit level + a common path + noise (parallel trends hold), and a register of
    ``treated`` one-municipality programmes starting 2004-2011."""
    rng = np.random.default_rng(seed)
    years = np.arange(2000, 2016)
    common = np.cumsum(rng.normal(0, 0.01, size=len(years)))
    level = rng.normal(8, 0.5, n)
    logp = level[None, :] + common[:, None] + rng.normal(0, 0.005, size=(len(years), n))
    codes = [f"{1000 + i}" for i in range(n)]
    starts = {codes[i]: int(2004 + i % 8) for i in range(treated)}
    for i, code in enumerate(codes[:treated]):
        s = starts[code]
        logp[:, i] += np.where(years >= s, effect, 0.0) + decline_before * (years - years[0])
    rows = [{"municipality_code": c, "municipality_name": f"M{c}", "year": int(y), "pop": float(np.exp(logp[t, i])),
             "approximate": False} for i, c in enumerate(codes) for t, y in enumerate(years)]
    register = pd.DataFrame(
        {"name": [f"P{c}" for c in starts], "municipality_codes": [(c,) for c in starts],
         "first_year": list(starts.values()), "last_year": [s + 5 for s in starts.values()],
         "sources": [(("Publisher", "Title", "http://example.org", "quote"),)] * len(starts)},
        index=pd.Index([f"p{c}" for c in starts], name="programme_id"),
    )
    return pd.DataFrame(rows), register


def test_recovers_a_known_effect_and_keeps_parallel_pre_trends():
    panel, register = fake(0.05)
    study = portfolio_study(panel, register, bootstrap=99, permutations=199, placebos=39, seed=3)
    f = study.figures()
    assert f["portfolio.programmes"] == 16
    assert f["portfolio.att.simple"] == pytest.approx(0.05, abs=0.01)
    assert f["portfolio.att.dynamic"] == pytest.approx(0.05, abs=0.01)
    assert f["portfolio.pooled_sc.att"] == pytest.approx(0.05, abs=0.015)
    assert f["portfolio.pooled_sc.p_value"] < 0.05
    calibration = study.pretrend_calibration()
    assert calibration["att_p"] == pytest.approx(1 / 40)  # no placebo comes near 5 %
    # Two programme municipalities per start year: the raw joint test rejects true parallel trends ...
    assert f["portfolio.pretrend_p"] < 0.01
    assert calibration["placebo_reject_share"] > 0.5
    # ... and the placebo-calibrated tests do not.
    assert calibration["calibrated_p"] > 0.05 and calibration["pre_mean_p"] > 0.05


def test_a_decline_already_under_way_is_flagged_by_the_pre_trend_test():
    # No effect, but the programme municipalities lose 1 % a year more than the others, before and after.
    panel, register = fake(0.0, decline_before=-0.01, seed=4)
    study = portfolio_study(panel, register, bootstrap=99, permutations=99, placebos=39, seed=3)
    f = study.figures()
    assert f["portfolio.att.simple"] < -0.01  # the continuing decline looks like a negative effect
    # ... and the placebo-calibrated pre-trend tests say why it is not one.
    calibration = study.pretrend_calibration()
    assert calibration["pre_mean"] == pytest.approx(-0.01, abs=0.002)
    assert calibration["pre_mean_p"] == pytest.approx(1 / 40)
    assert calibration["calibrated_p"] == pytest.approx(1 / 40)


def test_settings_choose_outcomes_and_comparison_groups():
    panel, register = fake(0.05, seed=5)
    study = portfolio_study(panel, register, outcomes="index", control=["not_yet_treated"], bootstrap=0,
                            permutations=19, placebos=0)
    assert study.pretrend_placebos.empty and math.isnan(study.pretrend_calibration()["calibrated_p"])
    assert set(study.staggered) == {("index", "not_yet_treated")} and set(study.pooled) == {"index"}
    assert study.figures()["portfolio.att.simple"] == pytest.approx(5.0, abs=1.5)  # index points
    study = portfolio_study(panel, register, min_pre_years=6, bootstrap=0, permutations=19, placebos=0)
    assert (study.units["cohort"][study.units["cohort"] > 0] >= 2006).all()
    assert study.figures()["portfolio.programmes"] == 12  # starts 2006-2011 of 2004-2011


@pytest.mark.parametrize("kwargs, parameter", [
    ({"outcomes": ("log", "levels")}, "outcomes"),
    ({"outcomes": ()}, "outcomes"),
    ({"control": ("never_treated", "never_treated")}, "control"),
    ({"min_pre_years": 0}, "min_pre_years"),
    ({"permutations": 0}, "permutations"),
    ({"bootstrap": -1}, "bootstrap"),
    ({"placebos": 1.5}, "placebos"),
    ({"min_pre_years": 15}, "register"),  # no programme leaves 15 years of 16 before its start
])
def test_bad_settings_are_input_errors(kwargs, parameter):
    panel, register = fake(0.0)
    with pytest.raises(InputError) as caught:
        portfolio_study(panel, register, **{"bootstrap": 0, "permutations": 9, "placebos": 0} | kwargs)
    assert caught.value.location.parameter == parameter


def test_bad_panel_and_register_are_input_errors():
    panel, register = fake(0.0)
    with pytest.raises(InputError, match="'pop'"):
        portfolio_study(panel.drop(columns="pop"), register)
    with pytest.raises(InputError, match="more than one row"):
        portfolio_study(pd.concat([panel, panel.head(1)]), register)
    with pytest.raises(InputError, match="'first_year'"):
        portfolio_study(panel, register.drop(columns="first_year"))
