"""Shared display behaviour of evalkit's result objects.

A result object implements ``to_frame()`` (its canonical table) and
``summary()`` (a short text). This mixin derives the JupyterLab HTML
representation and the plain ``repr`` from them, so every result shows
itself as a table in a notebook with no extra code (the linearmodels idea).
"""

from __future__ import annotations

import html

import pandas as pd


class ResultDisplay:
    """Mixin: ``_repr_html_`` and ``__repr__`` from ``to_frame()`` and ``summary()``."""

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - implemented by results
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - implemented by results
        raise NotImplementedError

    @property
    def _title(self) -> str:
        return type(self).__name__

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(classes="evalkit-table", border=0, escape=True)
        return (
            f"<div class='evalkit-result'><strong>{html.escape(self._title)}</strong>"
            f"<p>{html.escape(self.summary())}</p>{table}</div>"
        )

    def __repr__(self) -> str:
        return f"{self._title}\n{self.summary()}\n{self.to_frame().to_string()}"
