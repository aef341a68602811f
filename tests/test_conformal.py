"""Conformal inference for synthetic controls (Chernozhukov, Wüthrich & Zhu 2021, JASA).

The simulation draws data that are i.i.d. over time (factor model with i.i.d. factors
and errors), where the test is exact: with moving blocks its level is
floor(alpha T) / T = 2/25 = 8 % at T = 25, alpha = 0.1; with i.i.d. permutations it is
alpha up to the Monte Carlo error of the permutations.

Prop 99 has no published conformal interval to reproduce: CWZ's application is
Rhode Island's decriminalisation of indoor prostitution, not California. The
Prop 99 checks are the direction of the result, the synthetic control estimate
of Arkhangelsky et al. (2021, Table 1, SC row) and agreement with a peer package.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from evalkit.errors import InputError
from evalkit.methods.counterfactual.conformal import (
    ConformalResult,
    _simplex_ls,
    conformal_inference,
)

DATA = Path(__file__).parent / "data" / "validation"


@pytest.fixture(scope="module")
def california():
    df = pd.read_csv(DATA / "prop99_smoking.csv")
    wide = df.pivot(index="year", columns="state", values="cigsale")
    y = wide.pop("California").to_numpy()
    return y, wide.to_numpy(), list(wide.columns)


def _factor_draw(rng, J=20, T0=20, T1=5, K=3, effect=0.0):
    """Treated unit's loadings inside the donors' hull; rows i.i.d. over time."""
    T = T0 + T1
    L = rng.uniform(0, 1, size=(J + 1, K))
    L[0] = L[1:4].mean(axis=0)
    F = rng.normal(1.0, 1.0, size=(T, K))
    Y = F @ L.T + rng.normal(size=(T, J + 1))
    y = Y[:, 0].copy()
    y[T0:] += effect
    return y, Y[:, 1:]


# --------------------------------------------------------------------------- the solver


def test_simplex_least_squares_is_exact():
    rng = np.random.default_rng(0)
    for _ in range(20):
        T, J = rng.integers(5, 30), rng.integers(2, 25)
        X = rng.normal(size=(T, J)) + rng.normal(size=J)
        y = X[:, :3].mean(axis=1) + rng.normal(scale=0.5, size=T)
        w = _simplex_ls(y, X)
        assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
        ref = minimize(
            lambda v: np.sum((y - X @ v) ** 2), np.full(J, 1 / J), method="SLSQP",
            bounds=[(0, 1)] * J, constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        assert np.sum((y - X @ w) ** 2) <= ref.fun + 1e-9


# --------------------------------------------------------------------------- Prop 99


def test_prop99_no_effect_rejected_and_interval_excludes_zero(california):
    y, X, _ = california
    r = conformal_inference(y, X, 19, alpha=0.1)
    assert r.n_permutations == 31
    assert r.p_value == pytest.approx(3 / 31)  # moving blocks: a multiple of 1/T
    assert r.p_value <= 0.1
    assert r.ci_high < 0 and r.ci_low < r.estimate < r.ci_high
    assert r.ci_high == pytest.approx(-0.569, abs=0.01)
    # i.i.d. permutations (not valid under the serial correlation of a growing
    # effect, shown for contrast): the smallest attainable p-value.
    r_iid = conformal_inference(y, X, 19, alpha=0.1, permutations="iid", reps=1000)
    assert r_iid.p_value == pytest.approx(1 / 1000)
    assert r_iid.ci_high < 0


def test_prop99_synthetic_control_estimate_matches_table1(california):
    # AER 2021 Table 1, SC row: -19.6. The exact simplex least-squares fit on the
    # 1970-1988 outcomes gives -19.51 (synthdid's early-stopped Frank-Wolfe -19.6).
    y, X, names = california
    r = conformal_inference(y, X, 19, invert=False)
    assert r.estimate == pytest.approx(-19.6, abs=0.15)
    assert np.isnan(r.ci_low) and np.isnan(r.ci_high)


def test_prop99_against_python_peer(california):
    cf = pytest.importorskip("diff_diff.conformal")
    y, X, _ = california
    T = y.size
    post = np.arange(T) >= 19
    perms = cf._make_perms(T, "moving_block", 0, np.random.default_rng(0))
    for theta in (0.0, -10.0, -19.5, -60.0, -125.0):
        for q in (1, 2):
            peer = cf._single_null_pvalue(y, X, post, np.full(12, theta), perms, q)
            ours = conformal_inference(y, X, 19, null=theta, q=q, invert=False)
            assert ours.p_value == pytest.approx(peer["p_value"], abs=1e-12)
            assert ours.statistic == pytest.approx(peer["s_observed"], rel=1e-9)
            np.testing.assert_allclose(ours.weights, peer["weights"], atol=1e-9)


# --------------------------------------------------------------------------- properties


def test_donor_order_and_minimum_p_value():
    rng = np.random.default_rng(4)
    y, X = _factor_draw(rng, effect=1.0)
    a = conformal_inference(y, X, 20)
    b = conformal_inference(y, X[:, ::-1], 20)
    assert a.p_value == b.p_value and a.ci_low == pytest.approx(b.ci_low, abs=1e-8)
    assert a.p_value >= a.min_p_value == 1 / 25
    # The null at the bounds is just accepted, just beyond them rejected.
    assert a.ci_low < a.ci_high
    inside = conformal_inference(y, X, 20, null=a.ci_low, invert=False).p_value
    assert inside > 0.1


def test_q_infinity_and_user_grid():
    rng = np.random.default_rng(5)
    y, X = _factor_draw(rng, effect=3.0)
    r = conformal_inference(y, X, 20, q=np.inf, grid=np.linspace(-10, 10, 201))
    assert r.q == np.inf
    assert -10 <= r.ci_low <= 3.0 <= r.ci_high <= 10
    assert r.curve["theta"].is_monotonic_increasing


# --------------------------------------------------------------------------- simulation


def _simulate(scheme: str, n_cover: int, n_size: int, seed: int):
    rng = np.random.default_rng(seed)
    covered, rejected = [], []
    for _ in range(n_cover):
        y, X = _factor_draw(rng, effect=2.0)
        r = conformal_inference(y, X, 20, alpha=0.1, null=2.0, permutations=scheme, reps=500)
        covered.append(r.ci_low <= 2.0 <= r.ci_high)  # an empty set (NaN) does not cover
        rejected.append(r.p_value <= 0.1)
    size = []
    for _ in range(n_size):
        y, X = _factor_draw(rng, effect=0.0)
        r = conformal_inference(y, X, 20, alpha=0.1, permutations=scheme, reps=500, invert=False)
        size.append(r.p_value <= 0.1)
    return np.mean(covered), np.mean(rejected), np.mean(size)


@pytest.mark.slow
def test_simulation_coverage_and_size():
    # T_pre = 20, T_post = 5, J = 20. Binomial s.e.s: about 1.2 points at 600 draws,
    # 0.7 points at 1 500.
    cover, reject_true, size = _simulate("iid", 600, 1500, seed=1)
    assert abs(cover - 0.90) <= 0.03
    assert abs(size - 0.10) <= 0.03
    assert abs(reject_true - 0.10) <= 0.03

    cover, reject_true, size = _simulate("moving_block", 600, 1500, seed=2)
    exact = 2 / 25
    assert abs(size - exact) <= 0.02 and abs(size - 0.10) <= 0.03
    assert abs(reject_true - exact) <= 0.03
    # The reported interval is the hull of the accepted set, which also covers the
    # values rejected inside it: coverage at least the test's 92 %, a little more.
    assert 0.90 - 0.03 <= cover <= 0.92 + 0.04


# --------------------------------------------------------------------------- bad input


def test_bad_input(california):
    y, X, _ = california
    with pytest.raises(InputError, match="rows"):
        conformal_inference(y, X[:-1], 19)
    with pytest.raises(InputError, match="n_pre"):
        conformal_inference(y, X, 31)
    with pytest.raises(InputError, match="alpha"):
        conformal_inference(y, X, 19, alpha=1.5)
    with pytest.raises(InputError, match="permutations"):
        conformal_inference(y, X, 19, permutations="block")
    with pytest.raises(InputError, match="missing"):
        conformal_inference(np.r_[np.nan, y[1:]], X, 19)
    with pytest.raises(InputError, match="2-dimensional"):
        conformal_inference(y, X[:, 0], 19)
    with pytest.raises(InputError, match="q must"):
        conformal_inference(y, X, 19, q=0)


# --------------------------------------------------------------------------- result object


def test_result_interface(california):
    import matplotlib.pyplot as plt

    y, X, _ = california
    r = conformal_inference(y, X, 19)
    assert isinstance(r, ConformalResult)
    assert r.figures() == {
        "counterfactual.ci.low": r.ci_low,
        "counterfactual.ci.high": r.ci_high,
        "counterfactual.p_value.conformal": r.p_value,
    }
    tidy = r.tidy()
    assert tidy.loc[0, "term"] == "average_effect" and tidy.loc[0, "conf_high"] == r.ci_high
    frame = r.to_frame()
    assert list(frame.columns) == ["theta", "p_value", "in_set"]
    frame.loc[0, "p_value"] = 9.0
    assert r.curve.loc[0, "p_value"] != 9.0
    json.dumps(r.context())
    assert "<table" in r._repr_html_()
    with pytest.raises(Exception):
        r.p_value = 0.5
    fig, ax = r.plot(labels={"y": "p"})
    assert ax.get_ylabel() == "p"
    plt.close(fig)
