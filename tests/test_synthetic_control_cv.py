"""Cross-validated V (ADH 2015), a given V, inference with perfect pre-fits, conformal, refit, the trimmed chart."""

from __future__ import annotations

import itertools
import pickle
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import InputError
from evalkit.methods.counterfactual.synthetic_control import CrossValidation, synthetic_control

DATA = Path(__file__).parent / "data" / "validation"

# ADH (2015), AJPS 59(2), West Germany: predictors of the training period (1971-1980) and of the
# main fit (1981-1990), the same six in the same order.
GERMANY_TRAIN = [("gdp", range(1971, 1981)), ("trade", range(1971, 1981)), ("infrate", range(1971, 1981)),
                 ("industry", range(1971, 1981)), ("schooling", (1970, 1975)), ("invest70", 1980)]
GERMANY_MAIN = [("gdp", range(1981, 1991)), ("trade", range(1981, 1991)), ("infrate", range(1981, 1991)),
                ("industry", range(1981, 1991)), ("schooling", (1980, 1985)), ("invest80", 1980)]
# ADH (2015), Table 2: synthetic West Germany.
GERMANY_WEIGHTS = {"Austria": 0.42, "USA": 0.22, "Japan": 0.16, "Switzerland": 0.11, "Netherlands": 0.09}


def _sc_module():
    return sys.modules["evalkit.methods.counterfactual.synthetic_control"]


@pytest.fixture(scope="module")
def germany() -> pd.DataFrame:
    return pd.read_csv(DATA / "germany_reunification.csv")


def _germany_fit(data, treatment_start=1990, validation=range(1981, 1990)):
    return synthetic_control(
        data, unit="country", time="year", outcome="gdp", treated="West Germany",
        treatment_start=treatment_start, predictors=GERMANY_MAIN, fit_periods=range(1960, 1990),
        cross_validation=ek.CrossValidation(predictors=GERMANY_TRAIN, fit_periods=validation),
    )


@pytest.mark.parametrize("treatment_start, validation", [
    (1990, range(1981, 1990)),  # validation strictly before reunification
    (1991, range(1981, 1991)),  # ADH's own validation window, 1981-1990
])
def test_germany_cross_validated_weights_match_adh2015_table2(germany, treatment_start, validation):
    res = _germany_fit(germany, treatment_start, validation)
    for country, published in GERMANY_WEIGHTS.items():
        assert res.weights[country] == pytest.approx(published, abs=0.015), country
    assert res.weights.drop(list(GERMANY_WEIGHTS)).max() < 0.005
    assert res.v is not None and res.v.sum() == pytest.approx(1.0)
    assert list(res.v.index) == [ek_name for ek_name in res.predictor_balance.index]
    assert 0 < res.validation_rmspe < res.pre_rmspe
    assert res.validation_weights.sum() == pytest.approx(1.0)
    assert res.tidy().set_index("term").loc["validation_rmspe", "estimate"] == pytest.approx(res.validation_rmspe)


def test_germany_gap_matches_adh2015(germany):
    res = _germany_fit(germany)
    # "per capita GDP was reduced by about 1,600 USD per year on average over 1990-2003" (gdp in 1000 USD).
    assert res.att == pytest.approx(-1.6, abs=0.15)
    assert res.gaps.loc[2003] < -2.5


def _prop99():
    data = pd.read_csv(DATA / "prop99_smoking.csv")
    train = [("cigsale", 1970), ("cigsale", 1975), ("retprice", range(1970, 1980))]
    main = [("cigsale", 1975), ("cigsale", 1980), ("retprice", range(1980, 1989))]
    return data, train, main


def _standardised_difference(values: pd.DataFrame, treated, donors) -> np.ndarray:
    X = values[[treated, *donors]].to_numpy(float)
    Xs = X / X.std(axis=1, ddof=1)[:, None]
    return Xs[:, 1:] - Xs[:, :1]


def _means(data, specs, units):
    """Predictor averages computed here, independently of the module (missing values skipped)."""
    rows = {}
    for column, periods in specs:
        part = data[data["year"].isin(list(periods))]
        rows[column] = part.groupby("country")[column].mean().reindex(units)
    return pd.DataFrame(rows).T


