"""The counterfactual analysis of one restructuring municipality, from SSB's population panel.

One call, :func:`counterfactual_analysis`, does what the final evaluation's
counterfactual chapter reports: the population index (last pre-year = 100),
donors of similar size outside the municipality's labour-market region, a
synthetic control with age-structure predictors, its in-space placebo test,
a two-way fixed-effects difference-in-differences and event study against the
same donors, and the evidence grade on the Maryland scale. Every choice that
changes a figure or the wording of a sentence is a named constant below (the
method appendix prints them); nothing here writes prose.

Sources
-------
* Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods
  for comparative case studies. *JASA* 105(490), 493-505 (predictors,
  nested choice of V, in-space placebo and its rank p-value, trimming badly
  fitted placebos).
* Abadie, A. (2021). Using synthetic controls: feasibility, data requirements,
  and methodological aspects. *J. Econ. Literature* 59(2), 391-425 (donor
  pools without spill-overs and of comparable units; pre-period fit judged
  against the outcome's scale).
* Freyaldenhoven, S., Hansen, C., Pérez Pérez, J. & Shapiro, J. M. (2021).
  Visualization, identification, and estimation in the linear panel
  event-study design. NBER WP 29170 (leads as a pre-trend test).
* Conley, T. G. & Taber, C. R. (2011). Inference with "difference in
  differences" with a small number of policy changes. *REStat* 93(1), 113-125.
* Sherman, L. W. et al. (1997), the Maryland Scientific Methods Scale, as
  adapted by the What Works Centre for Local Economic Growth (2016).
* Chernozhukov, V., Wüthrich, K. & Zhu, Y. (2021). An exact and robust
  conformal inference method for counterfactual and synthetic controls.
  *JASA* 116(536), 1849-1864 (the headline interval).
* Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. & Wager, S.
  (2021). Synthetic difference-in-differences. *AER* 111(12), 4088-4118.
* Gundersen, F. & Juvkam, D. (2013). *Inndelinger i senterstruktur,
  sentralitet og BA-regioner*. NIBR-rapport 2013:1 (the labour-market
  regions and which of them are the metropolitan ones).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import InputError
from evalkit.results import Result
from evalkit.methods.counterfactual.design import (
    AGE_GROUPS,
    MarylandGrade,
    comparable_donors,
    comparison_paths,
    counterfactual_figures,
    maryland_grade,
    population_outcome,
)
from evalkit.methods.counterfactual.conformal import ConformalResult, conformal_inference
from evalkit.methods.counterfactual.did import DiDResult, EventStudyResult, did, event_study
from evalkit.methods.counterfactual.sdid import SyntheticDiD, synthetic_did
from evalkit.methods.counterfactual.synthetic_control import (
    PlaceboResult,
    SyntheticControlResult,
    synthetic_control,
)

__all__ = [
    "DONOR_POPULATION_RANGE",
    "PRE_FIT_GOOD_RMSPE",
    "PRETREND_ALPHA",
    "P_VALUE_LEVELS",
    "NAMED_WEIGHT",
    "LISTED_WEIGHT",
    "PLACEBO_BAND_LEVEL",
    "PLACEBO_BAND_MAX_PRE_RMSPE_RATIO",
    "INHABITANTS_PER_JOB",
    "MAX_YEARLY_JUMP",
    "METROPOLITAN_BA_REGIONS",
    "PROGRAMME_YEARS_IF_OPEN",
    "CONFORMAL_ALPHA",
    "PERFECT_PREFIT_RMSPE",
    "MDE_LEVEL",
    "SDID_REPS",
    "DONOR_RULES",
    "Robustness",
    "minimum_detectable_effect",
    "robustness",
    "donor_pool",
    "perfect_prefits",
    "trimmed_p_value",
    "ROBUSTNESS_ROWS",
    "CounterfactualAnalysis",
    "Comparison",
    "counterfactual_analysis",
    "default_pre_period",
    "default_predictors",
    "p_value_level",
]

#: Population range (inhabitants in the last pre-year) of the default donors. Municipalities of
#: another size follow other dynamics (Abadie 2021, sec. 3: donors comparable to the treated unit);
#: 5 000-40 000 brackets the small and middle-sized municipalities restructuring status is given to.
DONOR_POPULATION_RANGE: tuple[float, float] = (5_000, 40_000)
#: Pre-period fit (RMSPE, index points) below which the synthetic control counts as tracking the
#: municipality: half a per cent of its base-year population. evalkit's convention; Abadie (2021,
#: sec. 4) asks for the fit to be judged against the outcome's scale, which an index fixes.
PRE_FIT_GOOD_RMSPE: float = 0.5
#: Significance of the event study's pre-trend Wald test (all leads zero, Freyaldenhoven et al. 2021):
#: at or below it, parallel trends are rejected and the difference-in-differences is not credible.
PRETREND_ALPHA: float = 0.05
#: Placebo p-values that choose the sentence: at most the first, the gap is clearly unusual among the
#: placebos; at most the second, weakly unusual; above it, not unusual (the conventional 5 % and 10 %).
P_VALUE_LEVELS: tuple[float, float] = (0.05, 0.10)
#: Weight from which a donor is named in the sentence on the synthetic control's make-up.
NAMED_WEIGHT: float = 0.005
#: Weight from which a donor is listed in the weights table.
LISTED_WEIGHT: float = 0.001
#: Central range of the donors' placebo gaps that an effect has to leave to be told apart from noise.
PLACEBO_BAND_LEVEL: float = 0.9
#: Placebos whose pre-period fit is more than this many times worse than the municipality's are left
#: out of the noise band (ADH 2010, figs. 5-7, trim at 5 times the treated unit's MSPE-scale fit).
PLACEBO_BAND_MAX_PRE_RMSPE_RATIO: float = 5.0
#: Inhabitants per net job, to set the bottom-up jobs beside the population gap. An ASSUMPTION, not an
#: estimate from a source: a net job keeps one worker who would otherwise have moved away (family members
#: moving with them would raise it, in-commuters taking the job lower it). The report shows it.
INHABITANTS_PER_JOB: float = 1.0
#: Largest year-on-year relative change of a municipality's population a donor may have. A Norwegian
#: municipality's population rarely moves more than a few per cent a year (the shipped panel's 357 series,
#: 2005-2026: all but three stay below 11 %); a jump beyond 15 % is a border change or a rebuilt series,
#: not development, and would be fitted as if it were.
MAX_YEARLY_JUMP: float = 0.15
#: The metropolitan labour-market regions (BA regions, ``ba_region_name`` of the municipality hierarchy):
#: the regions of Oslo, Bergen, Trondheim and Stavanger, the four largest city regions in NIBR's
#: division (Gundersen & Juvkam 2013, NIBR-rapport 2013:1). Their growth is driven by the city's labour
#: market, not by the local economy a restructuring programme works on (Abadie 2021, sec. 3: comparable donors).
METROPOLITAN_BA_REGIONS: tuple[str, ...] = ("Oslo/Bærum", "Bergen", "Trondheim", "Stavanger/Sandnes")
#: Years a programme without an end year in the register is taken to run: restructuring status is
#: normally granted for up to six years (three plus three).
PROGRAMME_YEARS_IF_OPEN: int = 6
#: Level of the conformal interval (Chernozhukov, Wüthrich & Zhu 2021): 1 - alpha = 90 %.
CONFORMAL_ALPHA: float = 0.1
#: A placebo whose pre-period RMSPE is below this (index points) fits perfectly: a unit inside the convex
#: hull of the others can be reproduced exactly, and its post/pre ratio is then meaningless (infinite).
PERFECT_PREFIT_RMSPE: float = 1e-6
#: Share of the placebos' absolute post-period mean gaps an effect must exceed to be detectable.
MDE_LEVEL: float = 0.9
#: Placebo replications for the synthetic DiD's standard error (Arkhangelsky et al. 2021, Algorithm 4).
SDID_REPS: int = 200
#: The default donor pool's rules in the order they are applied (each municipality is counted under the
#: first rule it fails): own labour-market region, incomplete series, size, metropolitan region,
#: approximate series, a jump, another restructuring programme, left out by the evaluation.
DONOR_RULES: tuple[str, ...] = ("own_region", "incomplete", "size", "metropolitan", "approximate", "jump",
                                "programme", "excluded")


def default_pre_period(panel: pd.DataFrame, period_start: int) -> tuple[int, int]:
    """The panel's years before ``period_start``: (first year of the panel, ``period_start - 1``)."""
    years = pd.to_numeric(panel["year"]).astype(int)
    first = int(years.min())
    if first >= period_start:
        raise InputError(
            f"the population panel starts in {first}, not before the programme's start {period_start}.",
            parameter="period_start",
            hint="A counterfactual needs years before the programme to fit the comparison on.",
        )
    return first, int(period_start) - 1


