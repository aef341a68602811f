"""The report's document model: typed nodes that chapters return and the renderer reads.

A chapter is a function of the analysis results that returns a
:class:`Chapter`: a tuple of nodes (:class:`Heading`, :class:`Paragraph`,
:class:`Table`, :class:`Figure`, :class:`KeyFigures`, :class:`Note`,
:class:`TitlePage`, :class:`Record`). In a notebook the last expression of a
cell shows itself: each node has a ``_repr_mimebundle_`` with a preview for
JupyterLab (HTML) and its whole content as JSON under :data:`NODE_MIME`. The
renderer (:mod:`evalkit.report.html`) reads only that JSON from the executed
notebook, numbers tables and figures, builds the contents and writes HTML,
PDF, ``tables.xlsx`` and ``results.json``; the notebook does no I/O and makes
no HTML of its own.

Nodes hold text, not markup. :class:`Paragraph` holds Markdown made from a
template (:mod:`evalkit.report.words`), where values from the data have been
escaped; every other string (captions, labels, cells) is plain text that the
renderer escapes.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import pandas as pd

#: MIME type under which a node's content reaches the executed notebook.
NODE_MIME = "application/vnd.evalkit.node+json"
#: Tables up to this many rows are kept on one page; longer ones break with a repeated header row.
SHORT_TABLE_ROWS = 25


def _one_line(text: str) -> str:
    # A heading or caption is one line: a newline in data must not start a new block.
    return " ".join(str(text).split())


class Node:
    """A piece of the report. Subclasses are frozen dataclasses with a ``kind``."""

    kind: ClassVar[str] = "node"

    def to_json(self) -> dict[str, Any]:
        """The node as JSON-able data (what the renderer reads)."""
        return {"kind": self.kind, **asdict(self)}  # type: ignore[call-overload]

    def _preview(self) -> str:
        return f"<p>{html.escape(self.kind)}</p>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {NODE_MIME: self.to_json(), "text/html": self._preview(), "text/plain": f"<{self.kind}>"}


@dataclass(frozen=True, eq=False)
class Heading(Node):
    """A chapter (``level`` 2) or section (``level`` 3) heading.

    ``chapter`` is the id a consultant's own chapter can be placed after
    (``summary``, ``counterfactual``, ...); ``appendix`` starts the appendices.
    """

    text: str
    level: int = 2
    chapter: str | None = None
    appendix: bool = False
    kind: ClassVar[str] = "heading"

    def __post_init__(self) -> None:
        if self.level not in (2, 3, 4):
            raise ValueError(f"{self.level} is not a heading level: use 2 (chapter), 3 (section) or 4.")
        object.__setattr__(self, "text", _one_line(self.text))

    def _preview(self) -> str:
        return f"<h{self.level}>{html.escape(self.text)}</h{self.level}>"


@dataclass(frozen=True, eq=False)
class Paragraph(Node):
    """Prose as Markdown (made from a template; raw HTML in it is shown as text)."""

    markdown: str
    kind: ClassVar[str] = "paragraph"

    def _preview(self) -> str:
        return f"<p>{html.escape(self.markdown)}</p>"


@dataclass(frozen=True, eq=False)
class Note(Node):
    """A boxed note or warning in the text (``tone``: ``info`` or ``warning``)."""

    markdown: str
    tone: str = "info"
    kind: ClassVar[str] = "note"

    def _preview(self) -> str:
        return f"<aside><em>{html.escape(self.markdown)}</em></aside>"


@dataclass(frozen=True, eq=False)
class TitlePage(Node):
    """The first page: title, subtitle, facts (label -> value) and a note on the data."""

    title: str
    subtitle: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    note: str = ""
    kind: ClassVar[str] = "title_page"

    def _preview(self) -> str:
        return f"<h1>{html.escape(self.title)}</h1><p>{html.escape(self.subtitle)}</p>"


@dataclass(frozen=True, eq=False)
class KeyFigures(Node):
    """A box of key figures: (formatted value, label) pairs under a caption."""

    caption: str
    items: tuple[tuple[str, str], ...]
    kind: ClassVar[str] = "key_figures"

    def _preview(self) -> str:
        rows = "".join(f"<li><strong>{html.escape(v)}</strong> {html.escape(k)}</li>" for v, k in self.items)
        return f"<aside><strong>{html.escape(self.caption)}</strong><ul>{rows}</ul></aside>"


@dataclass(frozen=True, eq=False)
class Record(Node):
    """Key figures for ``results.json`` (dotted keys to numbers); not shown in the report."""

    figures: tuple[tuple[str, float | int | None], ...]
    kind: ClassVar[str] = "record"

    @classmethod
    def of(cls, figures: Mapping[str, Any]) -> Record:
        return cls(tuple((str(k), _json_number(v)) for k, v in figures.items()))

    def _preview(self) -> str:
        return ""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {NODE_MIME: self.to_json(), "text/plain": ""}


def _json_number(value: Any) -> float | int | None:
    """A figure as JSON holds it: NaN and infinities become None, whole floats ints."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    value = float(value)
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _cell_json(value: Any) -> Any:
    """A raw cell for tables.xlsx: numbers stay numbers, missing is None, the rest text."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 and not isinstance(value, float) else number
    return str(value)


def _label(value: object) -> str:
    if isinstance(value, tuple):
        return " – ".join(str(part) for part in value if str(part))
    return "" if value is None else str(value)


@dataclass(frozen=True, eq=False)
class Table(Node):
    """A captioned table: its header, its shown (formatted) cells and its raw values.

    Build it with :meth:`from_frame`; the renderer numbers it ("Tabell 3"),
    escapes every cell, keeps a short table on one page and writes the raw
    values (numbers as numbers) to ``tables.xlsx``.
    """

    caption: str
    name: str
    header: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    values: tuple[tuple[Any, ...], ...]
    numeric: tuple[bool, ...]
    index_columns: int = 0
    source: str | None = None
    unit: str | None = None
    note: str | None = None
    kind: ClassVar[str] = "table"

    @property
    def short(self) -> bool:
        return len(self.cells) <= SHORT_TABLE_ROWS

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        caption: str,
        *,
        name: str,
        number: Callable[[float, int], str],
        formats: Mapping[Any, Callable[[Any], str]] | None = None,
        index: bool = True,
        source: str | None = None,
        unit: str | None = None,
        note: str | None = None,
    ) -> Table:
        """A table node from a frame.

        Parameters
        ----------
        frame
            The table; its index (when ``index``) becomes the first column(s).
        caption, name
            What the table shows; the sheet name in ``tables.xlsx`` (<= 31 characters).
        number
            ``number(value, decimals)`` in the report's language (:func:`evalkit.report.words.Words.number`):
            numeric columns without a format show whole numbers, or two decimals, with it; years stay ungrouped.
        formats
            Column -> function turning a value into its shown text (for shares, amounts, ...).
        """
        formats = dict(formats or {})
        shown = frame.reset_index() if index else frame.reset_index(drop=True)
        if index and isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
            shown = shown.rename(columns={"index": ""})
        keys = list(frame.columns)
        index_count = shown.shape[1] - len(keys)
        header = [_label(n) for n in (list(frame.index.names) if index else [])] + [_label(c) for c in keys]
        columns, numeric_flags = [], []
        for position in range(shown.shape[1]):
            values = shown.iloc[:, position]
            key = keys[position - index_count] if position >= index_count else None
            numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            if key is not None and key in formats:
                fmt = formats[key]
            elif numeric:
                fmt = _default_format(values, number)
            else:
                fmt = str
            columns.append(["" if _missing(v) else str(fmt(v)) for v in values])
            # Index columns are row labels: left-aligned whatever their type.
            numeric_flags.append(bool(numeric and position >= index_count))
        rows = tuple(tuple(col[r] for col in columns) for r in range(len(shown)))
        raw = tuple(tuple(_cell_json(v) for v in row) for row in shown.itertuples(index=False, name=None))
        return cls(
            caption=_one_line(caption), name=str(name)[:31], header=tuple(header), cells=rows, values=raw,
            numeric=tuple(numeric_flags), index_columns=index_count, source=source, unit=unit, note=note,
        )

    def _preview(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.cells)
        return (f"<figure><figcaption>{html.escape(self.caption)}</figcaption>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></figure>")


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _looks_like_years(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return len(numbers) > 0 and bool(((numbers % 1 == 0) & numbers.between(1800, 2200)).all())


def _default_format(values: pd.Series, number: Callable[[float, int], str]) -> Callable[[Any], str]:
    """How a numeric column without a format shows: the language's marks, years ungrouped."""
    if _looks_like_years(values):
        return lambda v: str(int(v))
    whole = bool((values.dropna() % 1 == 0).all())
    return lambda v: number(v, 0 if whole else 2)


