"""Synthetic control (Abadie, Diamond & Hainmueller).

The synthetic control of a treated unit is the convex combination of
untreated *donor* units that best reproduces the treated unit before the
treatment; its path afterwards is the counterfactual, and the difference
(the *gap*) is the estimated effect.

Sources
-------
* Abadie, A. & Gardeazabal, J. (2003). The economic costs of conflict: a case
  study of the Basque Country. *American Economic Review* 93(1), 113-132.
* Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods
  for comparative case studies. *JASA* 105(490), 493-505 (eqs. 2-4: the
  nested choice of W and V; section 4: in-space placebo inference).
* Abadie, A., Diamond, A. & Hainmueller, J. (2015). Comparative politics and
  the synthetic control method. *AJPS* 59(2), 495-510 (V chosen by
  cross-validation, :class:`CrossValidation`; in-time placebo and
  leave-one-out robustness).
* Chernozhukov, V., Wüthrich, K. & Zhu, Y. (2021). An exact and robust
  conformal inference method for counterfactual and synthetic controls.
  *JASA* 116(536), 1849-1864 (:meth:`SyntheticControlResult.conformal`).
* Abadie, A., Diamond, A. & Hainmueller, J. (2011). Synth: an R package for
  synthetic control methods. *J. Stat. Software* 42(13) (predictor
  standardisation, the regression-based starting value of V).

How the optimisation is done
----------------------------
Inner problem, W given V: minimise ``(X1 - X0 w)' V (X1 - X0 w)`` over the
simplex. With ``C = V^(1/2) (X0 - X1 1')`` this is the minimum-norm point of
the convex hull of C's columns, which equals ``u / sum(u)`` for the
non-negative least-squares solution ``u`` of ``min ||[C; 1'] u - [0; 1]||``
(for ``u = t w`` the objective is ``t^2 |Cw|^2 + (t - 1)^2``, whose minimum over
``t`` is increasing in ``|Cw|^2``). So the inner solve is exact: one NNLS, no
tolerance, no penalty weight.

Outer problem, V: minimise the pre-treatment MSPE of the outcome over
diagonal V >= 0 with trace 1, parametrised as ``v = p^2 / sum(p^2)``, by
Nelder-Mead from equal V and from Synth's regression-based V, each restarted
from its own optimum until it stops improving; the best is kept (optionally
a wider multi-start search, ``search="wide"``). The loss is piecewise smooth in V (it changes
shape whenever the set of donors with positive weight changes), so
derivative-free search with several starts is what finds the published
optima (Prop 99, Basque) reliably. Nelder-Mead moves V a little at a time,
so each inner solve first tries the previous solve's donor support: one
small Cholesky solve and the NNLS optimality check, exact when it passes;
the full NNLS runs only when it fails or when the inner problem is (nearly)
degenerate, where its tie-breaking is kept.

When the treated unit lies inside the convex hull of the donors' predictors,
every V > 0 balances all predictors exactly (``X0 w = X1``), the inner
optimum is the same set of W for every V, and the outer search could only
wander over the inner solver's choice among them. Then the outer criterion
is minimised over that set directly (one quadratic programme): the weights
that balance every predictor and, among those, fit the pre-period outcome
best (cf. Abadie 2021, *JEL* 59(2), 391-425, on non-unique weights when
the treated unit is inside the hull). V is then not identified; the
regression-based V is reported.
"""

from __future__ import annotations

import ctypes
import inspect
import os
import signal
import sys
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy.linalg.lapack import dposv as _dposv
from scipy.optimize import minimize, nnls

from evalkit.results import Result
from evalkit.errors import InputError

__all__ = [
    "CrossValidation",
    "Predictor",
    "SyntheticControlResult",
    "CallArguments",
    "PlaceboResult",
    "LeaveOneOutResult",
    "synthetic_control",
]

# --------------------------------------------------------------------------- predictors


@dataclass(frozen=True)
class Predictor:
    """One row of the predictor matrix: ``column`` averaged over ``periods``.

    ``periods=None`` means all pre-treatment periods. Missing values are
    skipped in the average (as R's Synth does with ``na.rm = TRUE``).
    """

    column: str
    periods: tuple[Any, ...] | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.periods is None:
            return self.column
        ps = list(self.periods)
        if len(ps) == 1:
            return f"{self.column} ({ps[0]})"
        if _is_consecutive(ps):
            return f"{self.column} ({ps[0]}-{ps[-1]})"
        return f"{self.column} ({', '.join(map(str, ps))})"


def _is_consecutive(ps: list[Any]) -> bool:
    try:
        ints = [int(p) for p in ps]
    except (TypeError, ValueError):
        return False
    return all(b - a == 1 for a, b in zip(ints, ints[1:])) and all(
        float(p) == i for p, i in zip(ps, ints)
    )


PredictorSpec = str | tuple[str, Any] | Predictor


