"""The counterfactual chapter's helpers: donors, outcome transforms, evidence grade, triangulation.

Sources
-------
* Sherman, L. W. et al. (1997). *Preventing Crime: What Works, What Doesn't,
  What's Promising* (the Maryland Scientific Methods Scale), as adapted by the
  What Works Centre for Local Economic Growth (2016), *Guide to scoring
  evidence using the Maryland Scientific Methods Scale*.
* Abadie, A. (2021). Using synthetic controls: feasibility, data
  requirements, and methodological aspects. *J. Econ. Literature* 59(2)
  (donor pools: exclude units hit by similar shocks or interventions and
  units that the intervention may spill over to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.results import Result
from evalkit.errors import InputError

__all__ = [
    "GJOVIKREGIONEN",
    "comparison_donors",
    "outcome_index",
    "MarylandGrade",
    "maryland_grade",
    "Triangulation",
    "triangulate",
    "counterfactual_figures",
]


#: Gjøvikregionen, BA region 18 (2024 codes): Gjøvik, Østre Toten, Vestre Toten, Søndre Land, Nordre Land.
GJOVIKREGIONEN = ("3407", "3442", "3443", "3447", "3448")


def comparison_donors(
    hierarchy: pd.DataFrame,
    *,
    treated: str,
    exclude_region: bool = True,
    region_column: str = "ba_region_code",
    exclude: Iterable[str] = (),
) -> list[str]:
    """Donor municipalities for a synthetic control or DiD comparison.

    All municipalities except the treated one, those in its own labour-market
    region (``region_column``; commuting ties would carry spill-overs of the
    programme into the comparison, Abadie 2021) and those in ``exclude``
    (e.g. other municipalities with restructuring status in the period).

    Parameters
    ----------
    hierarchy
        ``municipality_code`` and ``region_column`` (see
        :func:`evalkit.io.ssb.read_municipality_hierarchy`).
    treated
        The treated municipality's 2024 code, e.g. ``"3443"``.
    """
    for col in ("municipality_code", region_column):
        if col not in hierarchy.columns:
            raise InputError(f"column '{col}' is not in the hierarchy.", parameter="hierarchy")
    codes = hierarchy["municipality_code"].astype(str)
    if treated not in set(codes):
        raise InputError(f"municipality {treated!r} is not in the hierarchy.", parameter="treated")
    excluded = {str(c) for c in exclude}
    unknown = excluded - set(codes)
    if unknown:
        raise InputError(
            f"excluded municipality code(s) {sorted(unknown)[:5]!r} are not in the hierarchy.",
            parameter="exclude",
            hint="Use 4-digit 2024 codes, e.g. '3443'.",
        )
    keep = codes != treated
    if exclude_region:
        region = hierarchy.loc[codes == treated, region_column].iloc[0]
        if pd.notna(region):
            keep &= hierarchy[region_column].astype(str) != str(region)
    keep &= ~codes.isin(excluded)
    return sorted(codes[keep])


def outcome_index(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    base: Any,
    kind: Literal["index", "growth", "log"] = "index",
    name: str | None = None,
) -> pd.DataFrame:
    """Add a scale-free version of ``outcome`` for comparing units of different size.

    * ``"index"``: 100 x outcome / outcome in ``base`` (per unit);
    * ``"growth"``: percent change since ``base``;
    * ``"log"``: log(outcome) - log(outcome in base).

    A synthetic control is a weighted *average* of donors, so a level outside
    the donors' range can never be matched, and levels force the weights onto
    municipalities of similar size rather than similar development. Indexing
    to the last pre-treatment year compares development paths instead, which
    is the question of a restructuring evaluation.
    """
    for col in (unit, time, outcome):
        if col not in data.columns:
            raise InputError(f"column '{col}' is not in the data.", parameter="data")
    base_values = data.loc[data[time] == base].set_index(unit)[outcome]
    if base_values.empty:
        raise InputError(f"no rows for the base period {base!r}.", parameter="base")
    b = data[unit].map(base_values)
    if b.isna().any() or (b <= 0).any():
        bad = data.loc[b.isna() | (b <= 0), unit].iloc[0]
        raise InputError(
            f"unit {bad!r} has no positive {outcome} in the base period {base!r}.", parameter="base"
        )
    y = data[outcome].astype(float)
    if kind == "index":
        values = 100.0 * y / b
    elif kind == "growth":
        values = 100.0 * (y / b - 1.0)
    elif kind == "log":
        values = np.log(y) - np.log(b)
    else:
        raise InputError(f"kind must be 'index', 'growth' or 'log', not {kind!r}.", parameter="kind")
    out = data.copy()
    out[name or f"{outcome}_{kind}"] = values
    return out


# --------------------------------------------------------------------------- Maryland scale

#: What each level of the Maryland Scientific Methods Scale means (Sherman et al. 1997), as a data label;
#: a report says it in its own language (template ``final_evaluation/counterfactual_grade``).
LEVELS: dict[int, str] = {
    1: "correlation or before-after without a comparison group",
    2: "comparison with untreated units, without a credible pre-period match",
    3: "before-after with a comparison group that matched before the start (difference-in-differences, synthetic control)",
    4: "quasi-random assignment (instrument, discontinuity)",
    5: "randomised controlled trial",
}

_DESIGN_LEVEL = {
    "before_after": 1,
    "cross_section": 1,
    "comparison": 2,
    "did": 3,
    "synthetic_control": 3,
    "quasi_random": 4,
    "rct": 5,
}


#: Age groups of SSB's population panel whose shares serve as synthetic-control predictors.
AGE_GROUPS = ("0_14", "20_66", "67_plus")


def population_outcome(panel: pd.DataFrame, *, first_year: int, base_year: int) -> pd.DataFrame:
    """SSB's population panel from ``first_year``, ready for a counterfactual.

    Adds the age shares ``share_0_14``, ``share_20_66``, ``share_67_plus``
    (predictors of the population path) and ``pop_index`` (population, 100 in
    ``base_year``: see :func:`outcome_index` for why an index).
    """
    out = panel[panel["year"] >= first_year].copy()
    for group in AGE_GROUPS:
        out[f"share_{group}"] = out[f"pop_{group}"] / out["pop"]
    return outcome_index(out, unit="municipality_code", time="year", outcome="pop", base=base_year, name="pop_index")


def comparable_donors(
    panel: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    treated: str,
    base_year: int,
    population_range: tuple[float, float],
    exclude: Iterable[str] = (),
) -> list[str]:
    """Donors of similar size with a complete series, outside the treated unit's labour-market region.

    :func:`comparison_donors`, then only municipalities with every year of
    ``panel`` (a synthetic control needs complete paths) and a population in
    ``population_range`` in ``base_year`` (municipalities of another size
    follow other dynamics, Abadie 2021).
    """
    low, high = population_range
    years = panel.groupby("municipality_code")["year"].nunique()
    complete = set(years[years == years.max()].index)
    size = panel[panel["year"] == base_year].set_index("municipality_code")["pop"]
    return [
        code
        for code in comparison_donors(hierarchy, treated=treated, exclude=[str(x) for x in exclude])
        if code in complete and low <= size.get(code, -1) <= high
    ]


def comparison_paths(panel: pd.DataFrame, hierarchy: pd.DataFrame, *, treated: str, base_year: int) -> pd.DataFrame:
    """Population index (``base_year`` = 100) of the treated unit, the rest of its region and its county.

    Columns ``treated``, ``region`` (the other municipalities of its
    labour-market region, summed) and ``county`` (all of its county, the
    region included), indexed by year.
    """
    where = hierarchy.set_index("municipality_code")
    if treated not in where.index:
        raise InputError(f"municipality {treated!r} is not in the hierarchy.", parameter="treated")
    region = set(where.index[where["ba_region_code"] == where.at[treated, "ba_region_code"]]) - {treated}
    county = set(where.index[where["county_code"] == where.at[treated, "county_code"]])
    groups = {"treated": {treated}, "region": region, "county": county}
    paths = pd.DataFrame(
        {name: panel[panel["municipality_code"].isin(codes)].groupby("year")["pop"].sum() for name, codes in groups.items()}
    )
    return 100 * paths / paths.loc[base_year]


@dataclass(frozen=True, eq=False, repr=False)
class MarylandGrade(Result):
    """Evidence grade on the Maryland Scientific Methods Scale (1-5)."""

    level: int
    design: str
    reasons: tuple[str, ...]

    @property
    def description(self) -> str:
        return LEVELS[self.level]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"level": [self.level], "design": [self.design], "description": [self.description]}
        )

    def summary(self) -> str:
        return f"Maryland SMS level {self.level}: {self.description}."


def maryland_grade(
    design: str,
    *,
    pre_period_match: bool | None = None,
) -> MarylandGrade:
    """Grade a counterfactual design on the Maryland Scientific Methods Scale.

    Parameters
    ----------
    design
        ``"before_after"``, ``"cross_section"``, ``"comparison"``, ``"did"``,
        ``"synthetic_control"``, ``"quasi_random"`` or ``"rct"``.
    pre_period_match
        For ``did``/``synthetic_control``: did the comparison track the
        treated unit before the start (pre-trend test not rejected, good
        pre-period fit)? ``False`` lowers the grade to 2, as the What Works
        Centre's guide does for comparison groups that are not shown to be
        similar; ``None`` (not checked) also gives 2.
    """
    if design not in _DESIGN_LEVEL:
        raise InputError(
            f"unknown design {design!r}.",
            parameter="design",
            hint=f"Use one of {', '.join(_DESIGN_LEVEL)}.",
        )
    level = _DESIGN_LEVEL[design]
    reasons = [f"design: {design}"]
    if level == 3 and not pre_period_match:
        level = 2
        reasons.append(
            "pre-period match not shown" if pre_period_match is None else "comparison did not match before the start"
        )
    return MarylandGrade(level=level, design=design, reasons=tuple(reasons))


# --------------------------------------------------------------------------- triangulation


@dataclass(frozen=True, eq=False, repr=False)
class Triangulation(Result):
    """Bottom-up net additional jobs beside the top-down counterfactual gap."""

    bottom_up: float
    bottom_up_interval: tuple[float, float] | None
    top_down: float | None
    top_down_band: tuple[float, float] | None
    unit_bottom_up: str
    unit_top_down: str

    @property
    def comparable(self) -> bool:
        return self.top_down is not None and self.unit_bottom_up == self.unit_top_down

    @property
    def agree(self) -> bool | None:
        """Do the two agree? None when they are not comparable.

        They agree when the bottom-up interval (or point) overlaps the
        top-down band (the placebo range an effect must exceed to be told
        apart from noise, centred on the top-down estimate) or, without a
        band, when both have the same sign and are within a factor of two.
        """
        if not self.comparable:
            return None
        assert self.top_down is not None
        lo_b, hi_b = self.bottom_up_interval or (self.bottom_up, self.bottom_up)
        if self.top_down_band is not None:
            lo_t, hi_t = self.top_down + self.top_down_band[0], self.top_down + self.top_down_band[1]
            return bool(lo_b <= hi_t and lo_t <= hi_b)
        if self.bottom_up == 0 or self.top_down == 0:
            return self.bottom_up == self.top_down
        ratio = self.top_down / self.bottom_up
        return bool(0.5 <= ratio <= 2.0)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "approach": "bottom-up (survey, additionality)",
                "estimate": self.bottom_up,
                "low": self.bottom_up_interval[0] if self.bottom_up_interval else np.nan,
                "high": self.bottom_up_interval[1] if self.bottom_up_interval else np.nan,
                "unit": self.unit_bottom_up,
            },
            {
                "approach": "top-down (counterfactual gap)",
                "estimate": self.top_down if self.top_down is not None else np.nan,
                "low": (self.top_down + self.top_down_band[0]) if self.top_down_band and self.top_down is not None else np.nan,
                "high": (self.top_down + self.top_down_band[1]) if self.top_down_band and self.top_down is not None else np.nan,
                "unit": self.unit_top_down,
            },
        ]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        if self.top_down is None:
            return f"bottom-up {self.bottom_up:.1f} net additional jobs; no top-down estimate"
        verdict = "not comparable" if not self.comparable else ("agree" if self.agree else "disagree")
        return f"bottom-up {self.bottom_up:.1f} net additional jobs, top-down gap {self.top_down:.1f}: {verdict}"


def triangulate(
    bottom_up: float,
    top_down: float | None,
    *,
    bottom_up_interval: tuple[float, float] | None = None,
    top_down_band: tuple[float, float] | None = None,
    unit_bottom_up: str = "jobs",
    unit_top_down: str = "jobs",
) -> Triangulation:
    """Put the bottom-up net additional jobs beside the top-down gap.

    Parameters
    ----------
    bottom_up
        Net additional jobs from the survey and additionality factors.
    top_down
        The counterfactual gap in the same unit (e.g. the synthetic-control
        ATT in employed persons), or None when no employment series exists.
    bottom_up_interval
        E.g. the Monte-Carlo 5-95 % interval.
    top_down_band
        The placebo band (see :meth:`PlaceboResult.att_band`), as offsets
        from the estimate.
    unit_bottom_up, unit_top_down
        Units; when they differ (e.g. jobs vs population index points) the
        two are reported side by side but not judged to agree or disagree.
    """
    if not np.isfinite(bottom_up):
        raise InputError("bottom_up must be a finite number of jobs.", parameter="bottom_up")
    return Triangulation(
        bottom_up=float(bottom_up),
        bottom_up_interval=None if bottom_up_interval is None else (float(bottom_up_interval[0]), float(bottom_up_interval[1])),
        top_down=None if top_down is None else float(top_down),
        top_down_band=None if top_down_band is None else (float(top_down_band[0]), float(top_down_band[1])),
        unit_bottom_up=unit_bottom_up,
        unit_top_down=unit_top_down,
    )


def counterfactual_figures(sc: Any, placebo: Any, did_result: Any) -> Mapping[str, float]:
    """The key figures for ``results.json``: ``counterfactual.*`` and ``did.*``."""
    return {
        "counterfactual.att": float(sc.att),
        "counterfactual.p_value": float(placebo.p_value),
        "counterfactual.pre_rmspe": float(sc.pre_rmspe),
        "did.att": float(did_result.att),
        "did.se": float(did_result.se),
    }