@dataclass(frozen=True, eq=False)
class Figure(Node):
    """A captioned chart as PNG (base64); the renderer numbers it and writes ``figures/<name>.png``."""

    caption: str
    name: str
    png: str
    source: str | None = None
    note: str | None = None
    kind: ClassVar[str] = "figure"

    @classmethod
    def from_matplotlib(cls, fig: Any, caption: str, *, name: str, source: str | None = None,
                        note: str | None = None, dpi: int = 150) -> Figure:
        """A figure node from a matplotlib figure (closed afterwards)."""
        buffer = io.BytesIO()
        # Fixed metadata: PNG bytes must not depend on the time of rendering.
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        import matplotlib.pyplot as plt  # here: pyplot costs ~0.3 s at import

        plt.close(fig)
        return cls(caption=_one_line(caption), name=str(name), png=base64.b64encode(buffer.getvalue()).decode("ascii"),
                   source=source, note=note)

    def _preview(self) -> str:
        return (f"<figure><img src='data:image/png;base64,{self.png}' alt=''/>"
                f"<figcaption>{html.escape(self.caption)}</figcaption></figure>")


@dataclass(frozen=True, eq=False)
class Chapter:
    """A chapter's nodes in order; shows itself in a notebook as its nodes, one output each."""

    nodes: tuple[Node, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, *parts: Node | Chapter | Iterable[Node] | None) -> Chapter:
        """Flatten nodes, chapters and lists of nodes (``None`` is skipped: a sentence left out)."""
        nodes: list[Node] = []
        for part in parts:
            if part is None:
                continue
            if isinstance(part, Node):
                nodes.append(part)
            elif isinstance(part, Chapter):
                nodes.extend(part.nodes)
            else:
                nodes.extend(n for n in part if n is not None)
        return cls(tuple(nodes))

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __add__(self, other: Chapter) -> Chapter:
        return Chapter.of(self, other)

    def of_kind(self, kind: type[Node]) -> list[Node]:
        return [n for n in self.nodes if isinstance(n, kind)]

    def figures(self) -> dict[str, float | int | None]:
        """Every recorded results.json figure in the chapter."""
        out: dict[str, float | int | None] = {}
        for node in self.of_kind(Record):
            out.update(dict(node.figures))  # type: ignore[attr-defined]
        return out

    def _ipython_display_(self) -> None:
        from IPython.display import display  # late: the library works without IPython

        for node in self.nodes:
            display(node)


def node_from_json(data: Mapping[str, Any]) -> Node:
    """Rebuild a node from the JSON the notebook showed (the renderer's side of :data:`NODE_MIME`)."""
    kinds: dict[str, type[Node]] = {
        cls.kind: cls for cls in (Heading, Paragraph, Note, TitlePage, KeyFigures, Record, Table, Figure)
    }
    data = dict(data)
    cls = kinds[data.pop("kind")]
    tuples = {"facts", "items", "figures", "header", "cells", "values", "numeric"}
    for key in tuples & set(data):
        value = data[key]
        if key in ("facts", "items", "figures", "cells", "values"):
            data[key] = tuple(tuple(v) for v in value)
        else:
            data[key] = tuple(value)
    return cls(**data)


def nodes_of(outputs: Sequence[Mapping[str, Any]]) -> list[Node]:
    """The nodes among a cell's outputs, in order."""
    return [node_from_json(o["data"][NODE_MIME]) for o in outputs
            if o.get("output_type") in ("display_data", "execute_result") and NODE_MIME in o.get("data", {})]


def dumps(node: Node) -> str:
    """A node as canonical JSON (sorted keys): the same node, the same bytes."""
    return json.dumps(node.to_json(), sort_keys=True, ensure_ascii=False)
