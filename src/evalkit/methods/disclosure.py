"""Statistical disclosure control for published tables of firm data.

An evaluation publishes tables of grants and jobs by sector, project type
and year, built from figures about named firms. Before such a table is
shown, every cell that would reveal a single firm's confidential figure is
suppressed (shown as ``:``), and enough other cells are suppressed that the
hidden ones cannot be recomputed from the published cells and totals.

Method
------
*Primary suppression* (sensitivity rules, computed from the firm-level
micro-data, never guessed from the aggregated table):

- **minimum frequency**: a cell built from fewer than ``min_firms`` distinct
  firms (default 3, Statistics Norway's threshold rule);
- **dominance**: the (n,k) dominance rule with n=1, k=80 %: a cell where the
  largest firm contributes more than ``dominance_k`` of the cell's value.

*Secondary (complementary) suppression*: a suppressed cell alone in a row or
column whose total is published could be recovered by subtraction, and
subtler combinations of rows and columns can give a cell away too. An exact
audit finds every such cell: a suppressed cell can be derived from the
published cells and totals exactly when its unit vector lies in the row
space of the table's additivity constraints restricted to the suppressed
cells (the linear-algebra criterion behind Statistics Norway's
Gaussian-elimination method). Each recoverable cell then gets the cheapest
rectangle of complementary suppressions through it (the hypercube
heuristic; a pair of cells in a one-way table): totals last, then the
smallest value, then fewest firms; empty cells are never used. The audit
repeats until no suppressed cell can be recovered.

Sources: Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S.,
Schulte Nordholt, E., Spicer, K. and de Wolf, P.-P. (2012), *Statistical
Disclosure Control*, Wiley, ch. 4 "Magnitude tabular data" (sensitivity
rules; secondary cell suppression, its cost functions and the hypercube
method of Repsilber's GHMITER in tau-ARGUS). Langsrud, Ø.
(2024), "Secondary cell suppression by Gaussian elimination: an algorithm
suitable for handling issues with zeros and singletons", in *Privacy in
Statistical Databases*, LNCS 14915, doi:10.1007/978-3-031-69651-0_6
(implemented in Statistics Norway's R package GaussSuppression; no kept
Python implementation of these methods exists, hence this module).

Limits: protection is against *exact* recovery. Non-negativity of the
values can still bound a suppressed cell to an interval; interval
(sliding) protection as in tau-ARGUS's optimal methods is not attempted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from evalkit.results import Result
from evalkit.errors import InputError

__all__ = [
    "SUPPRESSED",
    "ProtectedTable",
    "protect_table",
    "firm_pseudonyms",
    "publishable_firm_names",
]

#: Statistics Norway's symbol for a figure withheld for confidentiality.
SUPPRESSED = ":"

# Status codes in the internal grid.
_PUBLISHED, _PRIMARY, _SECONDARY = 0, 1, 2
_STATUS_NAMES = {_PUBLISHED: "published", _PRIMARY: "primary", _SECONDARY: "secondary"}

# A row of the null space with a norm below this is zero: the constraint
# matrix holds only 0 and +-1 and tables are small, so SVD is well conditioned.
_RECOVERY_TOL = 1e-9


@dataclass(frozen=True, eq=False, repr=False)  # repr from ResultDisplay: shows only what is publishable
class ProtectedTable(Result):
    """A table of firm data made safe to publish.

    Attributes
    ----------
    published
        The table to show: cell values (float) and margins labelled
        ``total_label``; a suppressed cell holds the string ``":"``.
        A one-way table has one column, named after the value.
    status
        Same shape: ``"published"``, ``"primary"`` (the cell itself is
        sensitive) or ``"secondary"`` (hidden to protect another cell).
        For the analyst and for audits; never publish it, since it tells
        which cells are sensitive.
    n_firms
        Same shape: distinct firms contributing to each cell.
    min_firms, dominance_k
        The sensitivity rules used.
    value_name
        The value column the table sums.
    total_label
        Label of the margins.
    """

    published: pd.DataFrame
    status: pd.DataFrame
    n_firms: pd.DataFrame
    min_firms: int
    dominance_k: float
    value_name: str
    total_label: str

    @property
    def _title(self) -> str:
        return f"ProtectedTable: {self.value_name}"

    @property
    def suppressed(self) -> pd.DataFrame:
        """Boolean mask: ``True`` where the published cell is ``":"``."""
        return self.status != "published"

    @property
    def n_primary(self) -> int:
        """Number of primary (sensitive) suppressions."""
        return int((self.status == "primary").to_numpy().sum())

    @property
    def n_secondary(self) -> int:
        """Number of secondary (complementary) suppressions."""
        return int((self.status == "secondary").to_numpy().sum())

    @property
    def n_suppressed(self) -> int:
        """Number of cells shown as ``":"``."""
        return self.n_primary + self.n_secondary

    @property
    def is_two_way(self) -> bool:
        """Whether the table has a row and a column dimension."""
        # A one-way table has one column (the value); a two-way one has at
        # least a category and the total.
        return self.published.shape[1] > 1

    def footnote(self, lang: Literal["en", "nb"] = "en") -> str:
        """The footnote to print under the table, or ``""`` if nothing is suppressed.

        Parameters
        ----------
        lang
            ``"en"`` or ``"nb"`` (bokmål).
        """
        if lang not in ("en", "nb"):
            raise InputError(
                f"unknown language {lang!r}.", parameter="lang", hint="Use 'en' or 'nb'."
            )
        if self.n_suppressed == 0:
            return ""
        pct = _format_percent(self.dominance_k)
        if lang == "nb":
            return (
                f"`{SUPPRESSED}` = skjult for å beskytte fortrolige opplysninger om bedrifter "
                f"(færre enn {self.min_firms} bedrifter, eller én bedrift > {pct})."
            )
        return (
            f"`{SUPPRESSED}` = suppressed to protect confidential firm data "
            f"(fewer than {self.min_firms} firms or one firm > {pct})."
        )

    def to_frame(self) -> pd.DataFrame:
        """The published table (suppressed cells as ``":"``)."""
        return self.published.copy()

    def formatted(self, number_format: Callable[[float], str] = "{:,.0f}".format) -> pd.DataFrame:
        """The published table as text: numbers through ``number_format``, ``":"`` kept.

        The published frame mixes numbers and ``":"`` (object dtype), so a
        renderer that formats numeric columns would not see numbers; this
        gives it finished cells, e.g. ``formatted(words.nok)``.
        """
        return self.published.map(lambda v: v if v == SUPPRESSED else number_format(float(v)))

    def tidy(self) -> pd.DataFrame:
        """The published table in long form.

        Columns: the row dimension, the column dimension (two-way tables),
        ``value`` (NaN where suppressed) and ``suppressed`` (bool). Which
        suppressions are primary is left out on purpose (see ``status``).
        """
        frame = self.published.copy()
        row_name = frame.index.name or "row"
        col_name = frame.columns.name or "column"
        long = frame.stack(future_stack=True).rename("value").reset_index()
        long.columns = [row_name, col_name, "value"]
        long["suppressed"] = long["value"].eq(SUPPRESSED)
        long["value"] = pd.to_numeric(long["value"].where(~long["suppressed"]), errors="coerce")
        if not self.is_two_way:
            long = long.drop(columns=col_name)
        return long

    def summary(self) -> str:
        """One sentence: how many cells are hidden, and by which rules."""
        cells = self.published.size
        rules = (
            f"minimum {self.min_firms} firms per cell; (n,k) dominance with n=1, "
            f"k={_format_percent(self.dominance_k)}"
        )
        if self.n_suppressed == 0:
            return f"No cell suppressed out of {cells} ({rules})."
        return (
            f"{self.n_suppressed} of {cells} cells suppressed, shown as '{SUPPRESSED}' "
            f"({rules}; complementary suppression against recovery from totals)."
        )

    def recoverable_cells(self) -> list[tuple[object, object]]:
        """Suppressed cells that could be derived exactly from the published table.

        Returns ``(row label, column label)`` pairs; empty for a safe table.
        """
        grid_status = (self.status != "published").to_numpy()
        lines = _lines(*grid_status.shape, two_way=self.is_two_way)
        rows, cols = self.published.index, self.published.columns
        return [(rows[i], cols[j]) for i, j in _recoverable(grid_status, lines)]

    def plot(self, ax=None, *, labels: dict[str, str] | None = None):  # noqa: ANN001 - matplotlib Axes
        """Bar chart of the published interior cells; suppressed cells get no bar.

        A suppressed cell is marked with ``":"`` at the base of its place and
        the footnote is written under the chart, so the chart publishes no
        more than the table. ``labels``: ``ylabel`` (default the value's name)
        and ``footnote`` (default :meth:`footnote` in English; pass the report's).

        Returns
        -------
        (fig, ax)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        interior = self.published.drop(index=self.total_label)
        if self.is_two_way:
            interior = interior.drop(columns=self.total_label)
        n_rows, n_cols = interior.shape
        width = 0.8 / n_cols
        positions = np.arange(n_rows)
        for j, column in enumerate(interior.columns):
            cells = interior[column]
            x = positions - 0.4 + width * (j + 0.5)
            shown = cells.ne(SUPPRESSED).to_numpy()
            heights = pd.to_numeric(cells.where(shown), errors="coerce").to_numpy(dtype=float)
            label = str(column) if self.is_two_way else None
            ax.bar(x[shown], heights[shown], width=width * 0.95, label=label)
            for xi in x[~shown]:
                ax.annotate(SUPPRESSED, (xi, 0), ha="center", va="bottom")
        ax.set_xticks(positions)
        ax.set_xticklabels([str(r) for r in interior.index], rotation=30, ha="right")
        labels = labels or {}
        ax.set_ylabel(labels.get("ylabel", self.value_name))
        if self.is_two_way:
            ax.legend(title=str(interior.columns.name or ""), fontsize="small")
        note = labels["footnote"] if "footnote" in labels else self.footnote("en")
        if note:
            fig.text(0.01, 0.01, note.replace("`", ""), fontsize="small", ha="left", va="bottom")
        return fig, ax


def protect_table(
    micro: pd.DataFrame,
    *,
    rows: str,
    value: str,
    columns: str | None = None,
    firm: str = "org_number",
    min_firms: int = 3,
    dominance_k: float = 0.80,
    cost: Literal["value", "firms"] = "value",
    row_order: Sequence[object] | None = None,
    column_order: Sequence[object] | None = None,
    total_label: str = "Total",
) -> ProtectedTable:
    """Sum firm-level data into a one- or two-way table and suppress what is confidential.

    Parameters
    ----------
    micro
        Firm-level micro-data: one row per contribution (a grant, a job
        registration), with a firm id column, one or two grouping columns
        and a non-negative value column. A firm may have several rows.
    rows, columns
        Grouping columns of the table's rows and (optionally) columns.
    value
        The column summed in each cell (e.g. ``grant_paid_nok``).
    firm
        The firm id column (organisation number).
    min_firms
        Minimum number of distinct firms for a cell to be published
        (Statistics Norway: 3).
    dominance_k
        (n,k) dominance rule with n=1: a cell is sensitive when its largest
        firm contributes *more than* this share of the cell value.
    cost
        Complement choice: ``"value"`` (smallest value, then fewest firms)
        or ``"firms"`` (fewest firms, then smallest value); Hundepool et al.
        (2012), ch. 4, on cost functions of secondary suppression.
    row_order, column_order
        Categories to show, in order; categories with no data appear as
        empty cells (value 0). Default: the categories present, sorted.
    total_label
        Label of the margins.

    Returns
    -------
    ProtectedTable

    Raises
    ------
    InputError
        A missing column, a missing key, a non-numeric, missing or negative
        value, or a parameter out of range.

    Notes
    -----
    Margins (row totals, column totals, grand total) are always part of the
    table: a reader knows them anyway from the report's text. Their own
    sensitivity is computed from the micro-data like any cell. Empty cells
    (no firm) are published as 0 and never used as complements. See the
    module docstring for the method and its sources.

    Examples
    --------
    >>> import pandas as pd
    >>> micro = pd.DataFrame({
    ...     "org_number": ["1", "2", "3", "4", "5", "6", "7"],
    ...     "sector": ["IKT", "IKT", "Industri", "Industri", "Industri", "Reiseliv", "Reiseliv"],
    ...     "grant": [10.0, 20.0, 30.0, 30.0, 30.0, 5.0, 5.0],
    ... })
    >>> t = protect_table(micro, rows="sector", value="grant")
    >>> t.published["grant"].tolist()
    [':', 90.0, ':', 130.0]
    """
    _check_parameters(micro, rows, columns, value, firm, min_firms, dominance_k, cost, total_label)
    data = _checked_micro(micro, rows, columns, value, firm)
    two_way = columns is not None
    row_cats = _categories(data[rows], row_order, "row_order", total_label)
    col_cats = (
        _categories(data[columns], column_order, "column_order", total_label)  # type: ignore[index]
        if two_way
        else [value]
    )

    # Per-firm sums in every interior cell and margin: the sensitivity rules
    # are about firms, so contributions of one firm are added up first.
    row_idx = pd.Categorical(data[rows], categories=row_cats).codes
    col_idx = (
        pd.Categorical(data[columns], categories=col_cats).codes if two_way else np.zeros(len(data), int)
    )
    n_r, n_c = len(row_cats), len(col_cats)
    shape = (n_r + 1, n_c + 1) if two_way else (n_r + 1, 1)
    keyed = pd.DataFrame(
        {"r": row_idx, "c": col_idx, "firm": data[firm].to_numpy(), "v": data[value].to_numpy(float)}
    )
    values = np.zeros(shape)
    n_firms = np.zeros(shape, dtype=int)
    largest = np.zeros(shape)
    groupings = [(["r", "c"], None, None), (["c"], n_r, None)]
    if two_way:
        groupings += [(["r"], None, n_c), ([], n_r, n_c)]
    for keys, fixed_r, fixed_c in groupings:
        per_firm = keyed.groupby([*keys, "firm"], sort=False)["v"].sum().reset_index()
        if keys:
            stats = per_firm.groupby(keys, sort=False)["v"].agg(["sum", "count", "max"]).reset_index()
        else:
            stats = pd.DataFrame(
                {"sum": [per_firm["v"].sum()], "count": [len(per_firm)], "max": [per_firm["v"].max()]}
            )
        r = stats["r"].to_numpy() if fixed_r is None else np.full(len(stats), fixed_r)
        c = stats["c"].to_numpy() if fixed_c is None else np.full(len(stats), fixed_c)
        if not two_way:
            c = np.zeros(len(stats), int)
        values[r, c] = stats["sum"].to_numpy()
        n_firms[r, c] = stats["count"].to_numpy()
        largest[r, c] = np.nan_to_num(stats["max"].to_numpy())

    status = np.full(shape, _PUBLISHED)
    few = (n_firms > 0) & (n_firms < min_firms)
    # Strictly "more than k"; a cell worth 0 has no dominant firm.
    dominated = (values > 0) & (largest > dominance_k * values)
    status[few | dominated] = _PRIMARY

    lines = _lines(*shape, two_way=two_way)
    _complementary_suppression(status, values, n_firms, lines, cost=cost, two_way=two_way)

    row_labels = pd.Index([*row_cats, total_label], name=rows)
    col_labels = pd.Index([*col_cats, total_label] if two_way else col_cats, name=columns)
    published = (
        pd.DataFrame(values, index=row_labels, columns=col_labels)
        .astype(object)
        .where(status == _PUBLISHED, SUPPRESSED)
    )
    status_frame = pd.DataFrame(
        np.vectorize(_STATUS_NAMES.get, otypes=[object])(status), index=row_labels, columns=col_labels
    )
    return ProtectedTable(
        published=published,
        status=status_frame,
        n_firms=pd.DataFrame(n_firms, index=row_labels, columns=col_labels),
        min_firms=min_firms,
        dominance_k=float(dominance_k),
        value_name=value,
        total_label=total_label,
    )


def firm_pseudonyms(org_numbers: Iterable[object], *, prefix: str = "Bedrift") -> dict[str, str]:
    """Stable pseudonyms for firms: ``"Bedrift 01"``, ``"Bedrift 02"``, ... by organisation number.

    Build the mapping once from the full firm register, so a firm keeps its
    pseudonym in every table of a report.

    Parameters
    ----------
    org_numbers
        Organisation numbers (duplicates allowed); sorted as text, which for
        9-digit numbers is numeric order.
    prefix
        Word before the number.

    Returns
    -------
    dict
        Organisation number (as ``str``) to pseudonym; numbers are zero-padded
        to at least two digits.
    """
    ids: list[str] = []
    for position, org in enumerate(org_numbers):
        if org is None or (isinstance(org, float) and np.isnan(org)) or str(org).strip() == "":
            raise InputError(
                f"organisation number {position + 1} in the list is missing.",
                parameter="org_numbers",
                hint="Every firm needs an organisation number before names can be pseudonymised.",
            )
        ids.append(str(org).strip())
    unique = sorted(set(ids))
    width = max(2, len(str(len(unique))))
    return {org: f"{prefix} {i:0{width}d}" for i, org in enumerate(unique, start=1)}


def publishable_firm_names(
    frame: pd.DataFrame,
    *,
    publish_firm_names: bool,
    firm: str = "org_number",
    name: str = "name",
    pseudonyms: Mapping[str, str] | None = None,
    prefix: str = "Bedrift",
) -> pd.DataFrame:
    """A copy of ``frame`` whose firm names may be published.

    When ``publish_firm_names`` is true the frame is returned unchanged (as a
    copy). Otherwise each firm's name is replaced by its pseudonym and the
    organisation-number column is dropped, since an organisation number
    names the firm in the public Brønnøysund register just as well.

    Parameters
    ----------
    frame
        A table with a firm id column and a firm name column.
    publish_firm_names
        The evaluation's parameter: may firm names appear in the report?
    firm, name
        The id and name columns.
    pseudonyms
        Mapping from :func:`firm_pseudonyms` built on the whole firm register
        (default: built from this frame alone).
    prefix
        Pseudonym prefix when ``pseudonyms`` is not given.
    """
    if not isinstance(publish_firm_names, (bool, np.bool_)):
        raise InputError(
            f"must be true or false, got {publish_firm_names!r}.",
            parameter="publish_firm_names",
        )
    if publish_firm_names:
        return frame.copy()
    for column in (firm, name):
        if column not in frame.columns:
            raise InputError(
                "column is missing.",
                column=column,
                hint=f"The table has columns {list(map(str, frame.columns))}.",
            )
    if pseudonyms is None:
        pseudonyms = firm_pseudonyms(frame[firm], prefix=prefix)
    ids = frame[firm].map(lambda v: v if pd.isna(v) else str(v).strip())
    unknown = ~ids.isin(list(pseudonyms))
    if unknown.any():
        position = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"firm {ids.iloc[position]!r} has no pseudonym.",
            row=position + 2,
            column=firm,
            hint="Build the pseudonyms with firm_pseudonyms() from the whole firm register.",
        )
    out = frame.copy()
    out[name] = ids.map(pseudonyms).to_numpy()
    return out.drop(columns=firm)


# --- internals -----------------------------------------------------------------


def _format_percent(share: float) -> str:
    return f"{share * 100:g} %"


def _check_parameters(
    micro: object,
    rows: str,
    columns: str | None,
    value: str,
    firm: str,
    min_firms: int,
    dominance_k: float,
    cost: str,
    total_label: str,
) -> None:
    if not isinstance(micro, pd.DataFrame):
        raise InputError(
            f"must be a pandas DataFrame of firm-level data, got {type(micro).__name__}.",
            parameter="micro",
        )
    if isinstance(min_firms, bool) or not isinstance(min_firms, (int, np.integer)) or min_firms < 1:
        raise InputError(
            f"must be a whole number >= 1, got {min_firms!r}.",
            parameter="min_firms",
            hint="Statistics Norway publishes cells of at least 3 firms: use 3.",
        )
    if not isinstance(dominance_k, (int, float, np.floating)) or not 0 < float(dominance_k) <= 1:
        raise InputError(
            f"must be a share in (0, 1], got {dominance_k!r}.",
            parameter="dominance_k",
            hint="Write 80 % as 0.80.",
        )
    if cost not in ("value", "firms"):
        raise InputError(f"unknown cost {cost!r}.", parameter="cost", hint="Use 'value' or 'firms'.")
    if columns is not None and columns == rows:
        raise InputError(
            "rows and columns are the same column.",
            parameter="columns",
            hint="Give two different grouping columns, or columns=None for a one-way table.",
        )
    names = {"rows": rows, "value": value, "firm": firm}
    if columns is not None:
        names["columns"] = columns
    for parameter, column in names.items():
        if column not in micro.columns:
            raise InputError(
                "column is missing from the firm-level data.",
                column=str(column),
                parameter=parameter,
                hint=f"The data have columns {list(map(str, micro.columns))}.",
            )
    if value in (rows, columns, firm):
        raise InputError("the value column is also a key column.", parameter="value")


def _checked_micro(
    micro: pd.DataFrame, rows: str, columns: str | None, value: str, firm: str
) -> pd.DataFrame:
    keys = [firm, rows] + ([columns] if columns is not None else [])
    for key in keys:
        missing = micro[key].isna().to_numpy()
        if missing.any():
            raise InputError(
                "is empty: every contribution needs a firm and a category.",
                row=int(np.flatnonzero(missing)[0]) + 2,
                column=key,
                hint="Fill in the missing value or remove the row.",
            )
    numbers = pd.to_numeric(micro[value], errors="coerce")
    bad = (numbers.isna() & micro[value].notna()).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{micro[value].iloc[i]!r} is not a number.",
            row=i + 2,
            column=value,
            hint="Amounts are plain numbers with '.' as decimal mark.",
        )
    missing = numbers.isna().to_numpy()
    if missing.any():
        raise InputError(
            "is empty.",
            row=int(np.flatnonzero(missing)[0]) + 2,
            column=value,
            hint="Give 0 if the contribution is nil, or remove the row.",
        )
    if not np.isfinite(numbers.to_numpy(float)).all():
        i = int(np.flatnonzero(~np.isfinite(numbers.to_numpy(float)))[0])
        raise InputError("is infinite.", row=i + 2, column=value, hint="Give a finite amount.")
    negative = (numbers < 0).to_numpy()
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise InputError(
            f"is negative ({numbers.iloc[i]:g}); disclosure rules need amounts >= 0.",
            row=i + 2,
            column=value,
            hint="Correct the amount; repayments belong in a separate table.",
        )
    data = micro[keys].copy()
    data[value] = numbers.to_numpy(float)
    return data


