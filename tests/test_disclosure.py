"""Tests of statistical disclosure control (evalkit.methods.disclosure).

Expected tables are worked out by hand in the comments; the property tests
check the published table against an independent re-computation of the
sensitivity rules and an independent exact-recovery audit (matrix rank).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.methods.disclosure import (
    SUPPRESSED,
    firm_pseudonyms,
    protect_table,
    publishable_firm_names,
)
from evalkit.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "vestre_toten"


def micro_from_cells(cells: dict[tuple, list[float]], keys: tuple[str, ...]) -> pd.DataFrame:
    """One firm per contribution, firms numbered across the whole table."""
    records, firm = [], 0
    for cell, contributions in cells.items():
        cell = cell if isinstance(cell, tuple) else (cell,)
        for amount in contributions:
            firm += 1
            records.append({"org_number": f"{900000000 + firm}", **dict(zip(keys, cell)), "v": amount})
    return pd.DataFrame(records)


# --- independent checks used by the property tests -------------------------------


def cell_members(micro: pd.DataFrame, rows: str, columns: str | None, table) -> dict:
    """Micro rows of every published cell (margins included), by label."""
    total = table.total_label
    out = {}
    for r in table.published.index:
        for c in table.published.columns:
            mask = pd.Series(True, index=micro.index)
            if r != total:
                mask &= micro[rows] == r
            if columns is not None and c != total:
                mask &= micro[columns] == c
            out[(r, c)] = micro[mask]
    return out


def exactly_recoverable(hidden: np.ndarray, two_way: bool) -> list[tuple[int, int]]:
    """Rank test: x_k is determined iff adding e_k to the constraint rows keeps the rank."""
    cells = [tuple(c) for c in np.argwhere(hidden)]
    if not cells:
        return []
    n_rows, n_cols = hidden.shape
    lines = []
    if two_way:
        for i in range(n_rows):
            lines.append(([(i, j) for j in range(n_cols - 1)], (i, n_cols - 1)))
        for j in range(n_cols):
            lines.append(([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j)))
    else:
        lines.append(([(i, 0) for i in range(n_rows - 1)], (n_rows - 1, 0)))
    a = np.zeros((len(lines), len(cells)))
    for r, (members, total) in enumerate(lines):
        for k, cell in enumerate(cells):
            if cell in members:
                a[r, k] = 1
            elif cell == total:
                a[r, k] = -1
    rank = np.linalg.matrix_rank(a)
    found = []
    for k, cell in enumerate(cells):
        e = np.zeros((1, len(cells)))
        e[0, k] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            found.append(cell)
    return found


# --- hand-made cases --------------------------------------------------------------


def test_cell_of_two_firms_is_suppressed_with_cheapest_complement():
    # IKT has 2 firms -> primary. Alone in the line with a published total it
    # would be total - rest = 255 - 210 = 30, so the cheapest other cell,
    # Reiseliv (15 < 90 < 120 and interior before the total), is hidden too.
    micro = micro_from_cells(
        {
            "IKT": [10, 20],
            "Industri": [30, 30, 30],
            "Reiseliv": [5, 5, 5],
            "Handel": [40, 40, 40],
        },
        ("sector",),
    )
    table = protect_table(micro, rows="sector", value="v")
    col = table.published["v"]
    assert col["IKT"] == SUPPRESSED
    assert col["Reiseliv"] == SUPPRESSED
    assert col["Industri"] == 90.0
    assert col["Handel"] == 120.0
    assert col["Total"] == 255.0
    assert table.status.loc["IKT", "v"] == "primary"
    assert table.status.loc["Reiseliv", "v"] == "secondary"
    assert (table.n_primary, table.n_secondary) == (1, 1)
    assert table.n_firms.loc["Total", "v"] == 11
    assert table.recoverable_cells() == []


def test_cost_firms_chooses_fewest_firms():
    # By value Reiseliv (15, 5 firms) would be chosen; by firms Industri (3 firms).
    micro = micro_from_cells(
        {"IKT": [10, 20], "Industri": [30, 30, 30], "Reiseliv": [3, 3, 3, 3, 3]},
        ("sector",),
    )
    by_value = protect_table(micro, rows="sector", value="v")
    by_firms = protect_table(micro, rows="sector", value="v", cost="firms")
    assert by_value.status["v"].tolist() == ["primary", "published", "secondary", "published"]
    assert by_firms.status["v"].tolist() == ["primary", "secondary", "published", "published"]


@pytest.mark.parametrize(
    ("contributions", "sensitive"),
    [
        ([85, 10, 5], True),  # 85 % > 80 %
        ([80, 10, 10], False),  # exactly 80 % is not *more than* 80 %
        ([81, 10, 9], True),
        ([34, 33, 33], False),
        ([0, 0, 0], False),  # a zero cell has no dominant firm
    ],
)
def test_dominance_rule_n1_k80(contributions, sensitive):
    micro = micro_from_cells(
        {"A": contributions, "B": [10, 10, 10], "C": [10, 10, 10]}, ("sector",)
    )
    table = protect_table(micro, rows="sector", value="v")
    assert (table.status.loc["A", "v"] == "primary") is sensitive


def test_dominance_adds_up_a_firms_rows_and_counts_distinct_firms():
    # Firm X has two grants (50 + 40) in a cell of 100: 90 % -> dominated,
    # though no single row is above 80 %. Firm Y alone with three rows is one firm.
    micro = pd.DataFrame(
        {
            "org_number": ["X", "X", "B", "C", "Y", "Y", "Y", "D", "E", "F"],
            "sector": ["A", "A", "A", "A", "B", "B", "B", "C", "C", "C"],
            "v": [50, 40, 5, 5, 1, 1, 1, 10, 10, 10],
        }
    )
    table = protect_table(micro, rows="sector", value="v")
    assert table.status.loc["A", "v"] == "primary"
    assert table.n_firms.loc["A", "v"] == 3
    assert table.n_firms.loc["B", "v"] == 1
    assert table.status.loc["B", "v"] == "primary"
    # Two primaries in the one line protect each other; total 133 is safe (X: 68 %).
    assert table.published["v"].tolist() == [SUPPRESSED, SUPPRESSED, 30.0, 133.0]


def test_dominance_k_and_min_firms_are_parameters():
    micro = micro_from_cells({"A": [70, 20, 10], "B": [10] * 4, "C": [10] * 4}, ("sector",))
    assert protect_table(micro, rows="sector", value="v").n_suppressed == 0
    strict = protect_table(micro, rows="sector", value="v", dominance_k=0.6)
    assert strict.status.loc["A", "v"] == "primary"
    five = protect_table(micro, rows="sector", value="v", min_firms=4)
    assert five.status.loc["A", "v"] == "primary"


def test_two_way_lone_suppression_would_be_recoverable_from_margins():
    # Cell (S1,T1) has 2 firms. Hidden alone it is row total - (S1,T2) = 40 - 30.
    # Cheapest rectangle through it: (S1,T2)=30, (S2,T1)=20, (S2,T2)=60 -> 110,
    # against 30+40+50 = 120 through S3, and any rectangle using a total.
    micro = micro_from_cells(
        {
            ("S1", "T1"): [5, 5],
            ("S1", "T2"): [10, 10, 10],
            ("S2", "T1"): [20 / 3] * 3,
            ("S2", "T2"): [20, 20, 20],
            ("S3", "T1"): [40 / 3] * 3,
            ("S3", "T2"): [50 / 3] * 3,
        },
        ("sector", "type"),
    )
    table = protect_table(micro, rows="sector", columns="type", value="v")
    expected_hidden = {("S1", "T1"), ("S1", "T2"), ("S2", "T1"), ("S2", "T2")}
    hidden = {
        (r, c) for r in table.published.index for c in table.published.columns if table.suppressed.loc[r, c]
    }
    assert hidden == expected_hidden
    assert table.status.loc["S1", "T1"] == "primary"
    pub = table.published
    assert pub.loc["S3", "T1"] == pytest.approx(40.0)
    assert pub.loc["S1", "Total"] == pytest.approx(40.0)
    assert pub.loc["S2", "Total"] == pytest.approx(80.0)
    assert pub.loc["Total", "Total"] == pytest.approx(210.0)
    assert table.recoverable_cells() == []


def test_audit_catches_recovery_through_several_lines():
    # Extended 4 x 4 grid (3 categories + margins each way). Two hidden
    # rectangles joined by one hidden cell (1,2): every row and column holds
    # two or more hidden cells, yet (1,2) = row-1 total - (x10 + x11), and
    # x10 + x11 = col-0 + col-1 totals - row-0 total, all known.
    from evalkit.methods.disclosure import _lines, _recoverable

    hidden = np.zeros((4, 4), dtype=bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)]:
        hidden[cell] = True
    assert all(hidden[i, :].sum() != 1 for i in range(4))
    assert all(hidden[:, j].sum() != 1 for j in range(4))
    assert _recoverable(hidden, _lines(4, 4, two_way=True)) == [(1, 2)]
    assert exactly_recoverable(hidden, two_way=True) == [(1, 2)]


def test_no_suppression_needed():
    micro = micro_from_cells(
        {("A", "x"): [1, 1, 1], ("A", "y"): [2, 2, 2], ("B", "x"): [3, 3, 3], ("B", "y"): [4, 4, 4]},
        ("sector", "type"),
    )
    table = protect_table(micro, rows="sector", columns="type", value="v")
    assert table.n_suppressed == 0
    assert table.footnote("en") == "" and table.footnote("nb") == ""
    expected = pd.DataFrame(
        [[3.0, 6.0, 9.0], [9.0, 12.0, 21.0], [12.0, 18.0, 30.0]],
        index=pd.Index(["A", "B", "Total"], name="sector"),
        columns=pd.Index(["x", "y", "Total"], name="type"),
    )
    pd.testing.assert_frame_equal(table.to_frame().astype(float), expected)
    assert "No cell suppressed out of 9" in table.summary()


def test_all_interior_cells_suppressed_total_kept():
    # Three one-firm sectors: all primary; the total has 3 firms of 1/3 each: safe,
    # and three unknowns with one equation leave each undetermined.
    micro = micro_from_cells({"A": [10], "B": [10], "C": [10]}, ("sector",))
    table = protect_table(micro, rows="sector", value="v")
    assert table.published["v"].tolist() == [SUPPRESSED] * 3 + [30.0]
    assert table.n_primary == 3 and table.n_secondary == 0


def test_whole_table_suppressed_when_total_is_sensitive():
    micro = micro_from_cells({("A", "x"): [10], ("B", "y"): [10]}, ("sector", "type"))
    table = protect_table(micro, rows="sector", columns="type", value="v")
    # Total has 2 firms -> primary; every non-empty cell goes; empty cells stay 0.
    assert table.published.loc["Total", "Total"] == SUPPRESSED
    assert table.published.loc["A", "y"] == 0.0
    assert table.published.loc["B", "x"] == 0.0
    assert table.n_suppressed == 7
    assert table.recoverable_cells() == []


def test_zero_cells_are_published_and_never_complements():
    # (B, x) is empty. The cheapest rectangle through (A, x) would use it
    # (value 0) but empty cells are known zeros, so the rectangle through C is taken.
    micro = micro_from_cells(
        {
            ("A", "x"): [1, 1],
            ("A", "y"): [3, 3, 3],
            ("B", "y"): [4, 4, 4],
            ("C", "x"): [5, 5, 5],
            ("C", "y"): [6, 6, 6],
        },
        ("sector", "type"),
    )
    table = protect_table(micro, rows="sector", columns="type", value="v")
    assert table.published.loc["B", "x"] == 0.0
    assert table.status.loc["B", "x"] == "published"
    assert table.n_firms.loc["B", "x"] == 0
    assert set(table.status.stack()[table.status.stack() != "published"].index) == {
        ("A", "x"),
        ("A", "y"),
        ("C", "x"),
        ("C", "y"),
    }


def test_categories_without_data_appear_as_empty_rows():
    micro = micro_from_cells({"IKT": [1, 1, 1], "Industri": [2, 2, 2]}, ("sector",))
    table = protect_table(micro, rows="sector", value="v", row_order=["Industri", "IKT", "Reiseliv"])
    assert table.published.index.tolist() == ["Industri", "IKT", "Reiseliv", "Total"]
    assert table.published["v"].tolist() == [6.0, 3.0, 0.0, 9.0]


def test_footnote_texts():
    micro = micro_from_cells({"A": [10], "B": [1, 1, 1], "C": [2, 2, 2]}, ("sector",))
    table = protect_table(micro, rows="sector", value="v")
    assert table.footnote("en") == (
        "`:` = suppressed to protect confidential firm data (fewer than 3 firms or one firm > 80 %)."
    )
    assert table.footnote("nb").startswith("`:` = skjult for å beskytte fortrolige opplysninger")
    assert "færre enn 3 bedrifter" in table.footnote("nb")
    assert "(n,k) dominance with n=1, k=80 %" in table.summary()
    with pytest.raises(InputError, match="lang"):
        table.footnote("de")  # type: ignore[arg-type]


def test_display_shows_only_the_published_table():
    micro = micro_from_cells({"A": [12345.0], "B": [1, 1, 1], "C": [2, 2, 2]}, ("sector",))
    table = protect_table(micro, rows="sector", value="v")
    for text in (repr(table), table._repr_html_(), table.to_frame().to_string(), table.tidy().to_string()):
        assert "12345" not in text.replace(",", "")
        assert "primary" not in text and "secondary" not in text
    tidy = table.tidy()
    assert tidy.columns.tolist() == ["sector", "value", "suppressed"]
    # A (one firm) is hidden, and so is the total, which A dominates (12345 of
    # 12354); the two protect each other, B and C stay.
    assert tidy["suppressed"].tolist() == [True, False, False, True]
    assert tidy["value"].tolist()[1:3] == [3.0, 6.0]
    assert np.isnan(tidy["value"].iloc[0])


def test_formatted_keeps_the_suppression_symbol():
    micro = micro_from_cells({"A": [10], "B": [1000, 1000, 1000], "C": [2000, 2000, 2000]}, ("sector",))
    table = protect_table(micro, rows="sector", value="v")
    assert table.formatted()["v"].tolist() == [":", ":", "6,000", "9,010"]
    assert table.formatted("{:.1f}".format)["v"].tolist() == [":", ":", "6000.0", "9010.0"]


def test_plot_draws_no_bar_for_suppressed_cells():
    micro = micro_from_cells(
        {("A", "x"): [1, 1], ("A", "y"): [3, 3, 3], ("B", "x"): [4, 4, 4], ("B", "y"): [5, 5, 5]},
        ("sector", "type"),
    )
    table = protect_table(micro, rows="sector", columns="type", value="v")
    fig, ax = table.plot()
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    published_interior = [
        float(v) for v in table.published.drop(index="Total").drop(columns="Total").to_numpy().ravel() if v != ":"
    ]
    assert heights == sorted(published_interior)
    assert any(t.get_text() == SUPPRESSED for t in ax.texts)
    matplotlib.pyplot.close(fig)


# --- bad input --------------------------------------------------------------------


def _ok_micro() -> pd.DataFrame:
    return micro_from_cells({"A": [1, 2, 3], "B": [4, 5, 6]}, ("sector",))


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda m: m.assign(v=[1, -2, 3, 4, 5, 6]), {}, r"row 3, column 'v'.*negative"),
        (lambda m: m.assign(v=[1, np.nan, 3, 4, 5, 6]), {}, r"row 3, column 'v'.*empty"),
        (lambda m: m.assign(v=["1", "x", "3", "4", "5", "6"]), {}, r"row 3, column 'v'.*'x' is not a number"),
        (lambda m: m.assign(v=[1, np.inf, 3, 4, 5, 6]), {}, r"row 3, column 'v'.*infinite"),
        (lambda m: m.assign(sector=["A", None, "A", "B", "B", "B"]), {}, r"row 3, column 'sector'"),
        (lambda m: m.assign(org_number=[None, "1", "2", "3", "4", "5"]), {}, r"row 2, column 'org_number'"),
        (lambda m: m.drop(columns="v"), {}, r"column 'v', parameter 'value'.*missing"),
        (lambda m: m, {"min_firms": 0}, r"parameter 'min_firms'"),
        (lambda m: m, {"min_firms": 2.5}, r"parameter 'min_firms'"),
        (lambda m: m, {"dominance_k": 80}, r"parameter 'dominance_k'.*0.80"),
        (lambda m: m, {"dominance_k": 0}, r"parameter 'dominance_k'"),
        (lambda m: m, {"cost": "area"}, r"parameter 'cost'"),
        (lambda m: m, {"columns": "sector"}, r"parameter 'columns'"),
        (lambda m: m, {"row_order": ["A"]}, r"parameter 'row_order'.*\['B'\]"),
        (lambda m: m, {"row_order": ["A", "B", "A"]}, r"parameter 'row_order'.*twice"),
        (lambda m: m, {"total_label": "A"}, r"parameter 'total_label'"),
        (lambda m: m.iloc[0:0], {}, r"parameter 'row_order'.*empty"),
    ],
)
def test_bad_input_is_one_clear_input_error(change, kwargs, match):
    with pytest.raises(InputError, match=match):
        protect_table(change(_ok_micro()), rows="sector", value="v", **kwargs)


def test_micro_data_must_be_a_frame():
    with pytest.raises(InputError, match="parameter 'micro'"):
        protect_table([1, 2], rows="sector", value="v")  # type: ignore[arg-type]


def test_input_is_not_modified():
    micro = _ok_micro()
    before = micro.copy()
    protect_table(micro, rows="sector", value="v")
    pd.testing.assert_frame_equal(micro, before)


# --- properties -------------------------------------------------------------------


@st.composite
def firm_micro(draw):
    n_rows = draw(st.integers(1, 4))
    n_cols = draw(st.integers(1, 4))
    n_firms = draw(st.integers(1, 12))
    n = draw(st.integers(1, 30))
    integers = st.integers(0, 200)
    rows = draw(st.lists(st.integers(0, n_rows - 1), min_size=n, max_size=n))
    cols = draw(st.lists(st.integers(0, n_cols - 1), min_size=n, max_size=n))
    firms = draw(st.lists(st.integers(0, n_firms - 1), min_size=n, max_size=n))
    values = draw(st.lists(integers, min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "org_number": [f"{970000000 + f}" for f in firms],
            "sector": [f"S{r}" for r in rows],
            "type": [f"T{c}" for c in cols],
            "v": [float(v) for v in values],
        }
    )


def _check_published_cells_are_safe(micro, columns, table):
    members = cell_members(micro, "sector", columns, table)
    for (r, c), rows in members.items():
        if table.published.loc[r, c] == SUPPRESSED:
            continue
        per_firm = rows.groupby("org_number")["v"].sum()
        assert table.published.loc[r, c] == pytest.approx(per_firm.sum())
        if len(per_firm) == 0:
            continue  # an empty cell holds no firm's data
        assert len(per_firm) >= 3, (r, c)
        assert per_firm.max() <= 0.8 * per_firm.sum() + 1e-9, (r, c)


def _check_nothing_recoverable(table, two_way):
    hidden = table.suppressed.to_numpy()
    assert exactly_recoverable(hidden, two_way) == []
    # The plain form of the same fact: no line holds exactly one hidden cell.
    lines = [hidden[i, :] for i in range(hidden.shape[0])] if two_way else []
    lines += [hidden[:, j] for j in range(hidden.shape[1])]
    assert all(line.sum() != 1 for line in lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(micro=firm_micro(), two_way=st.booleans(), cost=st.sampled_from(["value", "firms"]))
def test_property_published_cells_are_safe_and_hidden_ones_unrecoverable(micro, two_way, cost):
    columns = "type" if two_way else None
    table = protect_table(micro, rows="sector", columns=columns, value="v", cost=cost)
    _check_published_cells_are_safe(micro, columns, table)
    _check_nothing_recoverable(table, two_way)
    # Every primary cell is sensitive by the rules; every secondary one is not empty.
    sensitive = table.status == "primary"
    assert ((table.n_firms > 0) | ~sensitive).all().all()
    assert ((table.n_firms > 0) | (table.status != "secondary")).all().all()


@settings(max_examples=60, deadline=None)
@given(micro=firm_micro(), two_way=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_property_invariant_to_row_order(micro, two_way, seed):
    columns = "type" if two_way else None
    shuffled = micro.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    a = protect_table(micro, rows="sector", columns=columns, value="v")
    b = protect_table(shuffled, rows="sector", columns=columns, value="v")
    pd.testing.assert_frame_equal(a.status, b.status)
    pd.testing.assert_frame_equal(a.published, b.published, check_exact=False)


def test_all_cells_of_a_small_table_exhaustively():
    # Every pattern of 1- or 2-firm cells in a 2 x 2 table with 3-firm cells elsewhere.
    for pattern in itertools.product([2, 3], repeat=4):
        cells = {
            (r, c): [10.0] * n for (r, c), n in zip(itertools.product("AB", "xy"), pattern)
        }
        micro = micro_from_cells(cells, ("sector", "type"))
        table = protect_table(micro, rows="sector", columns="type", value="v")
        assert (table.status == "primary").to_numpy()[:2, :2].sum() == pattern.count(2)
        _check_published_cells_are_safe(micro, "type", table)
        _check_nothing_recoverable(table, True)


# --- firm names -------------------------------------------------------------------


def test_firm_pseudonyms_are_stable_and_ordered_by_org_number():
    mapping = firm_pseudonyms(["987654321", "912345678", "987654321", 923456789])
    assert mapping == {"912345678": "Bedrift 01", "923456789": "Bedrift 02", "987654321": "Bedrift 03"}
    many = firm_pseudonyms([f"{900000000 + i}" for i in range(120)])
    assert many["900000000"] == "Bedrift 001" and many["900000119"] == "Bedrift 120"
    with pytest.raises(InputError, match="org_numbers"):
        firm_pseudonyms(["912345678", None])


def test_firm_names_hidden_unless_publish_firm_names():
    firms = pd.DataFrame(
        {
            "org_number": ["987654321", "912345678"],
            "name": ["Raufoss Verktøy AS", "Toten Tre AS"],
            "grant_nok": [100.0, 200.0],
        }
    )
    shown = publishable_firm_names(firms, publish_firm_names=True)
    pd.testing.assert_frame_equal(shown, firms)
    hidden = publishable_firm_names(firms, publish_firm_names=False)
    assert hidden["name"].tolist() == ["Bedrift 02", "Bedrift 01"]
    assert "org_number" not in hidden.columns
    text = hidden.to_html() + hidden.to_string()
    for secret in ("Raufoss", "Toten Tre", "987654321", "912345678"):
        assert secret not in text
    assert firms["name"].tolist() == ["Raufoss Verktøy AS", "Toten Tre AS"]  # input untouched


def test_firm_names_use_the_register_wide_mapping():
    register = firm_pseudonyms(["900000001", "900000002", "900000003"])
    subset = pd.DataFrame({"org_number": ["900000003"], "name": ["C AS"]})
    out = publishable_firm_names(subset, publish_firm_names=False, pseudonyms=register)
    assert out["name"].tolist() == ["Bedrift 03"]
    with pytest.raises(InputError, match=r"row 2, column 'org_number'.*no pseudonym"):
        publishable_firm_names(
            pd.DataFrame({"org_number": ["999999999"], "name": ["X"]}),
            publish_firm_names=False,
            pseudonyms=register,
        )
    with pytest.raises(InputError, match="parameter 'publish_firm_names'"):
        publishable_firm_names(subset, publish_firm_names="no")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="column 'name'"):
        publishable_firm_names(subset.drop(columns="name"), publish_firm_names=False)


# --- shipped data -----------------------------------------------------------------


def _shipped() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    needed = [DATA / f"{name}.csv" for name in ("projects", "firms", "jobs")]
    if not all(p.exists() for p in needed):
        pytest.skip("data/vestre_toten/ is not there yet")
    read = lambda p: pd.read_csv(p, dtype={"org_number": str, "project_id": str})  # noqa: E731
    return tuple(read(p) for p in needed)  # type: ignore[return-value]


def test_shipped_grants_by_sector_are_safe():
    projects, _, _ = _shipped()
    table = protect_table(projects, rows="sector", value="grant_paid_nok")
    _check_published_cells_are_safe(projects.rename(columns={"grant_paid_nok": "v"}), None, table)
    _check_nothing_recoverable(table, two_way=False)
    assert table.published.loc["Total", "grant_paid_nok"] != SUPPRESSED


def test_shipped_jobs_by_sector_and_project_type_are_safe():
    projects, _, jobs = _shipped()
    micro = jobs.merge(projects[["project_id", "sector", "type"]], on="project_id", how="left")
    micro["v"] = micro["new_fte"] + micro["secured_fte"]
    table = protect_table(micro, rows="sector", columns="type", value="v")
    _check_published_cells_are_safe(micro, "type", table)
    _check_nothing_recoverable(table, two_way=True)
    # The shipped data do hold sensitive cells (a sector x type with 1-2 firms),
    # so this test exercises the suppression rather than passing vacuously.
    assert table.n_primary > 0 and table.n_secondary > 0


def test_shipped_firm_names_do_not_leak_when_not_publishable():
    projects, firms, _ = _shipped()
    register = firm_pseudonyms(firms["org_number"])
    by_firm = (
        projects.groupby("org_number", as_index=False)["grant_paid_nok"]
        .sum()
        .merge(firms[["org_number", "name"]], on="org_number")
    )
    out = publishable_firm_names(by_firm, publish_firm_names=False, pseudonyms=register)
    text = out.to_html() + out.to_csv()
    leaked = [n for n in firms["name"] if n in text] + [o for o in firms["org_number"] if o in text]
    assert leaked == []
    assert out["name"].str.fullmatch(r"Bedrift \d{2}").all()
    assert len(set(out["name"])) == len(by_firm)

