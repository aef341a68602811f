"""Document nodes in an executed notebook, handed to the renderer of :class:`evalkit.report.publish.Report` outputs.

A stopgap while one notebook mixes chapters that return
:mod:`evalkit.report.document` nodes with cells still written through the
old ``Report``: :func:`as_report_outputs` rewrites every node output into the
output ``Report`` would have made (Markdown headings and prose, the title
page and key-figures markup, ``results.json`` figures, numbered tables and
figures), and numbers all tables and figures of the notebook in one sequence.
The renderer that reads nodes directly makes this module unnecessary.
"""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any

import pandas as pd

from evalkit.report.document import NODE_MIME, node_from_json
from evalkit.report.publish import CHART_META, FIGURES_MIME, KIND, SHORT_TABLE_ROWS, TABLE_MIME
from evalkit.report.words import markdown_text

#: "Table" and "Figure" in the report's language (nynorsk writes them as bokmål does).
_WORDS = {"nb": ("Tabell", "Figur", "Kilde"), "nn": ("Tabell", "Figur", "Kjelde"), "en": ("Table", "Figure", "Source")}


def _language(notebook: Any) -> str:
    language = notebook.get("metadata", {}).get("papermill", {}).get("parameters", {}).get("language", "nb")
    return language if language in _WORDS else "nb"


def _foot(note: str | None, source: str | None, source_word: str) -> str:
    parts = [html.escape(note) if note else "", f"{source_word}: {html.escape(source)}." if source else ""]
    return " ".join(p for p in parts if p)


def _table_html(node: Any) -> str:
    head = "".join(f"<th class='{'num' if n else 'text'}' scope='col'>{html.escape(h)}</th>"
                   for h, n in zip(node.header, node.numeric))
    rows = []
    for row in node.cells:
        cells = []
        for position, (value, numeric) in enumerate(zip(row, node.numeric)):
            tag = "th scope='row'" if position < node.index_columns else "td"
            cells.append(f"<{tag} class='{'num' if numeric else 'text'}'>{html.escape(value)}</{tag.split()[0]}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='evalkit-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _table_output(node: Any, number: int, words: tuple[str, str, str], language: str) -> dict[str, Any]:
    title = f"{words[0]} {number}: {node.caption}"
    size = "evalkit-short" if len(node.cells) <= SHORT_TABLE_ROWS else "evalkit-long"
    foot = _foot(node.note, node.source, words[2])
    markup = (f"<figure class='evalkit-table-figure {size}' id='table-{number}'>"
              f"<figcaption>{html.escape(title)}</figcaption>{_table_html(node)}"
              + (f"<p class='evalkit-source'>{foot}</p>" if foot else "") + "</figure>")
    frame = pd.DataFrame([list(v) for v in node.values], columns=list(node.header) or None)
    index_names: list[str | None] = [None]
    if node.index_columns:
        names = list(frame.columns[: node.index_columns])
        frame = frame.set_index(names)
        index_names = [str(n) if n != "" else None for n in names]
    payload = {
        "number": number, "name": node.name, "caption": title, "source": node.source, "unit": node.unit,
        "note": node.note, "index": bool(node.index_columns), "index_names": index_names, "language": language,
        "data": json.loads(frame.to_json(orient="split", default_handler=str)),
    }
    return {"output_type": "display_data", "metadata": {KIND: "table"},
            "data": {"text/html": markup, TABLE_MIME: payload, "text/plain": title}}


def _figure_output(node: Any, number: int, words: tuple[str, str, str]) -> dict[str, Any]:
    title = f"{words[1]} {number}: {node.caption}"
    foot = _foot(node.note, node.source, words[2])
    markup = (f"<figure class='evalkit-chart' id='figure-{number}'>"
              f"<img src='data:image/png;base64,{node.png}' alt='{html.escape(title, quote=True)}'/>"
              f"<figcaption>{html.escape(title)}</figcaption>"
              + (f"<p class='evalkit-source'>{foot}</p>" if foot else "") + "</figure>")
    return {"output_type": "display_data",
            "metadata": {CHART_META: {"number": number, "name": node.name, "caption": title}, KIND: "figure"},
            "data": {"text/html": markup, "image/png": node.png, "text/plain": title}}


def _outputs(node: Any, counters: dict[str, int], words: tuple[str, str, str], language: str) -> list[dict[str, Any]]:
    kind = node.kind
    if kind == "heading":
        text = "#" * node.level + " " + markdown_text(node.text)
        return [{"output_type": "display_data", "metadata": {KIND: "appendix" if node.appendix else "heading"},
                 "data": {"text/markdown": text, "text/plain": text}}]
    if kind == "paragraph":
        return [{"output_type": "display_data", "metadata": {}, "data": {"text/markdown": node.markdown, "text/plain": node.markdown}}]
    if kind == "note":
        text = "> " + node.markdown.replace("\n", "\n> ")
        return [{"output_type": "display_data", "metadata": {}, "data": {"text/markdown": text, "text/plain": text}}]
    if kind == "record":
        return [{"output_type": "display_data", "metadata": {}, "data": {FIGURES_MIME: dict(node.figures), "text/plain": ""}}]
    if kind == "title_page":
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in node.facts if v)
        markup = ("<section class='evalkit-title-page'>"
                  f"<h1 class='evalkit-title'>{html.escape(node.title)}</h1>"
                  + (f"<p class='evalkit-subtitle'>{html.escape(node.subtitle)}</p>" if node.subtitle else "")
                  + f"<table class='evalkit-title-facts'>{rows}</table>"
                  + (f"<p class='evalkit-data-note'>{html.escape(node.note)}</p>" if node.note else "")
                  + "</section>")
        return [{"output_type": "display_data", "metadata": {KIND: "title_page"},
                 "data": {"text/html": markup, "text/plain": node.title}}]
    if kind == "key_figures":
        cells = "".join(f"<div class='evalkit-kf'><div class='evalkit-kf-value'>{html.escape(v)}</div>"
                        f"<div class='evalkit-kf-label'>{html.escape(k)}</div></div>" for v, k in node.items)
        markup = (f"<aside class='evalkit-key-figures'><div class='evalkit-kf-caption'>{html.escape(node.caption)}</div>"
                  f"<div class='evalkit-kf-grid'>{cells}</div></aside>")
        return [{"output_type": "display_data", "metadata": {KIND: "key_figures"},
                 "data": {"text/html": markup, "text/plain": node.caption}}]
    if kind == "table":
        counters["table"] += 1
        return [_table_output(node, counters["table"], words, language)]
    if kind == "figure":
        counters["figure"] += 1
        return [_figure_output(node, counters["figure"], words)]
    return []