def _categories(
    present: pd.Series, order: Sequence[object] | None, parameter: str, total_label: str
) -> list[object]:
    seen = list(pd.unique(present))
    if order is None:
        try:
            cats = sorted(seen)
        except TypeError:  # mixed types: sort by text, still deterministic
            cats = sorted(seen, key=str)
    else:
        cats = list(order)
        if len(set(cats)) != len(cats):
            raise InputError("lists a category twice.", parameter=parameter)
        absent = [c for c in seen if c not in set(cats)]
        if absent:
            raise InputError(
                f"leaves out categories present in the data: {absent[:5]}.",
                parameter=parameter,
                hint="List every category, or leave the parameter out.",
            )
    if not cats:
        raise InputError(
            "the table has no category: the firm-level data are empty.",
            parameter=parameter,
            hint="Give row_order/column_order to publish an empty table.",
        )
    if total_label in cats:
        raise InputError(
            f"a category is called {total_label!r}, the label of the margins.",
            parameter="total_label",
            hint="Choose another total_label.",
        )
    return cats


Line = tuple[list[tuple[int, int]], tuple[int, int]]


def _lines(n_rows: int, n_cols: int, *, two_way: bool) -> list[Line]:
    """Additivity constraints of the grid: (interior cells of a line, its total)."""
    if not two_way:
        return [([(i, 0) for i in range(n_rows - 1)], (n_rows - 1, 0))]
    lines: list[Line] = []
    for i in range(n_rows):
        lines.append(([(i, j) for j in range(n_cols - 1)], (i, n_cols - 1)))
    for j in range(n_cols):
        lines.append(([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j)))
    return lines


