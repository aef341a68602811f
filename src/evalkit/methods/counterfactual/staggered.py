"""Staggered difference-in-differences: group-time average treatment effects.

Units adopt the treatment at different times (cohorts) and stay treated. Each
cohort ``g`` is compared with units not (yet) treated, period by period, giving
``ATT(g, t)``; these are then averaged into an overall effect, an event study,
cohort effects or calendar-time effects, with weights proportional to cohort
size. Inference uses the influence functions of the estimators (clustered by
unit) and, on request, a multiplier bootstrap with simultaneous (sup-t) bands.

The estimators, the choice of base period and comparison group, the treatment
of anticipation, the aggregation weights (with the influence-function term for
estimated weights) and the bootstrap follow the R package ``did`` (version
2.5) of Callaway and Sant'Anna, so that its published example on ``mpdta`` is
reproduced.

Sources
-------
* Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with
  multiple time periods. *Journal of Econometrics* 225(2), 200-230
  (group-time ATTs, eq. 2.4-2.6; aggregations, section 3; multiplier
  bootstrap and uniform bands, section 4 and Remark 10).
* Sant'Anna, P. H. C. & Zhao, J. (2020). Doubly robust difference-in-differences
  estimators. *Journal of Econometrics* 219(1), 101-122 (panel DR estimator
  with logistic propensity score and linear outcome regression, eq. 3.1, and
  its influence function; normalised IPW of Abadie, 2005).
* Heckman, J. J., Ichimura, H. & Todd, P. (1997). Matching as an econometric
  evaluation estimator. *Review of Economic Studies* 64(4), 605-654 (the
  outcome-regression DiD).
* Mammen, E. (1993). Bootstrap and wild bootstrap for high dimensional linear
  models. *Annals of Statistics* 21(1), 255-285 (multiplier bootstrap; R
  ``did`` draws Rademacher multipliers, and so does this module).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

from evalkit.errors import InputError
from evalkit.results import Result

__all__ = ["StaggeredAggregate", "StaggeredDiD", "staggered_did"]

Control = Literal["never_treated", "not_yet_treated"]
Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]
Kind = Literal["simple", "dynamic", "group", "calendar"]

_KINDS = ("simple", "dynamic", "group", "calendar")
_BY_KEY = {"simple": None, "dynamic": "event_time", "group": "cohort", "calendar": "time"}
# R did treats a standard error this small as a degenerate (zero) one.
_SE_TINY = math.sqrt(np.finfo(float).eps) * 10
# Propensity scores are capped below 1 and control units above this are trimmed
# (DRDID's defaults), so the odds weights stay finite.
_PS_CAP = 1 - 1e-6
_PS_TRIM = 0.995
# Rows of multipliers generated at once: bounds memory at ~32 MB for large panels.
_BOOT_CHUNK_CELLS = 4_000_000


# --------------------------------------------------------------------------- #
# input checks and the panel as arrays
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Panel:
    units: np.ndarray  # (n,) unit ids, sorted
    times: np.ndarray  # (T,) periods, sorted
    y: np.ndarray  # (n, T)
    g: np.ndarray  # (n,) first treated period, 0 = never treated
    x: np.ndarray | None  # (T, n, k) with intercept, or (1, n, k) when time-invariant
    notes: tuple[str, ...]


def _label(value: Any) -> str:
    """A unit id as a person reads it (no numpy type names)."""
    value = value.item() if hasattr(value, "item") else value
    return repr(value) if isinstance(value, str) else str(value)


def _choice(value: Any, allowed: tuple[str, ...], parameter: str) -> str:
    if value not in allowed:
        raise InputError(
            f"{parameter} must be one of {', '.join(map(repr, allowed))}, got {value!r}.",
            parameter=parameter,
        )
    return value


def _prepare(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: tuple[str, ...],
    anticipation: int,
) -> _Panel:
    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame (a long panel).", parameter="data")
    for parameter, col in (("outcome", outcome), ("unit", unit), ("time", time), ("cohort", cohort)):
        if col not in data.columns:
            raise InputError(
                f"column '{col}' is not in the data.",
                parameter=parameter,
                hint=f"Columns are: {', '.join(map(str, data.columns))}.",
            )
    for col in covariates:
        if col not in data.columns:
            raise InputError(f"covariate column '{col}' is not in the data.", parameter="covariates")
    if len(data) == 0:
        raise InputError("the data have no rows.", parameter="data")

    for col, parameter in ((time, "time"), (outcome, "outcome"), *((c, "covariates") for c in covariates)):
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            raise InputError(f"column '{col}' must be numeric.", column=col, parameter=parameter)
        bad = data[col].isna().to_numpy() | ~np.isfinite(data[col].to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"column '{col}' has {int(bad.sum())} missing or infinite values.",
                column=col,
                row=row + 2,
                parameter=parameter,
                hint="Staggered DiD needs a balanced panel with complete data; drop or fill those rows.",
            )
    if data[unit].isna().any():
        raise InputError(f"column '{unit}' has missing unit ids.", column=unit, parameter="unit")

    gcol = data[cohort]
    if not pd.api.types.is_numeric_dtype(gcol) or pd.api.types.is_bool_dtype(gcol):
        raise InputError(
            f"column '{cohort}' must hold each unit's first treated period (a number; 0 or empty = never).",
            column=cohort,
            parameter="cohort",
        )
    g_all = gcol.to_numpy(dtype=float, na_value=np.nan)
    g_all = np.where(np.isnan(g_all), 0.0, g_all)
    if np.isinf(g_all).any():
        # R did accepts Inf as never treated; one convention here keeps the check below exact.
        raise InputError(
            f"column '{cohort}' has infinite values.",
            column=cohort,
            parameter="cohort",
            hint="Code never-treated units as 0.",
        )
    if (g_all < 0).any():
        raise InputError(
            f"column '{cohort}' has negative values.",
            column=cohort,
            parameter="cohort",
            hint="Use each unit's first treated period, or 0 for never treated.",
        )

    unit_codes, units = pd.factorize(data[unit], sort=True)
    t_all = data[time].to_numpy(dtype=float)
    times, time_codes = np.unique(t_all, return_inverse=True)
    n, T = len(units), len(times)
    if T < 2:
        raise InputError("the panel has fewer than two periods.", column=time, parameter="time")

    flat = unit_codes.astype(np.int64) * T + time_codes
    counts = np.bincount(flat, minlength=n * T)
    if (counts > 1).any():
        k = int(np.flatnonzero(counts > 1)[0])
        raise InputError(
            f"unit {_label(units[k // T])} has more than one row in period {times[k % T]:g}.",
            column=unit,
            parameter="data",
            hint="Give each unit exactly one row per period.",
        )
    if (counts == 0).any():
        k = int(np.flatnonzero(counts == 0)[0])
        missing = int((counts == 0).sum())
        raise InputError(
            f"the panel is unbalanced: {missing} unit-period rows are missing "
            f"(first: unit {_label(units[k // T])} in period {times[k % T]:g}).",
            column=time,
            parameter="data",
            hint="Staggered DiD here needs every unit observed in every period; drop incomplete units.",
        )

    order = np.argsort(flat, kind="stable")
    y = data[outcome].to_numpy(dtype=float)[order].reshape(n, T)
    g_grid = g_all[order].reshape(n, T)
    varying = (g_grid != g_grid[:, :1]).any(axis=1)
    if varying.any():
        u = units[int(np.flatnonzero(varying)[0])]
        raise InputError(
            f"the cohort (first treated period) varies within unit {_label(u)} "
            f"({int(varying.sum())} units in all).",
            column=cohort,
            parameter="cohort",
            hint="The cohort is a property of the unit: give it the same value in all of the unit's rows.",
        )
    g = g_grid[:, 0].copy()

    last = times[-1]
    too_late = g > last + anticipation
    if too_late.any():
        bad = np.unique(g[too_late])
        raise InputError(
            f"cohort value(s) {', '.join(f'{v:g}' for v in bad[:5])} lie after the last period "
            f"({last:g}); this looks like a placeholder for never-treated units.",
            column=cohort,
            parameter="cohort",
            hint="Use 0 (or leave empty) for units never treated in the panel's window.",
        )

    notes: list[str] = []
    first = times[0]
    early = (g > 0) & (g <= first + anticipation)
    if early.any():
        # No pre-treatment period exists for these units: R did drops them with a warning.
        for value in np.unique(g[early]):
            k = int((g == value).sum())
            notes.append(f"dropped_cohort={value:g}:no_pre_period:units={k}")
        warnings.warn(
            f"{int(early.sum())} units treated in the first period "
            f"(cohorts {', '.join(f'{v:g}' for v in np.unique(g[early]))}) have no pre-treatment "
            "period and are dropped.",
            UserWarning,
            stacklevel=3,
        )
        keep = ~early
        y, g, units, g_grid = y[keep], g[keep], units[keep], g_grid[keep]
        order_keep = keep
    else:
        order_keep = None

    if not (g > 0).any():
        raise InputError(
            "no unit is treated during the panel's window.",
            column=cohort,
            parameter="cohort",
            hint="At least one cohort must be first treated after the first period.",
        )

    x = None
    if covariates:
        raw = np.stack(
            [data[c].to_numpy(dtype=float)[order].reshape(len(order) // T, T) for c in covariates], axis=-1
        )  # (n, T, k)
        if order_keep is not None:
            raw = raw[order_keep]
        if (raw == raw[:, :1, :]).all():
            raw = raw[:, :1, :]
        x = np.concatenate([np.ones(raw.shape[:2] + (1,)), raw], axis=-1).transpose(1, 0, 2)
    return _Panel(units=np.asarray(units), times=times, y=y, g=g, x=x, notes=tuple(notes))


# --------------------------------------------------------------------------- #
# two-period estimators, batched over outcome differences that share a design
# --------------------------------------------------------------------------- #


def _logit(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Propensity scores by maximum likelihood (Newton-Raphson)."""
    if X.shape[1] == 1:  # intercept only: the MLE is the share treated
        return np.full(len(d), d.mean())
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        p = expit(X @ beta)
        H = X.T @ ((p * (1 - p))[:, None] * X)
        try:
            step = np.linalg.solve(H, X.T @ (d - p))
        except np.linalg.LinAlgError:
            raise InputError(
                "the propensity score cannot be estimated: the covariates are collinear among "
                "the cohort and its comparison units.",
                parameter="covariates",
                hint="Remove collinear covariates or use method='reg'.",
            ) from None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        warnings.warn("propensity score estimation did not converge", UserWarning, stacklevel=4)
    return expit(X @ beta)


