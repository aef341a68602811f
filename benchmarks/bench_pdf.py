"""PDF printing time of the Vestre Toten report: WeasyPrint against the old headless-Chromium path.

The notebook runs once; then, on the same HTML page, interleaved (A B C D,
D C B A, ...) after one warm-up of each:

- ``html``: layout and HTML from the document nodes (what every render pays);
- ``weasyprint``: the PDF in one pass (contents page numbers from ``target-counter``);
- ``chromium, 1 print``: start a headless Chromium, print once;
- ``chromium, old path``: what the old renderer did for a PDF: one browser,
  two prints (the first to find the headings' pages) and ``pdftotext``.

Prints median and min-max per step, ratios of medians against WeasyPrint,
and the load average at start and end (docs: benchmarking.md).

    .venv/bin/python benchmarks/bench_pdf.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

import nbformat  # noqa: E402

from evalkit.report.html import layout, notebook_items, render_html  # noqa: E402
from evalkit.report.pdf import html_to_pdf  # noqa: E402
from evalkit.run.render import render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVALUATION = ROOT / "evaluations" / "vestre-toten-2010-2016.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-pdf-") as scratch:
        folder = Path(scratch)
        report = render(EVALUATION, folder / "report").folder
        notebook = nbformat.read(report / "report.ipynb", as_version=4)
        meta = json.loads((report / "results.json").read_text(encoding="utf-8"))["meta"]
        items = notebook_items(notebook)
        page = render_html(layout(items, "nb", meta=meta))
        html_file = folder / "report.html"
        html_file.write_text(page, encoding="utf-8")

        def html_step(i: int) -> None:
            (folder / f"h{i}.html").write_text(render_html(layout(items, "nb", meta=meta)), encoding="utf-8")

        def weasy_step(i: int) -> None:
            html_to_pdf(page, folder / f"w{i}.pdf")

        steps = {"html": html_step, "weasyprint": weasy_step}
        chromium = _chromium_steps(html_file, folder)
        steps |= chromium
        for name, step in steps.items():  # warm-up: imports, fonts, file caches
            step(-1)
        times: dict[str, list[float]] = {name: [] for name in steps}
        for round_ in range(args.repeats):
            order = list(steps) if round_ % 2 == 0 else list(reversed(steps))
            for name in order:
                started = time.perf_counter()
                steps[name](round_)
                times[name].append(time.perf_counter() - started)
        pages = _pages(folder / "w0.pdf")
    load_end = os.getloadavg()
    print(f"PDF of the Vestre Toten report ({pages} pages), {args.repeats} interleaved repeats, BLAS pinned to 1 thread")
    print(f"{'step':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'/ weasyprint':>13}")
    base = statistics.median(times["weasyprint"])
    for name, values in times.items():
        print(f"{name:<22} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f} "
              f"{statistics.median(values) / base:13.2f}")
    for name in times:
        if name != "weasyprint":
            ratios = [a / b for a, b in zip(times[name], times["weasyprint"])]
            print(f"ratio {name} / weasyprint per round: {min(ratios):.2f}-{max(ratios):.2f}")
    if not chromium:
        print("(no Chromium path measured: apt-get install chromium poppler-utils to compare)")
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, "
          f"at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")


def _chromium_steps(html_file: Path, folder: Path) -> dict:
    try:
        from evalkit.report.chromium import Chromium, find_chromium
    except ImportError:
        return {}
    if find_chromium() is None or shutil.which("pdftotext") is None:
        return {}

    def one_print(i: int) -> None:
        with Chromium() as browser:
            browser.print_pdf(html_file, folder / f"c{i}.pdf")

    def old_path(i: int) -> None:
        with Chromium() as browser:
            browser.print_pdf(html_file, folder / f"o{i}-marked.pdf")
            subprocess.run(["pdftotext", "-enc", "UTF-8", str(folder / f"o{i}-marked.pdf"), "-"],
                           capture_output=True, check=True)
            browser.print_pdf(html_file, folder / f"o{i}.pdf")

    return {"chromium, 1 print": one_print, "chromium, old path": old_path}


def _pages(pdf: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(pdf).pages)


if __name__ == "__main__":
    main()
