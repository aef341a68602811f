"""Pooled synthetic control (Cavallo, Galiani, Noy & Pantano 2013) on panels with a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.methods.counterfactual.pooled import pooled_synthetic_control


def factor_panel(*, effect: float, treated: int = 8, donors: int = 40, years=range(2000, 2020), seed: int = 0):
    """Units driven by two common factors; treated units get ``effect`` from their own start on."""
    rng = np.random.default_rng(seed)
    years = np.array(list(years))
    f = np.cumsum(rng.normal(0, 1, size=(len(years), 2)), axis=0)
    n = treated + donors
    load = rng.uniform(0.5, 1.5, size=(n, 2))
    y = 100 + f @ load.T + rng.normal(0, 0.3, size=(len(years), n))
    starts = {f"t{i}": int(rng.integers(2006, 2015)) for i in range(treated)}
    names = [f"t{i}" for i in range(treated)] + [f"d{j}" for j in range(donors)]
    for i, (name, start) in enumerate(starts.items()):
        y[years >= start, i] += effect
    frame = pd.DataFrame(y, index=years, columns=names).stack().rename("y").reset_index()
    frame.columns = ["year", "unit", "y"]
    return frame, starts


def test_recovers_a_known_effect_and_finds_it_significant():
    frame, starts = factor_panel(effect=5.0)
    result = pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts=starts,
                                      normalise=None, permutations=499, seed=1)
    assert result.att == pytest.approx(5.0, abs=0.6)
    assert result.p_value < 0.05
    post = result.by_event_time.loc[0:]
    post = post[post["units"] >= 3]  # one unit far out in event time extrapolates its fit
    assert (post["att"] > 3).all()
    pre = result.by_event_time.loc[:-1]
    assert pre["att"].abs().max() < 1.0
    assert set(result.figures()) == {"portfolio.pooled_sc.att", "portfolio.pooled_sc.p_value"}


def test_no_effect_is_rejected_about_as_often_as_the_level_says():
    rejections = []
    for seed in range(40):
        frame, starts = factor_panel(effect=0.0, seed=100 + seed, donors=25)
        result = pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts=starts,
                                          normalise=None, permutations=199, seed=seed)
        rejections.append(result.p_value <= 0.10)
    # 40 draws at a 10 % level: 4 expected; 12 or more would be a broken test (p < 0.001 under the null).
    assert sum(rejections) < 12


def test_units_without_enough_pre_years_are_left_out_and_listed():
    frame, starts = factor_panel(effect=2.0)
    starts = dict(starts) | {"t0": 2001}
    result = pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts=starts, normalise="index",
                                      permutations=99)
    assert not result.units.loc["t0", "used"]
    assert "t0" not in result.gaps.columns
    assert result.units["used"].sum() == len(starts) - 1


def test_perfect_placebo_prefits_are_counted_and_do_not_break_the_p_value():
    # Donors that are exact mixtures of two others fit their pre-period perfectly.
    frame, starts = factor_panel(effect=4.0, donors=10)
    wide = frame.pivot(index="year", columns="unit", values="y")
    for k in range(5):
        wide[f"mix{k}"] = 0.5 * wide["d0"] + 0.5 * wide[f"d{k + 1}"]
    frame = wide.stack().rename("y").reset_index()
    result = pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts=starts, normalise=None,
                                      permutations=199)
    assert result.units["perfect_placebo_prefits"].sum() > 0
    assert np.isfinite(result.p_value) and 0 < result.p_value <= 1


def test_bad_input():
    frame, starts = factor_panel(effect=1.0)
    with pytest.raises(InputError, match="not in the panel"):
        pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts={"nope": 2010})
    with pytest.raises(InputError, match="not balanced"):
        pooled_synthetic_control(frame.iloc[1:], unit="unit", time="year", outcome="y", starts=starts)
    with pytest.raises(InputError, match="periods before its start"):
        pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts={"t0": 2000})
    with pytest.raises(InputError, match="normalisation"):
        pooled_synthetic_control(frame, unit="unit", time="year", outcome="y", starts=starts, normalise="z")
