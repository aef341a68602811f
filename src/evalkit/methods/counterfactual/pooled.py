"""Pooled synthetic control: many treated units, each with its own start, and inference for the average.

Cavallo, Galiani, Noy & Pantano (2013), "Catastrophic Natural Disasters and
Economic Growth", *Review of Economics and Statistics* 95(5): 1549-1561,
section III. Each treated unit gets its own synthetic control, fitted on its
own pre-period from the never-treated donors; its gap (actual minus
synthetic) is lined up by *event time* (years since its start); the pooled
effect at event time ``e`` is the mean of the units' gaps at ``e``.

Inference is by permutation. For every treated unit, each donor in turn is
treated as if it had started when that unit did and is fitted from the other
donors: the unit's *placebo gaps*. A placebo average draws one placebo per
treated unit and averages them; the p-value at ``e`` is the share of placebo
averages at least as far from zero as the actual average (CGNP eq. 5, with
the ``+1`` of an exact permutation test). The statistic is a level of gaps,
not a post/pre RMSPE ratio, so placebos that fit their pre-period perfectly
(common when a unit has few pre-years) do not break it; they are counted and
reported. Optionally placebos whose pre-period fit is far worse than the
treated unit's are left out (CGNP follow Abadie et al. 2010 in this).

Fits are outcome-only (weights on the simplex minimising the pre-period
distance) with the exact solver of :mod:`evalkit.methods.counterfactual.synthetic_control`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import InputError
from evalkit.results import Result
from evalkit.methods.counterfactual.synthetic_control import simplex_least_squares

#: Fewest pre-treatment periods a treated unit needs to get a synthetic control.
MIN_PRE_PERIODS = 3
#: Placebo pre-RMSPE at or below this counts as a perfect pre-fit (rounding noise).
PERFECT_FIT = 1e-6


def _normalised(Y: np.ndarray, base: int, normalise: str | None) -> np.ndarray:
    if normalise is None:
        return Y
    level = Y[base]
    if np.any(~np.isfinite(level)) or np.any(level <= 0):
        raise InputError("an outcome is zero, negative or missing in a base year.", column="outcome",
                         hint="Normalise only a positive outcome (population, employment), or use normalise=None.")
    if normalise == "index":
        return Y / level * 100.0
    if normalise == "log":
        return np.log(Y) - np.log(level)
    raise InputError(f"'{normalise}' is not a normalisation.", parameter="normalise",
                     hint="Use None, 'index' (base year = 100) or 'log' (log difference from the base year).")


def _fit_gaps(y: np.ndarray, Y0: np.ndarray, n_pre: int) -> tuple[np.ndarray, float]:
    """Gaps of one unit against the donor columns ``Y0``, fitted on the first ``n_pre`` rows."""
    w = simplex_least_squares(Y0[:n_pre] - y[:n_pre, None])
    gap = y - Y0 @ w
    return gap, float(np.sqrt(np.mean(gap[:n_pre] ** 2)))


@dataclass(frozen=True, eq=False)
class PooledSyntheticControl(Result):
    """Result of :func:`pooled_synthetic_control` (Cavallo, Galiani, Noy & Pantano 2013).

    ``units`` has one row per treated unit (start, pre-period RMSPE, mean gap
    after the start, donors, placebos used and perfect placebo pre-fits);
    ``by_event_time`` the pooled effect by event time with its permutation
    p-value and the 5-95 % range of the placebo averages; ``att`` and
    ``p_value`` are the average over the post event times and its p-value.
    """

    _units: pd.DataFrame
    _by_event_time: pd.DataFrame
    _gaps: pd.DataFrame
    att: float
    p_value: float
    permutations: int
    seed: int

    @property
    def units(self) -> pd.DataFrame:
        return self._units.copy()

    @property
    def by_event_time(self) -> pd.DataFrame:
        return self._by_event_time.copy()

    @property
    def gaps(self) -> pd.DataFrame:
        """Each treated unit's gap (columns) by event time (rows)."""
        return self._gaps.copy()

    def to_frame(self) -> pd.DataFrame:
        return self.by_event_time

    def tidy(self) -> pd.DataFrame:
        frame = self._by_event_time.reset_index()
        return pd.DataFrame({
            "term": [f"event_time={e}" for e in frame["event_time"]] + ["post_average"],
            "estimate": [*frame["att"], self.att],
            "p_value": [*frame["p_value"], self.p_value],
        })

    def figures(self, prefix: str = "portfolio.pooled_sc") -> dict[str, float]:
        return {f"{prefix}.att": self.att, f"{prefix}.p_value": self.p_value}

    def context(self) -> dict[str, Any]:
        units = self._units
        return {
            "att": self.att, "p_value": self.p_value, "units": int(len(units)),
            "permutations": self.permutations,
            "perfect_placebo_prefits": int(units["perfect_placebo_prefits"].sum()),
            "placebos": int(units["placebos"].sum()),
            "median_pre_rmspe": float(units["pre_rmspe"].median()) if len(units) else float("nan"),
        }

    def _repr_html_(self) -> str:
        return self._by_event_time.to_html(classes="evalkit-table", border=0)

    def __repr__(self) -> str:
        return f"PooledSyntheticControl(att={self.att:.4g}, p_value={self.p_value:.3g}, units={len(self._units)})"

    def plot(self, ax: Any = None, *, labels: Mapping[str, str] | None = None):
        """The pooled gap by event time with the 5-95 % range of placebo averages."""
        import matplotlib.pyplot as plt

        words = {"effect": "Average gap", "placebo": "Placebo averages, 5-95 %",
                 "xlabel": "Years since the start", "ylabel": "Gap"} | dict(labels or {})
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 3.6))
        else:
            fig = ax.figure
        frame = self._by_event_time
        e = frame.index.to_numpy()
        ax.fill_between(e, frame["placebo_p05"], frame["placebo_p95"], color="0.85", label=words["placebo"])
        ax.plot(e, frame["att"], marker="o", color="C0", label=words["effect"])
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.axvline(-0.5, color="0.3", linewidth=0.8, linestyle=":")
        ax.set_xlabel(words["xlabel"])
        ax.set_ylabel(words["ylabel"])
        ax.legend(frameon=False)
        return fig, ax