def _renumber_table(output: dict[str, Any], number: int) -> dict[str, Any]:
    output = copy.deepcopy(output)
    payload = output["data"][TABLE_MIME]
    old = payload["number"]
    payload["caption"] = re.sub(r"^(\S+) \d+:", lambda m: f"{m.group(1)} {number}:", payload["caption"], count=1)
    payload["number"] = number
    markup = output["data"]["text/html"]
    markup = markup.replace(f"id='table-{old}'", f"id='table-{number}'", 1)
    markup = re.sub(r"<figcaption>(\S+) \d+:", lambda m: f"<figcaption>{m.group(1)} {number}:", markup, count=1)
    output["data"]["text/html"] = markup
    output["data"]["text/plain"] = payload["caption"]
    return output


def _renumber_chart(output: dict[str, Any], number: int) -> dict[str, Any]:
    output = copy.deepcopy(output)
    meta = output["metadata"][CHART_META]
    old = meta["number"]
    meta["caption"] = re.sub(r"^(\S+) \d+:", lambda m: f"{m.group(1)} {number}:", meta["caption"], count=1)
    meta["number"] = number
    markup = output["data"]["text/html"]
    markup = markup.replace(f"id='figure-{old}'", f"id='figure-{number}'", 1)
    markup = re.sub(r"<figcaption>(\S+) \d+:", lambda m: f"<figcaption>{m.group(1)} {number}:", markup, count=1)
    markup = re.sub(r"alt='(\S+) \d+:", lambda m: f"alt='{m.group(1)} {number}:", markup, count=1)
    output["data"]["text/html"] = markup
    return output


def as_report_outputs(notebook: Any) -> Any:
    """A copy of an executed notebook whose node outputs are ``Report`` outputs, tables and figures numbered once."""
    import nbformat

    out = copy.deepcopy(notebook)
    language = _language(out)
    words = _WORDS[language]
    counters = {"table": 0, "figure": 0}
    for cell in out.cells:
        if cell.get("cell_type") != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output.get("output_type") in ("display_data", "execute_result") and NODE_MIME in data:
                outputs += [nbformat.from_dict(o) for o in _outputs(node_from_json(data[NODE_MIME]), counters, words, language)]
            elif TABLE_MIME in data:
                counters["table"] += 1
                outputs.append(nbformat.from_dict(_renumber_table(output, counters["table"])))
            elif CHART_META in output.get("metadata", {}):
                counters["figure"] += 1
                outputs.append(nbformat.from_dict(_renumber_chart(output, counters["figure"])))
            else:
                outputs.append(output)
        cell["outputs"] = outputs
    return out
