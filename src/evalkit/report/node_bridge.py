"""A bridge while chapters and the old Report share one notebook: document nodes as Report outputs.

Chapters return :mod:`evalkit.report.document` nodes (shown under
:data:`~evalkit.report.document.NODE_MIME`); the HTML renderer and
``results.json`` still read the outputs :class:`evalkit.report.publish.Report`
makes. :func:`legacy_outputs` rewrites every node output of an executed
notebook into the output the Report would have shown for it, and numbers all
tables and figures, old and new, in the order they appear. Once the renderer
reads nodes itself, this module and its one call in :mod:`evalkit.run.render`
go.
"""

from __future__ import annotations

import copy
import html
import re
from typing import Any

from evalkit.report.document import NODE_MIME, SHORT_TABLE_ROWS, node_from_json
from evalkit.report.publish import CHART_META, FIGURES_MIME, KIND, TABLE_MIME

__all__ = ["legacy_outputs"]

_WORDS = {"nb": ("Tabell", "Figur", "Kilde"), "nn": ("Tabell", "Figur", "Kjelde"), "en": ("Table", "Figure", "Source")}


def _foot(node: Any, source_word: str) -> str:
    parts = [html.escape(node.note) if node.note else "",
             f"{source_word}: {html.escape(node.source)}." if node.source else ""]
    return " ".join(p for p in parts if p)


def _table(node: Any, number: int, words: tuple[str, str, str], language: str) -> dict[str, Any]:
    title = f"{words[0]} {number}: {node.caption}"
    head = "".join(f"<th class='{'num' if num else 'text'}' scope='col'>{html.escape(h)}</th>"
                   for h, num in zip(node.header, node.numeric))
    rows = []
    for row in node.cells:
        cells = []
        for position, (cell, num) in enumerate(zip(row, node.numeric)):
            tag = "th scope='row'" if position < node.index_columns else "td"
            cells.append(f"<{tag} class='{'num' if num else 'text'}'>{html.escape(cell)}</{tag.split()[0]}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = f"<table class='evalkit-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    foot = _foot(node, words[2])
    size = "evalkit-short" if len(node.cells) <= SHORT_TABLE_ROWS else "evalkit-long"
    markup = (f"<figure class='evalkit-table-figure {size}' id='table-{number}'>"
              f"<figcaption>{html.escape(title)}</figcaption>{body}"
              + (f"<p class='evalkit-source'>{foot}</p>" if foot else "") + "</figure>")
    k = node.index_columns
    data: dict[str, Any] = {"columns": list(node.header[k:]), "data": [list(v[k:]) for v in node.values]}
    if k:
        data["index"] = [v[0] if k == 1 else list(v[:k]) for v in node.values]
    payload = {"number": number, "name": node.name, "caption": title, "source": node.source, "unit": node.unit,
               "note": node.note, "index": bool(k), "index_names": list(node.header[:k]) or [None],
               "language": language, "data": data}
    return {"output_type": "display_data", "metadata": {KIND: "table"},
            "data": {"text/html": markup, TABLE_MIME: payload, "text/plain": title}}


def _figure(node: Any, number: int, words: tuple[str, str, str]) -> dict[str, Any]:
    title = f"{words[1]} {number}: {node.caption}"
    foot = _foot(node, words[2])
    markup = (f"<figure class='evalkit-chart' id='figure-{number}'>"
              f"<img src='data:image/png;base64,{node.png}' alt='{html.escape(title, quote=True)}'/>"
              f"<figcaption>{html.escape(title)}</figcaption>"
              + (f"<p class='evalkit-source'>{foot}</p>" if foot else "") + "</figure>")
    return {"output_type": "display_data",
            "metadata": {CHART_META: {"number": number, "name": node.name, "caption": title}, KIND: "figure"},
            "data": {"text/html": markup, "image/png": node.png, "text/plain": title}}


def _markdown(text: str, kind: str | None = None) -> dict[str, Any]:
    return {"output_type": "display_data", "metadata": {KIND: kind} if kind else {},
            "data": {"text/markdown": text, "text/plain": text}}


def _convert(node: Any, counters: dict[str, int], words: tuple[str, str, str], language: str) -> dict[str, Any] | None:
    kind = node.kind
    if kind == "heading":
        return _markdown("#" * node.level + " " + node.text, "appendix" if node.appendix else "heading")
    if kind == "paragraph":
        return _markdown(node.markdown)
    if kind == "note":
        return _markdown("> " + node.markdown)
    if kind == "record":
        return {"output_type": "display_data", "metadata": {},
                "data": {FIGURES_MIME: dict(node.figures), "text/plain": ""}}
    if kind == "table":
        counters["table"] += 1
        return _table(node, counters["table"], words, language)
    if kind == "figure":
        counters["figure"] += 1
        return _figure(node, counters["figure"], words)
    if kind == "key_figures":
        cells = "".join(f"<div class='evalkit-kf'><div class='evalkit-kf-value'>{html.escape(v)}</div>"
                        f"<div class='evalkit-kf-label'>{html.escape(k)}</div></div>" for v, k in node.items)
        markup = (f"<aside class='evalkit-key-figures'><div class='evalkit-kf-caption'>{html.escape(node.caption)}</div>"
                  f"<div class='evalkit-kf-grid'>{cells}</div></aside>")
        return {"output_type": "display_data", "metadata": {KIND: "key_figures"},
                "data": {"text/html": markup, "text/plain": node.caption}}
    if kind == "title_page":
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in node.facts if v)
        markup = ("<section class='evalkit-title-page'>"
                  f"<h1 class='evalkit-title'>{html.escape(node.title)}</h1>"
                  + (f"<p class='evalkit-subtitle'>{html.escape(node.subtitle)}</p>" if node.subtitle else "")
                  + f"<table class='evalkit-title-facts'>{rows}</table>"
                  + (f"<p class='evalkit-data-note'>{html.escape(node.note)}</p>" if node.note else "")
                  + "</section>")
        return {"output_type": "display_data", "metadata": {KIND: "title_page"},
                "data": {"text/html": markup, "text/plain": node.title}}
    return None