def _recoverable(hidden: np.ndarray, lines: list[Line]) -> list[tuple[int, int]]:
    """Hidden cells fixed uniquely by the published cells and the additivity constraints.

    With the published cells moved to the right-hand side, the constraints
    are ``A x = b`` over the hidden cells ``x``. ``x_k`` is determined exactly
    when every solution of ``A z = 0`` has ``z_k = 0``, i.e. when row ``k`` of
    a basis of the null space of ``A`` is zero.
    """
    cells = [tuple(ij) for ij in np.argwhere(hidden)]
    if not cells:
        return []
    position = {cell: k for k, cell in enumerate(cells)}
    a = np.zeros((len(lines), len(cells)))
    for row, (members, total) in enumerate(lines):
        for cell in members:
            if cell in position:
                a[row, position[cell]] = 1.0
        if total in position:
            a[row, position[total]] = -1.0
    basis = null_space(a)
    if basis.shape[1] == 0:
        return cells
    norms = np.linalg.norm(basis, axis=1)
    return [cell for cell, norm in zip(cells, norms) if norm < _RECOVERY_TOL]


def _protecting_sets(
    target: tuple[int, int], shape: tuple[int, int], *, two_way: bool
) -> Iterable[tuple[tuple[int, int], ...]]:
    """Smallest sets of cells whose joint suppression hides ``target``.

    In a two-way table with margins every rectangle of the extended grid
    (margins included) carries a perturbation (+d/-d at its corners) that
    leaves all totals unchanged, so a hidden rectangle through ``target``
    makes it unrecoverable; in a one-way table a pair of cells does.
    """
    n_rows, n_cols = shape
    i, j = target
    if not two_way:
        for other in range(n_rows):
            if other != i:
                yield (target, (other, 0))
        return
    for i2 in range(n_rows):
        for j2 in range(n_cols):
            if i2 != i and j2 != j:
                yield (target, (i, j2), (i2, j), (i2, j2))


