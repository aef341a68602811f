"""Conformal inference for synthetic controls (Chernozhukov, Wüthrich & Zhu).

Under a sharp null ``H0: the effect is theta in every post-period``, the
treated unit's counterfactual is known: ``Y_t - theta`` after the start,
``Y_t`` before. Fitting the counterfactual model to *all* periods with the
null imposed gives residuals ``u_t`` that are exchangeable over time when
the data are (stationary, weakly dependent data make them approximately
so), so the rank of the post-period statistic ``S(u)`` among its values
under permutations of time is a p-value. Inverting the test over ``theta``
gives a confidence set for a constant effect.

Sources
-------
* Chernozhukov, V., Wüthrich, K. & Zhu, Y. (2021). An exact and robust
  conformal inference method for counterfactual and synthetic controls.
  *Journal of the American Statistical Association* 116(536), 1849-1864.
  Section 2: the test (eqs. 1-2), the statistic
  ``S_q(u) = ((1/sqrt(T*)) sum_post |u_t|^q)^(1/q)``, moving-block and i.i.d.
  permutations, confidence sets by test inversion; section 2.3: the
  synthetic control proxy, weights on the simplex without intercept,
  estimated under the null from all periods.
* Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods
  for comparative case studies. *JASA* 105(490), 493-505 (the estimator).

How the synthetic control is fitted
-----------------------------------
``min_w |y - X w|^2`` over the simplex is, because ``1'w = 1``, the
minimum-norm point ``min |C w|`` of the convex hull of the columns of
``C = X - y 1'``. For ``u = t w >= 0`` the non-negative least squares
``min |[C; 1'] u - [0; 1]|^2`` has objective ``t^2 |C w|^2 + (t - 1)^2``,
whose minimum over ``t`` is ``|C w|^2 / (1 + |C w|^2)``, increasing in
``|C w|``; so the NNLS solution normalised, ``u / sum(u)``, is the exact
simplex least-squares solution. One Lawson-Hanson NNLS (scipy, compiled) on
a T x (J + 1) system costs ~15 microseconds at T = 25, J = 20, has no
tolerance or penalty weight to tune (unlike a heavily weighted sum-to-one
row, which only approximates the constraint) and no iteration budget
(unlike projected gradient or FISTA, which would need one per theta). The
fit is checked (``sum(u) > 0``) and falls back to equal weights only in the
degenerate case ``C = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from evalkit.errors import InputError
from evalkit.results import Result

__all__ = ["ConformalResult", "conformal_inference"]

Scheme = Literal["moving_block", "iid"]


# --------------------------------------------------------------------------- fits


def _simplex_ls(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0, sum(w) = 1`` minimising ``|y - X w|`` (exact, one NNLS)."""
    T, J = X.shape
    if J == 1:
        return np.ones(1)
    C = X - y[:, None]
    scale = float(np.sqrt(np.mean(C * C)))
    if not np.isfinite(scale) or scale == 0.0:
        return np.full(J, 1.0 / J)  # y equals every donor: any weights fit exactly
    A = np.empty((T + 1, J))
    A[:T] = C / scale  # scaling C leaves the argmin of |C w| unchanged, helps conditioning
    A[T] = 1.0
    b = np.zeros(T + 1)
    b[T] = 1.0
    u, _ = nnls(A, b)
    total = u.sum()
    if not total > 0:  # cannot happen for a non-zero C (u = e_j / (1 + |C_j|^2) beats u = 0)
        return np.full(J, 1.0 / J)
    return u / total


