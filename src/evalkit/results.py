"""The one contract of evalkit's result objects.

Every public result of :mod:`evalkit.methods` derives from :class:`Result`, a
frozen dataclass with no fields of its own. A result holds data, never prose
(a chapter turns it into sentences with :mod:`evalkit.report.words`):

``to_frame()``
    Its canonical table, as a copy the caller may change.
``tidy()``
    A long frame (one row per estimate or cell), the broom idea (Robinson,
    Hayes & Couch 2023, *broom: Convert Statistical Objects into Tidy
    Tibbles*); by default the canonical table melted to ``term`` / ``estimate``.
``figures()``
    Its ``results.json`` figures: dotted keys to numbers (may be empty).
``context()``
    Plain values (numbers, strings, lists) for the report's templates.
``_repr_html_()`` and ``__repr__``
    How it shows itself in JupyterLab and a terminal: its table.
``plot(ax=None, *, labels=None)``
    Where a result has a chart: ``(fig, ax)``, labels defaulting to
    :attr:`Result.PLOT_LABELS` (English message ids the report translates
    with its catalogue, :func:`evalkit.report.i18n.plot_labels`), any of them
    overridden by ``labels=``.

A result never hands out the frames it holds: reading a frame or series
attribute gives a copy (pandas' copy-on-write makes that cheap), so a chapter
that renames the columns of ``status.by_year`` cannot change the status.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

import pandas as pd

_FRAMES = (pd.DataFrame, pd.Series)


@dataclass(frozen=True, eq=False, repr=False)
class Result:
    """Base of every result object: frozen, compared by identity, showing itself as its table.

    Subclasses are ``@dataclass(frozen=True, eq=False, repr=False)`` and
    implement :meth:`to_frame`; the rest has defaults built on it.
    """

    #: Default labels of :meth:`plot` (key -> English message id), for charts that have them.
    PLOT_LABELS: ClassVar[Mapping[str, str]] = {}

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        # Frames go out as copies: a caller's change never reaches the frozen result. Under pandas'
        # copy-on-write a shallow copy is enough and costs no data copy until someone writes to it.
        if isinstance(value, _FRAMES) and not name.startswith("__"):
            return value.copy(deep=False)
        return value

    # ------------------------------------------------------------------ the contract
    def to_frame(self) -> pd.DataFrame:
        """The result's canonical table (a copy)."""
        raise NotImplementedError(f"{type(self).__name__} has no table")

    def tidy(self) -> pd.DataFrame:
        """A long frame: the table's index columns, then ``term`` (a column) and ``estimate``."""
        frame = self.to_frame()
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        names = [n if n is not None else ("index" if frame.index.nlevels == 1 else f"level_{i}")
                 for i, n in enumerate(frame.index.names)]
        wide = frame.copy()
        wide.index = wide.index.set_names(names)
        wide.columns = [" – ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in wide.columns]
        taken = set(names) | set(wide.columns)
        term = "term" if "term" not in taken else "column"
        estimate = "estimate" if "estimate" not in taken else "value"
        return wide.reset_index().melt(id_vars=names, var_name=term, value_name=estimate)

    def figures(self) -> dict[str, float | int | None]:
        """The result's ``results.json`` figures (dotted keys to numbers); none by default."""
        return {}

    def context(self) -> dict[str, Any]:
        """Plain values for templates: the scalar fields and the figures (dots as underscores)."""
        out: dict[str, Any] = {}
        if is_dataclass(self):
            for f in fields(self):
                value = getattr(self, f.name)
                if _plain(value):
                    out[f.name] = list(value) if isinstance(value, tuple) else value
        for key, value in self.figures().items():
            out.setdefault(key.replace(".", "_"), value)
        return out

    # ------------------------------------------------------------------ display
    @property
    def _title(self) -> str:
        return type(self).__name__

    def _line(self) -> str:
        # Results that still have a one-line ``summary()`` show it under their name.
        summary = getattr(self, "summary", None)
        return summary() if callable(summary) else ""

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(classes="evalkit-table", border=0, escape=True)
        line = self._line()
        return (f"<div class='evalkit-result'><strong>{html.escape(self._title)}</strong>"
                + (f"<p>{html.escape(line)}</p>" if line else "") + f"{table}</div>")

    def __repr__(self) -> str:
        line = self._line()
        return "\n".join(p for p in (self._title, line, self.to_frame().to_string()) if p)

    def _labels(self, labels: Mapping[str, str] | None) -> dict[str, str]:
        """:attr:`PLOT_LABELS` with the caller's ``labels`` on top (for ``plot``)."""
        return dict(self.PLOT_LABELS) | dict(labels or {})


def _plain(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, tuple):
        return all(isinstance(v, (str, int, float, bool)) for v in value)
    return False


#: The name this base had before every result shared one contract (kept for code not yet moved).
ResultDisplay = Result


class NormalEstimate:
    """Mixin for a result with one effect ``att`` and its standard error ``se``: normal-approximation inference.

    ``conf_int(level)``, ``p_value`` (two-sided) and a one-row ``tidy()`` (broom's columns), shared by the
    difference-in-differences and the synthetic difference-in-differences results.
    """

    att: float
    se: float

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Normal-approximation interval ``att -/+ z se``."""
        from scipy import stats  # here: scipy.stats costs ~0.3 s at import

        z = float(stats.norm.ppf(0.5 + level / 2))
        return self.att - z * self.se, self.att + z * self.se

    @property
    def p_value(self) -> float:
        """Two-sided p-value of ``att = 0`` (NaN without a positive standard error)."""
        from scipy import stats

        return float(2 * stats.norm.sf(abs(self.att / self.se))) if self.se > 0 else float("nan")

    def _tidy_extra(self) -> dict[str, Any]:
        return {}

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        lo, hi = self.conf_int(level)
        row = {"term": "att", "estimate": self.att, "std_error": self.se,
               "statistic": self.att / self.se if self.se > 0 else float("nan"), "p_value": self.p_value,
               "conf_low": lo, "conf_high": hi} | self._tidy_extra()
        return pd.DataFrame({key: [value] for key, value in row.items()})