def _complementary_suppression(
    status: np.ndarray,
    values: np.ndarray,
    n_firms: np.ndarray,
    lines: list[Line],
    *,
    cost: str,
    two_way: bool,
) -> None:
    """Add secondary suppressions in place until no hidden cell is recoverable.

    The hypercube heuristic (Repsilber's GHMITER, used in tau-ARGUS;
    Hundepool et al. 2012, ch. 4): each hidden cell that the exact audit
    finds recoverable gets the cheapest rectangle (a pair in a one-way table)
    of further suppressions through it. Cost: totals last (a report needs
    its totals), then the smallest sum of values (or of firms), then fewest
    firms (or smallest values). Adding suppressions never makes another
    cell recoverable, so each round protects one more cell for good.
    """
    n_rows, n_cols = status.shape

    def level(cell: tuple[int, int]) -> int:
        # 0 interior, 1 a margin, 2 the grand total.
        i, j = cell
        return int(i == n_rows - 1) + int(two_way and j == n_cols - 1)

    def price(cells: tuple[tuple[int, int], ...]) -> tuple | None:
        new = [c for c in cells if status[c] == _PUBLISHED]
        # Empty cells are known zeros to any reader of the programme: hiding
        # them protects nothing, so they are never complements.
        if any(n_firms[c] == 0 for c in new):
            return None
        value = sum(float(values[c]) for c in new)
        firms = sum(int(n_firms[c]) for c in new)
        first, second = (value, firms) if cost == "value" else (firms, value)
        return (sum(level(c) for c in new), first, second, len(new), sorted(new))

    while True:
        recoverable = _recoverable(status != _PUBLISHED, lines)
        if not recoverable:
            return
        # Primary cells first, in table order: deterministic for any row order of the data.
        target = min(recoverable, key=lambda c: (status[c] != _PRIMARY, c))
        priced = [
            (p, cells)
            for cells in _protecting_sets(target, (n_rows, n_cols), two_way=two_way)
            if (p := price(cells)) is not None
        ]
        if not priced:  # pragma: no cover - the margins through a non-empty cell always qualify
            raise RuntimeError(f"no complementary suppression protects cell {target}")
        _, cells = min(priced, key=lambda pc: pc[0])
        for cell in cells:
            if status[cell] == _PUBLISHED:
                status[cell] = _SECONDARY