def test_cross_validated_v_beats_a_brute_force_grid_and_w_follows_from_it(germany):
    """ADH's procedure with three predictors; West Germany's industry share lies outside the donors' range,
    so W(V) is unique and V matters."""
    sc_mod = _sc_module()
    columns = ["gdp", "trade", "industry"]
    train = [(c, range(1971, 1981)) for c in columns]
    main = [(c, range(1981, 1991)) for c in columns]
    validation = list(range(1981, 1990))
    res = synthetic_control(germany, unit="country", time="year", outcome="gdp", treated="West Germany",
                            treatment_start=1990, predictors=main,
                            cross_validation=CrossValidation(predictors=train, fit_periods=validation))
    donors = res.donors
    units = ["West Germany", *donors]
    wide = germany.pivot(index="year", columns="country", values="gdp")
    Z1 = wide.loc[validation, "West Germany"].to_numpy(float)
    Z0 = wide.loc[validation, donors].to_numpy(float)
    D_train = _standardised_difference(_means(germany, train, units), "West Germany", donors)

    def validation_mspe(v):
        w = sc_mod._weights_given_v(D_train, np.asarray(v) / np.sum(v))
        r = Z1 - Z0 @ w
        return float(r @ r) / len(r), w

    chosen, w_train = validation_mspe(res.v.to_numpy())
    # The reported figures are the training stage's.
    assert res.validation_rmspe == pytest.approx(np.sqrt(chosen), rel=1e-9)
    np.testing.assert_allclose(res.validation_weights.to_numpy(), w_train, atol=1e-9)
    # No V on a grid of the simplex (step 1/40) predicts the validation periods better.
    steps = 40
    grid = [np.array([a, b, steps - a - b]) / steps for a, b in itertools.product(range(steps + 1), repeat=2)
            if a + b <= steps]
    grid_mspe = [validation_mspe(v)[0] for v in grid if (v > 0).any()]
    assert chosen <= min(grid_mspe) * (1 + 1e-6)
    assert chosen < np.median(grid_mspe)  # V matters here
    # W comes from the full-period predictors with that V, not from the training predictors.
    D_main = _standardised_difference(_means(germany, main, units), "West Germany", donors)
    np.testing.assert_allclose(res.weights.to_numpy(), sc_mod._weights_given_v(D_main, res.v.to_numpy()),
                               atol=1e-9)
    # ... and equals a fit with that V given.
    given = synthetic_control(germany, unit="country", time="year", outcome="gdp", treated="West Germany",
                              treatment_start=1990, predictors=main, v=dict(res.v))
    np.testing.assert_allclose(given.weights.to_numpy(), res.weights.to_numpy(), atol=1e-9)
    assert not np.allclose(res.weights.to_numpy(), res.validation_weights.to_numpy(), atol=1e-3)


def test_cross_validation_input_errors():
    data, train, main = _prop99()
    kw = dict(unit="state", time="year", outcome="cigsale", treated="California", treatment_start=1989)
    with pytest.raises(InputError, match="training predictor"):
        synthetic_control(data, predictors=main, cross_validation=CrossValidation(train[:2], range(1980, 1989)), **kw)
    with pytest.raises(InputError, match="validation period"):
        synthetic_control(data, predictors=main, cross_validation=CrossValidation(train, range(1985, 1995)), **kw)
    with pytest.raises(InputError, match="no predictors"):
        synthetic_control(data, cross_validation=CrossValidation(train, range(1980, 1989)), **kw)
    with pytest.raises(InputError, match="either v or cross_validation"):
        synthetic_control(data, predictors=main, v={"cigsale (1975)": 1, "cigsale (1980)": 1,
                                                    "retprice (1980-1988)": 1},
                          cross_validation=CrossValidation(train, range(1980, 1989)), **kw)
    with pytest.raises(InputError, match="list"):
        CrossValidation(predictors="cigsale", fit_periods=range(1980, 1989))


# ---- a given V


def test_given_v_is_normalised_and_checked():
    data, _, main = _prop99()
    kw = dict(unit="state", time="year", outcome="cigsale", treated="California", treatment_start=1989,
              predictors=main)
    v = {"cigsale (1975)": 0.2, "cigsale (1980)": 0.3, "retprice (1980-1988)": 0.5}
    a = synthetic_control(data, v=v, **kw)
    b = synthetic_control(data, v={k: 10 * x for k, x in v.items()}, **kw)
    np.testing.assert_allclose(a.weights.to_numpy(), b.weights.to_numpy(), atol=1e-12)
    assert a.v.to_dict() == pytest.approx(v)
    c = synthetic_control(data, v={**v, "retprice (1980-1988)": 0.0}, **kw)
    assert not np.allclose(a.weights.to_numpy(), c.weights.to_numpy(), atol=1e-3)
    with pytest.raises(InputError, match="unknown predictor.*beer") as err:
        synthetic_control(data, v={**v, "beer": 1.0}, **kw)
    assert "cigsale (1975)" in err.value.hint
    with pytest.raises(InputError, match="no weight"):
        synthetic_control(data, v={"cigsale (1975)": 1.0}, **kw)
    with pytest.raises(InputError, match="non-negative"):
        synthetic_control(data, v={**v, "cigsale (1975)": -1.0}, **kw)
    with pytest.raises(InputError, match="no predictors"):
        synthetic_control(data, unit="state", time="year", outcome="cigsale", treated="California",
                          treatment_start=1989, v=v)


