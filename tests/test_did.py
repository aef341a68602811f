"""DiD and event study, validated against Card & Krueger (1994), Table 3."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit import event_study
from evalkit.methods.counterfactual.did import did
from evalkit.errors import InputError

DATA = Path(__file__).parent / "data" / "validation"


@pytest.fixture(scope="module")
def ck() -> pd.DataFrame:
    return pd.read_csv(DATA / "card_krueger.csv")


def test_card_krueger_table3(ck):
    res = did(ck, "fte", treated="nj", post="d", cluster="id")
    # Table 3 cell means and the DiD (2.76; the data give 2.754 exactly).
    m = res.cell_means
    assert m.loc[0, 0] == pytest.approx(23.33, abs=0.005)
    assert m.loc[0, 1] == pytest.approx(21.17, abs=0.005)
    assert m.loc[1, 0] == pytest.approx(20.44, abs=0.005)
    assert m.loc[1, 1] == pytest.approx(21.03, abs=0.005)
    assert res.att == pytest.approx(2.7536, abs=1e-4)
    # Store-clustered s.e. (~1.31), not the published 1.36 that treats the waves as independent.
    assert res.se == pytest.approx(1.31, abs=0.01)
    assert res.n_clusters == 410
    lo, hi = res.conf_int(0.95)
    assert lo == pytest.approx(2.7536 - 1.95996 * res.se, abs=1e-3)
    assert res.tidy().loc[0, "estimate"] == pytest.approx(res.att)


def test_card_krueger_balanced_sample(ck):
    both = ck.dropna(subset=["fte"]).groupby("id").filter(lambda g: len(g) == 2)
    res = did(both, "fte", treated="nj", post="d", cluster="id")
    assert res.att == pytest.approx(2.75, abs=0.005)
    assert res.se == pytest.approx(1.34, abs=0.01)


def test_vcov_options(ck):
    iid = did(ck, "fte", treated="nj", post="d", vcov="iid")
    het = did(ck, "fte", treated="nj", post="d", vcov="hetero")
    assert iid.se == pytest.approx(1.688, abs=0.001)
    assert het.se == pytest.approx(1.795, abs=0.001)
    assert iid.att == het.att
    with pytest.raises(InputError, match="vcov"):
        did(ck, "fte", treated="nj", post="d", vcov="robust")  # type: ignore[arg-type]


def _panel(effect: float = 2.0, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, years = 30, np.arange(2000, 2010)
    rows = []
    for i in range(units):
        a = rng.normal()
        for t in years:
            treated = int(i < 10)
            y = a + 0.3 * (t - 2000) + effect * treated * (t >= 2005) + rng.normal(scale=0.1)
            rows.append({"unit": i, "year": t, "treated": treated, "y": y})
    return pd.DataFrame(rows)


def test_twfe_matches_dummy_regression():
    data = _panel().drop(index=[3, 40, 41])  # unbalanced
    res = did(data, "y", treated="treated", unit="unit", time="year", treatment_start=2005)
    data = data.assign(D=data["treated"] * (data["year"] >= 2005))
    ref = smf.ols("y ~ D + C(unit) + C(year)", data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["unit"])[0]}
    )
    assert res.att == pytest.approx(ref.params["D"], abs=1e-10)
    assert res.se == pytest.approx(ref.bse["D"], rel=1e-8)
    assert res.att == pytest.approx(2.0, abs=0.1)


def test_event_study_leads_flat_and_lags_show_effect():
    es = event_study(_panel(), "y", treated="treated", unit="unit", time="year", treatment_start=2005)
    c = es.coefficients
    assert c.loc[-1, "estimate"] == 0.0
    assert c.loc[range(-5, -1), "estimate"].abs().max() < 0.15
    assert c.loc[range(0, 5), "estimate"].mean() == pytest.approx(2.0, abs=0.1)
    assert es.pretrend_df == 4
    assert es.pretrend_p > 0.01
    fig, ax = es.plot()
    assert ax.collections or ax.lines
    assert "pre-trend test" in es.summary()


def test_event_study_detects_pretrend():
    data = _panel(effect=0.0)
    data["y"] += np.where(data["treated"] == 1, 0.5 * (data["year"] - 2000), 0.0)  # diverging trend
    es = event_study(data, "y", treated="treated", unit="unit", time="year", treatment_start=2005)
    assert es.pretrend_p < 0.001


def test_did_input_errors(ck):
    with pytest.raises(InputError, match="0/1"):
        did(ck, "fte", treated="fte", post="d")
    with pytest.raises(InputError, match="not in the data"):
        did(ck, "jobs", treated="nj", post="d")
    with pytest.raises(InputError, match="either 'post'"):
        did(ck, "fte", treated="nj")
    with pytest.raises(InputError, match="cluster"):
        did(ck, "fte", treated="nj", post="d")  # clustered, but no cluster/unit column
