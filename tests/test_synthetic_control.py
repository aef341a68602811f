"""Synthetic control, validated against ADH (2010) Table 2 and Abadie-Gardeazabal (2003)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from evalkit.methods.counterfactual.synthetic_control import synthetic_control
from evalkit.errors import InputError
from evalkit.methods.counterfactual.synthetic_control import simplex_least_squares

DATA = Path(__file__).parent / "data" / "validation"

PROP99_PREDICTORS = [
    ("lnincome", range(1980, 1989)),
    ("age15to24", range(1980, 1989)),
    ("retprice", range(1980, 1989)),
    ("beer", range(1984, 1989)),
    ("cigsale", 1975),
    ("cigsale", 1980),
    ("cigsale", 1988),
]
# ADH (2010), Table 2: weights of synthetic California.
ADH_WEIGHTS = {"Utah": 0.334, "Nevada": 0.234, "Montana": 0.199, "Colorado": 0.164, "Connecticut": 0.069}


@pytest.fixture(scope="module")
def smoking() -> pd.DataFrame:
    return pd.read_csv(DATA / "prop99_smoking.csv")


@pytest.fixture(scope="module")
def prop99(smoking):
    return synthetic_control(
        smoking, unit="state", time="year", outcome="cigsale", treated="California",
        treatment_start=1989, predictors=PROP99_PREDICTORS,
    )


@pytest.fixture(scope="module")
def basque():
    data = pd.read_csv(DATA / "basque.csv")
    data = data[data["regionname"] != "Spain (Espana)"]  # the national aggregate is no donor
    school = ["school.illit", "school.prim", "school.med", "school.high", "school.post.high"]
    sectors = ["sec.agriculture", "sec.energy", "sec.industry", "sec.construction",
               "sec.services.venta", "sec.services.nonventa"]
    predictors = (
        [(c, range(1964, 1970)) for c in [*school, "invest"]]
        + [("gdpcap", range(1960, 1970))]
        + [(c, range(1961, 1970, 2)) for c in sectors]
        + [("popdens", 1969)]
    )
    return data, predictors


def test_prop99_weights_match_adh_table2(prop99):
    w = prop99.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= 0).all()
    for state, published in ADH_WEIGHTS.items():
        assert w[state] == pytest.approx(published, abs=0.02), state
    others = w.drop(list(ADH_WEIGHTS))
    assert others.max() < 0.02


def test_prop99_fit_and_gap(prop99):
    assert prop99.pre_rmspe == pytest.approx(1.76, abs=0.05)
    assert prop99.gaps.loc[2000] == pytest.approx(-26, abs=1.5)
    assert prop99.att < -15
    # Table 1: synthetic California's retail price and youth share match closely.
    bal = prop99.predictor_balance
    assert bal.loc["retprice (1980-1988)", "synthetic"] == pytest.approx(89.4, abs=0.5)
    assert bal.loc["cigsale (1975)", "synthetic"] == pytest.approx(127.1, abs=0.5)


@pytest.mark.slow
def test_prop99_placebo_ranks_california_first(prop99):
    placebo = prop99.placebo()
    assert placebo.gaps.shape[1] == 39
    assert placebo.rank == 1
    assert placebo.p_value == pytest.approx(1 / 39)
    ratio = placebo.to_frame().loc["California", "mspe_ratio"]
    assert ratio == pytest.approx(130, rel=0.15)
    fig, ax = placebo.plot_gaps(max_pre_rmspe_ratio=5)
    assert len(ax.lines) > 10
    fig2, _ = placebo.plot_ratios()
    lo, hi = placebo.att_band()
    assert lo < 0 < hi


def test_basque_weights(basque):
    data, predictors = basque
    res = synthetic_control(
        data, unit="regionname", time="year", outcome="gdpcap",
        treated="Basque Country (Pais Vasco)", treatment_start=1970,
        predictors=predictors, fit_periods=range(1960, 1970),
    )
    assert res.weights["Cataluna"] == pytest.approx(0.8508, abs=0.02)
    assert res.weights["Madrid (Comunidad De)"] == pytest.approx(0.1492, abs=0.02)
    assert res.weights.drop(["Cataluna", "Madrid (Comunidad De)"]).max() < 0.01
    # About 10 % lower GDP per head than the synthetic Basque Country in the 1990s.
    rel = (res.gaps / res.synthetic_path).loc[1990:1997].mean()
    assert -0.14 < rel < -0.06


def test_basque_wide_search_never_worse(basque):
    data, predictors = basque
    kw = dict(unit="regionname", time="year", outcome="gdpcap", treated="Basque Country (Pais Vasco)",
              treatment_start=1970, predictors=predictors, fit_periods=range(1960, 1970))
    synth = synthetic_control(data, **kw)
    wide = synthetic_control(data, search="wide", **kw)
    assert wide.pre_rmspe <= synth.pre_rmspe + 1e-9


def test_simplex_least_squares_exact():
    # Treated point (0.25, 0.25) lies inside the triangle -> exact fit with barycentric weights.
    X0 = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    x1 = np.array([0.25, 0.25])
    w = simplex_least_squares(X0 - x1[:, None])
    np.testing.assert_allclose(w, [0.5, 0.25, 0.25], atol=1e-10)
    # Outside the hull: nearest point of the segment [(0,0), (1,0)] to (2, 1) is (1, 0).
    X0 = np.array([[0.0, 1.0], [0.0, 0.0]])
    w = simplex_least_squares(X0 - np.array([[2.0], [1.0]]))
    np.testing.assert_allclose(w, [0.0, 1.0], atol=1e-10)


def _toy_panel() -> pd.DataFrame:
    years = np.arange(2000, 2012)
    rows = []
    paths = {"A": 10 + 0.5 * (years - 2000), "B": 20 + 1.5 * (years - 2000), "C": 30 + 0.0 * years}
    # treated = 0.5 A + 0.5 B before 2008, then +3
    paths["T"] = 0.5 * paths["A"] + 0.5 * paths["B"] + np.where(years >= 2008, 3.0, 0.0)
    for u, y in paths.items():
        rows += [{"unit": u, "year": t, "y": v} for t, v in zip(years, y)]
    return pd.DataFrame(rows)


def test_outcome_only_recovers_known_effect():
    res = synthetic_control(_toy_panel(), unit="unit", time="year", outcome="y", treated="T", treatment_start=2008)
    assert res.weights["A"] == pytest.approx(0.5, abs=1e-6)
    assert res.weights["B"] == pytest.approx(0.5, abs=1e-6)
    assert res.att == pytest.approx(3.0, abs=1e-6)
    assert res.pre_rmspe == pytest.approx(0.0, abs=1e-6)
    assert res.v is None
    frame = res.to_frame()
    assert list(frame.columns) == ["treated", "synthetic", "gap", "post"]
    assert "Synthetic control for T" in repr(res)
    assert "<table" in res._repr_html_()
    fig, axes = res.plot()
    assert len(axes) == 2
    assert not hasattr(res, "sentence")  # prose comes from the report templates
    tidy = res.tidy().set_index("term")["estimate"]
    assert tidy["att"] == pytest.approx(3.0, abs=1e-6)


def test_in_time_placebo_and_leave_one_out():
    res = synthetic_control(_toy_panel(), unit="unit", time="year", outcome="y", treated="T", treatment_start=2008)
    fake = res.in_time_placebo(2004)
    assert fake.att == pytest.approx(0.0, abs=1e-6)  # nothing happened in 2004
    loo = res.leave_one_out()
    assert set(loo.table.index) == {"A", "B"}
    fig, ax = loo.plot()
    assert ax.lines


def test_input_errors(smoking):
    kw = dict(unit="state", time="year", outcome="cigsale", treatment_start=1989)
    with pytest.raises(InputError, match="treated"):
        synthetic_control(smoking, treated="Atlantis", **kw)
    with pytest.raises(InputError, match="no period before"):
        synthetic_control(smoking, treated="California", unit="state", time="year", outcome="cigsale",
                          treatment_start=1900)
    with pytest.raises(InputError, match="predictor column"):
        synthetic_control(smoking, treated="California", predictors=["nope"], **kw)
    with pytest.raises(InputError, match="no value"):
        synthetic_control(smoking, treated="California", predictors=[("beer", 1975)], **kw)
    with pytest.raises(InputError, match="donor"):
        synthetic_control(smoking, treated="California", donors=["Utah"], **kw)
    with pytest.raises(InputError, match="more than one row"):
        synthetic_control(pd.concat([smoking, smoking.head(1)]), treated="California", **kw)


# ---- the fast inner solve and the treated-inside-the-hull case


def _sc_module():
    import sys

    return sys.modules["evalkit.methods.counterfactual.synthetic_control"]


def test_warm_inner_solve_equals_nnls_along_a_path():
    """Warm-started solves (previous support + optimality check) give NNLS's weights."""
    sc_mod = _sc_module()
    rng = np.random.default_rng(3)
    k, J = 4, 30
    X0 = rng.normal(size=(k, J))
    x1 = X0.max(axis=1) + 0.5  # outside the hull: W(V) is unique
    D = X0 - x1[:, None]
    inner = sc_mod._WarmInner(D)
    v = np.full(k, 0.25)
    reused = 0
    for _ in range(200):
        v = np.abs(v + rng.normal(scale=0.01, size=k))
        v /= v.sum()
        before = inner.support
        w = inner.weights(v)
        reused += before is not None and inner.support is before
        reference = simplex_least_squares(D * np.sqrt(v)[:, None])
        np.testing.assert_allclose(w, reference, atol=1e-9)
    assert reused > 100  # the warm path is the one exercised


