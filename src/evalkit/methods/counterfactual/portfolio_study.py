"""Portfolio study: do restructuring programmes change the population of the places that get them?

The register of programmes (:func:`evalkit.io.register.programme_register`)
gives each programme's municipalities and first year; the SSB population panel
(:func:`evalkit.io.ssb.read_population_panel`) gives every municipality's
population on 1 January. :func:`portfolio_study` puts them together:

* **Which programmes.** A programme is used when its first year leaves at
  least ``min_pre_years`` years of the panel before it. A municipality whose
  *first* programme started earlier than that (or before the panel) is left out
  of the analysis altogether, as treated unit and as control, because it was
  already treated when the panel begins; so are municipalities whose series are
  approximate (rebuilt from a split municipality, the panel's ``approximate``
  column) or incomplete. Every left-out municipality and programme is listed
  with its reason.
* **Outcomes.** Log population (``"log"``) and population as an index with
  the panel's first year = 100 (``"index"``).
* **Staggered difference-in-differences** (Callaway & Sant'Anna 2021) with
  never-treated and with not-yet-treated municipalities as comparison units:
  doubly robust, varying base period, multiplier bootstrap with uniform
  (sup-t) bands; the simple and the dynamic (event-study) aggregations and the
  joint pre-trend test.
* **Calibrating the pre-trend test.** With one or a few municipalities in a
  start year, the influence-function standard errors of the pre-period
  estimates are far too small, and the joint Wald test rejects parallel trends
  in almost every sample, true or not. ``placebos`` draws of placebo
  programmes (the real start years and group sizes, given to municipalities
  without a programme) give the test's distribution when there is nothing to
  find: the calibrated p-value is the share of placebo statistics (per degree
  of freedom) at least as large as the real one, and a second placebo test asks
  whether the programme municipalities' mean yearly change before the start is
  further from zero than the placebos' (the selection the study has to worry
  about: programmes go to places in decline).
* **Pooled synthetic control** (Cavallo, Galiani, Noy & Pantano 2013): one
  synthetic control per programme (the summed population of its municipalities
  in the analysis) from the never-treated municipalities, normalised in the
  year before the start (log difference for the log outcome, index = 100 for
  the index), averaged by event time, with permutation inference.

The *primary* estimate, which ``figures()`` reports, is the first outcome with
the first comparison group (by default: log population, never-treated units).

Sources
-------
* Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
  multiple time periods. *Journal of Econometrics* 225(2), 200-230.
* Cavallo, E., Galiani, S., Noy, I. & Pantano, J. (2013). Catastrophic natural
  disasters and economic growth. *Review of Economics and Statistics* 95(5),
  1549-1561.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import InputError
from evalkit.results import Result
from evalkit.methods.counterfactual.pooled import PooledSyntheticControl, pooled_synthetic_control
from evalkit.methods.counterfactual.staggered import StaggeredAggregate, StaggeredDiD, staggered_did

__all__ = ["OUTCOMES", "CONTROLS", "PortfolioStudy", "portfolio_study"]

#: Outcomes the study can use: log population, and population indexed to the panel's first year (= 100).
OUTCOMES = ("log", "index")
#: Comparison groups of the staggered design.
CONTROLS = ("never_treated", "not_yet_treated")
#: How each outcome is normalised in the pooled synthetic control (in the year before each start).
POOLED_NORMALISE = {"log": "log", "index": "index"}
#: Why a programme is not used (``register['status']``), in the order they are checked.
PROGRAMME_STATUSES = ("used", "no_start_year", "starts_too_early", "starts_after_panel", "earlier_programme",
                      "data_excluded")
#: Why a municipality is left out (``excluded['reason']``).
EXCLUSION_REASONS = ("programme_before_window", "approximate", "incomplete")

_CODE, _NAME, _YEAR, _POP, _APPROX = "municipality_code", "municipality_name", "year", "pop", "approximate"


def _whole(value: Any, parameter: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError(f"{parameter} must be a whole number >= {low}, got {value!r}.", parameter=parameter)
    return int(value)


def _choices(value: Any, allowed: tuple[str, ...], parameter: str) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    bad = [v for v in items if v not in allowed]
    if not items or bad or len(set(items)) != len(items):
        raise InputError(
            f"{parameter} must be one or more of {', '.join(map(repr, allowed))} (each once), got {value!r}.",
            parameter=parameter,
        )
    return items


def _normal_p(att: float, se: float) -> float:
    from scipy.stats import norm

    if not (math.isfinite(att) and math.isfinite(se)) or se <= 0:
        return float("nan")
    return float(2 * norm.sf(abs(att / se)))


@dataclass(frozen=True, eq=False)
class PortfolioStudy(Result):
    """Result of :func:`portfolio_study`.

    Attributes
    ----------
    register
        One row per programme of the register (index ``programme_id``):
        ``name``, ``municipality_codes``, ``municipality_names``, ``first_year``,
        ``last_year``, ``publishers`` (distinct source publishers), ``status``
        (one of :data:`PROGRAMME_STATUSES`) and ``analysed_codes`` (its
        municipalities treated in the analysis).
    units
        The municipalities analysed (index ``municipality_code``): ``name``,
        ``cohort`` (first programme year, 0 = never treated), ``programme_id``.
    excluded
        Municipalities left out: ``name``, ``reason`` (one of
        :data:`EXCLUSION_REASONS`), ``programme_id`` and ``first_year`` of the
        earlier programme when that is the reason.
    staggered
        ``(outcome, control) -> StaggeredDiD``.
    pooled
        ``outcome -> PooledSyntheticControl`` (units are programmes).
    pretrend_placebos
        One row per placebo draw of the primary fit: ``statistic``, ``df``,
        ``p_value`` of its pre-trend test, ``pre_mean`` (mean pre-period
        event-time estimate) and ``att`` (simple average effect); empty when ``placebos=0``.
    """

    register: pd.DataFrame = field(repr=False)
    units: pd.DataFrame = field(repr=False)
    excluded: pd.DataFrame = field(repr=False)
    staggered: Mapping[tuple[str, str], StaggeredDiD] = field(repr=False)
    pooled: Mapping[str, PooledSyntheticControl] = field(repr=False)
    pretrend_placebos: pd.DataFrame = field(repr=False)
    outcomes: tuple[str, ...]
    controls: tuple[str, ...]
    min_pre_years: int
    first_year: int
    last_year: int
    permutations: int
    bootstrap: int
    seed: int

    # ------------------------------------------------------------------ selections
    @property
    def primary(self) -> StaggeredDiD:
        """The staggered fit of the first outcome with the first comparison group."""
        return self.staggered[(self.outcomes[0], self.controls[0])]

    @property
    def primary_pooled(self) -> PooledSyntheticControl:
        return self.pooled[self.outcomes[0]]

    @property
    def programmes_used(self) -> pd.DataFrame:
        """The register's programmes in the analysis."""
        return self.register[self.register["status"] == "used"].copy()

    def dynamic(self, outcome: str | None = None, control: str | None = None) -> StaggeredAggregate:
        """The event-study aggregation of one fit (default: the primary)."""
        return self.staggered[(outcome or self.outcomes[0], control or self.controls[0])].aggregate("dynamic")

    def pretrend(self, outcome: str | None = None, control: str | None = None) -> dict[str, float]:
        """The joint pre-trend test of one fit (default: the primary)."""
        return self.staggered[(outcome or self.outcomes[0], control or self.controls[0])].pretrend_test()

    def pretrend_calibration(self) -> dict[str, float]:
        """The primary pre-trend test against its placebo distribution.

        Returns
        -------
        dict
            ``placebos`` (draws), ``placebo_reject_share`` (share of placebo draws
            whose own test has p < 0.05: the test's actual size), ``calibrated_p``
            (share of placebo statistics per degree of freedom at least the real
            one's, with the +1 of a permutation test), ``pre_mean`` (the real mean
            yearly pre-period estimate) and ``pre_mean_p`` (share of placebos with
            a mean at least as far from zero), ``att_p`` (share of placebo simple
            effects at least as far from zero as the real one). NaN without placebos.
        """
        placebos = self.pretrend_placebos
        test = self.pretrend()
        pre = self.dynamic().by
        pre_mean = float(pre.loc[pre["event_time"] < 0, "att"].mean()) if (pre["event_time"] < 0).any() else np.nan
        k = len(placebos)
        if k == 0 or not math.isfinite(test["statistic"]):
            return {"placebos": float(k), "placebo_reject_share": np.nan, "calibrated_p": np.nan,
                    "pre_mean": pre_mean, "pre_mean_p": np.nan, "att_p": np.nan}
        ratio = placebos["statistic"] / placebos["df"].where(placebos["df"] > 0)
        actual = test["statistic"] / test["df"]
        return {
            "placebos": float(k),
            "placebo_reject_share": float((placebos["p_value"] < 0.05).mean()),
            "calibrated_p": float((1 + (ratio >= actual - 1e-12).sum()) / (1 + k)),
            "pre_mean": pre_mean,
            "pre_mean_p": float((1 + (placebos["pre_mean"].abs() >= abs(pre_mean) - 1e-15).sum()) / (1 + k)),
            "att_p": float((1 + (placebos["att"].abs() >= abs(self.primary.aggregate("simple").att) - 1e-15).sum())
                           / (1 + k)),
        }

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """One row per estimator, outcome and comparison group: effect, s.e., interval, p-values."""
        rows = []
        for (outcome, control), fit in self.staggered.items():
            simple, dyn, pre = fit.aggregate("simple"), fit.aggregate("dynamic"), fit.pretrend_test()
            rows.append({
                "estimator": "staggered_did", "outcome": outcome, "control": control,
                "att": simple.att, "se": simple.se, "ci_low": simple.ci_low, "ci_high": simple.ci_high,
                "p_value": _normal_p(simple.att, simple.se), "att_dynamic": dyn.att, "se_dynamic": dyn.se,
                "pretrend_statistic": pre["statistic"], "pretrend_df": pre["df"], "pretrend_p": pre["p_value"],
                "units": int((fit._g > 0).sum()),
            })
        for outcome, result in self.pooled.items():
            rows.append({
                "estimator": "pooled_synthetic_control", "outcome": outcome, "control": "never_treated",
                "att": result.att, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": result.p_value,
                "att_dynamic": np.nan, "se_dynamic": np.nan, "pretrend_statistic": np.nan, "pretrend_df": np.nan,
                "pretrend_p": np.nan, "units": int(result.units["used"].sum()),
            })
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """Long table: one row per estimate (``term`` names estimator, aggregation, outcome and control)."""
        rows = []
        for (outcome, control), fit in self.staggered.items():
            for kind in ("simple", "dynamic"):
                a = fit.aggregate(kind)
                rows.append({"term": f"staggered_did.{kind}[{outcome},{control}]", "estimate": a.att,
                             "std_error": a.se, "conf_low": a.ci_low, "conf_high": a.ci_high,
                             "p_value": _normal_p(a.att, a.se)})
        for outcome, result in self.pooled.items():
            rows.append({"term": f"pooled_synthetic_control[{outcome}]", "estimate": result.att,
                         "std_error": np.nan, "conf_low": np.nan, "conf_high": np.nan, "p_value": result.p_value})
        return pd.DataFrame(rows)

    def pre_fit(self, outcome: str | None = None) -> pd.DataFrame:
        """Per programme: start, pre-years, pre-period RMSPE of its synthetic control, mean gap after the start."""
        units = self.pooled[outcome or self.outcomes[0]].units
        names = self.register["name"]
        out = units.rename_axis("programme_id").reset_index()
        out.insert(1, "name", out["programme_id"].map(names))
        return out

    def figures(self) -> dict[str, float]:
        """The ``results.json`` figures of the study (primary estimate: first outcome, first comparison group)."""
        simple = self.primary.aggregate("simple")
        return {
            "portfolio.programmes": float(len(self.programmes_used)),
            "portfolio.att.simple": float(simple.att),
            "portfolio.att.simple.se": float(simple.se),
            "portfolio.att.dynamic": float(self.primary.aggregate("dynamic").att),
            "portfolio.pooled_sc.att": float(self.primary_pooled.att),
            "portfolio.pooled_sc.p_value": float(self.primary_pooled.p_value),
            "portfolio.pretrend_p": float(self.primary.pretrend_test()["p_value"]),
        }

    def context(self) -> dict[str, Any]:
        """Plain values for the report's templates.

        ``did[outcome][control]`` and ``pooled[outcome]`` hold each estimate;
        ``primary`` and ``primary_pooled`` the primary ones. For the log
        outcome, ``*_share`` values are the effects as proportional changes
        (``exp(x) - 1``).
        """
        did: dict[str, dict[str, dict[str, Any]]] = {}
        for (outcome, control), fit in self.staggered.items():
            did.setdefault(outcome, {})[control] = self._did_context(outcome, control, fit)
        pooled = {outcome: self._pooled_context(outcome, result) for outcome, result in self.pooled.items()}
        reg = self.register
        counts = reg["status"].value_counts()
        excluded = self.excluded
        units = self.units
        cohorts = units.loc[units["cohort"] > 0, "cohort"]
        return {
            "programmes": int(counts.get("used", 0)),
            "programmes_in_register": int(len(reg)),
            "programme_status": {s: int(counts.get(s, 0)) for s in PROGRAMME_STATUSES},
            "regional_programmes": int((reg["status"].eq("used") & reg["municipality_codes"].map(len).gt(1)).sum()),
            "treated_municipalities": int(len(cohorts)),
            "control_municipalities": int((units["cohort"] == 0).sum()),
            "municipalities": int(len(units)),
            "excluded": {r: int((excluded["reason"] == r).sum()) for r in EXCLUSION_REASONS},
            "excluded_names": {r: excluded.loc[excluded["reason"] == r, "name"].tolist() for r in EXCLUSION_REASONS},
            "first_year": self.first_year,
            "last_year": self.last_year,
            "min_pre_years": self.min_pre_years,
            "earliest_start": self.first_year + self.min_pre_years,
            "first_cohort": int(cohorts.min()) if len(cohorts) else None,
            "last_cohort": int(cohorts.max()) if len(cohorts) else None,
            "cohorts": int(cohorts.nunique()),
            "outcomes": list(self.outcomes),
            "controls": list(self.controls),
            "bootstrap": self.bootstrap,
            "permutations": self.permutations,
            "seed": self.seed,
            "level": 1 - self.primary.alpha,
            "did": did,
            "pooled": pooled,
            "primary": did[self.outcomes[0]][self.controls[0]],
            "primary_pooled": pooled[self.outcomes[0]],
        }

    def _did_context(self, outcome: str, control: str, fit: StaggeredDiD) -> dict[str, Any]:
        calibration = (self.pretrend_calibration() if (outcome, control) == (self.outcomes[0], self.controls[0])
                       else {"placebos": 0.0, "placebo_reject_share": np.nan, "calibrated_p": np.nan,
                             "pre_mean_p": np.nan, "att_p": np.nan})
        simple, dyn, pre = fit.aggregate("simple"), fit.aggregate("dynamic"), fit.pretrend_test()
        by = dyn.by
        before = by[by["event_time"] < 0]
        after = by[by["event_time"] >= 0]
        out = {
            "outcome": outcome, "control": control,
            "att": simple.att, "se": simple.se, "ci_low": simple.ci_low, "ci_high": simple.ci_high,
            "p_value": _normal_p(simple.att, simple.se),
            "dynamic_att": dyn.att, "dynamic_se": dyn.se, "dynamic_p": _normal_p(dyn.att, dyn.se),
            "crit": dyn.crit,
            "pretrend_statistic": pre["statistic"], "pretrend_df": pre["df"], "pretrend_p": pre["p_value"],
            # With a varying base period, each pre-period cell is a one-year change: their mean is
            # how much faster (or slower) the programme municipalities grew than the comparison units.
            "pre_mean": float(before["att"].mean()) if len(before) else float("nan"),
            "pre_outside_band": int(((before["band_low"] > 0) | (before["band_high"] < 0)).sum()),
            "pre_periods": int(len(before)),
            "post_periods": int(len(after)),
            "post_outside_band": int(((after["band_low"] > 0) | (after["band_high"] < 0)).sum()),
            "placebos": int(calibration["placebos"]),
            "pretrend_placebo_reject_share": calibration["placebo_reject_share"],
            "pretrend_p_calibrated": calibration["calibrated_p"],
            "pre_mean_p": calibration["pre_mean_p"],
            "att_p_placebo": calibration["att_p"],
        }
        if outcome == "log":
            for key in ("att", "ci_low", "ci_high", "dynamic_att", "pre_mean"):
                out[f"{key}_share"] = float(math.expm1(out[key])) if math.isfinite(out[key]) else float("nan")
        return out

    def _pooled_context(self, outcome: str, result: PooledSyntheticControl) -> dict[str, Any]:
        units = result.units
        used = units[units["used"]]
        by = result.by_event_time
        out = result.context() | {
            "outcome": outcome,
            "perfect_share": (float(used["perfect_placebo_prefits"].sum() / used["placebos"].sum())
                              if used["placebos"].sum() else float("nan")),
            "pre_mean": float(by.loc[by.index < 0, "att"].mean()) if (by.index < 0).any() else float("nan"),
        }
        if outcome == "log":
            for key in ("att", "pre_mean"):
                out[f"{key}_share"] = float(math.expm1(out[key])) if math.isfinite(out[key]) else float("nan")
        return out

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()

    def __repr__(self) -> str:
        f = self.figures()
        return (f"PortfolioStudy(programmes={int(f['portfolio.programmes'])}, "
                f"att={f['portfolio.att.simple']:.4g}, pooled_sc={f['portfolio.pooled_sc.att']:.4g}, "
                f"pretrend_p={f['portfolio.pretrend_p']:.3g})")

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Event-study chart of the primary fit with its uniform band; returns ``(fig, ax)``."""
        return self.primary.aggregate("dynamic").plot(ax, labels=labels)


# --------------------------------------------------------------------------- #
# building the study
# --------------------------------------------------------------------------- #


def _check_panel(panel: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(panel, pd.DataFrame):
        raise InputError("panel must be a pandas DataFrame (ek.read_population_panel()).", parameter="panel")
    for column in (_CODE, _YEAR, _POP):
        if column not in panel.columns:
            raise InputError(f"the column '{column}' is missing from the panel.", column=column, parameter="panel",
                             hint="Use the SSB panel as ek.read_population_panel() returns it.")
    out = panel[[c for c in (_CODE, _NAME, _YEAR, _POP, _APPROX) if c in panel.columns]].copy()
    out[_CODE] = out[_CODE].astype(str)
    if _NAME not in out:
        out[_NAME] = out[_CODE]
    if _APPROX not in out:
        out[_APPROX] = False
    if out.duplicated([_CODE, _YEAR]).any():
        row = out[out.duplicated([_CODE, _YEAR])].iloc[0]
        raise InputError(f"municipality {row[_CODE]} has more than one row in {row[_YEAR]}.", parameter="panel",
                         column=_YEAR, hint="Give one row per municipality and year.")
    return out


def _check_register(register: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(register, pd.DataFrame):
        raise InputError("register must be a pandas DataFrame (ek.programme_register()).", parameter="register")
    for column in ("name", "municipality_codes", "first_year"):
        if column not in register.columns:
            raise InputError(f"the column '{column}' is missing from the register.", column=column,
                             parameter="register", hint="Use the register as ek.programme_register() returns it.")
    return register


def portfolio_study(
    panel: pd.DataFrame,
    register: pd.DataFrame,
    *,
    min_pre_years: int = 3,
    outcomes: Sequence[str] = ("log", "index"),
    control: Sequence[str] = ("never_treated", "not_yet_treated"),
    permutations: int = 999,
    bootstrap: int = 999,
    placebos: int = 199,
    seed: int = 0,
) -> PortfolioStudy:
    """Staggered DiD and a pooled synthetic control for the register's programmes on the population panel.

    Parameters
    ----------
    panel
        Long population panel: ``municipality_code``, ``year``, ``pop`` and,
        as :func:`evalkit.io.ssb.read_population_panel` gives them,
        ``municipality_name`` and ``approximate``.
    register
        The programme register (:func:`evalkit.io.register.programme_register`).
    min_pre_years
        Years of the panel a programme needs before its first year. Municipalities
        whose first programme started before ``first panel year + min_pre_years``
        are left out of treated and comparison units.
    outcomes
        ``"log"`` (log population) and/or ``"index"`` (population, first panel year = 100).
        The first is the primary outcome.
    control
        Comparison groups of the staggered design: ``"never_treated"`` and/or
        ``"not_yet_treated"``. The first is the primary one.
    permutations
        Placebo averages of the pooled synthetic control's permutation test.
    bootstrap
        Multiplier-bootstrap draws of the staggered design (0: analytic s.e.s, pointwise bands).
    placebos
        Placebo draws that calibrate the primary pre-trend test (0: none). Each gives the
        real start years and group sizes to municipalities without a programme, at random.
    seed
        Seed of both.

    Returns
    -------
    PortfolioStudy

    Raises
    ------
    InputError
        A malformed panel or register, bad settings, or no programme left to study.

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). *Journal of Econometrics* 225(2), 200-230.
    Cavallo, E., Galiani, S., Noy, I. & Pantano, J. (2013). *Review of Economics and Statistics* 95(5), 1549-1561.
    """
    min_pre_years = _whole(min_pre_years, "min_pre_years", 1)
    permutations = _whole(permutations, "permutations", 1)
    bootstrap = _whole(bootstrap, "bootstrap", 0)
    placebos = _whole(placebos, "placebos", 0)
    seed = _whole(seed, "seed", 0)
    outcomes = _choices(outcomes, OUTCOMES, "outcomes")
    controls = _choices(control, CONTROLS, "control")
    data = _check_panel(panel)
    register = _check_register(register)

    years = np.sort(data[_YEAR].unique())
    first_year, last_year = int(years[0]), int(years[-1])
    earliest = first_year + min_pre_years
    names = data.groupby(_CODE)[_NAME].first()

    # Each municipality's first programme (id and year), over the whole register.
    first: dict[str, tuple[int, str]] = {}
    for pid, codes, year in zip(register.index, register["municipality_codes"], register["first_year"]):
        if pd.isna(year):
            continue
        for code in codes:
            if code not in first or int(year) < first[code][0]:
                first[code] = (int(year), str(pid))

    # Municipalities left out, with the first reason that applies.
    per_unit = data.groupby(_CODE).agg(n=(_YEAR, "nunique"), positive=(_POP, lambda s: bool((s > 0).all())),
                                       approximate=(_APPROX, "any"))
    excluded_rows = []
    for code in names.index:
        reason, pid, year = None, None, None
        if code in first and first[code][0] < earliest:
            reason, (year, pid) = "programme_before_window", first[code]
        elif bool(per_unit.at[code, "approximate"]):
            reason = "approximate"
        elif per_unit.at[code, "n"] < len(years) or not per_unit.at[code, "positive"]:
            reason = "incomplete"
        if reason:
            excluded_rows.append({_CODE: code, "name": names[code], "reason": reason, "programme_id": pid,
                                  "first_year": year})
    excluded = pd.DataFrame(excluded_rows, columns=[_CODE, "name", "reason", "programme_id", "first_year"])
    excluded = excluded.set_index(_CODE)
    kept = names.index.difference(excluded.index)

    cohort = {c: (first[c][0] if c in first and first[c][0] <= last_year else 0) for c in kept}
    units = pd.DataFrame({"name": names[kept], "cohort": pd.Series(cohort)[kept].astype("int64"),
                          "programme_id": [first[c][1] if cohort[c] else None for c in kept]},
                         index=pd.Index(kept, name=_CODE))

    # Each programme's status and the municipalities it contributes as treated units.
    reg = pd.DataFrame(index=register.index)
    reg["name"] = register["name"].to_numpy()
    reg["municipality_codes"] = [tuple(c) for c in register["municipality_codes"]]
    reg["municipality_names"] = [tuple(str(names.get(c, c)) for c in codes) for codes in reg["municipality_codes"]]
    reg["first_year"] = register["first_year"].to_numpy()
    reg["last_year"] = register["last_year"].to_numpy() if "last_year" in register else pd.NA
    if "sources" in register:
        reg["publishers"] = [tuple(dict.fromkeys(s[0] for s in sources)) for sources in register["sources"]]
    else:
        reg["publishers"] = [() for _ in range(len(reg))]
    status, analysed = [], []
    for pid, codes, year in zip(reg.index, reg["municipality_codes"], reg["first_year"]):
        mine = tuple(c for c in codes if c in units.index and units.at[c, "programme_id"] == str(pid))
        analysed.append(mine)
        if pd.isna(year):
            status.append("no_start_year")
        elif int(year) < earliest:
            status.append("starts_too_early")
        elif int(year) > last_year:
            status.append("starts_after_panel")
        elif mine:
            status.append("used")
        elif any(c in first and first[c][1] != str(pid) for c in codes):
            status.append("earlier_programme")
        else:
            status.append("data_excluded")
    reg["status"] = status
    reg["analysed_codes"] = analysed
    used = reg[reg["status"] == "used"]
    if used.empty:
        raise InputError(
            f"no programme of the register starts between {earliest} and {last_year} in municipalities "
            "with complete series.",
            parameter="register",
            hint=f"Lower min_pre_years (now {min_pre_years}), or use a longer panel.",
        )

    frame = data[data[_CODE].isin(kept)].sort_values([_CODE, _YEAR]).reset_index(drop=True)
    frame["cohort"] = frame[_CODE].map(units["cohort"]).astype("int64")
    frame["log"] = np.log(frame[_POP].astype(float))
    base = frame.loc[frame[_YEAR] == first_year].set_index(_CODE)[_POP].astype(float)
    frame["index"] = frame[_POP].astype(float) / frame[_CODE].map(base) * 100.0

    fits: dict[tuple[str, str], StaggeredDiD] = {}
    for outcome in outcomes:
        for ctl in controls:
            fits[(outcome, ctl)] = staggered_did(
                frame, outcome=outcome, unit=_CODE, time=_YEAR, cohort="cohort", control=ctl, method="dr",
                base_period="varying", bootstrap=bootstrap, seed=seed,
            )

    # Programme-level units for the pooled synthetic control: the summed population of each programme's
    # analysed municipalities; donors are the never-treated municipalities.
    donors = units.index[units["cohort"] == 0].tolist()
    blocks = [frame.loc[frame[_CODE].isin(donors), [_CODE, _YEAR, _POP]]]
    starts: dict[str, int] = {}
    for pid, codes, year in zip(used.index, used["analysed_codes"], used["first_year"]):
        total = frame[frame[_CODE].isin(codes)].groupby(_YEAR, as_index=False)[_POP].sum()
        total[_CODE] = f"programme:{pid}"
        blocks.append(total[[_CODE, _YEAR, _POP]])
        starts[f"programme:{pid}"] = int(year)
    sc_frame = pd.concat(blocks, ignore_index=True)
    sc_frame[_POP] = sc_frame[_POP].astype(float)
    pooled: dict[str, PooledSyntheticControl] = {}
    for outcome in outcomes:
        result = pooled_synthetic_control(
            sc_frame, unit=_CODE, time=_YEAR, outcome=_POP, starts=starts, donors=donors,
            normalise=POOLED_NORMALISE[outcome], min_pre_periods=min_pre_years,
            permutations=permutations, seed=seed,
        )
        pooled[outcome] = _renamed(result)

    pretrend_placebos = _placebo_pretrends(frame, units, outcomes[0], controls[0], placebos, seed)

    return PortfolioStudy(
        register=reg, units=units, excluded=excluded, staggered=fits, pooled=pooled,
        pretrend_placebos=pretrend_placebos, outcomes=outcomes,
        controls=controls, min_pre_years=min_pre_years, first_year=first_year, last_year=last_year,
        permutations=permutations, bootstrap=bootstrap, seed=seed,
    )


def _renamed(result: PooledSyntheticControl) -> PooledSyntheticControl:
    """The pooled result with programme ids (not the internal unit labels) as its units."""
    strip = lambda label: str(label).removeprefix("programme:")  # noqa: E731
    units = result.units.rename(index=strip)
    units.index.name = "programme_id"
    gaps = result.gaps.rename(columns=strip)
    return PooledSyntheticControl(units, result.by_event_time, gaps, result.att, result.p_value,
                                  result.permutations, result.seed)


def _placebo_pretrends(frame: pd.DataFrame, units: pd.DataFrame, outcome: str, control: str, draws: int,
                       seed: int) -> pd.DataFrame:
    """Pre-trend tests of placebo programmes among the never-treated municipalities.

    Each draw gives the real cohorts' start years and sizes to never-treated
    municipalities picked at random (the real programme municipalities are left
    out), fits the same staggered design without bootstrap and records its
    pre-trend test and mean pre-period event-time estimate.
    """
    columns = ["statistic", "df", "p_value", "pre_mean", "att"]
    sizes = units.loc[units["cohort"] > 0, "cohort"].value_counts().sort_index()
    never = units.index[units["cohort"] == 0].to_numpy()
    if draws == 0 or len(never) < sizes.sum() + 2:
        return pd.DataFrame(columns=columns, dtype=float)
    data = frame[frame[_CODE].isin(never)].copy()
    codes = data[_CODE].to_numpy()
    rng = np.random.default_rng([seed, 7])  # its own stream: the bootstrap and permutations stay as they were
    rows = []
    for _ in range(draws):
        picked = rng.permutation(never)[: sizes.sum()]
        cohort = dict(zip(picked, np.repeat(sizes.index.to_numpy(), sizes.to_numpy())))
        data["cohort"] = pd.Series(codes).map(cohort).fillna(0).astype("int64").to_numpy()
        fit = staggered_did(data, outcome=outcome, unit=_CODE, time=_YEAR, cohort="cohort", control=control,
                            method="dr", base_period="varying")
        test = fit.pretrend_test()
        by = fit.aggregate("dynamic").by
        before = by.loc[by["event_time"] < 0, "att"]
        rows.append([test["statistic"], test["df"], test["p_value"], float(before.mean()) if len(before) else np.nan,
                     fit.aggregate("simple").att])
    return pd.DataFrame(rows, columns=columns)