# ---- predictor averages with missing values


def _panel_with_covariate() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for u in ["T", "A", "B", "C", "D"]:
        for year in range(2000, 2010):
            rows.append({"unit": u, "year": year, "y": rng.normal(10, 1) + year - 2000, "x": rng.normal(5, 1)})
    return pd.DataFrame(rows)


def test_predictor_means_skip_missing_values_and_name_the_unit_without_any():
    data = _panel_with_covariate()
    expected = data[(data["unit"] == "A") & data["year"].isin([2003, 2004])]["x"].mean()
    gappy = data.copy()
    gappy.loc[(gappy["unit"] == "A") & (gappy["year"] == 2002), "x"] = np.nan
    res = synthetic_control(gappy, unit="unit", time="year", outcome="y", treated="T", treatment_start=2007,
                            predictors=[("x", range(2002, 2005)), ("y", 2006)])
    assert res.predictor_balance.loc["x (2002-2004)", "donor_mean"] == pytest.approx(
        gappy[gappy["year"].isin(range(2002, 2005)) & (gappy["unit"] != "T")].groupby("unit")["x"].mean().mean())
    assert expected == pytest.approx(gappy[(gappy["unit"] == "A") & gappy["year"].isin(range(2002, 2005))]["x"].mean())
    gappy.loc[(gappy["unit"] == "B") & gappy["year"].isin(range(2002, 2005)), "x"] = np.nan
    with pytest.raises(InputError, match=r"predictor 'x \(2002-2004\)' has no value in its periods.*'B'"):
        synthetic_control(gappy, unit="unit", time="year", outcome="y", treated="T", treatment_start=2007,
                          predictors=[("x", range(2002, 2005)), ("y", 2006)])


# ---- inference when placebos fit perfectly


def _perfect_panel() -> pd.DataFrame:
    """Ten donors, three of them exact averages of others: their placebo pre-fits are perfect."""
    rng = np.random.default_rng(11)
    years = np.arange(2000, 2016)
    paths = {f"d{i}": np.cumsum(rng.normal(1, 1, len(years))) + 10 * i for i in range(7)}
    paths["m0"] = 0.5 * paths["d0"] + 0.5 * paths["d6"]
    paths["m1"] = 0.3 * paths["d1"] + 0.7 * paths["d5"]
    paths["m2"] = 0.25 * paths["d2"] + 0.75 * paths["d4"]
    paths["T"] = 0.5 * paths["d3"] + 0.5 * paths["d4"] + rng.normal(0, 0.3, len(years)) \
        + np.where(years >= 2011, 4.0, 0.0)
    return pd.DataFrame([{"unit": u, "year": t, "y": v} for u, y in paths.items() for t, v in zip(years, y)])


@pytest.fixture(scope="module")
def perfect_placebo():
    res = synthetic_control(_perfect_panel(), unit="unit", time="year", outcome="y", treated="T",
                            treatment_start=2011)
    return res, res.placebo()


def test_placebo_counts_perfect_prefits(perfect_placebo):
    _, placebo = perfect_placebo
    frame = placebo.to_frame()
    # m0, m1 and m2 (and the donors they are made of, which are averages of m's and the rest) fit exactly.
    assert placebo.perfect_prefits >= 3
    assert placebo.perfect_prefits == int((frame.loc[~frame["treated"], "pre_rmspe"]
                                           < 1e-6 * max(1.0, placebo.outcome_scale)).sum())
    assert frame.loc[["m0", "m1", "m2"], "pre_rmspe"].max() < placebo.perfect_fit_threshold
    assert placebo.figures()["counterfactual.placebo.perfect_prefits"] == placebo.perfect_prefits


def test_p_value_excluding_badly_fitted_placebos(perfect_placebo):
    _, placebo = perfect_placebo
    frame = placebo.to_frame()
    treated_mspe = frame.loc["T", "pre_rmspe"] ** 2
    for multiple in (2, 5, 20):
        kept = frame[(frame["pre_rmspe"] ** 2 <= multiple * treated_mspe) | frame["treated"]]
        rank = int((kept["rmspe_ratio"] >= kept.loc["T", "rmspe_ratio"]).sum())
        assert placebo.p_value_excluding(multiple) == pytest.approx(rank / len(kept))
    assert placebo.p_values_excluding() == {m: placebo.p_value_excluding(m) for m in (2, 5, 20)}
    # The classic ratio p-value is left as it is (0/0-like ratios of the perfect placebos included).
    assert placebo.p_value == placebo.rank / len(frame)
    with pytest.raises(InputError, match="multiple"):
        placebo.p_value_excluding(0)