def test_inner_solve_rejects_a_stale_support():
    sc_mod = _sc_module()
    # Donors (0,0), (1,0), (0,1); treated (2,2) is nearest to the segment (1,0)-(0,1) at its middle.
    D = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) - np.array([[2.0], [2.0]])
    inner = sc_mod._WarmInner(D)
    inner.support = np.array([0])  # wrong guess: must fall back to the full solve
    np.testing.assert_allclose(inner.weights(np.array([0.5, 0.5])), [0.0, 0.5, 0.5], atol=1e-10)


def _hull_panel() -> pd.DataFrame:
    # Predictor x: A 0, B 1, C 2, treated 1, so exact balance needs w_A = w_C = t, w_B = 1 - 2t.
    # Outcome (two pre periods): A 0, B 10, C 4, treated 6 -> 10 - 16 t = 6 gives t = 0.25.
    rows = []
    for u, x, y in (("A", 0.0, 0.0), ("B", 1.0, 10.0), ("C", 2.0, 4.0), ("T", 1.0, 6.0)):
        for year, shift in ((2000, 0.0), (2001, 0.0), (2002, 1.0)):
            rows.append({"unit": u, "year": year, "x": x, "z": 5.0, "y": y + shift})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("extra_predictor", [False, True])
def test_treated_inside_hull_gets_balanced_best_fitting_weights(extra_predictor):
    data = _hull_panel()
    predictors = [("x", range(2000, 2002))] + ([("z", range(2000, 2002))] if extra_predictor else [])
    res = synthetic_control(data, unit="unit", time="year", outcome="y", treated="T",
                            treatment_start=2002, predictors=predictors)
    np.testing.assert_allclose(res.weights[["A", "B", "C"]], [0.25, 0.5, 0.25], atol=1e-9)
    assert res.pre_rmspe == pytest.approx(0.0, abs=1e-9)
    bal = res.predictor_balance
    assert bal.loc["x (2000-2001)", "synthetic"] == pytest.approx(1.0, abs=1e-12)