def _renumber(output: dict[str, Any], kind: str, old: int, new: int, words: tuple[str, str, str]) -> None:
    """An old Report table or chart numbered ``old`` renumbered ``new`` (its caption, anchor and payload)."""
    word = words[0] if kind == "table" else words[1]
    data = output["data"]
    before, after = f"{word} {old}: ", f"{word} {new}: "
    data["text/html"] = re.sub(f"id='{kind}-{old}'", f"id='{kind}-{new}'", data["text/html"], count=1)
    data["text/html"] = data["text/html"].replace(html.escape(before), html.escape(after))
    data["text/plain"] = str(data.get("text/plain", "")).replace(before, after, 1)
    meta = data[TABLE_MIME] if kind == "table" else output["metadata"][CHART_META]
    meta["number"] = new
    meta["caption"] = str(meta["caption"]).replace(before, after, 1)


def legacy_outputs(notebook: Any, language: str = "nb") -> Any:
    """A copy of ``notebook`` whose node outputs are Report outputs, every table and figure numbered in order."""
    words = _WORDS.get(language, _WORDS["nb"])
    out = copy.deepcopy(notebook)
    if not any(NODE_MIME in o.get("data", {}) for c in out.cells for o in c.get("outputs", [])):
        return out  # nothing to convert: keep the Report's own numbering untouched
    counters = {"table": 0, "figure": 0}
    import nbformat

    for cell in out.cells:
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if NODE_MIME in data:
                converted = _convert(node_from_json(data[NODE_MIME]), counters, words, language)
                if converted is not None:
                    outputs.append(nbformat.from_dict(converted))
                continue
            if TABLE_MIME in data:
                counters["table"] += 1
                if data[TABLE_MIME]["number"] != counters["table"]:
                    _renumber(output, "table", data[TABLE_MIME]["number"], counters["table"], words)
            elif CHART_META in output.get("metadata", {}):
                counters["figure"] += 1
                old = output["metadata"][CHART_META]["number"]
                if old != counters["figure"]:
                    _renumber(output, "figure", old, counters["figure"], words)
            outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = outputs
    return out