class _Problem:
    """The data of one test and the permutations of time."""

    def __init__(self, y, X, n_pre, q, scheme, reps, seed):
        self.y = y
        self.X = X
        self.n_pre = n_pre
        self.T = y.size
        self.n_post = self.T - n_pre
        self.q = q
        post = np.arange(n_pre, self.T)
        if scheme == "moving_block":
            # pi_j(t) = t + j (mod T), j = 0..T-1; j = 0 is the identity.
            self.index = (post[None, :] + np.arange(self.T)[:, None]) % self.T
        else:
            rng = np.random.default_rng(seed)
            draws = [post] + [rng.permutation(self.T)[n_pre:] for _ in range(reps - 1)]
            self.index = np.stack(draws)  # first row: the identity
        self.log: list[tuple[np.ndarray, np.ndarray]] = []  # every (theta, p) evaluated

    def residuals(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        Y0 = np.repeat(self.y[None, :], theta.size, axis=0)
        Y0[:, self.n_pre :] -= theta[:, None]
        W = np.stack([_simplex_ls(row, self.X) for row in Y0])
        return Y0 - W @ self.X.T, W

    def statistics(self, U: np.ndarray) -> np.ndarray:
        """``S_q`` of every permutation (columns; the first is the identity) for each row of U."""
        A = np.abs(U[:, self.index])  # (G, P, T*)
        if np.isinf(self.q):
            return A.max(axis=2)
        return (A**self.q).sum(axis=2) ** (1.0 / self.q) / self.n_post ** (0.5 / self.q)

    def p_values(self, theta) -> tuple[np.ndarray, np.ndarray]:
        U, _ = self.residuals(theta)
        S = self.statistics(U)
        observed = S[:, :1]
        # Permutations that only reorder the post-period give the same sum in another
        # order; the relative tolerance counts them as ties, as the exact values are.
        ge = S >= observed * (1.0 - 1e-10)
        p = ge.mean(axis=1)
        self.log.append((np.atleast_1d(np.asarray(theta, dtype=float)), p))
        return p, observed[:, 0]


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class ConformalResult(Result):
    """A conformal test of a constant effect and the confidence set from inverting it.

    ``p_value`` tests ``H0: effect = null`` in every post-period; ``statistic``
    is ``S_q`` under that null. ``[ci_low, ci_high]`` is the ``1 - alpha``
    confidence set for a constant effect (the hull of the values not rejected;
    ``-inf``/``inf`` when no value that far is rejected, NaN when every value
    is rejected, i.e. the constant-effect model is). ``estimate`` is the
    classic synthetic control estimate (weights fitted on the pre-period,
    mean post-period gap); ``weights`` are the donors' weights fitted under
    the null. ``curve`` holds every ``theta`` evaluated with its p-value.
    """

    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    statistic: float
    null: float
    estimate: float
    q: float
    permutations: str
    n_permutations: int
    n_pre: int
    n_post: int
    weights: np.ndarray
    curve: pd.DataFrame

    @property
    def min_p_value(self) -> float:
        """The smallest attainable p-value, ``1 / n_permutations``."""
        return 1.0 / self.n_permutations

    def figures(self, prefix: str = "counterfactual") -> dict[str, float]:
        return {
            f"{prefix}.ci.low": float(self.ci_low),
            f"{prefix}.ci.high": float(self.ci_high),
            f"{prefix}.p_value.conformal": float(self.p_value),
        }

    def context(self) -> dict[str, Any]:
        return {
            "p_value": float(self.p_value),
            "ci_low": float(self.ci_low),
            "ci_high": float(self.ci_high),
            "level": float(1 - self.alpha),
            "alpha": float(self.alpha),
            "statistic": float(self.statistic),
            "null": float(self.null),
            "estimate": float(self.estimate),
            "q": float(self.q),
            "permutations": self.permutations,
            "n_permutations": int(self.n_permutations),
            "min_p_value": self.min_p_value,
            "n_pre": int(self.n_pre),
            "n_post": int(self.n_post),
        }

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["average_effect"],
                "estimate": [self.estimate],
                "std_error": [np.nan],
                "statistic": [self.statistic],
                "p_value": [self.p_value],
                "conf_low": [self.ci_low],
                "conf_high": [self.ci_high],
                "null": [self.null],
                "level": [1 - self.alpha],
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The p-value curve: ``theta``, ``p_value``, ``in_set`` (a copy)."""
        return self.curve.copy()

    def _repr_html_(self) -> str:
        return self.tidy().to_html(border=0)

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """p-value against theta, the alpha line and the confidence set; ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        text = {"x": "effect (theta)", "y": "p-value", "alpha": "alpha", "set": "confidence set"}
        text.update(labels or {})
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        c = self.curve
        ax.step(c["theta"], c["p_value"], where="mid", color="black", lw=1.5)
        ax.axhline(self.alpha, color="tab:red", ls="--", lw=1, label=text["alpha"])
        if np.isfinite(self.ci_low) and np.isfinite(self.ci_high):
            ax.axvspan(self.ci_low, self.ci_high, color="tab:blue", alpha=0.15, label=text["set"])
        ax.set_xlabel(text["x"])
        ax.set_ylabel(text["y"])
        ax.set_ylim(0, 1.02)
        ax.legend(frameon=False)
        fig.tight_layout()
        return fig, ax


# --------------------------------------------------------------------------- inversion


def _edge(problem: _Problem, alpha: float, inside: float, outside: float, tol: float) -> float:
    """Bisect between an accepted ``inside`` and a rejected ``outside`` theta."""
    while abs(outside - inside) > tol:
        mid = 0.5 * (inside + outside)
        p, _ = problem.p_values(mid)
        if p[0] > alpha:
            inside = mid
        else:
            outside = mid
    return inside


def _invert(problem: _Problem, alpha: float, grid: np.ndarray, scale: float, auto: bool):
    p, _ = problem.p_values(grid)
    accepted = p > alpha
    if not accepted.any() and auto:
        # The set may be narrower than a grid step: look again on a grid 20 times finer.
        grid = np.linspace(grid[0], grid[-1], 20 * (grid.size - 1) + 1)
        p, _ = problem.p_values(grid)
        accepted = p > alpha
    if not accepted.any():
        # Every value is rejected: the constant-effect model itself is rejected (an empty set).
        return np.nan, np.nan
    first, last = np.flatnonzero(accepted)[[0, -1]]
    tol = 1e-6 * scale

    def outward(k: int, direction: int) -> tuple[float, float | None]:
        # From the accepted grid end, step outward until a value is rejected.
        inside = float(grid[k])
        if 0 <= k + direction < grid.size:
            return inside, float(grid[k + direction])
        if not auto:
            return inside, None
        span = float(grid[-1] - grid[0])
        for doubling in range(12):
            candidate = inside + direction * span * 2.0**doubling
            pc, _ = problem.p_values(candidate)
            if pc[0] <= alpha:
                return inside, candidate
            inside = candidate
        return inside, np.inf * direction

    bounds = []
    for k, direction in ((first, -1), (last, 1)):
        inside, outside = outward(k, direction)
        if outside is None:
            bounds.append(inside)
        elif np.isinf(outside):
            bounds.append(outside)
        else:
            bounds.append(_edge(problem, alpha, inside, outside, tol))
    return bounds[0], bounds[1]


def _as_float_array(x, name: str, ndim: int) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric.", parameter=name) from exc
    if a.ndim != ndim:
        raise InputError(f"{name} must be {ndim}-dimensional, got shape {a.shape}.", parameter=name)
    if not np.isfinite(a).all():
        raise InputError(f"{name} has missing or infinite values.", parameter=name)
    return a


def conformal_inference(
    Y_treated,
    Y_donors,
    n_pre: int,
    *,
    alpha: float = 0.1,
    null: float = 0.0,
    permutations: Scheme = "moving_block",
    grid=None,
    q: float = 1,
    reps: int = 1000,
    seed: int = 0,
    invert: bool = True,
) -> ConformalResult:
    """Conformal p-value and confidence set for a constant effect with a synthetic control.

    Parameters
    ----------
    Y_treated
        The treated unit's outcomes, shape (T,).
    Y_donors
        The donors' outcomes, shape (T, J).
    n_pre
        The first ``n_pre`` periods are before the treatment.
    alpha
        The confidence set has level ``1 - alpha``.
    null
        The effect tested for ``p_value`` (the same in every post-period).
    permutations
        ``"moving_block"`` (the T cyclic shifts of time; valid under weak
        serial dependence) or ``"iid"`` (``reps`` random permutations
        including the identity; needs exchangeable periods).
    grid
        Values of theta at which to invert the test. By default a grid of 41
        points over the estimate +/- 8 pre-period residual s.d.s, widened
        until both ends are rejected; the ends of the set are then refined by
        bisection to 1e-6 residual s.d.s.
    q
        The exponent of ``S_q`` (1 is the paper's robust default; ``np.inf``
        the maximum).
    reps, seed
        Number of permutations and seed for ``"iid"``.
    invert
        False skips the confidence set (``ci_low``/``ci_high`` NaN): the test only.

    Returns
    -------
    ConformalResult

    Notes
    -----
    Chernozhukov, Wüthrich & Zhu (2021), *JASA* 116(536), section 2. The
    synthetic control is the constrained least squares of section 2.3
    (weights >= 0 summing to one, no intercept), refitted for every theta on
    all T periods with the null imposed. The p-value is
    ``(1/|Pi|) #{pi in Pi: S(u_pi) >= S(u)}``; with moving blocks it is a
    multiple of ``1/T``, so the test's exact level is ``floor(alpha T) / T``.
    The confidence set is reported as the hull of the values not rejected
    (the accepted set need not be an interval in theory).
    """
    y = _as_float_array(Y_treated, "Y_treated", 1)
    X = _as_float_array(Y_donors, "Y_donors", 2)
    T = y.size
    if X.shape[0] != T:
        raise InputError(
            f"Y_donors has {X.shape[0]} rows but Y_treated has {T} periods.",
            parameter="Y_donors",
            hint="Give the donors as a (T, J) array: one row per period, one column per donor.",
        )
    if X.shape[1] < 1:
        raise InputError("Y_donors has no donors.", parameter="Y_donors")
    if not isinstance(n_pre, (int, np.integer)) or not 1 <= n_pre < T:
        raise InputError(f"n_pre must be an integer from 1 to {T - 1}, not {n_pre!r}.", parameter="n_pre")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}.", parameter="alpha")
    if not (q > 0):
        raise InputError(f"q must be positive (or numpy.inf), not {q!r}.", parameter="q")
    if permutations not in ("moving_block", "iid"):
        raise InputError(
            f"permutations must be 'moving_block' or 'iid', not {permutations!r}.",
            parameter="permutations",
        )
    if permutations == "iid" and (not isinstance(reps, (int, np.integer)) or reps < 2):
        raise InputError(f"reps must be an integer of at least 2, not {reps!r}.", parameter="reps")

    problem = _Problem(y, X, int(n_pre), float(q), permutations, int(reps), seed)

    # The classic synthetic control estimate and the data's scale centre the grid.
    w_pre = _simplex_ls(y[:n_pre], X[:n_pre])
    gap = y - X @ w_pre
    estimate = float(gap[n_pre:].mean())
    scale = float(np.sqrt(np.mean(gap[:n_pre] ** 2)))
    floor = 1e-6 * max(float(np.abs(y).max()), 1.0)
    if not scale > floor:
        scale = max(float(np.std(gap[n_pre:])), floor)

    _, W_null = problem.residuals(null)
    p_null, s_null = problem.p_values(null)

    auto = grid is None
    if not invert:
        grid_values = np.empty(0)
    elif auto:
        grid_values = estimate + scale * np.linspace(-8.0, 8.0, 41)
    else:
        grid_values = np.unique(_as_float_array(grid, "grid", 1))
        if grid_values.size < 2:
            raise InputError("grid needs at least two values.", parameter="grid")
    low, high = _invert(problem, alpha, grid_values, scale, auto) if invert else (np.nan, np.nan)

    thetas = np.concatenate([t for t, _ in problem.log])
    pvals = np.concatenate([p for _, p in problem.log])
    curve = pd.DataFrame({"theta": thetas, "p_value": pvals}).drop_duplicates("theta")
    curve = curve.sort_values("theta", ignore_index=True)
    curve["in_set"] = curve["p_value"] > alpha
    return ConformalResult(
        p_value=float(p_null[0]),
        ci_low=float(low),
        ci_high=float(high),
        alpha=float(alpha),
        statistic=float(s_null[0]),
        null=float(null),
        estimate=estimate,
        q=float(q),
        permutations=permutations,
        n_permutations=int(problem.index.shape[0]),
        n_pre=int(n_pre),
        n_post=int(T - n_pre),
        weights=W_null[0],
        curve=curve,
    )
