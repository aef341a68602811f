"""Escape strings from the inputs before they reach a report's HTML.

Firm names and project titles come from spreadsheets made by others; a title
such as ``<script>alert(1)</script>`` must show as text. ``DataFrame.to_html``
escapes cell values and labels by default, but two common paths do not:

- ``DataFrame.style`` (a pandas ``Styler``) writes cells *and* labels raw
  unless told otherwise (``Styler.format(escape="html")`` covers the cells
  only, not the index or column labels);
- Markdown output (``IPython.display.Markdown``, markdown tables) passes
  inline HTML through to the rendered page.

:func:`escape_frame` makes a frame safe for those paths; :func:`html_table`
is ``to_html`` with escaping that cannot be switched off.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["escape_text", "escape_frame", "html_table"]


def escape_text(value: object) -> str:
    """``value`` as text with ``& < > " '`` escaped for HTML (and Markdown with HTML)."""
    return html.escape(str(value), quote=True)


def _escape_label(label: object) -> object:
    if isinstance(label, str):
        return escape_text(label)
    if isinstance(label, tuple):
        return tuple(_escape_label(part) for part in label)
    return label


def _escape_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [_escape_label(t) for t in index],
            names=[_escape_label(n) for n in index.names],
        )
    return pd.Index([_escape_label(v) for v in index], name=_escape_label(index.name), dtype=object)


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every string cell, label and label name HTML-escaped.

    Use it before ``frame.style...to_html()`` or before writing the frame as
    Markdown. Do not use it before ``DataFrame.to_html()`` (which escapes by
    itself): the text would be escaped twice and show as ``&amp;lt;``.
    Non-string cells (numbers, dates, missing values) are left as they are.
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            escaped = column.map(lambda v: escape_text(v) if isinstance(v, str) else v)
            out.isetitem(position, escaped.astype(object))
    out.index = _escape_index(out.index)
    out.columns = _escape_index(out.columns)
    return out


def html_table(frame: pd.DataFrame, **to_html_kwargs: Any) -> str:
    """``frame.to_html(...)`` with escaping always on.

    Parameters
    ----------
    frame
        The table to write.
    **to_html_kwargs
        Passed to :meth:`pandas.DataFrame.to_html`, except ``escape``.
    """
    if "escape" in to_html_kwargs:
        raise TypeError("html_table always escapes; do not pass 'escape'")
    return frame.to_html(escape=True, **to_html_kwargs)