def default_predictors(first_pre: int, last_pre: int) -> list[tuple[str, Any]]:
    """The synthetic control's predictors (ADH 2010 style).

    The population shares aged 0-14, 20-66 and 67+ (means over the fit
    period: age structure drives births, deaths and moves) and the
    population index in the first and the middle fit year (outcome lags, so
    that the path is matched, not only its end point).
    """
    shares = [(f"share_{g}", range(first_pre, last_pre + 1)) for g in AGE_GROUPS]
    return shares + [("pop_index", first_pre), ("pop_index", (first_pre + last_pre) // 2)]


def p_value_level(p: float, levels: tuple[float, float] = P_VALUE_LEVELS) -> str:
    """``"clear"`` (p <= levels[0]), ``"weak"`` (p <= levels[1]) or ``"none"``: which sentence a p-value gets."""
    if not np.isfinite(p):
        return "none"
    return "clear" if p <= levels[0] else "weak" if p <= levels[1] else "none"


def minimum_detectable_effect(placebo: PlaceboResult, level: float = MDE_LEVEL,
                              max_pre_rmspe_ratio: float | None = PLACEBO_BAND_MAX_PRE_RMSPE_RATIO) -> float:
    """The minimum detectable effect (index points): the ``level`` quantile of the placebos' absolute gaps.

    Every donor, treated in turn as if it had had the programme, has a mean
    post-period gap to its own synthetic control; without an effect, the
    treated unit's gap is one more draw from that distribution. An effect
    smaller in absolute value than ``level`` of those gaps (90 % by default)
    cannot be told apart from what comparable municipalities show by chance.
    Placebos fitted more than ``max_pre_rmspe_ratio`` times worse than the
    treated unit before the start are left out, as for the noise band
    (Abadie, Diamond & Hainmueller 2010, sec. 4, trim badly fitted placebos).

    Parameters
    ----------
    placebo
        The in-space placebo test.
    level
        The quantile, e.g. 0.9.
    max_pre_rmspe_ratio
        Trim placebos by pre-period fit; None keeps all.
    """
    frame = placebo.to_frame()
    donors = frame[~frame["treated"]]
    if max_pre_rmspe_ratio is not None:
        donors = donors[donors["pre_rmspe"] <= max_pre_rmspe_ratio * frame.loc[placebo.treated, "pre_rmspe"]]
    if donors.empty:
        return float("nan")
    return float(np.quantile(donors["att"].abs(), level))


def perfect_prefits(placebo: PlaceboResult, tolerance: float = PERFECT_PREFIT_RMSPE) -> int:
    """Placebos (donors, not the treated unit) whose pre-period RMSPE is below ``tolerance``."""
    frame = placebo.to_frame()
    return int((frame.loc[~frame["treated"], "pre_rmspe"] < tolerance).sum())


def trimmed_p_value(placebo: PlaceboResult, max_pre_mspe_ratio: float = PLACEBO_BAND_MAX_PRE_RMSPE_RATIO) -> tuple[float, int]:
    """The placebo rank p-value among units with pre-MSPE at most ``max_pre_mspe_ratio`` x the treated unit's.

    Abadie, Diamond & Hainmueller (2010, sec. 4 and fig. 7): placebos that the
    synthetic control cannot fit before the start say nothing about the
    treated unit's gap after it; they are left out and the rank of the
    post/pre RMSPE ratio is taken among the rest. Returns (p, units kept,
    the treated unit included).
    """
    frame = placebo.to_frame()
    mspe = frame["pre_rmspe"] ** 2
    kept = frame[mspe <= max_pre_mspe_ratio * mspe[placebo.treated]]
    ratio = kept["rmspe_ratio"]
    rank = int((ratio >= ratio[placebo.treated]).sum())
    return rank / len(kept), int(len(kept))


def _programme_municipalities(register: pd.DataFrame, first: int, last: int, *, treated: str) -> set[str]:
    """Municipalities with a programme running in any year of ``first``-``last`` (the treated one aside)."""
    out: set[str] = set()
    for codes, start, end in zip(register["municipality_codes"], register["first_year"], register["last_year"]):
        if pd.isna(start):
            continue
        stop = int(end) if pd.notna(end) else int(start) + PROGRAMME_YEARS_IF_OPEN - 1
        if int(start) <= last and stop >= first:
            out.update(str(c) for c in codes)
    out.discard(treated)
    return out


def _yearly_jump(data: pd.DataFrame) -> pd.Series:
    """Each municipality's largest year-on-year relative change of population (over ``data``'s years)."""
    ordered = data.sort_values(["municipality_code", "year"])
    change = ordered.groupby("municipality_code")["pop"].pct_change().abs()
    return change.groupby(ordered["municipality_code"]).max().fillna(0.0)


def donor_pool(
    data: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    treated: str,
    base_year: int,
    last_year: int,
    population_range: tuple[float, float],
    exclude: Iterable[str] = (),
    exclude_own_region: bool = True,
    metropolitan_regions: Iterable[str] = METROPOLITAN_BA_REGIONS,
    exclude_approximate: bool = True,
    max_yearly_jump: float | None = MAX_YEARLY_JUMP,
    register: pd.DataFrame | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """The default donors and, for every other municipality, the first rule of :data:`DONOR_RULES` it fails.

    Parameters
    ----------
    data
        The panel from the first fit year on (``municipality_code``, ``year``,
        ``pop``, optionally ``approximate``).
    hierarchy
        ``municipality_code``, ``ba_region_code``, ``ba_region_name``.
    treated, base_year, last_year
        The treated unit, the last fit year, the last year of the panel.
    population_range
        (low, high) inhabitants in ``base_year``.
    exclude
        Codes the evaluation leaves out.
    exclude_own_region
        Leave out the treated unit's labour-market region (spill-overs, Abadie 2021).
    metropolitan_regions
        BA region names to leave out (empty: none).
    exclude_approximate
        Leave out series rebuilt from split municipalities (the panel's ``approximate``).
    max_yearly_jump
        Leave out series with a larger relative change in one year (None: no check).
    register
        Programme register (:func:`evalkit.io.register.programme_register`):
        municipalities with a programme in the fit or effect years are left
        out (a programme is an intervention of the same kind, Abadie 2021).
        None: no check.

    Returns
    -------
    (donors, removed)
        ``removed`` has ``municipality_code``, ``municipality_name``,
        ``rule`` (one of :data:`DONOR_RULES`), ``approximate`` and
        ``max_jump`` for every municipality not a donor (the treated one aside).
    """
    where = hierarchy.assign(code=hierarchy["municipality_code"].astype(str)).drop_duplicates("code").set_index("code")
    codes = sorted(set(data["municipality_code"].astype(str)) - {treated})
    names = data.drop_duplicates("municipality_code").set_index("municipality_code")["municipality_name"]
    years = data.groupby("municipality_code")["year"].nunique()
    complete = set(years[years == years.max()].index)
    size = data[data["year"] == base_year].set_index("municipality_code")["pop"]
    approximate = (data.groupby("municipality_code")["approximate"].any() if "approximate" in data
                   else pd.Series(False, index=names.index))
    jump = _yearly_jump(data)
    region = where["ba_region_code"].get(treated) if "ba_region_code" in where else None
    metro = {str(m) for m in metropolitan_regions}
    programmes = (_programme_municipalities(register, int(data["year"].min()), int(last_year), treated=treated)
                  if register is not None else set())
    excluded = {str(c) for c in exclude}
    low, high = population_range
    donors, removed = [], []
    for code in codes:
        rows = where.loc[code] if code in where.index else None
        checks = (
            ("own_region", exclude_own_region and rows is not None and pd.notna(region)
             and str(rows.get("ba_region_code")) == str(region)),
            ("incomplete", code not in complete),
            ("size", not low <= size.get(code, -1) <= high),
            ("metropolitan", rows is not None and str(rows.get("ba_region_name")) in metro),
            ("approximate", exclude_approximate and bool(approximate.get(code, False))),
            ("jump", max_yearly_jump is not None and float(jump.get(code, 0.0)) > max_yearly_jump),
            ("programme", code in programmes),
            ("excluded", code in excluded),
        )
        failed = next((rule for rule, fails in checks if fails), None)
        if failed is None:
            donors.append(code)
        else:
            removed.append({"municipality_code": code, "municipality_name": str(names.get(code, code)),
                            "rule": failed, "approximate": bool(approximate.get(code, False)),
                            "max_jump": float(jump.get(code, 0.0))})
    frame = pd.DataFrame(removed, columns=["municipality_code", "municipality_name", "rule", "approximate", "max_jump"])
    return donors, frame


@dataclass(frozen=True, eq=False)
class Comparison(Result):
    """Bottom-up net jobs beside the top-down population gap (plain values; see :meth:`CounterfactualAnalysis.compare`).

    ``verdict`` is one of

    * ``"too_small"``: the population gap is not unusual among the placebos and
      the bottom-up jobs (as inhabitants) lie inside the placebos' noise band:
      the two do not contradict each other, but the population cannot confirm
      the jobs either;
    * ``"weak_agree"``: the jobs are large enough to show, the gap is of a size
      that overlaps them, but it is not unusual among the placebos;
    * ``"missing"``: the jobs are large enough to show, but the gap is not
      unusual and does not overlap them: a contradiction;
    * ``"agree"``: the gap is unusual, has the jobs' sign and overlaps them;
    * ``"same_direction"``: the gap is unusual and has the jobs' sign, but a
      size the jobs cannot explain;
    * ``"opposite"``: the gap is unusual and has the other sign: a contradiction.
    """

    net_jobs: float
    net_jobs_low: float | None
    net_jobs_high: float | None
    jobs_as_inhabitants: float
    gap_inhabitants: float
    band_low_inhabitants: float
    band_high_inhabitants: float
    p_value: float
    verdict: str
    mde_inhabitants: float = float("nan")
    detectable: bool = False

    @property
    def contradict(self) -> bool:
        return self.verdict in ("missing", "opposite")

    def context(self) -> dict[str, Any]:
        return {
            "net_jobs": self.net_jobs,
            "net_jobs_low": self.net_jobs_low,
            "net_jobs_high": self.net_jobs_high,
            "has_interval": self.net_jobs_low is not None,
            "jobs_as_inhabitants": self.jobs_as_inhabitants,
            "gap_inhabitants": self.gap_inhabitants,
            "gap_inhabitants_abs": abs(self.gap_inhabitants),
            "band_low_inhabitants": self.band_low_inhabitants,
            "band_high_inhabitants": self.band_high_inhabitants,
            "verdict": self.verdict,
            "contradict": self.contradict,
            "mde_inhabitants": self.mde_inhabitants,
            "detectable": self.detectable,
            "jobs_as_inhabitants_abs": abs(self.jobs_as_inhabitants),
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.Series(self.context(), name="value").to_frame()

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()


@dataclass(frozen=True, eq=False)
class CounterfactualAnalysis(Result):
    """Everything the counterfactual chapter shows, for one municipality.

    Attributes
    ----------
    treated
        The municipality's 2024 code.
    period_start
        The programme's first year: the first treated year of every estimate.
    pre_period
        (first, last) fit years; the index is 100 in the last.
    sc, placebo
        The synthetic control and its in-space placebo test.
    did, events
        Difference-in-differences and event study (TWFE, clustered by municipality).
    grade
        The Maryland grade.
    donors
        Donor codes; ``donors_given`` says whether the evaluation named them.
    excluded
        Codes the evaluation left out of the donor pool.
    population_range
        Size range of default donors (inhabitants in the last pre-year).
    predictors
        The synthetic control's predictors, ``(column, years)``.
    names, sizes
        Code -> municipality name, code -> inhabitants in the last pre-year.
    paths
        Population index of the rest of the labour-market region and of the county.
    region_name, county_name
        The municipality's labour-market region and county (SSB's names).
    conformal
        Conformal test and 90 % interval of a constant effect (Chernozhukov et al. 2021).
    sdid
        Synthetic difference-in-differences on the same outcome and donors.
    removed
        Municipalities kept out of the default donors, each with the first rule it fails
        (:func:`donor_pool`; empty when the evaluation gave the donors).
    rules
        ``(rule, setting)`` of the donor pool, in :data:`DONOR_RULES` order.
    data, hierarchy
        The indexed panel and the hierarchy the analysis used (for :func:`robustness`).
    treated_approximate
        The municipality's own series is rebuilt from a split municipality.
    """

    treated: str
    period_start: int
    pre_period: tuple[int, int]
    sc: SyntheticControlResult
    placebo: PlaceboResult
    did: DiDResult
    events: EventStudyResult
    grade: MarylandGrade
    donors: tuple[str, ...]
    donors_given: bool
    excluded: tuple[str, ...]
    population_range: tuple[float, float]
    predictors: tuple[tuple[str, Any], ...]
    names: pd.Series
    sizes: pd.Series
    paths: pd.DataFrame
    region_name: str
    county_name: str
    conformal: ConformalResult | None = None
    sdid: SyntheticDiD | None = None
    removed: pd.DataFrame | None = None
    rules: tuple[tuple[str, Any], ...] = ()
    data: pd.DataFrame | None = None
    hierarchy: pd.DataFrame | None = None
    treated_approximate: bool = False

    # ---------------------------------------------------------------- values
    @property
    def base_year(self) -> int:
        return self.pre_period[1]

    @property
    def treated_name(self) -> str:
        return str(self.names.get(self.treated, self.treated))

    @property
    def population(self) -> float:
        """The municipality's inhabitants in the last pre-year."""
        return float(self.sizes.get(self.treated))

    @property
    def gap_inhabitants(self) -> float:
        """The synthetic-control gap (mean after the start) in inhabitants of the last pre-year."""
        return self.sc.att / 100 * self.population

    @property
    def pre_fit_good(self) -> bool:
        return bool(self.sc.pre_rmspe < PRE_FIT_GOOD_RMSPE)

    @property
    def pretrend_rejected(self) -> bool:
        """Does the event study's pre-trend test reject parallel trends (or could it not be run)?"""
        return not bool(self.events.pretrend_p > PRETREND_ALPHA)

    @property
    def did_credible(self) -> bool:
        """A difference-in-differences is credible only where parallel pre-trends are not rejected."""
        return not self.pretrend_rejected

    @property
    def mde(self) -> float:
        """Minimum detectable effect (index points), :func:`minimum_detectable_effect`."""
        return minimum_detectable_effect(self.placebo)

    @property
    def mde_inhabitants(self) -> float:
        return self.mde / 100 * self.population

    @property
    def perfect_prefits(self) -> int:
        return perfect_prefits(self.placebo)

    @property
    def trimmed_p_value(self) -> tuple[float, int]:
        """(p, units kept): the placebo p-value without placebos fitted over 5 x worse (pre-MSPE)."""
        return trimmed_p_value(self.placebo)

    def rule_counts(self) -> dict[str, int]:
        """Municipalities each donor rule removed (0 for a rule not applied), in :data:`DONOR_RULES` order."""
        counts = (self.removed["rule"].value_counts() if self.removed is not None and len(self.removed)
                  else pd.Series(dtype=int))
        return {rule: int(counts.get(rule, 0)) for rule in DONOR_RULES}

    def panel_quality(self) -> pd.DataFrame:
        """Municipalities with an approximate series or a yearly jump above the threshold.

        Columns ``municipality``, ``approximate``, ``jump`` (the largest
        yearly relative change) and ``max_jump`` (the threshold), whatever
        rule removed them first.
        """
        columns = ["municipality", "approximate", "jump"]
        if self.removed is None or self.removed.empty:
            return pd.DataFrame(columns=columns)
        limit = dict(self.rules).get("jump")
        r = self.removed
        flagged = r["approximate"] | ((r["max_jump"] > limit) if limit is not None else False)
        out = r[flagged]
        return pd.DataFrame({"municipality": out["municipality_name"].to_numpy(),
                             "approximate": out["approximate"].to_numpy(),
                             "jump": out["max_jump"].to_numpy()})

    @property
    def sdid_pre_rmspe(self) -> float:
        """Pre-period RMSPE of the synthetic DiD's shifted synthetic path (index points)."""
        if self.sdid is None:
            return float("nan")
        pre = self.sdid.paths.iloc[: self.sdid.n_pre]
        return float(np.sqrt(np.mean((pre["treated"] - pre["synthetic_shifted"]) ** 2)))

    @property
    def sdid_credible(self) -> bool:
        """The synthetic DiD's level-shifted synthetic path tracks the municipality before the start."""
        return bool(self.sdid_pre_rmspe < PRE_FIT_GOOD_RMSPE)

    def estimators(self) -> pd.DataFrame:
        """Synthetic control, synthetic DiD and DiD side by side (plain values).

        Columns ``estimator``, ``att``, ``low``, ``high`` (90 %: the conformal
        set for the synthetic control, normal intervals for the others),
        ``p_value``, ``pre_rmspe`` and ``credible``.
        """
        z90 = CONFORMAL_ALPHA
        rows = []
        cf = self.conformal
        rows.append({"estimator": "synthetic_control", "att": float(self.sc.att),
                     "low": float(cf.ci_low) if cf else np.nan, "high": float(cf.ci_high) if cf else np.nan,
                     "p_value": float(cf.p_value) if cf else float(self.placebo.p_value),
                     "pre_rmspe": float(self.sc.pre_rmspe), "credible": self.pre_fit_good})
        if self.sdid is not None:
            lo, hi = self.sdid.conf_int(1 - z90)
            rows.append({"estimator": "sdid", "att": float(self.sdid.att), "low": lo, "high": hi,
                         "p_value": float(self.sdid.p_value), "pre_rmspe": self.sdid_pre_rmspe,
                         "credible": self.sdid_credible})
        lo, hi = self.did.conf_int(1 - z90)
        rows.append({"estimator": "did", "att": float(self.did.att), "low": float(lo), "high": float(hi),
                     "p_value": float(self.did.p_value), "pre_rmspe": np.nan, "credible": self.did_credible})
        return pd.DataFrame(rows)

    def placebo_band(self) -> tuple[float, float]:
        """The donors' central placebo gaps (index points): what noise alone gives."""
        return self.placebo.att_band(PLACEBO_BAND_LEVEL, PLACEBO_BAND_MAX_PRE_RMSPE_RATIO)

    def weights_table(self, min_weight: float = LISTED_WEIGHT) -> pd.DataFrame:
        """Donors of the synthetic control by name (``municipality``, ``weight``), largest first."""
        table = self.sc.weights_table(min_weight)
        return pd.DataFrame({"municipality": table["donor"].map(lambda c: str(self.names.get(c, c))),
                             "weight": table["weight"].to_numpy()})

    def named_weights(self) -> list[tuple[str, float]]:
        """(name, weight) of donors with weight >= :data:`NAMED_WEIGHT`, largest first."""
        table = self.weights_table(NAMED_WEIGHT)
        return list(zip(table["municipality"], table["weight"].astype(float)))

    def compare(self, net_jobs: float, interval: tuple[float, float] | None = None) -> Comparison:
        """Set bottom-up net jobs beside the population gap and say whether they agree.

        The jobs count as :data:`INHABITANTS_PER_JOB` inhabitants each. They
        could show in the population only if they reach the minimum
        detectable effect (:func:`minimum_detectable_effect`, in inhabitants); the gap counts as unusual when
        the placebo p-value is at most ``P_VALUE_LEVELS[1]``; the two overlap
        when the jobs' interval meets the gap's band (gap + noise band).
        """
        if not np.isfinite(net_jobs):
            raise InputError("net_jobs must be a finite number.", parameter="net_jobs")
        scale = self.population / 100
        lo, hi = (b * scale for b in self.placebo_band())
        jobs = float(net_jobs) * INHABITANTS_PER_JOB
        j_lo, j_hi = ((float(interval[0]) * INHABITANTS_PER_JOB, float(interval[1]) * INHABITANTS_PER_JOB)
                      if interval is not None else (jobs, jobs))
        gap = self.gap_inhabitants
        unusual = p_value_level(self.placebo.p_value) != "none"
        # Jobs could have shown in the population only if, as inhabitants, they reach the minimum
        # detectable effect (the placebos' 90 % absolute gap).
        mde = self.mde_inhabitants
        detectable = bool(np.isfinite(mde) and abs(jobs) >= mde)
        overlap = j_lo <= gap + hi and gap + lo <= j_hi
        if not unusual:
            verdict = "too_small" if not detectable else "weak_agree" if overlap else "missing"
        elif np.sign(gap) == np.sign(jobs):
            verdict = "agree" if overlap else "same_direction"
        else:
            verdict = "opposite"
        return Comparison(
            net_jobs=float(net_jobs),
            net_jobs_low=None if interval is None else float(interval[0]),
            net_jobs_high=None if interval is None else float(interval[1]),
            jobs_as_inhabitants=jobs,
            gap_inhabitants=gap,
            band_low_inhabitants=lo,
            band_high_inhabitants=hi,
            p_value=float(self.placebo.p_value),
            verdict=verdict,
            mde_inhabitants=float(mde),
            detectable=detectable,
        )

    # ---------------------------------------------------------------- result protocol
    def figures(self) -> dict[str, float]:
        """The ``results.json`` figures.

        ``counterfactual.att``, ``.p_value`` (placebo rank), ``.pre_rmspe``,
        ``.ci.low``/``.ci.high``/``.p_value.conformal`` (conformal, 90 %),
        ``.placebo.perfect_prefits``, ``.donors``, ``.mde`` (index points),
        ``did.att``, ``did.se``, ``did.pretrend_p``, ``sdid.att``, ``sdid.se``.
        """
        out = dict(counterfactual_figures(self.sc, self.placebo, self.did))
        if self.conformal is not None:
            out.update(self.conformal.figures("counterfactual"))
        out["counterfactual.placebo.perfect_prefits"] = int(self.perfect_prefits)
        out["counterfactual.donors"] = int(len(self.donors))
        out["counterfactual.mde"] = float(self.mde)
        out["did.pretrend_p"] = float(self.events.pretrend_p)
        if self.sdid is not None:
            out.update(self.sdid.figures("sdid"))
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.Series(self.figures(), name="value").to_frame()

    def tidy(self) -> pd.DataFrame:
        lo, hi = self.did.conf_int()
        return pd.DataFrame({
            "term": ["synthetic_control.att", "did.att"],
            "estimate": [self.sc.att, self.did.att],
            "std_error": [np.nan, self.did.se],
            "p_value": [self.placebo.p_value, self.did.p_value],
            "conf_low": [np.nan, lo],
            "conf_high": [np.nan, hi],
        })

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()

    def context(self) -> dict[str, Any]:
        """Plain values for the chapter templates (no prose)."""
        lo, hi = self.placebo_band()
        did_lo, did_hi = self.did.conf_int()
        n_units = int(self.placebo.gaps.shape[1])
        named = self.named_weights()
        first, last = self.pre_period
        cf = self.conformal
        p_trim, n_trim = self.trimmed_p_value
        counts = self.rule_counts()
        return {
            "treated": self.treated,
            "treated_name": self.treated_name,
            "period_start": self.period_start,
            "first_pre": first,
            "last_pre": last,
            "base_year": last,
            "mid_pre": (first + last) // 2,
            "last_year": int(self.sc.gaps.index.max()),
            "population": self.population,
            "region_name": self.region_name,
            "county_name": self.county_name,
            "n_donors": len(self.donors),
            "donors_given": self.donors_given,
            "excluded_names": [str(self.names.get(c, c)) for c in self.excluded],
            "population_low": float(self.population_range[0]),
            "population_high": float(self.population_range[1]),
            "weights": [{"name": n, "weight": w} for n, w in named],
            "n_unnamed": len(self.donors) - len(named),
            "att": float(self.sc.att),
            "att_abs": abs(float(self.sc.att)),
            "above": bool(self.sc.att >= 0),
            "gap_inhabitants": self.gap_inhabitants,
            "gap_inhabitants_abs": abs(self.gap_inhabitants),
            "pre_rmspe": float(self.sc.pre_rmspe),
            "pre_fit_good": self.pre_fit_good,
            "rank": int(self.placebo.rank),
            "n_units": n_units,
            "p_value": float(self.placebo.p_value),
            "p_min": 1 / n_units,
            "p_level": p_value_level(self.placebo.p_value),
            "band_low": lo,
            "band_high": hi,
            "did_att": float(self.did.att),
            "did_att_abs": abs(float(self.did.att)),
            "did_above": bool(self.did.att >= 0),
            "did_se": float(self.did.se),
            "did_low": float(did_lo),
            "did_high": float(did_hi),
            "did_p": float(self.did.p_value),
            "did_p_level": p_value_level(self.did.p_value),
            "did_clusters": int(self.did.n_clusters or len(self.donors) + 1),
            "pretrend_p": float(self.events.pretrend_p),
            "pretrend_rejected": self.pretrend_rejected,
            "did_credible": self.did_credible,
            "grade_level": int(self.grade.level),
            "grade_lowered": int(self.grade.level) < 3 and self.grade.design in ("synthetic_control", "did"),
            # The thresholds behind the sentences, for the method appendix.
            "pre_fit_good_rmspe": PRE_FIT_GOOD_RMSPE,
            "pretrend_alpha": PRETREND_ALPHA,
            "p_value_levels": list(P_VALUE_LEVELS),
            "named_weight": NAMED_WEIGHT,
            "listed_weight": LISTED_WEIGHT,
            "placebo_band_level": PLACEBO_BAND_LEVEL,
            "placebo_band_max_ratio": PLACEBO_BAND_MAX_PRE_RMSPE_RATIO,
            "inhabitants_per_job": INHABITANTS_PER_JOB,
            # Conformal inference, placebo diagnostics, minimum detectable effect.
            "has_conformal": cf is not None,
            "ci_low": float(cf.ci_low) if cf else float("nan"),
            "ci_high": float(cf.ci_high) if cf else float("nan"),
            "ci_finite": bool(cf is not None and np.isfinite(cf.ci_low) and np.isfinite(cf.ci_high)),
            "ci_level": 1 - CONFORMAL_ALPHA,
            "ci_covers_zero": bool(cf is not None and cf.ci_low <= 0 <= cf.ci_high),
            "p_conformal": float(cf.p_value) if cf else float("nan"),
            "p_conformal_min": float(cf.min_p_value) if cf else float("nan"),
            "p_conformal_level": p_value_level(cf.p_value) if cf else "none",
            "n_periods": int(cf.n_pre + cf.n_post) if cf else 0,
            "perfect_prefits": self.perfect_prefits,
            "perfect_prefit_rmspe": PERFECT_PREFIT_RMSPE,
            "p_trimmed": p_trim,
            "n_trimmed_units": n_trim,
            "mde": self.mde,
            "mde_inhabitants": self.mde_inhabitants,
            "mde_level": MDE_LEVEL,
            "att_detectable": bool(abs(self.sc.att) >= self.mde),
            # Synthetic DiD.
            "has_sdid": self.sdid is not None,
            "sdid_att": float(self.sdid.att) if self.sdid else float("nan"),
            "sdid_att_abs": abs(float(self.sdid.att)) if self.sdid else float("nan"),
            "sdid_above": bool(self.sdid is not None and self.sdid.att >= 0),
            "sdid_se": float(self.sdid.se) if self.sdid else float("nan"),
            "sdid_p": float(self.sdid.p_value) if self.sdid else float("nan"),
            "sdid_p_level": p_value_level(self.sdid.p_value) if self.sdid else "none",
            "sdid_reps": int(self.sdid.reps) if self.sdid else 0,
            "sdid_pre_rmspe": self.sdid_pre_rmspe,
            "sdid_credible": self.sdid_credible,
            # The donor pool's rules and what they removed.
            "rules": [{"rule": r, "setting": v, "removed": counts[r]} for r, v in self.rules],
            "rule_counts": counts,
            "n_removed": int(sum(counts.values())),
            "n_panel_quality": int(len(self.panel_quality())),
            "treated_approximate": self.treated_approximate,
            "max_yearly_jump": MAX_YEARLY_JUMP,
            "metropolitan_regions": list(METROPOLITAN_BA_REGIONS),
            "programme_years_if_open": PROGRAMME_YEARS_IF_OPEN,
        }

    # ---------------------------------------------------------------- plots
    def plot(self, ax: Sequence[Any] | None = None, *, labels: dict[str, str] | None = None):
        """The municipality, its synthetic control, the rest of its region and its county (left); the gap (right).

        ``ax`` is a pair of axes (or ``None``: a new figure). ``labels`` keys: ``treated``, ``synthetic``, ``region``, ``county``,
        ``time``, ``outcome``, ``gap``. Returns ``(fig, axes)``.
        """
        labels = {"treated": self.treated_name, "synthetic": f"synthetic {self.treated_name}",
                  "region": f"rest of {self.region_name}", "county": f"{self.county_name} (the whole county)",
                  "time": "year", "outcome": f"population, index {self.base_year} = 100",
                  "gap": "gap (index points)", **(labels or {})}
        fig, axes = self.sc.plot(ax, labels=labels)
        for column in ("region", "county"):
            if column in self.paths:
                axes[0].plot(self.paths.index, self.paths[column], lw=1, alpha=0.8, label=labels[column])
        # The paths start low (index < 100 before the base year): the upper left stays clear of them.
        axes[0].legend(frameon=False, fontsize="small", loc="upper left")
        return fig, axes

    def plot_placebo(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Placebo gaps with the municipality by name; ``labels``: ``treated``, ``placebo``, ``gap``, ``time``."""
        labels = {"treated": self.treated_name, "placebo": "comparison municipalities (placebo)",
                  "gap": "gap to the synthetic control (index points)", "time": "year", **(labels or {})}
        return self.placebo.plot(ax, labels=labels)

    def plot_event_study(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Event-study coefficients; ``labels``: ``time``, ``estimate``."""
        labels = {"time": f"years from the start (0 = {self.period_start})",
                  "estimate": "deviation in the population index (index points)", **(labels or {})}
        return self.events.plot(ax, labels=labels)


def _conformal(data: pd.DataFrame, treated: str, donors: Sequence[str], period_start: int) -> ConformalResult:
    """Conformal test and 90 % set on the population index, every year of the panel."""
    wide = data.pivot(index="year", columns="municipality_code", values="pop_index").sort_index()
    n_pre = int((wide.index < period_start).sum())
    return conformal_inference(wide[treated].to_numpy(float), wide[list(donors)].to_numpy(float), n_pre,
                               alpha=CONFORMAL_ALPHA)


def _sdid(data: pd.DataFrame, treated: str, donors: Sequence[str], period_start: int, seed: int,
          reps: int = SDID_REPS) -> SyntheticDiD:
    rows = data[data["municipality_code"].isin([treated, *donors])]
    return synthetic_did(rows, unit="municipality_code", time="year", outcome="pop_index", treated=treated,
                         treatment_start=period_start, se="placebo", reps=reps, seed=seed)


def _did_panel(data: pd.DataFrame, treated: str, donors: Sequence[str]) -> pd.DataFrame:
    return data[data["municipality_code"].isin([treated, *donors])].assign(
        treated=lambda d: (d["municipality_code"] == treated).astype(int))


def _fit_sc(data: pd.DataFrame, treated: str, donors: Sequence[str], period_start: int,
            pre: tuple[int, int], predictors: Sequence[tuple[str, Any]] | None, seed: int) -> SyntheticControlResult:
    first_pre, last_pre = pre
    chosen = list(predictors) if predictors is not None else default_predictors(first_pre, last_pre)
    # Years between the fit period and the start (an announcement year, say) are neither fitted nor treated.
    fit = None if last_pre == period_start - 1 else list(range(first_pre, last_pre + 1))
    return synthetic_control(data, unit="municipality_code", time="year", outcome="pop_index", treated=treated,
                             treatment_start=period_start, donors=list(donors), predictors=chosen,
                             fit_periods=fit, seed=seed)


def counterfactual_analysis(
    panel: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    treated: str,
    period_start: int,
    pre_period: Sequence[int] | None = None,
    donors: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    population_range: Sequence[float] = DONOR_POPULATION_RANGE,
    exclude_own_region: bool = True,
    metropolitan_regions: Iterable[str] = METROPOLITAN_BA_REGIONS,
    exclude_approximate: bool = True,
    max_yearly_jump: float | None = MAX_YEARLY_JUMP,
    exclude_programmes: bool = True,
    register: pd.DataFrame | None = None,
    placebo_jobs: int | None = None,
    seed: int = 0,
    sdid_seed: int | None = None,
    predictors: Sequence[tuple[str, Any]] | None = None,
    outcome: str = "population",
    placebo: bool = True,
) -> CounterfactualAnalysis:
    """Synthetic control, placebo test, conformal interval, SDID, DiD, event study and Maryland grade.

    Parameters
    ----------
    panel
        SSB's population panel (:func:`evalkit.io.ssb.read_population_panel`):
        ``municipality_code``, ``municipality_name``, ``year``, ``pop``, the
        age groups ``pop_0_14``, ``pop_20_66``, ``pop_67_plus`` and ``approximate``.
    hierarchy
        Municipality -> county and labour-market region
        (:func:`evalkit.io.ssb.read_municipality_hierarchy`).
    treated
        The programme municipality's 2024 code, e.g. ``"3443"``.
    period_start
        The programme's first year: every estimate counts from it (event time 0).
    pre_period
        (first, last) years to fit the comparison on; the index is 100 in the
        last. None: the panel's years before ``period_start``.
    donors
        Donor codes; None or empty: the default pool (:func:`donor_pool`),
        every rule below applied.
    exclude
        Codes to leave out of the default donors.
    population_range
        (low, high) inhabitants of default donors in the last pre-year.
    exclude_own_region
        Leave out the municipality's own labour-market region (default True).
    metropolitan_regions
        BA regions left out (default :data:`METROPOLITAN_BA_REGIONS`; empty: none).
    exclude_approximate
        Leave out series rebuilt from split municipalities (default True).
    max_yearly_jump
        Leave out series with a larger yearly relative change (default
        :data:`MAX_YEARLY_JUMP`; None: no check).
    exclude_programmes
        Leave out municipalities with a restructuring programme in the fit or
        effect years (default True; the register: ``register``).
    register
        The programme register; None: the one shipped with evalkit
        (:func:`evalkit.io.register.programme_register`).
    placebo_jobs
        Processes for the placebo refits (the result is the same); None: one.
    seed
        Seed of the synthetic control's V search.
    sdid_seed
        Seed of the synthetic DiD's placebo standard error; None: ``seed``.
    predictors
        Synthetic-control predictors; None: :func:`default_predictors`.
    outcome
        ``"population"`` (the only outcome SSB's shipped panel has).
    placebo
        False skips the placebo refits, the conformal set and the SDID (for
        :func:`robustness`: the placebo fields are then empty).

    Returns
    -------
    CounterfactualAnalysis
    """
    if outcome != "population":
        raise InputError(
            f"'{outcome}' is not available; SSB's population panel is shipped.", parameter="counterfactual_outcome",
            hint="Use 'population' (an employment table 07984/13470 can be loaded with ek.read_employment_table).")
    treated = str(treated)
    period_start = int(period_start)
    if pre_period is None or len(pre_period) == 0:
        first_pre, last_pre = default_pre_period(panel, period_start)
    else:
        if len(pre_period) != 2:
            raise InputError("pre_period must be [first year, last year].", parameter="pre_period")
        first_pre, last_pre = int(pre_period[0]), int(pre_period[1])
    if not first_pre < last_pre < period_start:
        raise InputError(
            f"the fit period {first_pre}-{last_pre} must lie before the programme's start {period_start}.",
            parameter="pre_period",
            hint=f"For example [{period_start - 5}, {period_start - 1}], or leave it out for the panel's years before the start.",
        )
    low, high = (float(v) for v in population_range)
    data = population_outcome(panel, first_year=first_pre, base_year=last_pre)
    names = data.drop_duplicates("municipality_code").set_index("municipality_code")["municipality_name"]
    sizes = data[data["year"] == last_pre].set_index("municipality_code")["pop"]
    if treated not in sizes.index:
        raise InputError(f"municipality {treated!r} is not in the population panel in {last_pre}.", parameter="treated")
    excluded = tuple(str(c) for c in exclude)
    given = [str(d) for d in (donors or [])]
    metro = tuple(str(m) for m in metropolitan_regions)
    if exclude_programmes and register is None:
        from evalkit.io.register import programme_register

        register = programme_register()
    rules: tuple[tuple[str, Any], ...] = (
        ("own_region", bool(exclude_own_region)), ("incomplete", True), ("size", (low, high)),
        ("metropolitan", metro), ("approximate", bool(exclude_approximate)),
        ("jump", None if max_yearly_jump is None else float(max_yearly_jump)),
        ("programme", bool(exclude_programmes)), ("excluded", excluded))
    removed = None
    if given:
        donor_list = given
    else:
        donor_list, removed = donor_pool(
            data, hierarchy, treated=treated, base_year=last_pre, last_year=int(data["year"].max()),
            population_range=(low, high), exclude=excluded, exclude_own_region=exclude_own_region,
            metropolitan_regions=metro, exclude_approximate=exclude_approximate, max_yearly_jump=max_yearly_jump,
            register=register if exclude_programmes else None)
    if not donor_list:
        raise InputError("no donor municipality is left.", parameter="donors",
                         hint="Widen population_range or exclude fewer municipalities.")
    chosen = list(predictors) if predictors is not None else default_predictors(first_pre, last_pre)
    sc = _fit_sc(data, treated, donor_list, period_start, (first_pre, last_pre), chosen, seed)
    if placebo:
        placebo_result = sc.placebo(n_jobs=int(placebo_jobs or 1))
        conformal = _conformal(data, treated, donor_list, period_start)
        sdid_result = _sdid(data, treated, donor_list, period_start, seed if sdid_seed is None else int(sdid_seed))
    else:
        # Without refits the placebo holds the treated unit's own gap only (rank 1 of 1).
        placebo_result = PlaceboResult(treated=treated, outcome="pop_index", treatment_start=period_start,
                                       fit_periods=tuple(sc.fit_periods), gaps=sc.gaps.to_frame(treated))
        conformal = sdid_result = None
    did_panel = _did_panel(data, treated, donor_list)
    did_result = did(did_panel, "pop_index", treated="treated", unit="municipality_code", time="year",
                     treatment_start=period_start)
    events = event_study(did_panel, "pop_index", treated="treated", unit="municipality_code", time="year",
                         treatment_start=period_start)
    pretrend_ok = bool(events.pretrend_p > PRETREND_ALPHA)
    grade = maryland_grade("synthetic_control", pre_period_match=bool(sc.pre_rmspe < PRE_FIT_GOOD_RMSPE) and pretrend_ok)
    paths = comparison_paths(data, hierarchy, treated=treated, base_year=last_pre).drop(columns="treated")
    place = hierarchy.assign(code=hierarchy["municipality_code"].astype(str)).set_index("code").loc[treated]
    treated_approximate = bool(data.loc[data["municipality_code"] == treated, "approximate"].any()) \
        if "approximate" in data else False
    return CounterfactualAnalysis(
        treated=treated,
        period_start=period_start,
        pre_period=(first_pre, last_pre),
        sc=sc,
        placebo=placebo_result,
        did=did_result,
        events=events,
        grade=grade,
        donors=tuple(donor_list),
        donors_given=bool(given),
        excluded=excluded,
        population_range=(low, high),
        predictors=tuple((c, tuple(p) if isinstance(p, range) else p) for c, p in chosen),
        names=names,
        sizes=sizes,
        paths=paths,
        region_name=str(place.get("ba_region_name", "")),
        county_name=str(place.get("county_name", "")),
        conformal=conformal,
        sdid=sdid_result,
        removed=removed,
        rules=rules,
        data=data,
        hierarchy=hierarchy,
        treated_approximate=treated_approximate,
    )


#: The wider donor size range of the robustness table: half the default's lower and twice its upper bound.
ROBUST_POPULATION_FACTOR: float = 2.0
#: Fit years the shorter-fit-period variant drops at the start of the fit period (keeping at least three).
ROBUST_SHORTER_FIT_BY: int = 2
#: Rows of the robustness table, in order (Abadie 2021, sec. 7: leave-one-out, donor pools, periods, estimators).
ROBUSTNESS_ROWS: tuple[str, ...] = ("main", "leave_one_out", "no_structure_rules", "wider_population",
                                    "shorter_fit", "sdid", "did")


@dataclass(frozen=True, eq=False)
class Robustness(Result):
    """The counterfactual's robustness checks, one row each (Abadie 2021, *JEL* 59(2), sec. 7).

    ``table`` has ``check`` (one of :data:`ROBUSTNESS_ROWS`), ``att``
    (index points), ``pre_rmspe``, ``p_value`` (conformal for the synthetic
    control rows, the placebo-SE normal p for the SDID, cluster-robust for
    the DiD; NaN where none), ``n_donors`` and ``detail`` (the changed
    setting: the donor left out, the size range, the fit years).
    """

    table: pd.DataFrame
    dropped: str | None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def tidy(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame({"term": t["check"], "estimate": t["att"], "std_error": np.nan, "p_value": t["p_value"]})

    def figures(self) -> dict[str, float]:
        return {f"robustness.{c}.att": float(a) for c, a in zip(self.table["check"], self.table["att"])}

    def context(self) -> dict[str, Any]:
        t = self.table
        atts = t["att"].astype(float)
        return {"rows": t.to_dict("records"), "att_min": float(atts.min()), "att_max": float(atts.max()),
                "same_sign": bool((atts > 0).all() or (atts < 0).all()), "dropped": self.dropped}

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()


def robustness(analysis: CounterfactualAnalysis) -> Robustness:
    """Refit the synthetic control with one choice changed at a time (no placebo refits).

    Rows (:data:`ROBUSTNESS_ROWS`): the main estimate; leave-one-out (the
    largest-weight donor dropped); the donor pool without the structure
    rules (metropolitan regions and other programme municipalities kept);
    a wider population range (:data:`ROBUST_POPULATION_FACTOR`); a shorter
    fit period (:data:`ROBUST_SHORTER_FIT_BY` years fewer at its start);
    and the estimators synthetic DiD and DiD on the main donors.

    Parameters
    ----------
    analysis
        From :func:`counterfactual_analysis` (its ``data`` and ``hierarchy`` are reused).

    Notes
    -----
    Abadie, A. (2021). Using synthetic controls: feasibility, data
    requirements, and methodological aspects. *J. Econ. Literature* 59(2),
    391-425, sec. 7 (robustness to the donor pool, leave-one-out, the
    pre-period). The p-value of a synthetic-control row is the conformal test
    of no effect (Chernozhukov, Wüthrich & Zhu 2021), cheap without refits.
    """
    if analysis.data is None or analysis.hierarchy is None:
        raise InputError("the analysis carries no data to refit on.", parameter="analysis",
                         hint="Make it with counterfactual_analysis.")
    a = analysis
    data, hierarchy = a.data, a.hierarchy
    first, last = a.pre_period
    settings = dict(a.rules)
    base = dict(treated=a.treated, period_start=a.period_start, pre_period=(first, last), placebo=False,
                predictors=None)
    pool = dict(exclude=a.excluded, population_range=a.population_range,
                exclude_own_region=settings.get("own_region", True),
                metropolitan_regions=settings.get("metropolitan", METROPOLITAN_BA_REGIONS),
                exclude_approximate=settings.get("approximate", True), max_yearly_jump=settings.get("jump"),
                exclude_programmes=settings.get("programme", True))

    def p_conformal(result: CounterfactualAnalysis) -> float:
        wide = result.data.pivot(index="year", columns="municipality_code", values="pop_index").sort_index()
        n_pre = int((wide.index < a.period_start).sum())
        return float(conformal_inference(wide[result.treated].to_numpy(float),
                                         wide[list(result.donors)].to_numpy(float), n_pre,
                                         alpha=CONFORMAL_ALPHA, invert=False).p_value)

    def row(check: str, result: CounterfactualAnalysis, detail: str, p: float | None = None) -> dict[str, Any]:
        return {"check": check, "att": float(result.sc.att), "pre_rmspe": float(result.sc.pre_rmspe),
                "p_value": p_conformal(result) if p is None else p, "n_donors": len(result.donors), "detail": detail}

    main_p = float(a.conformal.p_value) if a.conformal is not None else p_conformal(a)
    rows = [{"check": "main", "att": float(a.sc.att), "pre_rmspe": float(a.sc.pre_rmspe), "p_value": main_p,
             "n_donors": len(a.donors), "detail": ""}]
    weights = a.sc.weights_table(0.0)
    dropped = str(weights["donor"].iloc[0]) if len(weights) and len(a.donors) > 1 else None
    if dropped is not None:
        loo = counterfactual_analysis(data, hierarchy, donors=[d for d in a.donors if d != dropped], **base)
        rows.append(row("leave_one_out", loo, str(a.names.get(dropped, dropped))))
    if not a.donors_given:
        loose = counterfactual_analysis(data, hierarchy, **base, **{**pool, "metropolitan_regions": (),
                                                                     "exclude_programmes": False})
        rows.append(row("no_structure_rules", loose, ""))
        lo, hi = a.population_range
        wide_range = (lo / ROBUST_POPULATION_FACTOR, hi * ROBUST_POPULATION_FACTOR)
        wider = counterfactual_analysis(data, hierarchy, **base, **{**pool, "population_range": wide_range})
        rows.append(row("wider_population", wider, f"{wide_range[0]:.0f}-{wide_range[1]:.0f}"))
    if last - first >= ROBUST_SHORTER_FIT_BY + 2:
        short = counterfactual_analysis(data, hierarchy, donors=list(a.donors),
                                        **{**base, "pre_period": (first + ROBUST_SHORTER_FIT_BY, last)})
        rows.append(row("shorter_fit", short, f"{first + ROBUST_SHORTER_FIT_BY}-{last}"))
    if a.sdid is not None:
        rows.append({"check": "sdid", "att": float(a.sdid.att), "pre_rmspe": a.sdid_pre_rmspe,
                     "p_value": float(a.sdid.p_value), "n_donors": len(a.donors), "detail": ""})
    rows.append({"check": "did", "att": float(a.did.att), "pre_rmspe": np.nan, "p_value": float(a.did.p_value),
                 "n_donors": len(a.donors), "detail": ""})
    return Robustness(table=pd.DataFrame(rows), dropped=dropped)