def test_treated_inside_hull_beats_every_inner_optimum():
    """Any W that balances all predictors is an inner optimum; the chosen one fits best."""
    sc_mod = _sc_module()
    rng = np.random.default_rng(7)
    k, J, T0 = 3, 25, 6
    X0 = rng.normal(size=(k, J))
    x1 = X0[:, :5].mean(axis=1)  # inside the hull
    Z0 = rng.normal(size=(T0, J)).cumsum(axis=0)
    Z1 = Z0[:, 5:9].mean(axis=1) + 0.3
    D = X0 - x1[:, None]
    X_all = np.column_stack([x1, X0])
    Z_all = np.column_stack([Z1, Z0])
    fit = sc_mod._choose_v(D, X_all, Z1, Z0, Z_all, n_random_starts=0, seed=0)
    assert np.abs(D @ fit.w).max() < 1e-8
    assert fit.w.min() >= 0 and fit.w.sum() == pytest.approx(1.0)
    for _ in range(50):
        v = rng.dirichlet(np.ones(k))
        w = sc_mod._weights_given_v(D, v)
        r = Z1 - Z0 @ w
        assert fit.loss <= float(r @ r) / T0 + 1e-10


def test_placebo_in_two_processes_equals_serial(basque):
    data, predictors = basque
    res = synthetic_control(
        data, unit="regionname", time="year", outcome="gdpcap",
        treated="Basque Country (Pais Vasco)", treatment_start=1970,
        predictors=predictors[:4], fit_periods=range(1960, 1970),
        donors=sorted(set(data["regionname"]))[:8],
    )
    serial = res.placebo()
    parallel = res.placebo(n_jobs=2)
    assert list(parallel.gaps.columns) == list(serial.gaps.columns)
    pd.testing.assert_frame_equal(parallel.gaps, serial.gaps, check_exact=False, atol=1e-10)
    with pytest.raises(InputError, match="n_jobs"):
        res.placebo(n_jobs=0)


def test_placebo_gaps_are_refits_against_the_other_units():
    res = synthetic_control(_toy_panel(), unit="unit", time="year", outcome="y", treated="T", treatment_start=2008)
    gaps = res.placebo().gaps
    assert list(gaps.columns) == ["T", "A", "B", "C"]
    pd.testing.assert_series_equal(gaps["T"], res.gaps, check_names=False)
    # A as if treated, against T, B and C: the same fit done directly.
    direct = synthetic_control(_toy_panel(), unit="unit", time="year", outcome="y", treated="A",
                               treatment_start=2008, donors=["T", "B", "C"])
    np.testing.assert_allclose(gaps["A"].to_numpy(), direct.gaps.to_numpy(), atol=1e-9)