def pooled_synthetic_control(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    starts: Mapping[Hashable, int],
    donors: Sequence[Hashable] | None = None,
    normalise: str | None = "index",
    window: tuple[int, int] | None = None,
    min_pre_periods: int = MIN_PRE_PERIODS,
    max_pre_rmspe_ratio: float | None = None,
    permutations: int = 999,
    seed: int = 0,
) -> PooledSyntheticControl:
    """Synthetic controls for many treated units with their own start years, pooled by event time.

    Parameters
    ----------
    data
        A balanced long panel (one row per unit and period).
    unit, time, outcome
        Column names.
    starts
        Treated unit -> its first treated period.
    donors
        Units to build synthetic controls from; default every unit not in ``starts``.
        Treated units are never donors.
    normalise
        ``"index"`` (each treated unit and its donors = 100 in the period before
        its start), ``"log"`` (log difference from that period) or ``None`` (levels).
    window
        Event times ``(first, last)`` to report, e.g. ``(-5, 6)``; default all observed.
    min_pre_periods
        Units with fewer pre-periods are left out (listed in ``units`` with ``used`` False).
    max_pre_rmspe_ratio
        Leave out a unit's placebos whose pre-RMSPE is more than this times the
        unit's (``None``: keep all).
    permutations
        Placebo averages drawn for the p-values (one placebo per treated unit each).
    seed
        Seed of the draws.

    Returns
    -------
    PooledSyntheticControl

    References
    ----------
    Cavallo, E., Galiani, S., Noy, I. and Pantano, J. (2013). Catastrophic natural disasters and
    economic growth. *Review of Economics and Statistics*, 95(5), 1549-1561.
    """
    for column in (unit, time, outcome):
        if column not in data.columns:
            raise InputError(f"the column '{column}' is missing.", column=column,
                             hint=f"The panel has the columns {', '.join(map(str, data.columns))}.")
    wide = data.pivot_table(index=time, columns=unit, values=outcome, aggfunc="first").sort_index()
    if wide.isna().any().any():
        gap_unit = wide.columns[wide.isna().any()].tolist()[0]
        raise InputError(f"the panel is not balanced: unit {gap_unit} lacks a value in some period.", column=outcome,
                         hint="Give every unit a value in every period (or drop the unit).")
    times = wide.index.to_numpy()
    treated = [u for u in starts if u in wide.columns]
    unknown = [u for u in starts if u not in wide.columns]
    if unknown:
        raise InputError(f"the treated unit {unknown[0]} is not in the panel.", column=unit,
                         hint="Give treated units by the codes the panel uses.")
    pool = [u for u in (donors if donors is not None else wide.columns) if u not in starts]
    if len(pool) < 2:
        raise InputError("fewer than two donor units are left after the treated units are taken out.",
                         parameter="donors", hint="Give more never-treated units as donors.")
    Yd = wide[pool].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    unit_rows, gap_columns, placebo_sets = [], {}, {}
    for u in treated:
        start = int(starts[u])
        n_pre = int(np.searchsorted(times, start))
        used = n_pre >= min_pre_periods and n_pre < len(times)
        row = {"unit": u, "start": start, "pre_periods": n_pre, "used": used, "pre_rmspe": np.nan,
               "post_mean_gap": np.nan, "placebos": 0, "perfect_placebo_prefits": 0}
        if not used:
            unit_rows.append(row)
            continue
        y = _normalised(wide[u].to_numpy(dtype=float)[:, None], n_pre - 1, normalise)[:, 0]
        Y0 = _normalised(Yd, n_pre - 1, normalise)
        gap, rmspe = _fit_gaps(y, Y0, n_pre)
        event = times - start
        gap_columns[u] = pd.Series(gap, index=event)
        placebo = np.empty((len(pool), len(times)))
        pre = np.empty(len(pool))
        others = np.ones(len(pool), dtype=bool)
        for j in range(len(pool)):
            others[j] = False
            placebo[j], pre[j] = _fit_gaps(Y0[:, j], Y0[:, others], n_pre)
            others[j] = True
        keep = np.ones(len(pool), dtype=bool)
        if max_pre_rmspe_ratio is not None:
            keep = pre <= max_pre_rmspe_ratio * max(rmspe, PERFECT_FIT)
        placebo_sets[u] = pd.DataFrame(placebo[keep].T, index=event)
        row |= {"pre_rmspe": rmspe, "post_mean_gap": float(gap[n_pre:].mean()), "placebos": int(keep.sum()),
                "perfect_placebo_prefits": int((pre[keep] <= PERFECT_FIT).sum())}
        unit_rows.append(row)
    units = pd.DataFrame(unit_rows).set_index("unit")
    if not gap_columns:
        raise InputError(f"no treated unit has {min_pre_periods} periods before its start in the panel.",
                         parameter="starts", hint="Use programmes that start later, or a longer panel.")
    gaps = pd.DataFrame(gap_columns).sort_index()
    if window is not None:
        gaps = gaps.loc[window[0]:window[1]]
    event_times = gaps.index.to_numpy()
    # Placebo averages: one placebo of each unit per draw, averaged over the units observed at e.
    draws = np.zeros((permutations, len(event_times)))
    counts = np.zeros(len(event_times))
    for u, placebos in placebo_sets.items():
        block = placebos.reindex(event_times).to_numpy()  # (event times, placebos); NaN outside the unit's span
        pick = rng.integers(0, block.shape[1], size=permutations)
        chosen = block[:, pick].T
        observed = np.isfinite(chosen)
        draws += np.where(observed, chosen, 0.0)
        counts += np.isfinite(block[:, 0])
    placebo_avg = draws / np.where(counts > 0, counts, np.nan)
    att_e = gaps.mean(axis=1).to_numpy()
    extreme = (np.abs(placebo_avg) >= np.abs(att_e) - 1e-12).sum(axis=0)
    p_e = (1 + extreme) / (1 + permutations)
    post = event_times >= 0
    if not post.any():
        raise InputError("the window has no event time at or after the start.", parameter="window",
                         hint="Use a window that ends at 0 or later, e.g. (-5, 5).")
    att = float(att_e[post].mean())
    placebo_post = placebo_avg[:, post].mean(axis=1)
    p_value = float((1 + (np.abs(placebo_post) >= abs(att) - 1e-12).sum()) / (1 + permutations))
    by_event = pd.DataFrame({
        "att": att_e,
        "p_value": p_e,
        "units": gaps.notna().sum(axis=1).to_numpy(),
        "placebo_p05": np.nanquantile(placebo_avg, 0.05, axis=0),
        "placebo_p95": np.nanquantile(placebo_avg, 0.95, axis=0),
    }, index=pd.Index(event_times, name="event_time"))
    return PooledSyntheticControl(units, by_event, gaps, att, p_value, permutations, seed)