def _as_predictor(spec: PredictorSpec) -> Predictor:
    if isinstance(spec, Predictor):
        return spec
    if isinstance(spec, str):
        return Predictor(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        column, periods = spec
        if periods is None:
            return Predictor(column)
        if isinstance(periods, (str, bytes)) or not isinstance(periods, Iterable):
            periods = (periods,)
        return Predictor(column, tuple(periods))
    raise InputError(
        f"cannot read the predictor {spec!r}.",
        parameter="predictors",
        hint="Give a column name, a (column, periods) tuple such as ('beer', range(1984, 1989)), "
        "or an evalkit.methods.counterfactual.synthetic_control.Predictor.",
    )


@dataclass(frozen=True)
class CrossValidation:
    """Choose V out of sample (Abadie, Diamond & Hainmueller 2015, *AJPS* 59(2), 495-510, p. 500).

    The pre-treatment period is split in two. ``predictors`` are the same
    predictors as the main fit's, measured in the *training* period (one to
    one and in the same order: V is a weight per position); ``fit_periods``
    are the *validation* periods. V is chosen so that the synthetic control
    built from the training predictors, W(V), predicts the outcome best over
    the validation periods (the lowest validation MSPE); the main fit then
    uses that V with the full-period predictors. A training predictor given
    without periods is averaged over the pre-treatment periods before the
    first validation period.

    Examples
    --------
    ADH (2015), West Germany: training predictors over 1971-1980, validation
    1981-1990, main predictors over 1981-1990::

        CrossValidation(predictors=[("gdp", range(1971, 1981)), ...], fit_periods=range(1981, 1991))
    """

    predictors: tuple[Any, ...]
    fit_periods: tuple[Any, ...]

    def __post_init__(self) -> None:
        for name in ("predictors", "fit_periods"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise InputError(f"CrossValidation.{name} must be a list, not {value!r}.",
                                 parameter="cross_validation")
            object.__setattr__(self, name, tuple(value))
        if not self.predictors or not self.fit_periods:
            raise InputError("CrossValidation needs training predictors and validation periods.",
                             parameter="cross_validation")


class CallArguments(Mapping):
    """The arguments of the :func:`synthetic_control` call behind a result (read-only)."""

    __slots__ = ("_arguments",)

    def __init__(self, arguments: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_arguments", dict(arguments))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the call's arguments are read-only; use refit(**changes)")

    def __getstate__(self) -> dict[str, Any]:
        return self._arguments

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_arguments", dict(state))

    def __getitem__(self, key: str) -> Any:
        return self._arguments[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arguments)

    def __len__(self) -> int:
        return len(self._arguments)

    def __repr__(self) -> str:
        shown = {k: ("<DataFrame>" if isinstance(v, pd.DataFrame) else v) for k, v in self._arguments.items()}
        return f"CallArguments({shown!r})"


# --------------------------------------------------------------------------- the solver


def _augmented(C: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``A = [C / scale; 1']`` and ``b = e_last`` of the NNLS form, or None if C is all zero."""
    k, J = C.shape
    scale = float(np.sqrt(np.einsum("ij,ij->", C, C) / C.size))
    if not np.isfinite(scale) or scale == 0.0:
        return None
    A = np.empty((k + 1, J))
    np.multiply(C, 1.0 / scale, out=A[:k])
    A[k] = 1.0
    b = np.zeros(k + 1)
    b[k] = 1.0
    return A, b


def _nnls_on_support(A: np.ndarray, b: np.ndarray, support: np.ndarray) -> np.ndarray | None:
    """The NNLS solution if ``support`` is its passive set, else None.

    Solves the unconstrained least squares on the columns in ``support`` and
    checks the Lawson-Hanson optimality conditions (KKT): positive on the
    support, gradient ``A'(b - Au) <= 0`` off it. When they hold the point is
    the NNLS minimiser (unique when ``A_S`` has full column rank), so this is
    exact, not an approximation.
    """
    As = A[:, support]
    gram = As.T @ As
    try:
        us = np.linalg.solve(gram, As.T @ b)
    except np.linalg.LinAlgError:
        return None
    if not np.all(us > 0.0):
        return None
    residual = b - As @ us
    # Rounding: the gradient on the support is ~1e-16; a tie (gradient 0 off the
    # support) is left to the full solver.
    gradient = A.T @ residual
    if np.abs(gradient[support]).max() > 1e-9:  # an ill-conditioned solve
        return None
    gradient[support] = 0.0
    if gradient.max() > 1e-12:
        return None
    u = np.zeros(A.shape[1])
    u[support] = us
    return u


def _simplex_weights(C: np.ndarray, support: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weights on the simplex minimising ``|C w|`` and their support.

    ``support`` is a guess of the donors with positive weight (the previous
    solve's, in the outer search, where V moves a little between calls); if
    it passes the optimality check the full NNLS is skipped.
    """
    k, J = C.shape
    if J == 1:
        return np.ones(1), np.zeros(1, dtype=np.intp)
    aug = _augmented(C)
    if aug is None:
        return np.full(J, 1.0 / J), np.arange(J)
    A, b = aug
    u = None
    if support is not None and 0 < len(support) <= k + 1:
        u = _nnls_on_support(A, b, support)
    if u is None:
        u, _ = nnls(A, b, maxiter=50 * J)
    total = u.sum()
    if total <= 0:  # cannot happen mathematically; guard against a failed solve
        return np.full(J, 1.0 / J), np.arange(J)
    return u / total, np.flatnonzero(u > 0.0)


def simplex_least_squares(C: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0``, ``sum(w) = 1`` minimising ``|C w|`` (exact, via one NNLS).

    See the module docstring for why ``u / sum(u)`` of the augmented NNLS is
    the minimiser. ``C`` is rescaled first so that the augmented row of ones
    and the data rows are of similar size (the minimiser does not change).
    """
    return _simplex_weights(np.asarray(C, dtype=float))[0]


def _weights_given_v(D: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inner problem: W(V) for predictor differences ``D = X0 - X1``."""
    return simplex_least_squares(D * np.sqrt(v)[:, None])


def _regression_v(Xs_all: np.ndarray, Z_all: np.ndarray) -> np.ndarray:
    """Synth's regression-based start: V from regressing pre-period outcomes on predictors.

    ``Xs_all`` is k x N (standardised predictors of all units), ``Z_all`` is
    T0 x N. Each period's outcome is regressed on an intercept and the
    predictors; V is the diagonal of ``B B'`` (B = k x T0 slopes), normalised.
    """
    k, n = Xs_all.shape
    design = np.column_stack([np.ones(n), Xs_all.T])
    beta = np.linalg.lstsq(design, Z_all.T, rcond=None)[0][1:]
    v = (beta * beta).sum(axis=1)
    if not np.all(np.isfinite(v)) or v.sum() <= 0:
        return np.full(k, 1.0 / k)
    return v / v.sum()


def _balanced_weights(D: np.ndarray, Z1: np.ndarray, Z0: np.ndarray, w_start: np.ndarray) -> np.ndarray:
    """Among the weights that balance every predictor exactly, those fitting the outcome best.

    Used when the treated unit lies inside the convex hull of the donors'
    predictors: then ``D w = 0`` is attainable, the inner optimum is the whole
    set ``{w in simplex: D w = 0}`` for every V > 0, and ADH's outer criterion
    (eq. 4, pre-period MSPE of the outcome) picks from that set. That is one
    quadratic programme, solved as a penalised NNLS (balance rows weighted
    1e4 above the outcome rows) and then polished on its support by the exact
    equality-constrained least squares.
    """
    T0, J = Z0.shape
    k = D.shape[0]
    E = Z0 - Z1[:, None]
    d_scale = float(np.sqrt(np.mean(D * D))) or 1.0
    e_scale = float(np.sqrt(np.mean(E * E)))
    if e_scale == 0.0:
        return w_start
    w, support = _simplex_weights(np.vstack([1e4 * D / d_scale, E / e_scale]))
    # Exact polish: min |E_S x| subject to D_S x = 0, sum(x) = 1, by its KKT system.
    Es, Gs = E[:, support], np.vstack([D[:, support] / d_scale, np.ones(len(support))])
    m = len(support)
    kkt = np.zeros((m + k + 1, m + k + 1))
    kkt[:m, :m] = Es.T @ Es / e_scale**2
    kkt[:m, m:] = Gs.T
    kkt[m:, :m] = Gs
    rhs = np.zeros(m + k + 1)
    rhs[-1] = 1.0
    x = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:m]
    if np.all(x >= 0.0) and np.allclose(Gs @ x, rhs[m:], atol=1e-12):
        polished = np.zeros(J)
        polished[support] = x
        w = polished / polished.sum()
    return w


class _WarmInner:
    """The inner solve W(V) for one D, warm-started from the previous call's support.

    Nelder-Mead moves V a little at a time, so the donors with positive
    weight rarely change between calls. With ``A = [D_v / scale; 1']``
    (``D_v = diag(sqrt v) D``) the guess S is checked exactly as in
    :func:`_nnls_on_support`, but from the small Gram matrix
    ``A_S' A_S = D_S' V D_S / scale^2 + 11'`` (a Cholesky solve) and one
    product ``D' (sqrt(v) * r)`` for the gradient, without forming A. A
    failed check falls back to the full NNLS, whose support is kept.
    """

    def __init__(self, D: np.ndarray) -> None:
        self.D = np.ascontiguousarray(D, dtype=float)
        self.DT = np.ascontiguousarray(self.D.T)
        self.row_ss = np.einsum("ij,ij->i", self.D, self.D)
        self.support: np.ndarray | None = None

    def weights(self, v: np.ndarray) -> np.ndarray:
        """W(V) for normalised ``v``: exact, from the previous support when it is still optimal."""
        w = self._from_support(v, self.support) if self.support is not None else None
        if w is None:
            w, self.support = _simplex_weights(self.D * np.sqrt(v)[:, None])
        return w

    def _from_support(self, v: np.ndarray, S: np.ndarray) -> np.ndarray | None:
        k, J = self.D.shape
        m = len(S)
        if not 0 < m <= k + 1:
            return None
        # Same rescaling as _augmented: scale = RMS of diag(sqrt v) D.
        ms = float(v @ self.row_ss) / (k * J)
        if not (ms > 0.0 and np.isfinite(ms)):
            return None
        sv = np.sqrt(v / ms)
        Ds = self.D.take(S, axis=1) * sv[:, None]
        _, us, info = _dposv(Ds.T @ Ds + 1.0, np.ones(m))
        if info != 0 or us.min() <= 0.0:
            return None
        r_top = -(Ds @ us)
        # r_last = |Cw|^2 / (1 + |Cw|^2). Near 0 the treated unit is (nearly) in the
        # hull for this V, W(V) is not unique, and the tie is left to NNLS as before.
        r_last = 1.0 - us.sum()
        if r_last <= 1e-12:
            return None
        # Optimality is judged relative to r_last, the size of the residual's gradient.
        gradient = self.DT @ (sv * r_top) + r_last
        if np.abs(gradient.take(S)).max() > 1e-6 * r_last:  # an ill-conditioned solve
            return None
        gradient[S] = -np.inf
        if gradient.max() > 1e-9 * r_last:
            return None
        w = np.zeros(J)
        w[S] = us / us.sum()
        return w


@dataclass(frozen=True)
class _Fit:
    w: np.ndarray
    v: np.ndarray | None
    loss: float
    # Cross-validated V only: the training-stage weights and their validation MSPE.
    validation_w: np.ndarray | None = None
    validation_loss: float | None = None


def _choose_v(
    D: np.ndarray,
    Xs_all: np.ndarray,
    Z1: np.ndarray,
    Z0: np.ndarray,
    Z_all: np.ndarray,
    *,
    n_random_starts: int,
    n_searches: int = 4,
    search: str = "synth",
    seed: int,
) -> _Fit:
    """Outer problem: V minimising the pre-period MSPE of the outcome (ADH 2010, eq. 4)."""
    k = D.shape[0]
    T0 = len(Z1)

    def mspe_of_w(w: np.ndarray) -> float:
        r = Z1 - Z0 @ w
        return float(r @ r) / T0

    inner = _WarmInner(D)

    def loss(p: np.ndarray) -> float:
        v = p * p
        s = v.sum()
        if not np.isfinite(s) or s <= 0:
            return np.inf
        return mspe_of_w(inner.weights(v / s))

    v_equal = np.full(k, 1.0 / k)
    v_regression = _regression_v(Xs_all, Z_all) if k > 1 else v_equal
    # Treated unit inside the donors' predictor hull: every V > 0 balances the
    # predictors exactly, so V cannot change the inner optimum set and the
    # outer search would only wander over the inner solver's tie-breaking.
    # Solve the outer criterion over that set directly instead.
    w_equal = inner.weights(v_equal)
    d_scale = float(np.sqrt(np.mean(D * D)))
    if d_scale > 0 and float(np.linalg.norm(D @ w_equal)) <= 1e-9 * d_scale:
        w = _balanced_weights(D, Z1, Z0, w_equal)
        return _Fit(w, v_regression, mspe_of_w(w))
    if k == 1:
        return _Fit(w_equal, v_equal, mspe_of_w(w_equal))

    # R's Synth searches from equal V and its regression-based V; that is
    # what reproduces the published tables. The "wide" search also screens
    # cheap candidates (one inner solve each: each predictor alone, since
    # optima often sit near a vertex, and seeded random points) and runs the
    # local search from the best few of them too.
    candidates = [v_equal, v_regression]
    chosen = [0, 1]
    if search == "wide":
        rng = np.random.default_rng(seed)
        off = 0.1 / max(k - 1, 1)
        candidates += list(np.full((k, k), off) + np.eye(k) * (0.9 - off))
        candidates += list(rng.dirichlet(np.ones(k), size=n_random_starts))
        screened = sorted(((loss(np.sqrt(c)), i) for i, c in enumerate(candidates)), key=lambda t: t[0])
        chosen += [i for _, i in screened if i > 1][: max(n_searches - 2, 0)]
    scale = float(np.var(Z1)) if T0 > 1 else 1.0
    options = {
        "maxfev": 300 * k,
        "xatol": 1e-4,
        "fatol": 1e-9 * max(scale, 1e-12),
        "adaptive": True,
    }
    best_p: np.ndarray | None = None
    best_loss = np.inf
    for i in chosen:
        p = np.sqrt(candidates[i])
        value = loss(p)
        # A Nelder-Mead simplex collapses on a kink of this piecewise loss;
        # a restart from its own optimum rebuilds the simplex and often
        # moves on to a lower plateau.
        for _ in range(3):
            res = minimize(loss, p, method="Nelder-Mead", options=options)
            if res.fun < value - 1e-10 * max(abs(value), 1e-12):
                p, value = res.x, float(res.fun)
            else:
                break
        if value < best_loss:
            best_p, best_loss = p, value
    assert best_p is not None
    v = best_p * best_p
    v = v / v.sum()
    w = _weights_given_v(D, v)
    return _Fit(w, v, mspe_of_w(w))


# --------------------------------------------------------------------------- data preparation


@dataclass(frozen=True)
class _Problem:
    """Everything a (re)fit needs, as arrays over one set of units."""

    outcome_wide: pd.DataFrame  # time x unit
    predictors: tuple[Predictor, ...]
    predictor_values: pd.DataFrame | None  # predictor label x unit (raw, not standardised)
    fit_periods: tuple[Any, ...]
    treatment_start: Any
    n_random_starts: int
    seed: int
    n_searches: int = 4
    search: str = "synth"
    v_fixed: np.ndarray | None = None  # a given V (normalised, in predictor order)
    cross_validation: _CrossProblem | None = None


@dataclass(frozen=True)
class _CrossProblem:
    """The training stage of a cross-validated V (ADH 2015)."""

    predictor_values: pd.DataFrame  # training predictor label x unit (raw)
    validation_periods: tuple[Any, ...]


@dataclass(frozen=True)
class _Arrays:
    """The problem's data as arrays over its units (columns in ``outcome_wide`` order)."""

    position: dict[Hashable, int]
    Z: np.ndarray  # fit periods x units: the outcome
    X: np.ndarray | None  # predictors x units (raw)
    X_train: np.ndarray | None = None  # training predictors x units (cross-validation)
    Z_validation: np.ndarray | None = None  # validation periods x units


def _arrays(problem: _Problem) -> _Arrays:
    Y = problem.outcome_wide
    units = list(Y.columns)
    Z = Y.loc[Y.index.isin(problem.fit_periods)].to_numpy(float)
    X = None if problem.predictor_values is None else problem.predictor_values[units].to_numpy(float)
    X_train = Z_validation = None
    if problem.cross_validation is not None:
        X_train = problem.cross_validation.predictor_values[units].to_numpy(float)
        Z_validation = Y.loc[Y.index.isin(problem.cross_validation.validation_periods)].to_numpy(float)
    return _Arrays({u: i for i, u in enumerate(units)}, Z, X, X_train, Z_validation)


def _standardised(X: np.ndarray) -> np.ndarray:
    """Each predictor divided by its sd across the units of this fit (as Synth does),
    so that V is not driven by the predictors' units of measurement."""
    sd = X.std(axis=1, ddof=1)
    sd[~np.isfinite(sd) | (sd == 0)] = 1.0
    return X / sd[:, None]


def _fit_problem(problem: _Problem, treated: Hashable, donors: Sequence[Hashable], arrays: _Arrays | None = None) -> _Fit:
    arrays = arrays or _arrays(problem)
    t = arrays.position[treated]
    idx = np.array([t, *(arrays.position[d] for d in donors)])
    Z_all = arrays.Z[:, idx]
    Z1, Z0 = Z_all[:, 0], Z_all[:, 1:]
    if arrays.X is None:
        # Outcome-only: match the pre-period path directly (V = identity), one QP.
        w = simplex_least_squares(Z0 - Z1[:, None])
        r = Z1 - Z0 @ w
        return _Fit(w, None, float(r @ r) / len(r))
    Xs = _standardised(arrays.X[:, idx])
    D = Xs[:, 1:] - Xs[:, :1]

    def mspe(w: np.ndarray) -> float:
        r = Z1 - Z0 @ w
        return float(r @ r) / len(r)

    if problem.v_fixed is not None:
        # A given V (Synth's custom.v): only the inner problem is solved.
        w = _weights_given_v(D, problem.v_fixed)
        return _Fit(w, problem.v_fixed, mspe(w))
    if problem.cross_validation is not None:
        # ADH (2015): V from the training predictors and the validation periods' outcome,
        # then W from the full-period predictors with that V.
        assert arrays.X_train is not None and arrays.Z_validation is not None
        Xs_train = _standardised(arrays.X_train[:, idx])
        Zv_all = arrays.Z_validation[:, idx]
        training = _choose_v(
            Xs_train[:, 1:] - Xs_train[:, :1],
            Xs_train,
            Zv_all[:, 0],
            Zv_all[:, 1:],
            Zv_all,
            n_random_starts=problem.n_random_starts,
            n_searches=problem.n_searches,
            search=problem.search,
            seed=problem.seed,
        )
        assert training.v is not None
        w = _weights_given_v(D, training.v)
        return _Fit(w, training.v, mspe(w), training.w, training.loss)
    return _choose_v(
        D,
        Xs,
        Z1,
        Z0,
        Z_all,
        n_random_starts=problem.n_random_starts,
        n_searches=problem.n_searches,
        search=problem.search,
        seed=problem.seed,
    )


# Set just before the placebo's worker processes fork, read by them: the
# problem travels to the workers by fork instead of by pickling each task.
_PLACEBO_JOB: tuple[_Problem, _Arrays, list[tuple[Hashable, list[Hashable]]]] | None = None


def _placebo_weights(i: int) -> np.ndarray:
    assert _PLACEBO_JOB is not None
    problem, arrays, tasks = _PLACEBO_JOB
    donor, pool = tasks[i]
    return _fit_problem(problem, donor, pool, arrays).w


def _die_with_parent(parent: int) -> None:
    """Placebo workers end with the process that forked them, even after ``kill -9`` of it.

    Linux's ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; a parent that died before the request is
    caught by its pid (the same as ``evalkit.run.parallel.die_with_parent``, which this room
    may not import).
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _placebo_fits(problem: _Problem, tasks: list[tuple[Hashable, list[Hashable]]], n_jobs: int) -> list[np.ndarray]:
    """Donor weights of every placebo fit, in ``n_jobs`` forked processes (1: here)."""
    global _PLACEBO_JOB
    arrays = _arrays(problem)
    import multiprocessing

    if n_jobs <= 1 or len(tasks) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_fit_problem(problem, d, pool, arrays).w for d, pool in tasks]
    from concurrent.futures import ProcessPoolExecutor

    _PLACEBO_JOB = (problem, arrays, tasks)
    try:
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            # One task at a time: fits inside the hull take ~1 ms, searches ~0.1 s.
            return list(pool.map(_placebo_weights, range(len(tasks)), chunksize=1))
    finally:
        _PLACEBO_JOB = None


def _plain(value: Any) -> Any:
    """Values as a message shows them: 2011, not np.int64(2011)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value.item() if isinstance(value, np.generic) else value


def _predictor_values(sub: pd.DataFrame, specs: Sequence[Predictor], default_periods: Sequence[Any], *,
                      unit: str, time: str, units: list[Hashable], parameter: str) -> pd.DataFrame:
    """Predictor label x unit: each predictor's column averaged over its periods, missing values skipped.

    Missing values are skipped as R's Synth does (``na.rm = TRUE``); a unit
    with no value at all in a predictor's periods cannot be matched on it.
    """
    names = [spec.name for spec in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"the predictor {twice[0]!r} is given twice.", parameter=parameter,
                         hint="Give each predictor once, or name them apart with Predictor(..., label=...).")
    rows = {}
    for spec in specs:
        if spec.column not in sub.columns:
            raise InputError(f"predictor column '{spec.column}' is not in the data.", parameter=parameter)
        periods = tuple(default_periods) if spec.periods is None else tuple(spec.periods)
        if not pd.api.types.is_numeric_dtype(sub[spec.column]):
            raise InputError(f"predictor column '{spec.column}' is not numeric.", parameter=parameter)
        part = sub.loc[sub[time].isin(periods)]
        values = part.groupby(unit)[spec.column].mean().reindex(units)
        if values.isna().any():
            bad_units = _plain(list(values[values.isna()].index[:5]))
            shown = _plain(list(periods[:6])) + (["..."] if len(periods) > 6 else [])
            raise InputError(
                f"predictor '{spec.name}' has no value in its periods {shown} for unit(s) {bad_units!r}.",
                parameter=parameter,
                hint="Choose periods where the variable is observed at least once for every unit, "
                "or leave these units out of the donors.",
            )
        rows[spec.name] = values
    return pd.DataFrame(rows).T


def _given_v(v: Mapping[str, float], specs: Sequence[Predictor]) -> np.ndarray:
    """A given V (name -> weight, as Synth's ``custom.v``) as a normalised vector in predictor order."""
    if not specs:
        raise InputError("v weights predictors, but no predictors are given.", parameter="v")
    if not hasattr(v, "items"):
        raise InputError(f"v must map predictor names to weights, not {type(v).__name__}.", parameter="v",
                         hint="For example v={'gdp (1981-1990)': 0.5, 'trade (1981-1990)': 0.5}.")
    names = [spec.name for spec in specs]
    given = dict(v.items())
    unknown = [k for k in given if k not in names]
    if unknown:
        raise InputError(f"v names unknown predictor(s) {_plain(unknown[:5])!r}.", parameter="v",
                         hint=f"The predictors are: {', '.join(names)}.")
    missing = [n for n in names if n not in given]
    if missing:
        raise InputError(f"v has no weight for the predictor(s) {missing[:5]!r}.", parameter="v",
                         hint="Give a weight (0 allowed) for every predictor.")
    try:
        values = np.array([float(given[n]) for n in names])
    except (TypeError, ValueError):
        raise InputError("v's weights must be numbers.", parameter="v") from None
    if not np.all(np.isfinite(values)) or (values < 0).any() or values.sum() <= 0:
        raise InputError("v's weights must be finite, non-negative and not all zero.", parameter="v")
    return values / values.sum()


def _cross_problem(cv: Any, sub: pd.DataFrame, Y: pd.DataFrame, specs: Sequence[Predictor], *, outcome: str,
                   unit: str, time: str, units: list[Hashable], treatment_start: Any) -> _CrossProblem:
    if not isinstance(cv, CrossValidation):
        raise InputError(f"cross_validation must be a CrossValidation, not {type(cv).__name__}.",
                         parameter="cross_validation")
    if not specs:
        raise InputError("cross_validation chooses V for the predictors, but no predictors are given.",
                         parameter="cross_validation")
    train = tuple(_as_predictor(p) for p in cv.predictors)
    if len(train) != len(specs):
        raise InputError(
            f"cross_validation has {len(train)} training predictor(s) for {len(specs)} predictor(s).",
            parameter="cross_validation",
            hint="Give each predictor once more, measured in the training period, in the same order.",
        )
    pre = set(Y.index[Y.index < treatment_start])
    validation = tuple(dict.fromkeys(cv.fit_periods))
    bad = [p for p in validation if p not in pre]
    if bad:
        raise InputError(
            f"validation period(s) {_plain(bad[:5])!r} are not pre-treatment periods in the data.",
            parameter="cross_validation",
        )
    rows = Y.loc[Y.index.isin(validation)]
    missing = rows.isna().any()
    if missing.any():
        raise InputError(
            f"the outcome '{outcome}' is missing in the validation periods for {_plain(list(missing[missing].index[:5]))!r}.",
            parameter="cross_validation",
        )
    training_periods = tuple(p for p in Y.index if p in pre and p < min(validation))
    values = _predictor_values(sub, train, training_periods, unit=unit, time=time, units=units,
                               parameter="cross_validation")
    return _CrossProblem(values, tuple(p for p in Y.index if p in set(validation)))


def _prepare(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Hashable,
    treatment_start: Any,
    predictors: Sequence[PredictorSpec] | None,
    donors: Sequence[Hashable] | None,
    fit_periods: Sequence[Any] | None,
    n_random_starts: int,
    n_searches: int,
    search: str,
    seed: int,
    v: Mapping[str, float] | None = None,
    cross_validation: CrossValidation | None = None,
) -> tuple[_Problem, list[Hashable]]:
    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame in long format.", parameter="data")
    for name, col in (("unit", unit), ("time", time), ("outcome", outcome)):
        if col not in data.columns:
            raise InputError(
                f"column '{col}' is not in the data.",
                parameter=name,
                hint=f"Columns are: {', '.join(map(str, data.columns))}.",
            )
    if data.duplicated([unit, time]).any():
        dup = data.loc[data.duplicated([unit, time]), [unit, time]].iloc[0].tolist()
        raise InputError(
            f"unit {dup[0]!r} has more than one row for {time} {dup[1]!r}.",
            parameter="data",
            hint="Give one row per unit and period (aggregate first).",
        )
    units_all = pd.unique(data[unit])
    if treated not in set(units_all):
        raise InputError(
            f"the treated unit {treated!r} is not in column '{unit}'.",
            parameter="treated",
        )
    if donors is None:
        donor_list = [u for u in units_all if u != treated]
    else:
        donor_list = list(dict.fromkeys(donors))
        missing = [d for d in donor_list if d not in set(units_all)]
        if missing:
            raise InputError(
                f"donor(s) {_plain(missing[:5])!r} are not in column '{unit}'.",
                parameter="donors",
            )
        donor_list = [d for d in donor_list if d != treated]
    if len(donor_list) < 2:
        raise InputError("a synthetic control needs at least two donors.", parameter="donors")
    keep = data[unit].isin([treated, *donor_list])
    Y = data.loc[keep].pivot(index=time, columns=unit, values=outcome).sort_index()
    Y = Y[[treated, *donor_list]]
    pre = Y.index < treatment_start
    if pre.sum() < 1:
        raise InputError(
            f"no period before treatment_start={_plain(treatment_start)!r}.",
            parameter="treatment_start",
        )
    if (~pre).sum() < 1:
        raise InputError(
            f"no period from treatment_start={_plain(treatment_start)!r} on.",
            parameter="treatment_start",
        )
    if fit_periods is None:
        fit = tuple(Y.index[pre])
    else:
        fit = tuple(fit_periods)
        bad = [p for p in fit if p not in set(Y.index[pre])]
        if bad:
            raise InputError(
                f"fit period(s) {_plain(bad[:5])!r} are not pre-treatment periods in the data.",
                parameter="fit_periods",
            )
    fit_rows = Y.index.isin(fit)
    gaps_in_fit = Y.loc[fit_rows].isna().any()
    if gaps_in_fit.any():
        bad_units = list(gaps_in_fit[gaps_in_fit].index[:5])
        raise InputError(
            f"the outcome '{outcome}' is missing in the fit period for {_plain(bad_units)!r}.",
            parameter="data",
            hint="Drop these units from the donors or fill the gaps.",
        )
    pred_specs = tuple(_as_predictor(p) for p in predictors) if predictors else ()
    sub = data.loc[keep]
    units = [treated, *donor_list]
    pred_values = _predictor_values(sub, pred_specs, fit, unit=unit, time=time, units=units,
                                    parameter="predictors") if pred_specs else None
    if search not in ("synth", "wide"):
        raise InputError(f"search must be 'synth' or 'wide', not {search!r}.", parameter="search")
    v_fixed = None
    if v is not None:
        if cross_validation is not None:
            raise InputError("give either v or cross_validation, not both.", parameter="v",
                             hint="cross_validation chooses V; v gives it.")
        v_fixed = _given_v(v, pred_specs)
    cross = None
    if cross_validation is not None:
        cross = _cross_problem(cross_validation, sub, Y, pred_specs, outcome=outcome, unit=unit, time=time,
                               units=units, treatment_start=treatment_start)
    problem = _Problem(Y, pred_specs, pred_values, fit, treatment_start, n_random_starts, seed, n_searches, search,
                       v_fixed, cross)
    return problem, donor_list


# --------------------------------------------------------------------------- results


def _rmspe(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else float("nan")


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticControlResult(Result):
    """A fitted synthetic control.

    Attributes
    ----------
    weights
        Donor weights (>= 0, sum 1), a Series over all donors.
    v
        Predictor importances (diagonal of V, sum 1), or None for an
        outcome-only fit.
    treated_path, synthetic_path, gaps
        Series over time: the treated unit, its synthetic control and the
        difference (treated - synthetic).
    att
        Mean gap over the post-treatment periods.
    pre_rmspe, post_rmspe
        Root mean squared gap over the fit periods / the post periods.
    """

    treated: Hashable
    outcome: str
    treatment_start: Any
    weights: pd.Series
    v: pd.Series | None
    treated_path: pd.Series
    synthetic_path: pd.Series
    predictor_balance: pd.DataFrame | None
    _problem: _Problem = field(repr=False)
    #: Cross-validated V only: RMSPE over the validation periods of the training-stage
    #: synthetic control (W(V) from the training predictors), and that W.
    validation_rmspe: float | None = None
    validation_weights: pd.Series | None = None
    #: The arguments of the call that made this result (None for an in-time placebo).
    call: CallArguments | None = field(default=None, repr=False)

    # ---- values
    @property
    def gaps(self) -> pd.Series:
        return (self.treated_path - self.synthetic_path).rename("gap")

    @property
    def post_periods(self) -> pd.Index:
        return self.gaps.index[self.gaps.index >= self.treatment_start]

    @property
    def fit_periods(self) -> tuple[Any, ...]:
        return self._problem.fit_periods

    @property
    def att(self) -> float:
        return float(self.gaps.loc[self.post_periods].mean())

    @property
    def pre_rmspe(self) -> float:
        return _rmspe(self.gaps.loc[list(self.fit_periods)].to_numpy())

    @property
    def post_rmspe(self) -> float:
        return _rmspe(self.gaps.loc[self.post_periods].to_numpy())

    @property
    def donors(self) -> list[Hashable]:
        return list(self.weights.index)

    def weights_table(self, min_weight: float = 0.001) -> pd.DataFrame:
        """Donors with weight >= ``min_weight``, largest first."""
        w = self.weights[self.weights >= min_weight].sort_values(ascending=False)
        return w.rename("weight").rename_axis("donor").reset_index()

    # ---- Result
    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "treated": self.treated_path,
                "synthetic": self.synthetic_path,
                "gap": self.gaps,
            }
        )
        frame["post"] = frame.index >= self.treatment_start
        return frame

    def summary(self) -> str:
        top = ", ".join(f"{d} {w:.3f}" for d, w in self.weights_table().itertuples(index=False))
        return (
            f"Synthetic control for {self.treated} ({self.outcome}), treatment from "
            f"{self.treatment_start}: ATT {self.att:.3f}, pre-RMSPE {self.pre_rmspe:.3f}, "
            f"post-RMSPE {self.post_rmspe:.3f}. Weights: {top}."
        )

    def tidy(self) -> pd.DataFrame:
        """One row per statistic (``term``, ``estimate``); ``validation_rmspe`` with a cross-validated V."""
        terms = {
            "att": self.att,
            "pre_rmspe": self.pre_rmspe,
            "post_rmspe": self.post_rmspe,
            "rmspe_ratio": self.post_rmspe / self.pre_rmspe if self.pre_rmspe > 0 else np.inf,
            "n_donors": float((self.weights > 0).sum()),
        }
        if self.validation_rmspe is not None:
            terms["validation_rmspe"] = self.validation_rmspe
        return pd.DataFrame({"term": list(terms), "estimate": list(terms.values())})

    # ---- plots
    def get_plot_data(self) -> pd.DataFrame:
        """The frame behind :meth:`plot`."""
        return self.to_frame()

    def plot(self, ax: Sequence[Any] | None = None, *, labels: dict[str, str] | None = None):
        """Treated vs synthetic (left) and the gap (right); returns ``(fig, axes)``.

        ``ax``: two axes to draw on (default a new figure with two).
        """
        import matplotlib.pyplot as plt

        labels = labels or {}
        if ax is None:
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        else:
            axes = ax
            fig = axes[0].figure
        frame = self.to_frame()
        ax0, ax1 = axes[0], axes[1]
        ax0.plot(frame.index, frame["treated"], color="black", lw=2, label=labels.get("treated", str(self.treated)))
        ax0.plot(frame.index, frame["synthetic"], color="tab:blue", ls="--", lw=2,
                 label=labels.get("synthetic", f"synthetic {self.treated}"))
        ax1.plot(frame.index, frame["gap"], color="black", lw=2)
        ax1.axhline(0, color="grey", lw=1)
        for ax in (ax0, ax1):
            ax.axvline(self.treatment_start, color="grey", ls=":", lw=1)
            ax.set_xlabel(labels.get("time", "period"))
        ax0.set_ylabel(labels.get("outcome", self.outcome))
        ax1.set_ylabel(labels.get("gap", "gap (treated - synthetic)"))
        ax0.legend(frameon=False)
        fig.tight_layout()
        return fig, axes

    # ---- inference and robustness
    def refit(self, **changes: Any) -> SyntheticControlResult:
        """The same synthetic control with some arguments changed, the rest as in the original call.

        Any argument of :func:`synthetic_control` may change (``donors``,
        ``predictors``, ``treatment_start``, ``fit_periods``, ``v``,
        ``cross_validation``, ``search``...). Giving ``v`` drops the original
        ``cross_validation`` and the other way round, since the two exclude
        each other.

        Examples
        --------
        >>> res.refit(donors=[d for d in res.donors if d != "Utah"])  # doctest: +SKIP
        """
        if self.call is None:
            raise InputError("this result was not fitted by synthetic_control() (an in-time placebo), "
                             "so it cannot be refitted.", parameter="refit",
                             hint="Call synthetic_control() with the placebo's start as treatment_start.")
        unknown = sorted(set(changes) - set(self.call))
        if unknown:
            raise InputError(f"refit() got unknown argument(s) {unknown}.", parameter="refit",
                             hint=f"Arguments of synthetic_control(): {', '.join(self.call)}.")
        arguments = {**self.call, **changes}
        if changes.get("v") is not None and "cross_validation" not in changes:
            arguments["cross_validation"] = None
        if changes.get("cross_validation") is not None and "v" not in changes:
            arguments["v"] = None
        return synthetic_control(**arguments)

    def conformal(self, alpha: float = 0.1, **kw: Any):
        """Conformal inference on this synthetic control (Chernozhukov, Wüthrich & Zhu 2021, *JASA* 116(536)).

        Runs :func:`evalkit.methods.counterfactual.conformal.conformal_inference`
        on the treated unit's and the donors' outcome over all periods (the
        outcome only, not the predictors; periods where any of them is
        missing are left out), the periods before ``treatment_start`` being
        the pre-period. ``kw`` goes to it (``permutations``, ``q``, ``null``...).

        Returns
        -------
        ConformalResult
            The p-value for no effect and the ``1 - alpha`` confidence set for
            the average post-period effect.
        """
        from evalkit.methods.counterfactual.conformal import conformal_inference

        Y = self._problem.outcome_wide[[self.treated, *self.donors]].dropna()
        n_pre = int((Y.index < self.treatment_start).sum())
        return conformal_inference(Y[self.treated].to_numpy(float), Y[self.donors].to_numpy(float), n_pre,
                                   alpha=alpha, **kw)

    def placebo(self, *, treated_in_pool: bool = True, n_jobs: int = 1) -> PlaceboResult:
        """In-space placebo (ADH 2010, section 3.4): refit with every donor as 'treated'.

        Each donor in turn is treated as if it had been treated. As in ADH
        (2010, p. 501: "shifting California to the donor pool") its donor pool
        is the other donors plus the real treated unit, so every unit is fitted
        against the same set of others; ``treated_in_pool=False`` leaves the
        treated unit out (the SCtools convention). The p-value is the treated
        unit's rank of the post/pre RMSPE ratio among all units, divided by
        the number of units. ``n_jobs`` > 1 spreads the refits over that many
        forked processes (Linux/macOS; the result is the same).
        """
        if not isinstance(n_jobs, int) or n_jobs < 1:
            raise InputError(f"n_jobs must be a positive whole number, not {n_jobs!r}.", parameter="n_jobs")
        problem = self._problem
        units = [self.treated, *self.donors]
        tasks = [(d, [u for u in units if u != d and (treated_in_pool or u != self.treated)]) for d in self.donors]
        weights = _placebo_fits(problem, tasks, n_jobs)
        Y = problem.outcome_wide
        values = Y.to_numpy(float)
        position = {u: i for i, u in enumerate(Y.columns)}
        gaps = np.empty((len(Y), len(units)))
        gaps[:, 0] = self.gaps.to_numpy()
        for j, ((d, pool), w) in enumerate(zip(tasks, weights), start=1):
            gaps[:, j] = values[:, position[d]] - values[:, [position[u] for u in pool]] @ w
        gap_frame = pd.DataFrame(gaps, index=Y.index, columns=pd.Index(units))
        scale = float(np.nanmean(np.abs(Y.loc[Y.index.isin(self.fit_periods), units].to_numpy(float))))
        return PlaceboResult(
            treated=self.treated,
            outcome=self.outcome,
            treatment_start=self.treatment_start,
            fit_periods=self.fit_periods,
            gaps=gap_frame,
            outcome_scale=scale if np.isfinite(scale) else 1.0,
        )

    def in_time_placebo(self, start: Any) -> SyntheticControlResult:
        """In-time placebo (ADH 2015): pretend the treatment began at ``start``.

        Only periods before the real start are used; predictor periods are
        moved back by the same distance (periods before the data begin are
        dropped). A large 'effect' at a fake start casts doubt on the real one.
        A given V is kept (when every predictor survives the shift); a
        cross-validated V is searched anew by the pre-period fit, since its
        training and validation periods would have to move back too. The
        placebo cannot be :meth:`refit`.
        """
        problem = self._problem
        Y = problem.outcome_wide
        if not (start < self.treatment_start) or not (Y.index < start).any():
            raise InputError(
                f"the placebo start {_plain(start)!r} must lie inside the pre-treatment period.",
                parameter="start",
            )
        shift = None
        try:
            shift = self.treatment_start - start
        except TypeError:
            shift = None
        Yp = Y.loc[Y.index < self.treatment_start]
        preds: list[Predictor] = []
        values: dict[str, pd.Series] = {}
        if problem.predictors:
            long = Yp.stack().rename(self.outcome)  # only the outcome is kept here
            raw = problem.predictor_values
            assert raw is not None
            for spec in problem.predictors:
                if spec.column == self.outcome and spec.periods is not None and shift is not None:
                    periods = tuple(p - shift for p in spec.periods if (p - shift) in set(Yp.index))
                    if not periods:
                        continue
                    new = Predictor(spec.column, periods)
                    values[new.name] = long.loc[list(periods)].groupby(level=1).mean()
                    preds.append(new)
                else:
                    # Covariates are kept at their original averages (their
                    # yearly values are not stored); the outcome lags are what
                    # would leak post-placebo information.
                    preds.append(spec)
                    values[spec.name] = raw.loc[spec.name]
        fit_periods = tuple(p for p in Yp.index if p < start)
        pv = pd.DataFrame(values).T if preds else None
        new_problem = _Problem(
            Yp, tuple(preds), pv, fit_periods, start, problem.n_random_starts, problem.seed, problem.n_searches,
            problem.search, problem.v_fixed if len(preds) == len(problem.predictors) else None,
            None,
        )
        return _result_from_fit(new_problem, self.treated, self.donors, self.outcome)

    def leave_one_out(self, min_weight: float = 0.001) -> LeaveOneOutResult:
        """Refit without each donor with weight >= ``min_weight`` in turn (ADH 2015)."""
        paths = {}
        atts = {}
        for d in self.weights_table(min_weight)["donor"]:
            pool = [u for u in self.donors if u != d]
            call = None if self.call is None else CallArguments({**self.call, "donors": pool})
            res = _result_from_fit(self._problem, self.treated, pool, self.outcome, call)
            paths[d] = res.synthetic_path
            atts[d] = (res.att, res.pre_rmspe)
        return LeaveOneOutResult(
            base=self,
            synthetic_paths=pd.DataFrame(paths),
            table=pd.DataFrame(atts, index=["att", "pre_rmspe"]).T.rename_axis("left_out"),
        )


def _result_from_fit(problem: _Problem, treated: Hashable, donors: Sequence[Hashable], outcome: str,
                     call: CallArguments | None = None) -> SyntheticControlResult:
    fit = _fit_problem(problem, treated, donors)
    Y = problem.outcome_wide
    weights = pd.Series(fit.w, index=pd.Index(list(donors), name="donor"), name="weight")
    synthetic = pd.Series(Y[list(donors)].to_numpy(float) @ fit.w, index=Y.index, name="synthetic")
    balance = None
    v = None
    if problem.predictor_values is not None and fit.v is not None:
        pv = problem.predictor_values
        v = pd.Series(fit.v, index=pv.index, name="v")
        balance = pd.DataFrame(
            {
                "treated": pv[treated],
                "synthetic": pv[list(donors)].to_numpy(float) @ fit.w,
                "donor_mean": pv[list(donors)].mean(axis=1),
                "v": fit.v,
            }
        )
    return SyntheticControlResult(
        treated=treated,
        outcome=outcome,
        treatment_start=problem.treatment_start,
        weights=weights,
        v=v,
        treated_path=Y[treated].rename("treated"),
        synthetic_path=synthetic,
        predictor_balance=balance,
        _problem=problem,
        validation_rmspe=None if fit.validation_loss is None else float(np.sqrt(fit.validation_loss)),
        validation_weights=None if fit.validation_w is None else pd.Series(
            fit.validation_w, index=weights.index, name="weight"),
        call=call,
    )


@dataclass(frozen=True, eq=False, repr=False)
class PlaceboResult(Result):
    """In-space placebo: the gaps of every unit when treated as if treated.

    ``gaps`` is a time x unit frame, the real treated unit first.
    ``outcome_scale`` is the mean absolute outcome over the fit periods
    (what a "perfect" pre-period fit is measured against).

    Inference (ADH 2010, section 4): :attr:`p_value` is the classic rank of
    the post/pre RMSPE ratio. It divides by the pre-period RMSPE, so when
    placebos fit (almost) perfectly before the treatment -- common with
    many donors and an outcome-only fit, the unit inside the others' hull
    -- their ratios are huge or infinite whatever happens afterwards and
    this p-value is unreliable (see :attr:`perfect_prefits`). Then read
    :attr:`p_value_post_rmspe` (the post-period RMSPE alone) and
    :meth:`p_values_excluding` (the ratio among placebos fitted about as
    well as the treated unit, as ADH 2010 do in figs. 5-7).
    """

    treated: Hashable
    outcome: str
    treatment_start: Any
    fit_periods: tuple[Any, ...]
    gaps: pd.DataFrame
    outcome_scale: float = 1.0

    #: The chart leaves out placebos whose pre-MSPE is more than this many times the treated unit's
    #: (ADH 2010, figs. 5-7, with 20, 5 and 2).
    PLOT_MAX_PRE_MSPE_RATIO: ClassVar[float] = 5
    #: A pre-RMSPE below this times max(1, outcome scale) is a perfect pre-period fit.
    PERFECT_FIT_TOLERANCE: ClassVar[float] = 1e-6
    #: The pre-MSPE multiples of :meth:`p_values_excluding` (ADH 2010, section 4).
    EXCLUSION_MULTIPLES: ClassVar[tuple[float, ...]] = (2, 5, 20)

    def to_frame(self) -> pd.DataFrame:
        pre = self.gaps.loc[list(self.fit_periods)]
        post = self.gaps.loc[self.gaps.index >= self.treatment_start]
        pre_rmspe = np.sqrt((pre**2).mean())
        post_rmspe = np.sqrt((post**2).mean())
        frame = pd.DataFrame(
            {
                "pre_rmspe": pre_rmspe,
                "post_rmspe": post_rmspe,
                "rmspe_ratio": post_rmspe / pre_rmspe,
                "mspe_ratio": (post_rmspe / pre_rmspe) ** 2,
                "att": post.mean(),
            }
        )
        frame["rank"] = frame["rmspe_ratio"].rank(ascending=False, method="min").astype(int)
        frame["treated"] = frame.index == self.treated
        return frame.rename_axis("unit").sort_values("rank")

    @property
    def rank(self) -> int:
        return int(self.to_frame().loc[self.treated, "rank"])

    @property
    def p_value(self) -> float:
        """Share of units whose post/pre RMSPE ratio is at least the treated unit's.

        Unreliable when placebos fit perfectly before the treatment (their
        ratio divides by a pre-RMSPE near zero); see :attr:`perfect_prefits`.
        """
        return self.rank / self.gaps.shape[1]

    @property
    def perfect_fit_threshold(self) -> float:
        """The pre-RMSPE below which a fit counts as perfect."""
        return self.PERFECT_FIT_TOLERANCE * max(1.0, float(self.outcome_scale))

    @property
    def perfect_prefits(self) -> int:
        """Number of placebo units (not the treated) whose pre-RMSPE is below :attr:`perfect_fit_threshold`."""
        frame = self.to_frame()
        placebos = frame[~frame["treated"]]
        return int((placebos["pre_rmspe"] < self.perfect_fit_threshold).sum())

    def _pre_mspe_limit(self, frame: pd.DataFrame, multiple: float) -> float:
        # A treated unit fitted perfectly would exclude every placebo that is not: the
        # perfect-fit threshold is the floor of the comparison.
        treated = max(float(frame.loc[self.treated, "pre_rmspe"]), self.perfect_fit_threshold)
        return float(multiple) * treated**2

    def p_value_excluding(self, multiple: float) -> float:
        """The rank p-value of the post/pre RMSPE ratio among well-fitted placebos (ADH 2010, section 4).

        Placebos whose pre-period MSPE is more than ``multiple`` times the
        treated unit's are left out (their post-period gaps say little), the
        treated unit is always kept; the p-value is the treated unit's rank
        among the rest divided by their number.
        """
        if not (isinstance(multiple, (int, float)) and np.isfinite(multiple) and multiple > 0):
            raise InputError(f"multiple must be a positive number, not {multiple!r}.", parameter="multiple")
        frame = self.to_frame()
        kept = frame[(frame["pre_rmspe"] ** 2 <= self._pre_mspe_limit(frame, multiple)) | frame["treated"]]
        rank = kept["rmspe_ratio"].rank(ascending=False, method="min")
        return float(rank.loc[self.treated]) / len(kept)

    def p_values_excluding(self, multiples: Sequence[float] | None = None) -> dict[float, float]:
        """:meth:`p_value_excluding` for each multiple (default 2, 5 and 20, as ADH 2010)."""
        return {m: self.p_value_excluding(m) for m in (multiples or self.EXCLUSION_MULTIPLES)}

    @property
    def p_value_post_rmspe(self) -> float:
        """Share of units whose post-period RMSPE is at least the treated unit's.

        Does not divide by the pre-period RMSPE, so it holds when placebos
        fit perfectly before the treatment (but rewards no good pre-fit).
        """
        frame = self.to_frame()
        rank = frame["post_rmspe"].rank(ascending=False, method="min")
        return float(rank.loc[self.treated]) / len(frame)

    def figures(self) -> dict[str, float | int | None]:
        """The placebo test's figures under ``counterfactual.placebo.``."""
        out: dict[str, float | int | None] = {
            "counterfactual.placebo.n_units": int(self.gaps.shape[1]),
            "counterfactual.placebo.rank": self.rank,
            "counterfactual.placebo.p_value": float(self.p_value),
            "counterfactual.placebo.p_value_post_rmspe": self.p_value_post_rmspe,
            "counterfactual.placebo.perfect_prefits": self.perfect_prefits,
        }
        for m, p in self.p_values_excluding().items():
            out[f"counterfactual.placebo.p_value_excluding_{m:g}"] = p
        return out

    def att_band(self, level: float = 0.9, max_pre_rmspe_ratio: float | None = 5.0) -> tuple[float, float]:
        """Central ``level`` range of the donors' placebo ATTs.

        Donors whose pre-RMSPE exceeds ``max_pre_rmspe_ratio`` times the treated
        unit's are left out (ADH 2010 trim badly fitted placebos). A real effect
        of a size inside this band cannot be told apart from noise.
        """
        frame = self.to_frame()
        donors = frame[~frame["treated"]]
        if max_pre_rmspe_ratio is not None:
            donors = donors[donors["pre_rmspe"] <= max_pre_rmspe_ratio * frame.loc[self.treated, "pre_rmspe"]]
        lo, hi = np.quantile(donors["att"], [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)

    def summary(self) -> str:
        return (
            f"In-space placebo over {self.gaps.shape[1]} units: {self.treated} ranks {self.rank} "
            f"by post/pre RMSPE ratio, p = {self.p_value:.3f}."
        )

    def get_plot_data(self) -> pd.DataFrame:
        return self.gaps

    def _plot_kept(self) -> pd.Index:
        frame = self.to_frame()
        limit = self._pre_mspe_limit(frame, self.PLOT_MAX_PRE_MSPE_RATIO)
        return frame.index[(frame["pre_rmspe"] ** 2 <= limit) | frame["treated"]]

    def trimmed_in_plot(self) -> int:
        """How many placebos :meth:`plot` leaves out (pre-MSPE over ``PLOT_MAX_PRE_MSPE_RATIO`` x the treated's)."""
        return int(self.gaps.shape[1] - len(self._plot_kept()))

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Spaghetti plot of the placebos' gaps, badly fitted placebos left out.

        As ADH (2010, figs. 5-7), placebos whose pre-period MSPE is more than
        :attr:`PLOT_MAX_PRE_MSPE_RATIO` times the treated unit's are not
        drawn (the chart only: every p-value uses them all unless it says
        otherwise). How many were left out is ``ax.evalkit_trimmed`` and
        :meth:`trimmed_in_plot`. ``labels``: ``treated``, ``placebo``,
        ``gap``, ``time``.
        """
        fig, ax = self._plot(ax, kind="gaps", keep=self._plot_kept(), labels=labels)
        ax.evalkit_trimmed = self.trimmed_in_plot()
        return fig, ax

    def plot_ratios(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """The post/pre RMSPE ratio of every unit, ranked (ADH 2010, fig. 8)."""
        return self._plot(ax, kind="ratios", keep=None, labels=labels)

    def plot_gaps(self, ax: Any | None = None, *, max_pre_rmspe_ratio: float | None = None,
                  labels: dict[str, str] | None = None):
        """Spaghetti plot of placebo gaps.

        ``max_pre_rmspe_ratio`` drops placebos whose pre-RMSPE is more than
        that multiple of the treated unit's (ADH 2010, figs. 5-7). ``labels``:
        ``treated`` and ``placebo`` (legend), ``gap``, ``time``, ``ratio`` (axes).
        """
        keep = None
        if max_pre_rmspe_ratio is not None:
            frame = self.to_frame()
            limit = max_pre_rmspe_ratio * frame.loc[self.treated, "pre_rmspe"]
            keep = frame.index[(frame["pre_rmspe"] <= limit) | frame["treated"]]
        return self._plot(ax, kind="gaps", keep=keep, labels=labels)

    def _plot(self, ax: Any | None, *, kind: Literal["gaps", "ratios"], keep: pd.Index | None,
              labels: dict[str, str] | None):
        import matplotlib.pyplot as plt

        labels = labels or {}
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        frame = self.to_frame()
        if kind == "ratios":
            ordered = frame.sort_values("rmspe_ratio")
            colors = ["black" if t else "lightgrey" for t in ordered["treated"]]
            ax.barh([str(u) for u in ordered.index], ordered["rmspe_ratio"], color=colors)
            ax.set_xlabel(labels.get("ratio", "post/pre RMSPE ratio"))
            ax.tick_params(axis="y", labelsize=6)
        else:
            if keep is None:
                keep = frame.index
            placebo_label = labels.get("placebo", "placebos")
            for u in keep:
                if u != self.treated:
                    # One legend entry for all placebos: only the first line carries the label.
                    ax.plot(self.gaps.index, self.gaps[u], color="lightgrey", lw=0.8, label=placebo_label)
                    placebo_label = "_nolegend_"
            ax.plot(self.gaps.index, self.gaps[self.treated], color="black", lw=2,
                    label=labels.get("treated", str(self.treated)))
            ax.axhline(0, color="grey", lw=1)
            ax.axvline(self.treatment_start, color="grey", ls=":", lw=1)
            ax.set_ylabel(labels.get("gap", f"gap in {self.outcome}"))
            ax.set_xlabel(labels.get("time", "period"))
            # The treated unit first in the legend, then the placebos.
            handles, names = ax.get_legend_handles_labels()
            ax.legend(handles[::-1], names[::-1], frameon=False, loc="best", fontsize="small")
        fig.tight_layout()
        return fig, ax


@dataclass(frozen=True, eq=False, repr=False)
class LeaveOneOutResult(Result):
    """Leave-one-out robustness: the synthetic path without each weighted donor."""

    base: SyntheticControlResult
    synthetic_paths: pd.DataFrame
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> str:
        lo, hi = self.table["att"].min(), self.table["att"].max()
        return (
            f"Leave-one-out over {len(self.table)} donors: ATT from {lo:.3f} to {hi:.3f} "
            f"(all donors: {self.base.att:.3f})."
        )

    def plot(self, ax: Any | None = None, *, labels: dict[str, str] | None = None):
        """Treated, synthetic and the leave-one-out synthetic paths; returns ``(fig, ax)``."""
        import matplotlib.pyplot as plt

        labels = labels or {}

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        for d in self.synthetic_paths:
            ax.plot(self.synthetic_paths.index, self.synthetic_paths[d], color="lightgrey", lw=1)
        ax.plot(self.base.treated_path.index, self.base.treated_path, color="black", lw=2, label=str(self.base.treated))
        ax.plot(self.base.synthetic_path.index, self.base.synthetic_path, color="tab:blue", ls="--", lw=2,
                label=labels.get("synthetic", "synthetic"))
        ax.axvline(self.base.treatment_start, color="grey", ls=":", lw=1)
        ax.set_ylabel(labels.get("outcome", self.base.outcome))
        ax.legend(frameon=False)
        fig.tight_layout()
        return fig, ax


# --------------------------------------------------------------------------- public entry point


def synthetic_control(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Hashable,
    treatment_start: Any,
    predictors: Sequence[PredictorSpec] | None = None,
    donors: Sequence[Hashable] | None = None,
    fit_periods: Sequence[Any] | None = None,
    search: Literal["synth", "wide"] = "synth",
    n_starts: int = 6,
    n_random_starts: int = 20,
    seed: int = 0,
    v: Mapping[str, float] | None = None,
    cross_validation: CrossValidation | None = None,
) -> SyntheticControlResult:
    """Synthetic control estimate of a treatment effect on one unit.

    Parameters
    ----------
    data
        Long panel: one row per unit and period.
    unit, time, outcome
        Column names.
    treated
        The treated unit's value in ``unit`` (e.g. ``"California"`` or ``"3443"``).
    treatment_start
        First treated period; earlier periods are the pre-treatment period.
    predictors
        None: fit the pre-treatment path of the outcome directly (W only, one
        quadratic programme). Otherwise a list of predictors in the style of
        R's Synth: a column name (averaged over the pre-treatment period), a
        ``(column, periods)`` tuple (averaged over ``periods``; a single period
        for an outcome lag) or a :class:`Predictor`. Predictors are
        standardised by their sd across units and V is chosen to minimise the
        pre-treatment MSPE of the outcome (ADH 2010, eq. 4). If the treated
        unit lies inside the donors' predictor hull, every V balances the
        predictors exactly; the weights are then those that balance them and
        fit the pre-treatment outcome best (see the module docstring).
    donors
        Donor pool; default all units but the treated.
    fit_periods
        Pre-treatment periods whose outcome MSPE is minimised (Synth's
        ``time.optimize.ssr``); default all pre-treatment periods. The
        reported pre-RMSPE is over these periods.
    search, n_starts, n_random_starts, seed
        How V is searched. ``"synth"`` (default): Nelder-Mead with restarts
        from equal V and from Synth's regression-based V, as R's Synth does;
        this reproduces the published Prop 99 and Basque weights.
        ``"wide"``: also screens each predictor alone and ``n_random_starts``
        seeded random V's (one inner solve each) and searches from the best
        of them, ``n_starts`` local searches in all. It can find a V with a
        lower pre-treatment MSPE than the published one (it does for the
        Basque data: Catalonia 0.63, Baleares 0.22, Madrid 0.15, pre-RMSPE
        0.065 instead of 0.094), which shows how flat and multi-modal this
        objective is; compare both when the weights matter.
    v
        A given V instead of a searched one, as R Synth's ``custom.v``: a
        mapping from predictor name (:attr:`Predictor.name`, e.g.
        ``"beer (1984-1988)"``) to weight, one for every predictor; the
        weights are normalised to sum 1 and apply to the standardised
        predictors. Only W is then fitted.
    cross_validation
        A :class:`CrossValidation`: V is chosen out of sample as in ADH
        (2015): the training-period predictors' synthetic control must
        predict the outcome over the validation periods; W then comes from
        ``predictors`` with that V. The result reports ``validation_rmspe``
        and ``validation_weights``. Placebo and leave-one-out refits repeat
        the whole procedure; an in-time placebo searches V by the pre-period
        fit instead (its training predictors would have to move back too).

    Returns
    -------
    SyntheticControlResult
        ``weights``, ``v``, ``gaps``, ``att``, ``pre_rmspe``, ``plot()``,
        ``placebo()``, ``in_time_placebo()``, ``leave_one_out()``,
        ``conformal()``, ``refit()``; ``call`` holds this call's arguments.

    Examples
    --------
    >>> res = synthetic_control(smoking, unit="state", time="year", outcome="cigsale",
    ...     treated="California", treatment_start=1989,
    ...     predictors=[("lnincome", range(1980, 1989)), ("beer", range(1984, 1989)),
    ...                 ("cigsale", 1975), ("cigsale", 1980), ("cigsale", 1988)])
    >>> res.weights_table()
    """
    # The call's arguments, for refit(); the data as a shallow copy (copy-on-write keeps it
    # from the caller's later edits at no cost).
    # Iterators once, here: _prepare and the stored call both read them.
    predictors, donors, fit_periods = (
        x if x is None or isinstance(x, (Sequence, range)) else list(x) for x in (predictors, donors, fit_periods)
    )
    locals_of_call = {name: value for name, value in locals().items() if name in _PARAMETERS}
    locals_of_call["data"] = data.copy(deep=False) if isinstance(data, pd.DataFrame) else data
    problem, donor_list = _prepare(
        data,
        unit=unit,
        time=time,
        outcome=outcome,
        treated=treated,
        treatment_start=treatment_start,
        predictors=predictors,
        donors=donors,
        fit_periods=fit_periods,
        n_random_starts=n_random_starts,
        n_searches=n_starts,
        search=search,
        seed=seed,
        v=v,
        cross_validation=cross_validation,
    )
    arguments = dict(locals_of_call)
    return _result_from_fit(problem, treated, donor_list, outcome, CallArguments(arguments))


_PARAMETERS = frozenset(inspect.signature(synthetic_control).parameters)
