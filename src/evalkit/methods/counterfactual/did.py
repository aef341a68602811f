"""Difference-in-differences and event studies (statsmodels OLS).

Sources
-------
* Card, D. & Krueger, A. B. (1994). Minimum wages and employment. *AER* 84(4),
  772-793 (the 2x2 design; Table 3).
* Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*,
  ch. 5.2 (DiD as a regression with group and period effects) and 8.2
  (clustered standard errors).
* Bertrand, M., Duflo, E. & Mullainathan, S. (2004). How much should we trust
  differences-in-differences estimates? *QJE* 119(1), 249-275 (cluster by unit).
* Conley, T. G. & Taber, C. R. (2011). Inference with "difference in
  differences" with a small number of policy changes. *REStat* 93(1), 113-125
  (with one treated unit, cluster-robust s.e.s are not reliable).
* Freyaldenhoven, S., Hansen, C., Pérez Pérez, J. & Shapiro, J. M. (2021). Visualization,
  identification, and estimation in the linear panel event-study design, NBER WP 29170
  (leads as a pre-trend check, reference period -1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.results import NormalEstimate, Result
from evalkit.errors import InputError

__all__ = ["DiDResult", "EventStudyResult", "did", "event_study"]

VCov = Literal["iid", "hetero", "cluster"]


def _check_columns(data: pd.DataFrame, **cols: str | None) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame.", parameter="data")
    for parameter, col in cols.items():
        if col is not None and col not in data.columns:
            raise InputError(
                f"column '{col}' is not in the data.",
                parameter=parameter,
                hint=f"Columns are: {', '.join(map(str, data.columns))}.",
            )


def _check_binary(data: pd.DataFrame, col: str, parameter: str) -> None:
    values = set(pd.unique(data[col].dropna()))
    if not values <= {0, 1, True, False}:
        raise InputError(
            f"column '{col}' must be 0/1, found {sorted(values)[:5]!r}.", parameter=parameter
        )


def _start_per_row(data: pd.DataFrame, frame: pd.DataFrame, treatment_start: Any) -> np.ndarray:
    """``treatment_start`` (one period, or one per row of ``data``) as a float per row of ``frame``."""
    if isinstance(treatment_start, (pd.Series, np.ndarray, list, tuple)):
        values = treatment_start
        if not isinstance(values, pd.Series):
            if len(values) != len(data):
                raise InputError(f"treatment_start has {len(values)} values for {len(data)} rows.",
                                 parameter="treatment_start", hint="Give one period, or one per row of the data.")
            values = pd.Series(np.asarray(values), index=data.index)
        values = values.reindex(frame.index)
    else:
        values = pd.Series(treatment_start, index=frame.index)
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise InputError(f"treatment_start must be a period (a number), got {treatment_start!r}.",
                         parameter="treatment_start")
    return values.to_numpy(dtype=float)


def _check_starts(frame: pd.DataFrame, time: str, start: np.ndarray, is_treated: np.ndarray, *,
                  never_too: bool) -> None:
    """Refuse a start period that is a placeholder for 'never treated' (far outside the data's periods).

    Treated rows need their real start. Never-treated rows' start is not used by
    the dummies, but it does set the default window (``never_too``), where a
    placeholder such as 9999 would ask for thousands of empty dummies.
    """
    periods = frame[time].to_numpy(dtype=float)
    first, last = float(np.min(periods)), float(np.max(periods))
    span = max(last - first, 1.0)
    treated = is_treated == 1
    if not np.isfinite(start[treated]).all():
        raise InputError("treatment_start is missing for treated rows.", parameter="treatment_start",
                         hint="Give every treated unit the first period it is treated.")
    rows = treated | (never_too & ~treated)
    far = rows & np.isfinite(start) & ((start > last + span) | (start < first - span))
    if not never_too:
        far &= treated
    if far.any():
        value = start[far][0]
        who = "treated" if treated[far].all() else "never-treated" if (~treated[far]).all() else "treated and never-treated"
        raise InputError(
            f"treatment_start is {value:g} for {int(far.sum())} {who} rows, far outside the data's periods "
            f"({first:g}-{last:g}): this looks like a placeholder for 'never treated'.",
            parameter="treatment_start",
            hint="Treated units need their real first treated period; never-treated rows are marked by "
                 "treated = 0 (their start is not used: give them any period inside the data), or pass window=(lo, hi).",
        )
    if never_too and not np.isfinite(start[~treated]).all():
        raise InputError("treatment_start is missing for never-treated rows.", parameter="treatment_start",
                         hint="Their start is not used: give them any period inside the data, or pass window=(lo, hi).")


def _wald(b: np.ndarray, cov: np.ndarray) -> tuple[float, int]:
    """Wald statistic ``b' V^+ b`` and its degrees of freedom, never negative.

    ``V`` is symmetrised and eigenvalues below a relative tolerance are dropped:
    a plain pseudo-inverse of a near-singular cluster-robust covariance can
    give a negative statistic (as in the pre-trend test of R ``did``).
    """
    cov = (cov + cov.T) / 2
    values, vectors = np.linalg.eigh(cov)
    keep = values > max(float(values.max()), 0.0) * 1e-10
    if not keep.any():
        return float("nan"), 0
    projected = vectors[:, keep].T @ b
    return float(np.sum(projected**2 / values[keep])), int(keep.sum())


def _fit_ols(y: np.ndarray, X: pd.DataFrame, vcov: VCov, groups: np.ndarray | None):
    # Imported here: statsmodels.api costs ~0.7 s at `import evalkit`, and only DiD needs it.
    from statsmodels.regression.linear_model import OLS

    model = OLS(y, X)
    if vcov == "iid":
        return model.fit()
    if vcov == "hetero":
        return model.fit(cov_type="HC1")
    if vcov == "cluster":
        codes = pd.factorize(groups)[0]
        return model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    raise InputError(f"vcov must be 'iid', 'hetero' or 'cluster', not {vcov!r}.", parameter="vcov")


def _absorb_two_way(X: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray) -> np.ndarray:
    """Remove unit and time means from the columns of X (alternating projections).

    By the Frisch-Waugh-Lovell theorem, OLS on the demeaned data gives the same
    slopes as OLS with unit and time dummies; it avoids a 7 852 x 380 dummy
    matrix for the municipality panel. Exact in one sweep for a balanced
    panel, iterated to 1e-12 otherwise.
    """
    out = X - X.mean(axis=0)
    n_u, n_t = unit_codes.max() + 1, time_codes.max() + 1
    cu = np.bincount(unit_codes, minlength=n_u)[:, None]
    ct = np.bincount(time_codes, minlength=n_t)[:, None]
    for _ in range(1000):
        before = out.copy()
        su = np.zeros((n_u, out.shape[1]))
        np.add.at(su, unit_codes, out)
        out = out - (su / cu)[unit_codes]
        st = np.zeros((n_t, out.shape[1]))
        np.add.at(st, time_codes, out)
        out = out - (st / ct)[time_codes]
        if np.max(np.abs(out - before)) < 1e-12 * (1.0 + np.max(np.abs(out))):
            break
    return out


def _fit_two_way(
    y: np.ndarray,
    X: pd.DataFrame,
    unit_values: pd.Series,
    time_values: pd.Series,
    vcov: VCov,
    groups: np.ndarray | None,
):
    """OLS of y on X with unit and time fixed effects absorbed.

    The covariance is rescaled by (N - k) / (N - k - n_fe) so that standard
    errors equal those of the regression with explicit dummies (statsmodels'
    small-sample factors count every parameter, fixed effects included).
    """
    uc = pd.factorize(unit_values)[0]
    tc = pd.factorize(time_values)[0]
    Z = _absorb_two_way(np.column_stack([y, X.to_numpy(float)]), uc, tc)
    Xd = pd.DataFrame(Z[:, 1:], columns=X.columns, index=X.index)
    n, k = Xd.shape
    n_fe = (uc.max() + 1) + (tc.max() + 1) - 1
    if n - k - n_fe <= 0:
        raise InputError(
            f"{k} regressors and {n_fe} fixed effects leave no degrees of freedom in {n} observations.",
            parameter="data",
            hint="Use fewer covariates or event-time dummies (a narrower window), or more data.",
        )
    fit = _fit_ols(Z[:, 0], Xd, vcov, groups)
    factor = (n - k) / (n - k - n_fe)
    return fit, factor


@dataclass(frozen=True, eq=False, repr=False)
class DiDResult(NormalEstimate, Result):
    """A difference-in-differences estimate.

    ``att`` is the coefficient on treated x post; ``se`` its standard error
    with the chosen ``vcov``; ``n_clusters`` the number of clusters (None
    unless clustered).
    """

    outcome: str
    att: float
    se: float
    df_resid: float
    vcov: str
    n_obs: int
    n_clusters: int | None
    n_treated_units: int | None
    design: str
    cell_means: pd.DataFrame | None

    def to_frame(self) -> pd.DataFrame:
        return self.tidy()

    def summary(self) -> str:
        lo, hi = self.conf_int()
        clusters = f", {self.n_clusters} clusters" if self.n_clusters else ""
        warning = ""
        if self.vcov == "cluster" and self.n_treated_units is not None and self.n_treated_units < 5:
            warning = (
                f" Only {self.n_treated_units} treated unit(s): cluster-robust s.e.s are unreliable "
                "(Conley & Taber 2011); prefer placebo inference."
            )
        return (
            f"{self.design} DiD on {self.outcome}: ATT {self.att:.3f} (s.e. {self.se:.3f}, {self.vcov}"
            f"{clusters}), 95% CI [{lo:.3f}, {hi:.3f}], n = {self.n_obs}.{warning}"
        )


def did(
    data: pd.DataFrame,
    outcome: str,
    *,
    treated: str,
    post: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treatment_start: Any = None,
    covariates: Sequence[str] | None = None,
    vcov: VCov = "cluster",
    cluster: str | None = None,
) -> DiDResult:
    """Difference-in-differences by OLS.

    Two designs:

    * **2x2** (``post`` given): ``y = a + b treated + c post + ATT treated*post
      (+ covariates)``; also for repeated cross-sections.
    * **Two-way fixed effects** (``unit``, ``time`` and ``treatment_start``
      given, ``post`` None): ``y = unit FE + time FE + ATT D (+ covariates)``
      with ``D = treated * (time >= treatment_start)``.

    Parameters
    ----------
    data
        Long data, one row per unit (or respondent) and period.
    outcome
        Outcome column. Rows with a missing outcome are dropped.
    treated, post
        Names of 0/1 columns.
    unit, time, treatment_start
        Panel identifiers and the first treated period (TWFE design).
    covariates
        Extra regressors (columns).
    vcov
        ``"iid"`` (classical OLS), ``"hetero"`` (HC1) or ``"cluster"``
        (cluster-robust by ``cluster``, default ``unit``; statsmodels' CR1
        with small-sample correction).
    cluster
        Column to cluster on.

    Notes
    -----
    Card & Krueger (1994), Table 3: the DiD in mean FTE employment is 2.76
    with s.e. 1.36. The point estimate is reproduced exactly (2.754). The
    published s.e. combines the two states' s.e.s of the change,
    sqrt(1.25^2 + 0.54^2), treating the before/after means as independent
    samples; the regression here with s.e.s clustered by store gives about
    1.31, because it uses the covariance of a store's two interviews. We
    report the clustered one: it is the one that generalises to panels.
    With very few treated units (one municipality) no cluster-robust s.e.
    is reliable (Conley & Taber 2011): use the synthetic control's placebo
    p-value for inference and read this s.e. as indicative.
    """
    _check_columns(data, outcome=outcome, treated=treated, post=post, unit=unit, time=time, cluster=cluster)
    covariates = list(covariates or [])
    _check_columns(data, **{f"covariates[{i}]": c for i, c in enumerate(covariates)})
    _check_binary(data, treated, "treated")
    frame = data.dropna(subset=[outcome, *covariates])
    if post is not None:
        _check_binary(frame, post, "post")
        X = pd.DataFrame(
            {
                "const": 1.0,
                "treated": frame[treated].astype(float),
                "post": frame[post].astype(float),
                "treated_x_post": frame[treated].astype(float) * frame[post].astype(float),
            },
            index=frame.index,
        )
        design = "2x2"
        means = frame.groupby([treated, post])[outcome].mean().unstack()
        means.index.name, means.columns.name = "treated", "post"
    else:
        if unit is None or time is None or treatment_start is None:
            raise InputError(
                "give either 'post' (2x2 design) or 'unit', 'time' and 'treatment_start' (panel).",
                parameter="post",
            )
        start = _start_per_row(data, frame, treatment_start)
        is_treated = frame[treated].astype(float).to_numpy()
        _check_starts(frame, time, start, is_treated, never_too=False)
        d = pd.Series(is_treated * (frame[time].to_numpy(dtype=float) >= start), index=frame.index)
        on = d[is_treated == 1]
        if on.empty or on.min() == on.max():
            raise InputError(
                "the treated units are observed only "
                + ("before" if on.empty or on.max() == 0 else "from") + " treatment_start: the effect is not identified.",
                parameter="treatment_start",
                hint="Treated units need periods both before and from their start.",
            )
        X = pd.DataFrame({"treated_x_post": d}, index=frame.index)
        design = "Two-way fixed effects"
        means = None
    for c in covariates:
        X[c] = frame[c].astype(float)
    if vcov == "cluster":
        cluster = cluster or unit
        if cluster is None:
            raise InputError(
                "clustered s.e.s need a cluster column.",
                parameter="cluster",
                hint="Pass cluster='id' (or unit=...), or use vcov='hetero'.",
            )
        groups = frame[cluster].to_numpy()
    else:
        groups = None
    if design == "2x2":
        fit = _fit_ols(frame[outcome].to_numpy(float), X, vcov, groups)
        factor = 1.0
    else:
        fit, factor = _fit_two_way(frame[outcome].to_numpy(float), X, frame[unit], frame[time], vcov, groups)
    n_treated = None
    if unit is not None:
        n_treated = int(frame.loc[frame[treated] == 1, unit].nunique())
    elif cluster is not None:
        n_treated = int(frame.loc[frame[treated] == 1, cluster].nunique())
    return DiDResult(
        outcome=outcome,
        att=float(fit.params["treated_x_post"]),
        se=float(fit.bse["treated_x_post"] * np.sqrt(factor)),
        df_resid=float(fit.df_resid / factor),
        vcov=vcov,
        n_obs=int(fit.nobs),
        n_clusters=int(len(np.unique(groups))) if groups is not None else None,
        n_treated_units=n_treated,
        design=design,
        cell_means=means,
    )


@dataclass(frozen=True, eq=False, repr=False)
class EventStudyResult(Result):
    """Leads and lags of the treatment effect around its start.

    ``coefficients`` has one row per relative period (``event_time``, 0 = the
    first treated period) with ``estimate``, ``std_error``, ``conf_low``,
    ``conf_high``; the reference period is included with estimate 0.
    ``pretrend_stat``/``pretrend_p`` are the Wald test that all leads are 0.
    """

    outcome: str
    reference: int
    coefficients: pd.DataFrame
    pretrend_stat: float
    pretrend_df: int
    pretrend_p: float
    vcov: str
    n_obs: int

    def tidy(self) -> pd.DataFrame:
        return self.coefficients.reset_index()

    def to_frame(self) -> pd.DataFrame:
        return self.coefficients

    def summary(self) -> str:
        return (
            f"Event study on {self.outcome} (reference {self.reference}, {self.vcov} s.e.s): "
            f"pre-trend test chi2({self.pretrend_df}) = {self.pretrend_stat:.2f}, p = {self.pretrend_p:.3f}."
        )

    def get_plot_data(self) -> pd.DataFrame:
        return self.coefficients

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Coefficient plot with confidence intervals; returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        labels = labels or {}
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        c = self.coefficients
        x = c.index.to_numpy()
        ax.errorbar(
            x,
            c["estimate"],
            yerr=[c["estimate"] - c["conf_low"], c["conf_high"] - c["estimate"]],
            fmt="o",
            color="black",
            ecolor="grey",
            capsize=3,
        )
        ax.axhline(0, color="grey", lw=1)
        ax.axvline(-0.5, color="grey", ls=":", lw=1)
        ax.set_xlabel(labels.get("time", "periods relative to the start"))
        ax.set_ylabel(labels.get("estimate", f"effect on {self.outcome}"))
        fig.tight_layout()
        return fig, ax


def event_study(
    data: pd.DataFrame,
    outcome: str,
    *,
    treated: str,
    unit: str,
    time: str,
    treatment_start: Any,
    window: tuple[int, int] | None = None,
    reference: int = -1,
    covariates: Sequence[str] | None = None,
    vcov: VCov = "cluster",
    cluster: str | None = None,
    level: float = 0.95,
) -> EventStudyResult:
    """Event study: unit and time fixed effects plus one dummy per relative period.

    ``y = unit FE + time FE + sum_k b_k treated * 1[time - start = k]``, with
    ``k = reference`` left out. Relative periods outside ``window`` (lo, hi)
    are binned into the end points. The pre-trend check is the Wald test
    that all leads (k < 0, k != reference) are zero (Freyaldenhoven et al.
    2021). Periods are assumed to be integers (years).
    """
    _check_columns(data, outcome=outcome, treated=treated, unit=unit, time=time, cluster=cluster)
    _check_binary(data, treated, "treated")
    covariates = list(covariates or [])
    frame = data.dropna(subset=[outcome, *covariates])
    is_treated = frame[treated].astype(float).to_numpy()
    start = _start_per_row(data, frame, treatment_start)
    _check_starts(frame, time, start, is_treated, never_too=window is None)
    rel = pd.Series(frame[time].to_numpy(dtype=float) - np.nan_to_num(start, nan=reference), index=frame.index)
    rel = rel.round().astype(int)
    lo, hi = (int(rel.min()), int(rel.max())) if window is None else window
    if not lo <= reference <= hi:
        raise InputError(f"reference {reference} lies outside the window ({lo}, {hi}).", parameter="reference")
    rel = rel.clip(lo, hi)
    ks = [k for k in range(lo, hi + 1) if k != reference]
    # Checked before the dummies are built: a too-wide window would build them for minutes.
    n_fe = frame[unit].nunique() + frame[time].nunique() - 1
    if len(ks) + len(covariates) >= len(frame) - n_fe:
        raise InputError(
            f"the window ({lo}, {hi}) needs {len(ks)} event-time dummies, but {len(frame)} observations leave "
            f"only {len(frame) - n_fe} degrees of freedom after the unit and period effects.",
            parameter="window",
            hint="Pass a narrower window=(lo, hi): periods beyond it are binned into its end points.",
        )
    seen = set(rel[is_treated == 1].unique())
    empty = [k for k in ks if k not in seen]
    if empty:
        shown = ", ".join(map(str, empty[:8])) + (", ..." if len(empty) > 8 else "")
        raise InputError(
            f"the window ({lo}, {hi}) cannot be filled: no treated observation at event time(s) {shown}.",
            parameter="window",
            hint="Choose a window within the treated units' event times; periods beyond it are binned into its end points.",
        )
    dummies = pd.DataFrame(
        {f"k{k}": is_treated * (rel.to_numpy() == k) for k in ks}, index=frame.index, dtype=float
    )
    X = dummies
    for c in covariates:
        X[c] = frame[c].astype(float)
    groups = frame[cluster or unit].to_numpy() if vcov == "cluster" else None
    fit, factor = _fit_two_way(frame[outcome].to_numpy(float), X, frame[unit], frame[time], vcov, groups)
    from scipy import stats  # here: scipy.stats costs ~0.3 s at import

    z = stats.norm.ppf(0.5 + level / 2)
    names = [f"k{k}" for k in ks]
    est = fit.params[names].to_numpy()
    se = fit.bse[names].to_numpy() * np.sqrt(factor)
    coef = pd.DataFrame(
        {"estimate": est, "std_error": se, "conf_low": est - z * se, "conf_high": est + z * se},
        index=pd.Index(ks, name="event_time"),
    )
    coef.loc[reference] = [0.0, 0.0, 0.0, 0.0]
    coef = coef.sort_index()
    leads = [f"k{k}" for k in ks if k < 0]
    if leads:
        cov = fit.cov_params().loc[leads, leads].to_numpy() * factor
        b = fit.params[leads].to_numpy()
        stat, df = _wald(b, cov)
        p = float(stats.chi2.sf(stat, df)) if df > 0 else float("nan")
    else:
        stat, df, p = float("nan"), 0, float("nan")
    return EventStudyResult(
        outcome=outcome,
        reference=reference,
        coefficients=coef,
        pretrend_stat=stat,
        pretrend_df=df,
        pretrend_p=p,
        vcov=vcov,
        n_obs=int(fit.nobs),
    )
