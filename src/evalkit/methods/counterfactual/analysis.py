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
from evalkit.methods.counterfactual.did import DiDResult, EventStudyResult, did, event_study
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
#: Inhabitants per net job, to set the bottom-up jobs beside the population gap: a net job keeps one
#: worker who would otherwise have moved (family members would raise it, in-commuting lower it). An
#: order of magnitude for the comparison, not an estimate.
INHABITANTS_PER_JOB: float = 1.0


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
        could show in the population only outside the placebos' noise band
        (:meth:`placebo_band`, in inhabitants); the gap counts as unusual when
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
        detectable = not (lo <= jobs <= hi)
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
        )

    # ---------------------------------------------------------------- result protocol
    def figures(self) -> dict[str, float]:
        """The ``results.json`` figures: ``counterfactual.att``, ``.p_value``, ``.pre_rmspe``, ``did.att``, ``did.se``."""
        return dict(counterfactual_figures(self.sc, self.placebo, self.did))

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
    placebo_jobs: int | None = None,
    seed: int = 0,
    predictors: Sequence[tuple[str, Any]] | None = None,
    outcome: str = "population",
) -> CounterfactualAnalysis:
    """Synthetic control, placebo test, DiD, event study and Maryland grade on SSB's population panel.

    Parameters
    ----------
    panel
        SSB's population panel (:func:`evalkit.io.ssb.read_population_panel`):
        ``municipality_code``, ``municipality_name``, ``year``, ``pop`` and the
        age groups ``pop_0_14``, ``pop_20_66``, ``pop_67_plus``.
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
        Donor codes; None or empty: every municipality outside the treated
        one's labour-market region, with a complete series and
        ``population_range`` inhabitants in the last pre-year, except ``exclude``.
    exclude
        Codes to leave out of the default donors (e.g. other restructuring municipalities).
    population_range
        (low, high) inhabitants of default donors in the last pre-year.
    placebo_jobs
        Processes for the placebo refits (the result is the same); None: one.
    seed
        Seed of the synthetic control's V search.
    predictors
        Synthetic-control predictors; None: :func:`default_predictors`.
    outcome
        ``"population"`` (the only outcome SSB's shipped panel has).

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
    donor_list = given or comparable_donors(
        data, hierarchy, treated=treated, base_year=last_pre, population_range=(low, high), exclude=excluded)
    if not donor_list:
        raise InputError("no donor municipality is left.", parameter="donors",
                         hint="Widen population_range or exclude fewer municipalities.")
    chosen = list(predictors) if predictors is not None else default_predictors(first_pre, last_pre)
    # Years between the fit period and the start (an announcement year, say) are neither fitted nor treated.
    fit = None if last_pre == period_start - 1 else list(range(first_pre, last_pre + 1))
    sc = synthetic_control(data, unit="municipality_code", time="year", outcome="pop_index", treated=treated,
                           treatment_start=period_start, donors=donor_list, predictors=chosen,
                           fit_periods=fit, seed=seed)
    placebo = sc.placebo(n_jobs=int(placebo_jobs or 1))
    did_panel = data[data["municipality_code"].isin([treated, *donor_list])].assign(
        treated=lambda d: (d["municipality_code"] == treated).astype(int))
    did_result = did(did_panel, "pop_index", treated="treated", unit="municipality_code", time="year",
                     treatment_start=period_start)
    events = event_study(did_panel, "pop_index", treated="treated", unit="municipality_code", time="year",
                         treatment_start=period_start)
    pretrend_ok = bool(events.pretrend_p > PRETREND_ALPHA)
    grade = maryland_grade("synthetic_control", pre_period_match=bool(sc.pre_rmspe < PRE_FIT_GOOD_RMSPE) and pretrend_ok)
    paths = comparison_paths(data, hierarchy, treated=treated, base_year=last_pre).drop(columns="treated")
    place = hierarchy.assign(code=hierarchy["municipality_code"].astype(str)).set_index("code").loc[treated]
    return CounterfactualAnalysis(
        treated=treated,
        period_start=period_start,
        pre_period=(first_pre, last_pre),
        sc=sc,
        placebo=placebo,
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
    )
