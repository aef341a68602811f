"""did / event_study refuse inputs they cannot estimate, before building any design matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.methods.counterfactual.did import _wald, did, event_study


def staggered_panel(units: int = 30, years=range(2000, 2012), seed: int = 3) -> pd.DataFrame:
    """Ten treated units starting 2004-2008 (one per row in ``start``), the rest never treated."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(units):
        treated = int(i < 10)
        start = 2004 + i % 5 if treated else 2006
        a = rng.normal()
        for t in years:
            y = a + 0.2 * (t - 2000) + 1.5 * treated * (t >= start) + rng.normal(scale=0.1)
            rows.append({"unit": i, "year": t, "treated": treated, "start": start, "y": y})
    return pd.DataFrame(rows)


def test_a_never_treated_placeholder_is_refused_not_turned_into_thousands_of_dummies():
    data = staggered_panel()
    data.loc[data["treated"] == 0, "start"] = 9999  # "never" coded as a far-away year
    with pytest.raises(InputError, match="placeholder") as caught:
        event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=data["start"])
    assert caught.value.location.parameter == "treatment_start"
    assert "never-treated" in str(caught.value)
    # With a window the never-treated rows' start is not used, so the same data estimate.
    res = event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=data["start"],
                      window=(-4, 5))
    assert res.coefficients.loc[0:, "estimate"].mean() == pytest.approx(1.5, abs=0.1)


def test_per_row_starts_give_the_scalar_result_when_all_starts_agree():
    data = staggered_panel()
    data["start"] = 2006
    by_row = event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=data["start"])
    scalar = event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=2006)
    pd.testing.assert_frame_equal(by_row.coefficients, scalar.coefficients)


def test_a_placeholder_start_of_the_treated_units_is_refused_by_did():
    data = staggered_panel()
    with pytest.raises(InputError, match="placeholder"):
        did(data, "y", treated="treated", unit="unit", time="year", treatment_start=9999)


@pytest.mark.parametrize("start, word", [(2012, "before"), (2000, "from")])
def test_did_refuses_a_start_that_leaves_no_before_or_after(start, word):
    data = staggered_panel()
    with pytest.raises(InputError, match=f"only {word} treatment_start"):
        did(data, "y", treated="treated", unit="unit", time="year", treatment_start=start)


def test_a_window_the_data_cannot_fill_is_refused():
    data = staggered_panel()
    with pytest.raises(InputError, match="cannot be filled") as caught:
        event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=data["start"],
                    window=(-30, 30))
    assert caught.value.location.parameter == "window"
    assert "event time(s) -30, -29" in str(caught.value)  # the treated units' earliest event time is -8


def test_more_dummies_than_observations_is_refused():
    # Two units, ten years: 9 dummies and 11 fixed effects for 20 observations.
    data = staggered_panel(units=2, years=range(2000, 2010))
    data = data[data["unit"].isin([0, 1])]
    data.loc[data["unit"] == 1, ["treated"]] = 0
    with pytest.raises(InputError, match="degrees of freedom"):
        event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=2005)


def test_twfe_with_too_many_covariates_is_refused():
    data = staggered_panel(units=3, years=range(2000, 2004))
    rng = np.random.default_rng(0)
    covariates = [f"x{i}" for i in range(6)]
    for c in covariates:
        data[c] = rng.normal(size=len(data))
    with pytest.raises(InputError, match="degrees of freedom"):
        did(data, "y", treated="treated", unit="unit", time="year", treatment_start=2002, covariates=covariates)


def test_wald_statistic_is_never_negative():
    # A covariance with a tiny negative eigenvalue (rounding in a rank-deficient cluster-robust matrix):
    # the plain pseudo-inverse gives a large negative statistic, the truncated one drops that direction.
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    cov = q @ np.diag([1.0, 0.5, -1e-9]) @ q.T
    b = q @ np.array([0.2, 0.1, 1.0])
    assert float(b @ np.linalg.pinv(cov) @ b) < 0
    stat, df = _wald(b, cov)
    assert df == 2
    assert stat == pytest.approx(0.2**2 / 1.0 + 0.1**2 / 0.5)


def test_event_study_pretrend_is_not_negative_with_few_clusters():
    # Four clusters and six leads: the clustered covariance of the leads has rank at most three.
    data = staggered_panel(units=4, years=range(2000, 2012))
    data["start"] = 2007
    data["treated"] = (data["unit"] < 2).astype(int)
    res = event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=2007)
    assert res.pretrend_stat >= 0
    assert 0 < res.pretrend_df <= 3