def _ols_pieces(X: np.ndarray, control: np.ndarray, dy: np.ndarray):
    Xc = X[control]
    XtX = Xc.T @ Xc
    if np.linalg.cond(XtX) > 1 / np.finfo(float).eps:
        raise InputError(
            "the outcome regression is singular: the covariates are collinear (or constant) "
            "among the comparison units.",
            parameter="covariates",
            hint="Remove collinear covariates or use method='ipw'.",
        )
    beta = np.linalg.solve(XtX, Xc.T @ dy[control])
    # (X'X/m)^-1 as in the OLS influence function
    XpX_inv = np.linalg.inv(XtX / len(X))
    return X @ beta, XpX_inv


def _estimate(method: str, X: np.ndarray, d: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ATTs and influence functions for the columns of ``dy``.

    ``X`` (m, k) includes the intercept, ``d`` (m,) marks the cohort, ``dy``
    (m, c) are outcome changes from the base period. Returns ``att`` (c,) and
    the influence functions (m, c), each on the subsample's own scale.
    """
    m = len(d)
    D = d.astype(float)
    C = 1.0 - D
    control = ~d

    if method in ("dr", "ipw"):
        ps = np.minimum(_logit(X, D), _PS_CAP)
        W = ps * (1 - ps)
        H = X.T @ (W[:, None] * X)
        try:
            hinv = np.linalg.inv(H) * m
        except np.linalg.LinAlgError:
            raise InputError(
                "the propensity score's information matrix is singular.",
                parameter="covariates",
                hint="Remove collinear covariates or use method='reg'.",
            ) from None
        asy_ps = ((D - ps)[:, None] * X) @ hinv  # (m, k)
        keep = np.where(d, True, ps < _PS_TRIM)
        w_t = keep * D
        w_c = keep * ps * C / (1 - ps)
        mt, mc = w_t.mean(), w_c.mean()
        if mc <= 0:
            raise InputError(
                "no comparison unit is left after trimming extreme propensity scores (no overlap).",
                parameter="covariates",
            )

    if method == "dr":
        out, XpX_inv = _ols_pieces(X, control, dy)
        r = dy - out
        eta_t = (w_t @ r) / m / mt
        eta_c = (w_c @ r) / m / mc
        a1 = X @ (XpX_inv @ (X.T @ w_t / m))
        a3 = X @ (XpX_inv @ (X.T @ w_c / m))
        cr = C[:, None] * r
        rc = r - eta_c
        inf_t = (w_t[:, None] * (r - eta_t) - cr * a1[:, None]) / mt
        m2 = X.T @ (w_c[:, None] * rc) / m  # (k, c)
        inf_c = (w_c[:, None] * rc + asy_ps @ m2 - cr * a3[:, None]) / mc
        return eta_t - eta_c, inf_t - inf_c

    if method == "ipw":
        eta_t = (w_t @ dy) / m / mt
        eta_c = (w_c @ dy) / m / mc
        rc = dy - eta_c
        inf_t = w_t[:, None] * (dy - eta_t) / mt
        m2 = X.T @ (w_c[:, None] * rc) / m
        inf_c = (w_c[:, None] * rc + asy_ps @ m2) / mc
        return eta_t - eta_c, inf_t - inf_c

    # outcome regression
    out, XpX_inv = _ols_pieces(X, control, dy)
    md = D.mean()
    eta_t = (D @ dy) / m / md
    eta_c = (D @ out) / m / md
    a1 = X @ (XpX_inv @ (X.T @ D / m))
    inf_t = D[:, None] * (dy - eta_t) / md
    inf_c = (D[:, None] * (out - eta_c) + C[:, None] * (dy - out) * a1[:, None]) / md
    return eta_t - eta_c, inf_t - inf_c


# --------------------------------------------------------------------------- #
# inference helpers
# --------------------------------------------------------------------------- #


def _se(inf: np.ndarray) -> np.ndarray:
    """Analytic standard errors of columns of an (n, K) influence-function matrix."""
    n = inf.shape[0]
    se = np.sqrt(np.einsum("ij,ij->j", inf, inf)) / n
    return np.where(se <= _SE_TINY, np.nan, se)


def _quantile_type1(sorted_x: np.ndarray, p: float) -> np.ndarray:
    """R's ``quantile(type = 1)`` of already sorted columns."""
    B = sorted_x.shape[0]
    nppm = B * p
    j = math.floor(nppm + 4 * np.finfo(float).eps)
    idx = j + (1 if nppm > j else 0)
    return sorted_x[min(max(idx, 1), B) - 1]


def _rademacher(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    # One random bit per multiplier: bytes unpacked to 0/1, then mapped to -1/+1.
    bits = np.unpackbits(rng.integers(0, 256, size=(rows, (n + 7) // 8), dtype=np.uint8), axis=1)[:, :n]
    v = bits.astype(float)
    v *= 2.0
    v -= 1.0
    return v


def _multiplier_draws(inf: np.ndarray, draws: int, seed: int, cache: dict | None = None) -> np.ndarray:
    """Bootstrap draws (draws, K) of the estimators' deviations, ``V @ inf / n``.

    Rademacher multipliers (+1/-1 with equal probability), as R ``did`` uses
    (BMisc::multiplier_bootstrap). The same seed gives the same multipliers
    for the group-time ATTs and every aggregation of one fit, so their bands
    are mutually consistent; small multiplier matrices are kept in ``cache``.
    """
    n = inf.shape[0]
    if cache is not None and "multipliers" in cache:
        return cache["multipliers"] @ inf / n
    rng = np.random.default_rng(seed)
    if draws * n <= _BOOT_CHUNK_CELLS:
        v = _rademacher(rng, draws, n)
        if cache is not None:
            cache["multipliers"] = v
        return v @ inf / n
    out = np.empty((draws, inf.shape[1]))
    step = max(1, _BOOT_CHUNK_CELLS // n)
    for start in range(0, draws, step):
        stop = min(draws, start + step)
        out[start:stop] = _rademacher(rng, stop - start, n) @ inf
    return out / n


def _bootstrap(
    inf: np.ndarray, draws: int, seed: int, alpha: float, cache: dict | None = None, n_band: int | None = None
) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors (IQR-based, as R did) and the sup-t critical value.

    The critical value is taken over the first ``n_band`` columns (all by default).
    """
    b = _multiplier_draws(inf, draws, seed, cache)
    bs = np.sort(b, axis=0)
    sigma = (_quantile_type1(bs, 0.75) - _quantile_type1(bs, 0.25)) / (2 * ndtri(0.75))
    ok = np.isfinite(sigma) & (sigma > _SE_TINY)
    se = np.where(ok, sigma, np.nan)
    band = ok.copy()
    if n_band is not None:
        band[n_band:] = False
    if not band.any():
        return se, float("nan")
    t = np.max(np.abs(b[:, band] / sigma[band]), axis=1)
    crit = float(_quantile_type1(np.sort(t)[:, None], 1 - alpha)[0])
    return se, crit


# --------------------------------------------------------------------------- #
# results
# --------------------------------------------------------------------------- #


def _short(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.4f}"


@dataclass(frozen=True, eq=False, repr=False)
class StaggeredAggregate(Result):
    """One aggregation of group-time ATTs (R ``did::aggte``).

    Attributes
    ----------
    kind
        ``"simple"``, ``"dynamic"``, ``"group"`` or ``"calendar"``.
    att, se
        The overall effect and its standard error (bootstrap when
        ``bootstrap > 0``, as in R ``did``; else analytic).
    ci_low, ci_high
        Pointwise confidence interval of the overall effect.
    by
        One row per event time / cohort / period (empty for ``"simple"``):
        key column, ``att``, ``se``, ``se_analytic``, pointwise ``ci_low`` /
        ``ci_high`` and ``band_low`` / ``band_high`` (the uniform sup-t band
        when ``bootstrap > 0``, else the pointwise interval).
    crit
        Critical value of the band.
    """

    kind: str
    att: float
    se: float
    se_analytic: float
    ci_low: float
    ci_high: float
    by: pd.DataFrame = field(repr=False)
    crit: float
    alpha: float
    bootstrap: int
    outcome: str
    control: str
    method: str
    anticipation: int
    n_units: int

    def to_frame(self) -> pd.DataFrame:
        """The per-row table (a copy)."""
        return self.by.copy()

    def tidy(self) -> pd.DataFrame:
        """Long table: the overall effect first, then one row per ``by`` entry."""
        rows = [
            {
                "term": "overall",
                "estimate": self.att,
                "std_error": self.se,
                "conf_low": self.ci_low,
                "conf_high": self.ci_high,
                "band_low": self.ci_low,
                "band_high": self.ci_high,
            }
        ]
        key = _BY_KEY[self.kind]
        for r in self.by.itertuples(index=False):
            rows.append(
                {
                    "term": f"{key}={getattr(r, key):g}",
                    "estimate": r.att,
                    "std_error": r.se,
                    "conf_low": r.ci_low,
                    "conf_high": r.ci_high,
                    "band_low": r.band_low,
                    "band_high": r.band_high,
                }
            )
        out = pd.DataFrame(rows)
        out.insert(0, "kind", self.kind)
        return out

    def figures(self, prefix: str = "portfolio") -> dict[str, float]:
        """``results.json`` figures: ``{prefix}.att.{kind}`` and its s.e. and interval."""
        base = f"{prefix}.att.{self.kind}"
        return {
            base: float(self.att),
            f"{base}.se": float(self.se),
            f"{base}.ci_low": float(self.ci_low),
            f"{base}.ci_high": float(self.ci_high),
        }

    def context(self) -> dict[str, Any]:
        """Plain values for report templates."""
        key = _BY_KEY[self.kind]
        return {
            "kind": self.kind,
            "att": float(self.att),
            "se": float(self.se),
            "ci_low": float(self.ci_low),
            "ci_high": float(self.ci_high),
            "level": 1 - self.alpha,
            "uniform_band": self.bootstrap > 0,
            "crit": float(self.crit),
            "outcome": self.outcome,
            "control": self.control,
            "method": self.method,
            "anticipation": self.anticipation,
            "n_units": self.n_units,
            "rows": [
                {k: (float(v) if k != key else v) for k, v in row.items()}
                for row in self.by.to_dict("records")
            ],
        }

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()

    def __repr__(self) -> str:
        return (
            f"StaggeredAggregate(kind={self.kind!r}, att={_short(self.att)}, se={_short(self.se)}, "
            f"rows={len(self.by)})"
        )

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Estimates by event time / cohort / period with their band; returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        lab = {
            "x": {"dynamic": "periods since first treated", "group": "cohort", "calendar": "period"}.get(
                self.kind, ""
            ),
            "y": f"effect on {self.outcome}",
            "pre": "before treatment",
            "post": "after treatment",
        }
        lab.update(labels or {})
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        by = self.by
        if self.kind == "simple" or by.empty:
            x = np.array([0.0])
            est, lo, hi = np.array([self.att]), np.array([self.ci_low]), np.array([self.ci_high])
            post = np.array([True])
        else:
            x = by[_BY_KEY[self.kind]].to_numpy(dtype=float)
            est = by["att"].to_numpy()
            lo, hi = by["band_low"].to_numpy(), by["band_high"].to_numpy()
            post = x >= 0 if self.kind == "dynamic" else np.ones(len(x), bool)
        for mask, colour, name in ((~post, "#8c8c8c", lab["pre"]), (post, "#1f4e79", lab["post"])):
            if mask.any():
                ax.errorbar(
                    x[mask],
                    est[mask],
                    yerr=[est[mask] - lo[mask], hi[mask] - est[mask]],
                    fmt="o",
                    color=colour,
                    ecolor=colour,
                    capsize=3,
                    label=name,
                )
        ax.axhline(0, color="grey", lw=1)
        if self.kind == "dynamic":
            ax.axvline(-0.5 - self.anticipation, color="grey", ls=":", lw=1)
            if (~post).any():
                ax.legend(frameon=False)
        ax.set_xlabel(lab["x"])
        ax.set_ylabel(lab["y"])
        fig.tight_layout()
        return fig, ax


@dataclass(frozen=True, eq=False, repr=False)
class StaggeredDiD(Result):
    """Group-time average treatment effects (R ``did::att_gt``).

    Attributes
    ----------
    att_gt
        One row per (cohort, period): ``cohort``, ``time``, ``event_time``,
        ``base_time``, ``post``, ``att``, ``se`` (bootstrap when
        ``bootstrap > 0``, else analytic), ``se_analytic``, the pointwise
        ``ci_low`` / ``ci_high`` and ``band_low`` / ``band_high`` (uniform
        band over all cells when ``bootstrap > 0``, else pointwise).
    notes
        Machine-readable records of data dropped, e.g.
        ``"dropped_cohort=2003:no_pre_period:units=5"``.
    """

    outcome: str
    control: str
    method: str
    base_period: str
    anticipation: int
    covariates: tuple[str, ...]
    alpha: float
    bootstrap: int
    seed: int
    n_units: int
    n_periods: int
    cohorts: tuple[float, ...]
    crit: float
    notes: tuple[str, ...]
    att_gt: pd.DataFrame = field(repr=False)
    _inf: np.ndarray = field(repr=False)
    _g: np.ndarray = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ #
    def aggregate(self, kind: Kind = "simple") -> StaggeredAggregate:
        """Average the group-time ATTs as R ``did::aggte(type=kind)``.

        ``"simple"``: all post-treatment cells weighted by cohort size.
        ``"dynamic"``: by event time ``e = t - g`` (cohort-size weights); the
        overall effect is the mean over ``e >= 0``. ``"group"``: each cohort's
        mean post-treatment effect; overall weighted by cohort size.
        ``"calendar"``: by period; overall the mean over periods. Influence
        functions include the term for the estimated weights (Callaway &
        Sant'Anna 2021, section 4) where R ``did`` adds it.
        """
        _choice(kind, _KINDS, "kind")
        if kind not in self._cache:
            self._cache[kind] = self._aggregate(kind)
        return self._cache[kind]

    def _aggregate(self, kind: str) -> StaggeredAggregate:
        a = self.att_gt
        cg = a["cohort"].to_numpy(dtype=float)
        ct = a["time"].to_numpy(dtype=float)
        att = a["att"].to_numpy(dtype=float)
        inf = self._inf
        G = self._g
        n = len(G)
        post = cg <= ct
        glist = np.unique(cg)
        pgg = np.array([(G == g).mean() for g in glist])
        pg = pgg[np.searchsorted(glist, cg)]

        def wif_att(idx: np.ndarray, groups: np.ndarray, p: np.ndarray, values: np.ndarray) -> np.ndarray:
            # Estimated-weights term of the influence function, times the ATTs it weights.
            centered = (G[:, None] == groups[idx][None, :]) - p[idx][None, :]
            s = p[idx].sum()
            return centered @ values / s - centered.sum(axis=1) * (p[idx] @ values) / s**2

        def combine(idx: np.ndarray, with_wif: bool) -> tuple[float, np.ndarray]:
            w = pg[idx] / pg[idx].sum()
            value = float(w @ att[idx])
            f = inf[:, idx] @ w
            if with_wif:
                f = f + wif_att(idx, cg, pg, att[idx])
            return value, f

        keys: list[float] = []
        vals: list[float] = []
        infs: list[np.ndarray] = []
        if kind == "simple":
            idx = np.flatnonzero(post)
            overall, f_overall = combine(idx, True)
        elif kind == "dynamic":
            e = ct - cg
            for ev in np.unique(e):
                v, f = combine(np.flatnonzero(e == ev), True)
                keys.append(ev), vals.append(v), infs.append(f)
            sel = np.array(keys) >= 0
            overall = float(np.mean(np.array(vals)[sel]))
            f_overall = np.column_stack(infs)[:, sel].mean(axis=1)
        elif kind == "group":
            kept = []
            for gi, g in enumerate(glist):
                idx = np.flatnonzero((cg == g) & post)
                if len(idx) == 0:
                    continue
                kept.append(gi)
                keys.append(g), vals.append(float(att[idx].mean())), infs.append(inf[:, idx].mean(axis=1))
            kept_a = np.array(kept)
            w = pgg[kept_a] / pgg[kept_a].sum()
            v = np.array(vals)
            overall = float(w @ v)
            f_overall = np.column_stack(infs) @ w + wif_att(kept_a, glist, pgg, v)
        else:  # calendar
            for t in np.unique(ct[ct >= cg.min()]):
                idx = np.flatnonzero((ct == t) & post)
                if len(idx) == 0:
                    continue
                v, f = combine(idx, True)
                keys.append(t), vals.append(v), infs.append(f)
            overall = float(np.mean(vals))
            f_overall = np.column_stack(infs).mean(axis=1)

        z = float(ndtri(1 - self.alpha / 2))
        f_by = np.column_stack(infs) if infs else np.zeros((n, 0))
        se_by_a = _se(f_by)
        se_all_a = float(_se(f_overall[:, None])[0])
        if self.bootstrap > 0:
            k = f_by.shape[1]
            se_both, crit = _bootstrap(
                np.column_stack([f_by, f_overall]), self.bootstrap, self.seed, self.alpha, self._cache, n_band=k
            )
            se_by, se_all = se_both[:k], float(se_both[k])
            # R did falls back to the pointwise value when the sup-t value is
            # undefined or smaller.
            if not np.isfinite(crit) or crit < z:
                crit = z
        else:
            se_all, se_by, crit = se_all_a, se_by_a, z
        key = _BY_KEY[kind]
        v = np.array(vals, dtype=float)
        cols = {} if key is None else {key: np.array(keys, dtype=float)}
        by = pd.DataFrame(
            {
                **cols,
                "att": v,
                "se": se_by,
                "se_analytic": se_by_a,
                "ci_low": v - z * se_by,
                "ci_high": v + z * se_by,
                "band_low": v - crit * se_by,
                "band_high": v + crit * se_by,
            }
        )
        if key is not None and np.allclose(by[key], np.round(by[key])):
            by[key] = by[key].round().astype("int64")
        return StaggeredAggregate(
            kind=kind,
            att=overall,
            se=se_all,
            se_analytic=se_all_a,
            ci_low=overall - z * se_all,
            ci_high=overall + z * se_all,
            by=by,
            crit=float(crit),
            alpha=self.alpha,
            bootstrap=self.bootstrap,
            outcome=self.outcome,
            control=self.control,
            method=self.method,
            anticipation=self.anticipation,
            n_units=self.n_units,
        )

    def pretrend_test(self) -> dict[str, float]:
        """Joint Wald test that every pre-treatment ATT(g, t) is zero (R ``did``'s pre-test).

        ``W = b' V^+ b`` with ``V`` the analytic covariance of the pre-period
        ATT(g, t) from their influence functions, compared with a chi-squared
        of ``rank(V)`` degrees of freedom. ``V`` is symmetrised and its
        eigenvalues below a relative tolerance dropped, so ``W`` is never
        negative (a pseudo-inverse of a near-singular matrix can otherwise give
        a negative statistic).

        Returns
        -------
        dict
            ``statistic``, ``df`` and ``p_value`` (NaN when there is no pre-period cell).
        """
        from scipy.stats import chi2

        a = self.att_gt
        pre = np.flatnonzero(~a["post"].to_numpy(dtype=bool) & np.isfinite(a["att"].to_numpy(dtype=float)))
        if len(pre) == 0:
            return {"statistic": float("nan"), "df": 0.0, "p_value": float("nan")}
        b = a["att"].to_numpy(dtype=float)[pre]
        inf = self._inf[:, pre]
        n = inf.shape[0]
        V = inf.T @ inf / n**2
        V = (V + V.T) / 2
        values, vectors = np.linalg.eigh(V)
        keep = values > max(values.max(), 0.0) * 1e-10
        if not keep.any():
            return {"statistic": float("nan"), "df": 0.0, "p_value": float("nan")}
        projected = vectors[:, keep].T @ b
        statistic = float(np.sum(projected**2 / values[keep]))
        df = int(keep.sum())
        return {"statistic": statistic, "df": float(df), "p_value": float(chi2.sf(statistic, df))}

    # ------------------------------------------------------------------ #
    def to_frame(self) -> pd.DataFrame:
        """The group-time table (a copy)."""
        return self.att_gt.copy()

    def tidy(self) -> pd.DataFrame:
        """Long table, one row per ATT(g, t)."""
        a = self.att_gt
        return pd.DataFrame(
            {
                "term": [f"ATT({g:g},{t:g})" for g, t in zip(a["cohort"], a["time"])],
                "cohort": a["cohort"],
                "time": a["time"],
                "estimate": a["att"],
                "std_error": a["se"],
                "conf_low": a["ci_low"],
                "conf_high": a["ci_high"],
                "band_low": a["band_low"],
                "band_high": a["band_high"],
            }
        )

    def figures(self, prefix: str = "portfolio") -> dict[str, float]:
        """``results.json`` figures of all four aggregations.

        ``{prefix}.att.simple`` (and ``.se``, ``.ci_low``, ``.ci_high``),
        ``{prefix}.att.dynamic`` (the mean of post-treatment event-time
        effects), ``{prefix}.att.group``, ``{prefix}.att.calendar``, and the
        counts ``{prefix}.att.n_units`` and ``{prefix}.att.n_cohorts``.
        """
        out: dict[str, float] = {}
        for kind in _KINDS:
            out.update(self.aggregate(kind).figures(prefix))
        out[f"{prefix}.att.n_units"] = float(self.n_units)
        out[f"{prefix}.att.n_cohorts"] = float(len(self.cohorts))
        return out

    def context(self) -> dict[str, Any]:
        """Plain values for report templates."""
        simple = self.aggregate("simple")
        return {
            "outcome": self.outcome,
            "control": self.control,
            "method": self.method,
            "base_period": self.base_period,
            "anticipation": self.anticipation,
            "covariates": list(self.covariates),
            "level": 1 - self.alpha,
            "bootstrap": self.bootstrap,
            "n_units": self.n_units,
            "n_periods": self.n_periods,
            "cohorts": [float(c) for c in self.cohorts],
            "att": simple.att,
            "se": simple.se,
            "ci_low": simple.ci_low,
            "ci_high": simple.ci_high,
            "notes": list(self.notes),
        }

    def _repr_html_(self) -> str:
        return self.to_frame().to_html()

    def __repr__(self) -> str:
        return (
            f"StaggeredDiD(outcome={self.outcome!r}, method={self.method!r}, control={self.control!r}, "
            f"units={self.n_units}, periods={self.n_periods}, cells={len(self.att_gt)})"
        )

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Event-study chart of the dynamic aggregation with its band; returns ``(fig, ax)``."""
        return self.aggregate("dynamic").plot(ax, labels=labels)


# --------------------------------------------------------------------------- #
# the estimator
# --------------------------------------------------------------------------- #


def staggered_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control: Control = "never_treated",
    method: Method = "dr",
    covariates: str | list[str] | tuple[str, ...] | None = None,
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    bootstrap: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
) -> StaggeredDiD:
    """Group-time average treatment effects with staggered adoption.

    Callaway & Sant'Anna (2021, *Journal of Econometrics* 225(2)), computed
    as R ``did::att_gt`` does on a balanced panel.

    Parameters
    ----------
    data
        Balanced long panel: one row per unit and period.
    outcome, unit, time
        Column names.
    cohort
        Column with each unit's first treated period; 0 or missing means
        never treated. Constant within unit.
    control
        Comparison units: ``"never_treated"`` or ``"not_yet_treated"``
        (never treated plus those first treated after
        ``max(t, base) + anticipation``).
    method
        ``"dr"``: doubly robust (Sant'Anna & Zhao 2020; logistic propensity
        score and OLS outcome regression; R ``DRDID::drdid_panel``);
        ``"ipw"``: normalised (Hajek) inverse probability weighting;
        ``"reg"``: outcome regression. Without covariates all three agree.
    covariates
        Column(s) for conditional parallel trends. Values are taken from the
        earlier of the two compared periods (the base period for
        post-treatment cells), as R ``did`` does with panel data; time-invariant
        covariates are the intended use.
    base_period
        ``"varying"``: pre-treatment cells compare consecutive periods;
        ``"universal"``: every cell uses the period before treatment (less
        anticipation), whose own cell is reported as 0.
    anticipation
        Number of periods before ``g`` in which units may already react.
    bootstrap
        Multiplier-bootstrap draws (Rademacher); 0 gives analytic standard
        errors and pointwise intervals only. With draws, standard errors are
        the bootstrap's IQR-based ones and bands are uniform (sup-t).
    seed
        Seed of the bootstrap multipliers.
    alpha
        1 - confidence level.

    Returns
    -------
    StaggeredDiD
        ``.att_gt`` table and ``.aggregate(kind)``.

    Raises
    ------
    InputError
        Unbalanced panel, cohort varying within a unit, a never-treated
        placeholder after the last period, no never-treated units with
        ``control="never_treated"``, or a cohort-period with no comparison
        units. Units treated in the first period are dropped with a warning
        and recorded in ``notes``.
    """
    control = _choice(control, ("never_treated", "not_yet_treated"), "control")
    method = _choice(method, ("dr", "ipw", "reg"), "method")
    base_period = _choice(base_period, ("varying", "universal"), "base_period")
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise InputError("anticipation must be a whole number of periods >= 0.", parameter="anticipation")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise InputError("bootstrap must be a whole number of draws >= 0.", parameter="bootstrap")
    if not (0 < float(alpha) < 1):
        raise InputError("alpha must lie strictly between 0 and 1.", parameter="alpha")
    if covariates is None:
        covs: tuple[str, ...] = ()
    elif isinstance(covariates, str):
        covs = (covariates,)
    else:
        covs = tuple(covariates)
    anticipation = int(anticipation)

    panel = _prepare(data, outcome, unit, time, cohort, covs, anticipation)
    y, G, times, X = panel.y, panel.g, panel.times, panel.x
    n, T = y.shape
    glist = np.unique(G[G > 0])
    never = G == 0
    if control == "never_treated" and not never.any():
        raise InputError(
            "there are no never-treated units to compare with.",
            column=cohort,
            parameter="control",
            hint="Use control='not_yet_treated', or add never-treated units (cohort 0).",
        )

    # Enumerate cells (g, t) with their base period, as R did: varying base
    # periods start at the second period, universal ones at the first.
    cells: list[tuple[float, int, int]] = []  # (g, current index, base index)
    for g in glist:
        pre_idx = np.flatnonzero(times + anticipation < g)
        pret_g = int(pre_idx[-1])  # exists: first-period cohorts were dropped
        for cur in range(1 if base_period == "varying" else 0, T):
            if times[cur] >= g:
                base = pret_g
            else:
                base = pret_g if base_period == "universal" else cur - 1
            cells.append((float(g), cur, base))

    C = len(cells)
    att = np.zeros(C)
    inf = np.zeros((n, C))
    base_time = np.array([times[b] for _, _, b in cells])
    # Batch cells that share the estimation sample and design: then the
    # propensity score and the regression's design are fitted once.
    batches: dict[tuple, list[int]] = {}
    for j, (g, cur, base) in enumerate(cells):
        if cur == base:  # universal base period: the reference cell is 0 by construction
            continue
        thr = max(times[cur], times[base]) + anticipation if control == "not_yet_treated" else None
        xi = 0 if X is None or X.shape[0] == 1 else min(cur, base)
        batches.setdefault((g, thr, xi), []).append(j)

    for (g, thr, xi), js in batches.items():
        treated = G == g
        ctrl = never if thr is None else never | ((G > thr) & ~treated)
        if not ctrl.any():
            t_bad = times[cells[js[0]][1]]
            raise InputError(
                f"cohort {g:g} has no comparison units in period {t_bad:g}: every other unit is "
                "already treated (or anticipating) by then.",
                column=cohort,
                parameter="control",
                hint="Add never-treated units, or restrict the panel to periods with untreated units.",
            )
        rows = np.flatnonzero(treated | ctrl)
        cur_i = np.array([cells[j][1] for j in js])
        base_i = np.array([cells[j][2] for j in js])
        ys = y[rows]
        dy = ys[:, cur_i] - ys[:, base_i]
        Xs = np.ones((len(rows), 1)) if X is None else X[xi][rows]
        a, f = _estimate(method, Xs, treated[rows], dy)
        att[js] = a
        # The cell's estimator uses only its subsample: rescale to the full panel.
        inf[np.ix_(rows, js)] = (n / len(rows)) * f

    z = float(ndtri(1 - alpha / 2))
    se_a = _se(inf)
    cache: dict = {}
    if bootstrap > 0:
        se, crit = _bootstrap(inf, int(bootstrap), int(seed), float(alpha), cache)
        se = np.where(np.isnan(se_a), np.nan, se)
        if not np.isfinite(crit):
            crit = z
    else:
        se, crit = se_a, z

    cg = np.array([c[0] for c in cells])
    ct = times[[c[1] for c in cells]]
    frame = pd.DataFrame(
        {
            "cohort": cg,
            "time": ct,
            "event_time": ct - cg,
            "base_time": base_time,
            "post": cg <= ct,
            "att": att,
            "se": se,
            "se_analytic": se_a,
            "ci_low": att - z * se,
            "ci_high": att + z * se,
            "band_low": att - crit * se,
            "band_high": att + crit * se,
        }
    )
    for col in ("cohort", "time", "event_time", "base_time"):
        if np.allclose(frame[col], np.round(frame[col])):
            frame[col] = frame[col].round().astype("int64")

    return StaggeredDiD(
        outcome=outcome,
        control=control,
        method=method,
        base_period=base_period,
        anticipation=anticipation,
        covariates=covs,
        alpha=float(alpha),
        bootstrap=int(bootstrap),
        seed=int(seed),
        n_units=n,
        n_periods=T,
        cohorts=tuple(float(g) for g in glist),
        crit=float(crit),
        notes=panel.notes,
        att_gt=frame,
        _inf=inf,
        _g=G,
        _cache=cache,
    )
