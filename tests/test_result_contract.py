"""Every public result class of evalkit.methods keeps one contract (evalkit.results.Result).

The test imports every module under ``evalkit.methods``, finds the classes that
derive from :class:`~evalkit.results.Result`, and checks a real small instance
of each (the tiny programme of conftest, the shipped Vestre Toten and
Gjøvikregionen data, a toy panel): frozen, compared by identity, its frame a
copy, its tidy/figures/context of the right types, HTML that is a string and
one plot signature. A class without an instance here fails the test.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import evalkit.methods  # noqa: E402
from conftest import ROOT  # noqa: E402
from evalkit.results import Result  # noqa: E402

PLOT = "(self, ax=None, *, labels=None)"


def _result_classes() -> list[type]:
    found = set()
    for info in pkgutil.walk_packages(evalkit.methods.__path__, "evalkit.methods."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Result) and cls is not Result and not name.startswith("_") and cls.__module__ == info.name:
                found.add(cls)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def _toy_panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = list(range(2000, 2012))
    units = ["T"] + [f"D{i}" for i in range(6)]
    rows = []
    for i, u in enumerate(units):
        level, trend = 10 + i, 0.2 + 0.05 * i
        for t in years:
            effect = 2.0 if (u == "T" and t >= 2008) else 0.0
            rows.append({"unit": u, "year": t, "y": level + trend * (t - 2000) + effect + rng.normal(0, 0.1),
                         "treated": int(u == "T"), "post": int(t >= 2008)})
    return pd.DataFrame(rows)


def _staggered_panel(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(60):
        cohort = (2004, 2006, 0)[unit % 3]
        alpha = rng.normal()
        for year in range(2001, 2009):
            effect = 1.0 if cohort and year >= cohort else 0.0
            rows.append({"id": unit, "year": year, "cohort": cohort, "y": alpha + 0.1 * year + effect + rng.normal(0, 0.3)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def instances() -> dict[type, Result]:
    from evalkit.io.programme import load_programme
    from evalkit.io.ssb import read_population_panel, table_path
    from evalkit.methods.counterfactual.design import maryland_grade, triangulate
    from evalkit.methods.counterfactual.did import did, event_study
    from evalkit.methods.counterfactual.staggered import staggered_did
    from evalkit.methods.counterfactual.synthetic_control import synthetic_control
    from evalkit.methods.descriptive.gross_jobs import cost_per_registered_job, gross_jobs, target_attainment
    from evalkit.methods.descriptive.monitoring import budget_forecast, budget_status, priority_spread, region_population
    from evalkit.methods.descriptive.portfolio import portfolio
    from evalkit.methods.disclosure import protect_table
    from evalkit.methods.net_effect.estimate import estimate_net_effect

    out: list[Result] = []
    gjovik = load_programme(ROOT / "data" / "gjovikregionen")
    status = budget_status(gjovik, 2018)
    out += [status, priority_spread(gjovik), budget_forecast(status),
            region_population(read_population_panel(table_path("population")), ["3407", "3443"], 2017)]
    vestre = load_programme(ROOT / "data" / "vestre_toten")
    funds, gross = portfolio(vestre), gross_jobs(vestre)
    out += [funds, gross, target_attainment(gross, 100.0), cost_per_registered_job(funds, gross)]
    effect = estimate_net_effect(vestre, period=(2010, 2016), mc_draws=200)
    out += [effect, effect.attribution, effect.net, effect.cost, effect.monte_carlo, effect.tornado]
    out += [s for s in [effect.survey] if s is not None]
    panel = _toy_panel()
    sc = synthetic_control(panel, unit="unit", time="year", outcome="y", treated="T", treatment_start=2008)
    out += [sc, sc.placebo(), sc.leave_one_out()]
    out += [did(panel, "y", treated="treated", post="post", unit="unit", time="year"),
            event_study(panel, "y", treated="treated", unit="unit", time="year", treatment_start=2008)]
    out += [maryland_grade("synthetic_control", pre_period_match=True), triangulate(10.0, 12.0)]
    fit = staggered_did(_staggered_panel(), outcome="y", unit="id", time="year", cohort="cohort", method="reg")
    out += [fit, fit.aggregate("dynamic")]
    micro = pd.DataFrame({"sector": ["a", "a", "a", "b", "b"], "org_number": ["1", "2", "3", "4", "5"],
                          "value": [10.0, 12.0, 9.0, 50.0, 1.0]})
    out.append(protect_table(micro, rows="sector", value="value"))
    from evalkit.methods.counterfactual.conformal import conformal_inference
    from evalkit.methods.counterfactual.pooled import pooled_synthetic_control
    from evalkit.methods.counterfactual.sdid import synthetic_did

    out.append(synthetic_did(panel, unit="unit", time="year", outcome="y", treated="T", treatment_start=2008, reps=20))
    wide = panel.pivot(index="year", columns="unit", values="y")
    out.append(conformal_inference(wide["T"].to_numpy(), wide.drop(columns="T").to_numpy(),
                                   int((wide.index < 2008).sum())))
    out.append(pooled_synthetic_control(panel, unit="unit", time="year", outcome="y",
                                        starts={"T": 2008}, normalise=None, permutations=49))
    from evalkit.io.ssb import read_municipality_hierarchy
    from evalkit.methods.counterfactual.analysis import counterfactual_analysis

    population = read_population_panel()
    donors = ["3401", "3405", "3411", "3412", "3415", "3418", "3421", "3430", "3431", "3432"]
    cf = counterfactual_analysis(population, read_municipality_hierarchy(table_path("hierarchy")), treated="3443",
                                 period_start=2010, donors=donors)
    from evalkit.methods.counterfactual.analysis import robustness

    out += [cf, cf.compare(50.0, (10.0, 80.0)), robustness(cf)]
    from evalkit.io.register import programme_register
    from evalkit.methods.counterfactual.portfolio_study import portfolio_study

    out.append(portfolio_study(population, programme_register(), outcomes=("log",), control=("never_treated",),
                               permutations=19, bootstrap=0, placebos=3))
    return {type(r): r for r in out}


CLASSES = _result_classes()


def test_every_public_result_class_is_found_and_has_an_instance(instances):
    assert len(CLASSES) >= 25
    assert set(CLASSES) <= set(instances), [c.__name__ for c in CLASSES if c not in instances]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_frozen_and_compared_by_identity(cls, instances):
    result = instances[cls]
    params = cls.__dataclass_params__
    assert params.frozen and not params.eq, cls.__name__
    assert cls.__eq__ is object.__eq__ and cls.__hash__ is object.__hash__
    assert result == result and (result == object()) is False
    fields = dataclasses.fields(result)
    if fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, fields[0].name, None)


def _spoil(frame: pd.DataFrame | pd.Series) -> None:
    """Change a frame in place the ways a caller might: a cell, a new column, renamed columns."""
    if isinstance(frame, pd.Series):
        if len(frame) and pd.api.types.is_numeric_dtype(frame):
            frame.iloc[0] = -12345
        return
    numeric = [j for j, t in enumerate(frame.dtypes) if pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)]
    if len(frame) and numeric:
        frame.iloc[0, numeric[0]] = -12345
    frame["__new__"] = 1
    frame.columns = [f"renamed {i}" for i in range(frame.shape[1])]


def _same(a, b) -> None:
    (pd.testing.assert_frame_equal if isinstance(a, pd.DataFrame) else pd.testing.assert_series_equal)(a, b)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_frames_are_handed_out_as_copies(cls, instances):
    result = instances[cls]
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    before = frame.copy()
    _spoil(frame)
    _same(result.to_frame(), before)
    for f in dataclasses.fields(result):
        held = getattr(result, f.name)
        if isinstance(held, (pd.DataFrame, pd.Series)):
            copy = held.copy()
            _spoil(held)
            _same(getattr(result, f.name), copy)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_tidy_figures_context_and_display(cls, instances):
    result = instances[cls]
    assert isinstance(result.tidy(), pd.DataFrame)
    figures = result.figures()
    assert isinstance(figures, dict)
    assert all(isinstance(k, str) and (v is None or isinstance(v, (int, float, np.integer, np.floating)))
               for k, v in figures.items())
    context = result.context()
    assert isinstance(context, dict) and all(isinstance(k, str) for k in context)
    assert not any(isinstance(v, (pd.DataFrame, pd.Series, Result)) for v in context.values())
    assert isinstance(result._repr_html_(), str) and "<table" in result._repr_html_()
    assert isinstance(repr(result), str)


def _signature(function) -> str:
    """A signature as written without annotations: ``(self, ax=None, *, labels=None)``."""
    out, star = [], False
    for p in inspect.signature(function).parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        out.append(p.name + ("" if p.default is p.empty else f"={p.default!r}"))
    return f"({', '.join(out)})"


@pytest.mark.parametrize("cls", [c for c in CLASSES if hasattr(c, "plot")], ids=lambda c: c.__name__)
def test_one_plot_signature_with_default_and_given_labels(cls, instances):
    from evalkit.report.i18n import plot_labels
    from evalkit.report.words import catalogue

    assert _signature(cls.plot) == PLOT, cls.__name__
    result = instances[cls]
    fig, ax = result.plot()
    plt.close(fig)
    fig, ax = result.plot(labels=plot_labels(result, "nn"))
    plt.close(fig)
    for language in ("nb", "nn"):
        missing = {v for k, v in cls.PLOT_LABELS.items() if k not in ("decimal_mark", "group_mark")
                   and ("plot", v) not in catalogue(language)}
        assert not missing, f"{language}.po lacks plot labels {missing}"


def test_given_labels_override_the_defaults(instances):
    from evalkit.methods.descriptive.monitoring import BudgetStatus

    fig, ax = instances[BudgetStatus].plot(labels={"ylabel": "Millionar"})
    assert ax.get_ylabel() == "Millionar" and ax.get_legend().get_texts()[0].get_text() == "Frame for firms"
    plt.close(fig)


def test_no_public_result_is_left_outside_the_contract():
    # Assumptions is a validated parameter set (pydantic), not a result of a method.
    outside = []
    for info in pkgutil.walk_packages(evalkit.methods.__path__, "evalkit.methods."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == info.name and not name.startswith("_") and hasattr(cls, "to_frame")
                    and not issubclass(cls, Result) and name != "Assumptions"):
                outside.append(name)
    assert not outside