def test_p_value_of_post_rmspe_alone(perfect_placebo):
    _, placebo = perfect_placebo
    frame = placebo.to_frame()
    expected = int((frame["post_rmspe"] >= frame.loc["T", "post_rmspe"]).sum()) / len(frame)
    assert placebo.p_value_post_rmspe == pytest.approx(expected)
    figures = placebo.figures()
    assert figures["counterfactual.placebo.p_value_post_rmspe"] == pytest.approx(expected)
    assert set(figures) >= {"counterfactual.placebo.p_value_excluding_2", "counterfactual.placebo.p_value_excluding_5",
                            "counterfactual.placebo.p_value_excluding_20", "counterfactual.placebo.p_value"}
    assert all(isinstance(v, (int, float)) for v in figures.values())


def test_placebo_chart_trims_badly_fitted_placebos(perfect_placebo):
    _, placebo = perfect_placebo
    frame = placebo.to_frame()
    limit = placebo.PLOT_MAX_PRE_MSPE_RATIO * frame.loc["T", "pre_rmspe"] ** 2
    expected = int((frame.loc[~frame["treated"], "pre_rmspe"] ** 2 > limit).sum())
    assert expected > 0  # the random-walk donors fit worse than the treated unit
    fig, ax = placebo.plot()
    assert ax.evalkit_trimmed == expected == placebo.trimmed_in_plot()
    grey = [line for line in ax.lines if line.get_color() == "lightgrey"]
    assert len(grey) == len(frame) - 1 - expected
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_placebo_inside_analysis_shape_is_unchanged(perfect_placebo):
    res, placebo = perfect_placebo
    assert list(placebo.to_frame().columns) == ["pre_rmspe", "post_rmspe", "rmspe_ratio", "mspe_ratio", "att",
                                                "rank", "treated"]
    assert placebo.gaps.shape[1] == len(res.donors) + 1


# ---- conformal inference and refit


def test_conformal_runs_on_the_outcome_paths(perfect_placebo):
    from evalkit.methods.counterfactual.conformal import ConformalResult, conformal_inference

    res, _ = perfect_placebo
    out = res.conformal(alpha=0.1)
    assert isinstance(out, ConformalResult)
    panel = _perfect_panel().pivot(index="year", columns="unit", values="y")
    direct = conformal_inference(panel["T"].to_numpy(), panel[res.donors].to_numpy(),
                                 int((panel.index < 2011).sum()), alpha=0.1)
    assert out.p_value == pytest.approx(direct.p_value)
    assert out.ci_low == pytest.approx(direct.ci_low) and out.ci_high == pytest.approx(direct.ci_high)
    assert out.ci_low < 4.0 < out.ci_high  # the effect built into the panel


def test_refit_changes_only_what_it_is_told(perfect_placebo):
    res, _ = perfect_placebo
    fewer = [d for d in res.donors if d != "d3"]
    refitted = res.refit(donors=fewer)
    direct = synthetic_control(_perfect_panel(), unit="unit", time="year", outcome="y", treated="T",
                               treatment_start=2011, donors=fewer)
    pd.testing.assert_series_equal(refitted.weights, direct.weights)
    assert refitted.call["donors"] == fewer and res.call["donors"] is None
    later = res.refit(treatment_start=2012)
    assert later.treatment_start == 2012 and later.call["donors"] is None
    with pytest.raises(InputError, match="unknown argument"):
        res.refit(donor=fewer)
    with pytest.raises(AttributeError):
        res.call._arguments = {}
    with pytest.raises(TypeError):
        res.call["donors"] = fewer
    with pytest.raises(InputError, match="in-time placebo"):
        res.in_time_placebo(2008).refit(donors=fewer)
    back = pickle.loads(pickle.dumps(res))
    assert dict(back.call).keys() == dict(res.call).keys()
    # leave-one-out refits record their donor pool
    assert res.leave_one_out().table.shape[0] >= 1


def test_refit_switches_between_searched_given_and_cross_validated_v(germany):
    res = _germany_fit(germany)
    given = res.refit(v=dict(res.v))
    assert given.call["cross_validation"] is None and given.validation_rmspe is None
    np.testing.assert_allclose(given.weights.to_numpy(), res.weights.to_numpy(), atol=1e-9)
    back = given.refit(cross_validation=res.call["cross_validation"])
    assert back.call["v"] is None
    np.testing.assert_allclose(back.weights.to_numpy(), res.weights.to_numpy(), atol=1e-9)


def test_no_language_branches_left():
    source = Path(_sc_module().__file__).read_text(encoding="utf-8")
    assert "language ==" not in source
    assert "def sentence" not in source
