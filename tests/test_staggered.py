"""Staggered DiD (Callaway & Sant'Anna 2021) reproduces R did's published mpdta example.

Published numbers: R package did 2.5.1 documentation (README, vignette "Getting Started
with the did Package", reference pages of att_gt and aggte); see
tests/data/validation/mpdta_README.md. R prints bootstrap standard errors (1,000 Rademacher
multiplier draws, IQR scale), which vary by run in the third digit; where several runs
are published the test compares with their mean, and it compares with evalkit's bootstrap
at many draws (the value R's bootstrap scatters around).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.methods.counterfactual.staggered import StaggeredAggregate, StaggeredDiD, staggered_did

DATA = Path(__file__).parent / "data" / "validation" / "mpdta.csv"
KW = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
CELLS = [(g, t) for g in (2004, 2006, 2007) for t in (2004, 2005, 2006, 2007)]

# att_gt without covariates (the same for dr, ipw and reg)
ATT_GT = [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412,
          0.0305, -0.0027, -0.0311, -0.0261]
# bootstrap s.e.s of three published runs: README (reg), vignette (dr), att_gt reference (dr)
SE_GT_RUNS = [
    [0.0246, 0.0332, 0.0397, 0.0357, 0.0229, 0.0197, 0.0179, 0.0192, 0.0154, 0.0164, 0.0184, 0.0170],
    [0.0243, 0.0331, 0.0412, 0.0358, 0.0230, 0.0210, 0.0175, 0.0196, 0.0147, 0.0156, 0.0179, 0.0175],
    [0.0258, 0.0341, 0.0384, 0.0354, 0.0235, 0.0192, 0.0184, 0.0207, 0.0161, 0.0157, 0.0184, 0.0176],
]
# xformla = ~lpop, doubly robust (att_gt reference page)
ATT_GT_LPOP = [-0.0145, -0.0764, -0.1404, -0.1069, -0.0005, -0.0062, 0.0010, -0.0413,
               0.0267, -0.0046, -0.0284, -0.0288]
SE_GT_LPOP = [0.0222, 0.0303, 0.0382, 0.0358, 0.0231, 0.0188, 0.0204, 0.0210, 0.0140, 0.0170, 0.0187, 0.0161]
ATT_GT_LPOP_NYT = [-0.0212, -0.0816, -0.1382, -0.1069, -0.0075, -0.0046, 0.0087, -0.0413,
                   0.0269, -0.0042, -0.0284, -0.0288]
SE_GT_LPOP_NYT = [0.0217, 0.0324, 0.0368, 0.0344, 0.0233, 0.0184, 0.0182, 0.0205, 0.0136, 0.0153, 0.0191, 0.0167]

# aggte (no covariates): (overall, overall s.e. runs), {key: (att, [s.e. runs])}
AGG = {
    "simple": (-0.0400, [0.0119], {}),
    "dynamic": (
        -0.0772,
        [0.0208, 0.0219, 0.0203],
        {
            -3: (0.0305, [0.0154, 0.0154, 0.0157]),
            -2: (-0.0006, [0.0129, 0.0132, 0.0136]),
            -1: (-0.0245, [0.0145, 0.0153, 0.0144]),
            0: (-0.0199, [0.0119, 0.0123, 0.0124]),
            1: (-0.0510, [0.0160, 0.0167, 0.0163]),
            2: (-0.1373, [0.0393, 0.0413, 0.0402]),
            3: (-0.1008, [0.0356, 0.0351, 0.0354]),
        },
    ),
    "group": (
        -0.0310,
        [0.0126, 0.0126],
        {2004: (-0.0797, [0.0300, 0.0291]), 2006: (-0.0229, [0.0163, 0.0176]), 2007: (-0.0261, [0.0167, 0.0175])},
    ),
    "calendar": (
        -0.0417,
        [0.0175],
        {2004: (-0.0105, [0.0242]), 2005: (-0.0704, [0.0319]), 2006: (-0.0488, [0.0206]), 2007: (-0.0371, [0.0133])},
    ),
}
# published values are rounded to 4 decimals
ATOL = 6e-5


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def fit(mpdta) -> StaggeredDiD:
    return staggered_did(mpdta, **KW)


@pytest.fixture(scope="module")
def fit_boot(mpdta) -> StaggeredDiD:
    # many draws: the value that R's 1,000-draw bootstrap scatters around
    return staggered_did(mpdta, **KW, bootstrap=20000, seed=0)


def _cells(result: StaggeredDiD) -> pd.DataFrame:
    return result.att_gt.set_index(["cohort", "time"]).loc[CELLS]


# --------------------------------------------------------------------------- published


def test_att_gt_reproduces_published_point_estimates(mpdta):
    for method in ("dr", "ipw", "reg"):
        a = _cells(staggered_did(mpdta, **KW, method=method))
        np.testing.assert_allclose(a["att"], ATT_GT, atol=ATOL, err_msg=method)


def test_att_gt_bootstrap_se_within_5_percent_of_published(fit_boot):
    a = _cells(fit_boot)
    published = np.mean(SE_GT_RUNS, axis=0)
    np.testing.assert_allclose(a["se"], published, rtol=0.05)


def test_analytic_se_is_below_the_iqr_bootstrap_for_small_cohorts(fit, fit_boot):
    # R's bootstrap s.e. is an IQR scale; with 20 treated counties in 2004 the multiplier
    # distribution is light-tailed, so it exceeds the influence-function s.e.
    a, b = _cells(fit), _cells(fit_boot)
    np.testing.assert_allclose(a["se"], b["se_analytic"], rtol=1e-12)
    assert (b.loc[2004, "se"] > a.loc[2004, "se"]).all()
    # and the analytic one is still close to the published runs
    np.testing.assert_allclose(a["se"], np.mean(SE_GT_RUNS, axis=0), rtol=0.12)


@pytest.mark.parametrize("kind", list(AGG))
def test_aggregations_reproduce_published(fit, fit_boot, kind):
    overall, overall_se_runs, rows = AGG[kind]
    agg = fit.aggregate(kind)
    assert abs(agg.att - overall) <= ATOL
    boot = fit_boot.aggregate(kind)
    assert boot.att == pytest.approx(agg.att, abs=1e-15)
    assert boot.se == pytest.approx(np.mean(overall_se_runs), rel=0.05)
    if rows:
        key = {"dynamic": "event_time", "group": "cohort", "calendar": "time"}[kind]
        by = agg.by.set_index(key)
        bb = boot.by.set_index(key)
        assert list(by.index) == list(rows)
        np.testing.assert_allclose(by["att"], [v[0] for v in rows.values()], atol=ATOL)
        np.testing.assert_allclose(bb["se"], [np.mean(v[1]) for v in rows.values()], rtol=0.05)
    else:
        assert agg.by.empty


def test_simple_aggregate_analytic_se(fit):
    # -0.0400 with s.e. about 0.0118-0.0119 as published (bootstrap); analytic 0.0120
    agg = fit.aggregate("simple")
    assert agg.att == pytest.approx(-0.0400, abs=ATOL)
    assert agg.se == pytest.approx(0.0119, rel=0.05)
    assert agg.ci_low < agg.att < agg.ci_high


@pytest.mark.parametrize(
    ("control", "att", "se"),
    [("never_treated", ATT_GT_LPOP, SE_GT_LPOP), ("not_yet_treated", ATT_GT_LPOP_NYT, SE_GT_LPOP_NYT)],
)
def test_covariate_lpop_reproduces_published(mpdta, control, att, se):
    r = staggered_did(mpdta, **KW, covariates="lpop", control=control, bootstrap=20000, seed=0)
    a = _cells(r)
    np.testing.assert_allclose(a["att"], att, atol=ATOL)
    # one published 1,000-draw run each: its own noise is ~3 %, so allow 10 %
    np.testing.assert_allclose(a["se"], se, rtol=0.10)


# --------------------------------------------------------------------------- identities


def test_methods_agree_without_covariates(mpdta):
    fits = [staggered_did(mpdta, **KW, method=m, control="not_yet_treated") for m in ("dr", "ipw", "reg")]
    for f in fits[1:]:
        np.testing.assert_allclose(f.att_gt["att"], fits[0].att_gt["att"], atol=1e-12)
        np.testing.assert_allclose(f.att_gt["se"], fits[0].att_gt["se"], rtol=1e-9)


def test_cell_is_the_two_by_two_did(mpdta, fit):
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first()
    change = wide[2006] - wide[2003]
    by_hand = change[g == 2004].mean() - change[g == 0].mean()
    got = fit.att_gt.set_index(["cohort", "time"]).loc[(2004, 2006), "att"]
    assert got == pytest.approx(by_hand, abs=1e-12)


def test_universal_base_period(mpdta, fit):
    u = staggered_did(mpdta, **KW, base_period="universal")
    a = u.att_gt.set_index(["cohort", "time"])
    v = fit.att_gt.set_index(["cohort", "time"])
    # the reference period g-1 is reported as 0 with no standard error
    assert a.loc[(2007, 2006), "att"] == 0 and np.isnan(a.loc[(2007, 2006), "se"])
    assert a.loc[(2004, 2003), "att"] == 0
    # post-treatment cells do not depend on the base-period choice
    for cell in [(2004, 2005), (2006, 2007), (2007, 2007)]:
        assert a.loc[cell, "att"] == pytest.approx(v.loc[cell, "att"], abs=1e-14)
    # a universal pre-period effect is minus the sum of the consecutive ones after it
    assert a.loc[(2007, 2004), "att"] == pytest.approx(
        -(v.loc[(2007, 2005), "att"] + v.loc[(2007, 2006), "att"]), abs=1e-12
    )
    dyn = u.aggregate("dynamic").by.set_index("event_time")
    assert dyn.loc[-1, "att"] == 0 and np.isnan(dyn.loc[-1, "se"])


def test_anticipation_one(mpdta):
    with pytest.warns(UserWarning, match="no pre-treatment"):
        r = staggered_did(mpdta, **KW, anticipation=1)
    # with one period of anticipation, the 2004 cohort has no clean pre-period (R drops it)
    assert r.notes == ("dropped_cohort=2004:no_pre_period:units=20",)
    assert r.cohorts == (2006.0, 2007.0)
    assert r.n_units == 480
    a = r.att_gt.set_index(["cohort", "time"])
    # post-treatment cells use g - 2 as base
    assert a.loc[(2006, 2006), "base_time"] == 2004
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first()
    change = wide[2006] - wide[2004]
    assert a.loc[(2006, 2006), "att"] == pytest.approx(
        change[g == 2006].mean() - change[g == 0].mean(), abs=1e-12
    )
    # not-yet-treated: in 2005 (base 2004) cohort 2007 anticipates from 2006 and is a control
    ny = staggered_did(mpdta[mpdta["first.treat"] != 2004], **KW, anticipation=1, control="not_yet_treated")
    change = wide[2005] - wide[2004]
    ctrl = (g == 0) | (g == 2007)
    assert ny.att_gt.set_index(["cohort", "time"]).loc[(2006, 2005), "att"] == pytest.approx(
        change[g == 2006].mean() - change[ctrl].mean(), abs=1e-12
    )


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_reproducible_and_wider_than_pointwise(mpdta):
    a = staggered_did(mpdta, **KW, bootstrap=999, seed=7)
    b = staggered_did(mpdta, **KW, bootstrap=999, seed=7)
    c = staggered_did(mpdta, **KW, bootstrap=999, seed=8)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    pd.testing.assert_frame_equal(a.aggregate("dynamic").by, b.aggregate("dynamic").by)
    assert not np.allclose(a.att_gt["se"], c.att_gt["se"])
    z = 1.959963984540054
    assert a.crit > z
    t = a.att_gt
    assert (t["band_low"] < t["ci_low"]).all() and (t["band_high"] > t["ci_high"]).all()
    dyn = a.aggregate("dynamic")
    assert dyn.crit > z
    assert (dyn.by["band_high"] - dyn.by["band_low"] > dyn.by["ci_high"] - dyn.by["ci_low"]).all()
    # published sup-t critical value of the 12 cells is about 2.6-2.7
    assert 2.4 < a.crit < 2.9


def test_no_bootstrap_band_is_pointwise(fit):
    by = fit.aggregate("group").by
    np.testing.assert_allclose(by["band_low"], by["ci_low"])
    np.testing.assert_allclose(by["se"], by["se_analytic"])


# --------------------------------------------------------------------------- guards


def test_unbalanced_panel_is_refused(mpdta):
    with pytest.raises(InputError, match="unbalanced"):
        staggered_did(mpdta.iloc[1:], **KW)


def test_duplicate_rows_are_refused(mpdta):
    with pytest.raises(InputError, match="more than one row"):
        staggered_did(pd.concat([mpdta, mpdta.iloc[:1]]), **KW)


def test_cohort_varying_within_unit_is_refused(mpdta):
    d = mpdta.copy()
    d.loc[d.index[0], "first.treat"] = 2006
    with pytest.raises(InputError, match="varies within unit 8001"):
        staggered_did(d, **KW)


def test_never_treated_placeholder_is_refused(mpdta):
    d = mpdta.copy()
    d.loc[d["first.treat"] == 0, "first.treat"] = 9999
    with pytest.raises(InputError, match="placeholder") as err:
        staggered_did(d, **KW)
    assert "Use 0" in str(err.value)


def test_missing_cohort_means_never_treated(mpdta, fit):
    d = mpdta.copy()
    d["first.treat"] = d["first.treat"].where(d["first.treat"] > 0)
    r = staggered_did(d, **KW)
    pd.testing.assert_frame_equal(r.att_gt, fit.att_gt)


def test_no_comparison_units_is_refused(mpdta):
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(InputError, match="no never-treated units"):
        staggered_did(treated_only, **KW)
    # not yet treated: in 2007 every unit is treated
    with pytest.raises(InputError, match="cohort 2004 has no comparison units in period 2007"):
        staggered_did(treated_only, **KW, control="not_yet_treated")


def test_first_period_cohort_is_dropped_with_a_note(mpdta, fit):
    d = mpdta.copy()
    ids = d.loc[d["first.treat"] == 0, "countyreal"].unique()[:5]
    d.loc[d["countyreal"].isin(ids), "first.treat"] = 2003
    with pytest.warns(UserWarning, match="5 units treated in the first period"):
        r = staggered_did(d, **KW)
    assert r.notes == ("dropped_cohort=2003:no_pre_period:units=5",)
    assert r.n_units == 495 and r.cohorts == (2004.0, 2006.0, 2007.0)
    assert r.context()["notes"] == list(r.notes)


def test_bad_parameters_are_refused(mpdta):
    for kw in (dict(method="ols"), dict(control="all"), dict(base_period="fixed"),
               dict(anticipation=-1), dict(bootstrap=1.5), dict(alpha=1.0)):
        with pytest.raises(InputError):
            staggered_did(mpdta, **KW, **kw)
    with pytest.raises(InputError, match="not in the data"):
        staggered_did(mpdta, **{**KW, "outcome": "emp"})
    d = mpdta.copy()
    d.loc[3, "lemp"] = np.nan
    with pytest.raises(InputError, match="missing"):
        staggered_did(d, **KW)


# --------------------------------------------------------------------------- result contract


def test_result_contract(fit):
    assert isinstance(fit.aggregate("dynamic"), StaggeredAggregate)
    frame = fit.to_frame()
    frame.loc[0, "att"] = 99
    assert fit.att_gt.loc[0, "att"] != 99
    assert {"cohort", "time", "att", "se", "ci_low", "ci_high"} <= set(fit.att_gt.columns)
    tidy = fit.tidy()
    assert list(tidy.columns[:4]) == ["term", "cohort", "time", "estimate"] and "std_error" in tidy
    figs = fit.figures(prefix="portfolio")
    assert figs["portfolio.att.simple"] == pytest.approx(-0.0400, abs=ATOL)
    assert figs["portfolio.att.simple.se"] == pytest.approx(fit.aggregate("simple").se)
    assert figs["portfolio.att.dynamic"] == pytest.approx(-0.0772, abs=ATOL)
    assert figs["portfolio.att.group"] == pytest.approx(-0.0310, abs=ATOL)
    assert figs["portfolio.att.calendar"] == pytest.approx(-0.0417, abs=ATOL)
    assert all(isinstance(v, float) for v in figs.values())
    assert set(fit.figures(prefix="x")) == {k.replace("portfolio", "x", 1) for k in figs}
    ctx = fit.context()
    assert ctx["att"] == pytest.approx(-0.0400, abs=ATOL) and ctx["n_units"] == 500
    dyn = fit.aggregate("dynamic")
    assert dyn.context()["rows"][0]["event_time"] == -3
    assert dyn.tidy()["term"].iloc[0] == "overall"
    assert "<table" in fit._repr_html_() and "<table" in dyn._repr_html_()
    assert fit.aggregate("dynamic") is dyn  # cached


def test_plot_event_study(fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = fit.plot(labels={"y": "log teen employment"})
    assert ax.get_ylabel() == "log teen employment"
    assert ax.get_xlabel() == "periods since first treated"
    plt.close(fig)
    fig, ax = plt.subplots()
    out = fit.aggregate("group").plot(ax)
    assert out == (fig, ax)
    plt.close(fig)


# --------------------------------------------------------------------------- cross-check


CONFIGS = [
    dict(method=m, control=c, covariates=cov)
    for m in ("dr", "ipw", "reg")
    for c in ("never_treated", "not_yet_treated")
    for cov in (None, ["lpop"])
] + [dict(method="reg", control="not_yet_treated", covariates=["lpop"], base_period="universal")]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_matches_diff_diff(mpdta, config):
    dd = pytest.importorskip("diff_diff")
    ours = staggered_did(mpdta, **KW, **config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = dd.CallawaySantAnna(
            control_group=config["control"],
            estimation_method=config["method"],
            base_period=config.get("base_period", "varying"),
            # R did caps propensity scores at 1 - 1e-6 (and trims controls above 0.995);
            # diff-diff's default clips them to [0.01, 0.99]
            pscore_trim=1e-6,
        ).fit(
            mpdta.rename(columns={"first.treat": "first_treat"}),
            outcome="lemp", unit="countyreal", time="year", first_treat="first_treat",
            covariates=config["covariates"], aggregate="all",
        )
    gt = theirs.group_time_effects
    a = ours.att_gt
    post = a[a["post"]]
    assert set(zip(post["cohort"], post["time"])) <= set(gt)
    # the doubly robust fits with covariates differ slightly (each library's logit and
    # regression solve); everything else agrees to rounding
    rtol = 1e-4 if config["method"] == "dr" and config["covariates"] else 1e-9
    atol = 5e-6 if rtol > 1e-9 else 1e-12
    for r in post.itertuples():
        e = gt[(r.cohort, r.time)]
        assert r.att == pytest.approx(e["effect"], abs=atol)
        assert r.se == pytest.approx(e["se"], rel=rtol)
    simple = ours.aggregate("simple")
    assert simple.att == pytest.approx(theirs.overall_att, abs=atol)
    assert simple.se == pytest.approx(theirs.overall_se, rel=rtol)
    for r in ours.aggregate("group").by.itertuples():
        e = theirs.group_effects[r.cohort]
        assert r.att == pytest.approx(e["effect"], abs=atol)
        assert r.se == pytest.approx(e["se"], rel=rtol)
    for r in ours.aggregate("dynamic").by.itertuples():
        if r.event_time >= 0:
            e = theirs.event_study_effects[r.event_time]
            assert r.att == pytest.approx(e["effect"], abs=atol)
            assert r.se == pytest.approx(e["se"], rel=rtol)


def test_covariates_come_from_the_earlier_period(mpdta):
    # Every cell compares a period with an earlier one no later than 2006, so values of a
    # covariate in 2007 are never used (R did takes them from the base period).
    base = staggered_did(mpdta, **KW, covariates="lpop")
    d = mpdta.copy()
    late = d["year"] == 2007
    d.loc[late, "lpop"] = d.loc[late, "lpop"] + np.random.default_rng(0).normal(0, 1, late.sum())
    moved = staggered_did(d, **KW, covariates="lpop")
    pd.testing.assert_frame_equal(moved.att_gt, base.att_gt)
    d.loc[d["year"] == 2003, "lpop"] += np.random.default_rng(1).normal(0, 1, 500)
    changed = staggered_did(d, **KW, covariates="lpop").att_gt.set_index(["cohort", "time"])
    # ATT(2004, 2007) uses 2003 as base and so its covariates
    assert changed.loc[(2004, 2007), "att"] != pytest.approx(
        base.att_gt.set_index(["cohort", "time"]).loc[(2004, 2007), "att"], abs=1e-6
    )


def test_pretrend_test_is_a_nonnegative_wald_statistic_on_mpdta():
    data = pd.read_csv(Path(__file__).parent / "data" / "validation" / "mpdta.csv")
    result = staggered_did(data, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    test = result.pretrend_test()
    assert test["statistic"] >= 0 and test["df"] == 5  # 2006 and 2007 cohorts' pre-period cells (varying base)
    # R did's README, summary of att_gt(mpdta): "P-value for pre-test of parallel trends assumption: 0.16812".
    assert test["p_value"] == pytest.approx(0.16812, abs=5e-6)
