"""Assumptions of the net-effect analysis: defaults, ranges and the spatial scale.

One place for every number the analyst may change: the additionality factors
(leakage, deadweight, displacement, substitution, multiplier), how secured jobs
count, persistence, the discount rate and the realisation rate of expected jobs.
Each carries a central value (used for the point estimate) and a range (used by
the Monte-Carlo and the tornado chart).

Sources of the defaults (English Partnerships/HCA *Additionality Guide* ready-reckoner ranges; HM Treasury
*Green Book*; UK DCLG appraisal guide for the national scale; Finansdepartementet for the discount rate):

- leakage 10 % (0-75 %), displacement 25 % local / 50 % regional (0-100 %),
  substitution 0 % (0-10 %), multiplier 1.1 local (1.0-1.7), deadweight 25 %
  (10-75 %): English Partnerships / HCA, *Additionality Guide*, ready-reckoner ranges;
- national scale: no net job creation without supply-side evidence (UK DCLG,
  *Appraisal Guide*), i.e. displacement 100 % and multiplier 1.0;
- persistence 3 years (1-5): effects of business support show mainly at 2-3 years;
- real discount rate 4 % (2-6 %): Finansdepartementet (rundskriv R-109);
- secured jobs count 0 % towards net creation unless the analyst says otherwise.

Choices evalkit makes where the sources are silent (stated in the report's
method appendix): the regional multiplier equals the local one (1.1, 1.0-1.7);
at national scale displacement ranges 50-100 % and the multiplier 1.0-1.1;
the realisation rate of the firms' expected jobs is 50 % (25-100 %), no
published Norwegian figure exists.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from evalkit.errors import InputError

SpatialScale = Literal["local", "regional", "national"]
SPATIAL_SCALES: tuple[str, ...] = ("local", "regional", "national")

#: The additionality factors in the order of the gross-to-net formula.
ADDITIONALITY_FACTORS: tuple[str, ...] = (
    "leakage",
    "deadweight",
    "displacement",
    "substitution",
    "multiplier",
)

#: Parameters that carry a range (Monte-Carlo and tornado).
UNCERTAIN_PARAMETERS: tuple[str, ...] = (*ADDITIONALITY_FACTORS, "persistence_years", "discount_rate")

_SHARES = ("leakage", "deadweight", "displacement", "substitution", "secured_weight", "realisation_rate")

_SOURCE_AG = "Additionality Guide (English Partnerships/HCA), ready-reckoner"
_SOURCE_DCLG = "DCLG Appraisal Guide: no net jobs at national scale without supply-side evidence"

# (central, low, high, source) by spatial scale; see the module docstring.
_DEFAULTS: dict[str, dict[str, tuple[float, float, float, str]]] = {
    "local": {
        "leakage": (0.10, 0.0, 0.75, _SOURCE_AG),
        "deadweight": (0.25, 0.10, 0.75, _SOURCE_AG),
        "displacement": (0.25, 0.0, 1.0, _SOURCE_AG + " (local)"),
        "substitution": (0.0, 0.0, 0.10, _SOURCE_AG),
        "multiplier": (1.1, 1.0, 1.7, _SOURCE_AG + " (local)"),
    },
    "regional": {
        "leakage": (0.10, 0.0, 0.75, _SOURCE_AG),
        "deadweight": (0.25, 0.10, 0.75, _SOURCE_AG),
        "displacement": (0.50, 0.0, 1.0, _SOURCE_AG + " (regional)"),
        "substitution": (0.0, 0.0, 0.10, _SOURCE_AG),
        "multiplier": (1.1, 1.0, 1.7, "evalkit choice: local multiplier (no regional figure given)"),
    },
    "national": {
        "leakage": (0.10, 0.0, 0.75, _SOURCE_AG),
        "deadweight": (0.25, 0.10, 0.75, _SOURCE_AG),
        "displacement": (1.0, 0.50, 1.0, _SOURCE_DCLG),
        "substitution": (0.0, 0.0, 0.10, _SOURCE_AG),
        "multiplier": (1.0, 1.0, 1.1, _SOURCE_DCLG),
    },
}
_COMMON: dict[str, tuple[float, float, float, str]] = {
    "persistence_years": (3.0, 1.0, 5.0, "business support effects show mainly at 2-3 years"),
    "discount_rate": (0.04, 0.02, 0.06, "Finansdepartementet, real discount rate (R-109)"),
}
_FIXED_SOURCES = {
    "secured_weight": "evalkit default: secured jobs are not net creation",
    "realisation_rate": "evalkit choice: no published realisation rate of expected jobs",
}


class Assumptions(BaseModel):
    """The analyst's assumptions for gross-to-net, persistence and discounting.

    Build it with :func:`assumptions_for`, which fills the defaults of a spatial
    scale and turns validation errors into :class:`~evalkit.errors.InputError`.

    Attributes
    ----------
    spatial_scale
        ``"local"``, ``"regional"`` or ``"national"``: the area for which net
        additional jobs are claimed; switches the displacement and multiplier
        defaults.
    leakage, deadweight, displacement, substitution
        Shares in [0, 1] (Additionality Guide definitions).
    multiplier
        Composite (supply-chain and income) multiplier, >= 1.
    secured_weight
        Share of secured (retained) jobs counted as net creation (default 0).
    persistence_years
        Years a net additional job lasts (job-years = jobs x persistence).
    discount_rate
        Real discount rate for present values.
    realisation_rate
        Share of the jobs the firms expect (survey) that will be realised.
    ranges
        ``{parameter: (low, high)}`` for every uncertain parameter.
    sources
        ``{parameter: text}``: where each central value comes from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    spatial_scale: SpatialScale = "local"
    leakage: float = Field(ge=0.0, le=1.0)
    deadweight: float = Field(ge=0.0, le=1.0)
    displacement: float = Field(ge=0.0, le=1.0)
    substitution: float = Field(ge=0.0, le=1.0)
    multiplier: float = Field(ge=1.0)
    secured_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    persistence_years: float = Field(default=3.0, gt=0.0, le=50.0)
    discount_rate: float = Field(default=0.04, gt=-1.0, le=1.0)
    realisation_rate: float = Field(default=0.5, ge=0.0, le=1.0)
    ranges: dict[str, tuple[float, float]]
    sources: dict[str, str]

    @model_validator(mode="after")
    def _ranges_hold_central(self) -> Assumptions:
        for name, (low, high) in self.ranges.items():
            if name not in UNCERTAIN_PARAMETERS:
                raise ValueError(f"ranges: unknown parameter '{name}'")
            central = getattr(self, name)
            if not low <= central <= high:
                raise ValueError(
                    f"{name}: the value {central:g} lies outside its range ({low:g}, {high:g})"
                )
            if name in ("leakage", "deadweight", "displacement", "substitution") and not (
                0.0 <= low and high <= 1.0
            ):
                raise ValueError(f"{name}: the range ({low:g}, {high:g}) must lie within 0-1")
            if name == "multiplier" and low < 1.0:
                raise ValueError(f"multiplier: the range ({low:g}, {high:g}) must not go below 1")
            if name == "persistence_years" and low <= 0.0:
                raise ValueError(f"persistence_years: the range ({low:g}, {high:g}) must be > 0")
        return self

    def range_of(self, name: str) -> tuple[float, float]:
        """``(low, high)`` of an uncertain parameter."""
        return self.ranges[name]

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: value, low, high and source."""
        rows = []
        for name in (*UNCERTAIN_PARAMETERS, "secured_weight", "realisation_rate"):
            low, high = self.ranges.get(name, (getattr(self, name), getattr(self, name)))
            rows.append(
                {
                    "parameter": name,
                    "value": float(getattr(self, name)),
                    "low": float(low),
                    "high": float(high),
                    "source": self.sources.get(name, ""),
                }
            )
        return pd.DataFrame(rows).set_index("parameter")


def _parameter_of(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    if loc:
        return loc[0] if loc[0] != "ranges" or len(loc) == 1 else loc[1] + "_range"
    # model-level errors carry the parameter name at the start of the message
    msg = str(error.get("msg", ""))
    head = msg.removeprefix("Value error, ").split(":", 1)[0]
    return head if head.replace("_", "").isalpha() else "assumptions"


def assumptions_for(spatial_scale: str = "local", **overrides: Any) -> Assumptions:
    """Default assumptions for a spatial scale, with the analyst's overrides.

    Parameters
    ----------
    spatial_scale
        ``"local"`` (default), ``"regional"`` or ``"national"``.
    **overrides
        Any field of :class:`Assumptions` (``leakage=0.2``), or a range as
        ``<parameter>_range=(low, high)``.  ``None`` means "use the default".

    Returns
    -------
    Assumptions

    Raises
    ------
    evalkit.errors.InputError
        A share outside 0-1, a multiplier below 1, a value outside its range,
        an unknown parameter or spatial scale; the message names the parameter.

    Examples
    --------
    >>> a = assumptions_for("regional", leakage=0.2)
    >>> a.displacement, a.leakage
    (0.5, 0.2)
    """
    if spatial_scale not in SPATIAL_SCALES:
        raise InputError(
            f"unknown spatial scale {spatial_scale!r}.",
            parameter="spatial_scale",
            hint="Use one of: local, regional, national.",
        )
    table = {**_DEFAULTS[spatial_scale], **_COMMON}
    values: dict[str, Any] = {name: spec[0] for name, spec in table.items()}
    ranges: dict[str, tuple[float, float]] = {name: (spec[1], spec[2]) for name, spec in table.items()}
    sources: dict[str, str] = {name: spec[3] for name, spec in table.items()}
    sources.update(_FIXED_SOURCES)
    known = set(Assumptions.model_fields) - {"ranges", "sources", "spatial_scale"}
    for key, value in overrides.items():
        if value is None:
            continue
        if key.endswith("_range") and key.removesuffix("_range") in UNCERTAIN_PARAMETERS:
            name = key.removesuffix("_range")
            try:
                low, high = (float(v) for v in value)
            except (TypeError, ValueError):
                raise InputError(
                    f"expected a pair (low, high), got {value!r}.", parameter=key
                ) from None
            if low > high:
                raise InputError(f"low {low:g} is above high {high:g}.", parameter=key)
            ranges[name] = (low, high)
            sources[name] = sources.get(name, "") + "; range set by the analyst"
        elif key in known:
            values[key] = value
            sources[key] = "set by the analyst"
            # a user value outside the benchmark range widens the range rather than failing
            if key in ranges and isinstance(value, (int, float)):
                low, high = ranges[key]
                if f"{key}_range" not in overrides:
                    ranges[key] = (min(low, float(value)), max(high, float(value)))
        else:
            raise InputError(
                f"unknown assumption {key!r}.",
                parameter=key,
                hint="Known: " + ", ".join(sorted(known)) + " and <parameter>_range.",
            )
    try:
        return Assumptions(spatial_scale=spatial_scale, ranges=ranges, sources=sources, **values)
    except ValidationError as exc:
        first = exc.errors()[0]
        parameter = _parameter_of(first)
        msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        msg = msg.removeprefix(f"{parameter}: ")
        given = first.get("input")
        shown = "" if isinstance(given, dict) or given is None else f" (got {given!r})"
        raise InputError(
            f"{msg}{shown}.",
            parameter=parameter,
            hint="Shares lie in 0-1, the multiplier is at least 1, a value lies within its range.",
        ) from None
