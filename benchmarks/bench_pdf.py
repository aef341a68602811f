"""PDF printing time of the Vestre Toten report (WeasyPrint) against writing its HTML.

The notebook runs once; then, interleaved (A B, B A, ...) after one warm-up of each:

- ``html``: layout and HTML from the document nodes (what every render pays);
- ``weasyprint``: the PDF of that HTML in one pass (contents page numbers from ``target-counter``).

Prints median and min-max per step, the ratio of medians (with the per-round
min-max), and the load average at start and end (docs: benchmarking.md).

Measured once, before the old headless-Chromium path was removed, on the same
HTML (16 pages; load average 2.9 at start, 11 at end, other work on the machine):
WeasyPrint 5.83 s median (4.86-6.62); Chromium one print 2.66 s (2.02-3.44);
the old Chromium path (one browser, two prints, pdftotext) 4.10 s (2.97-5.25):
old path / WeasyPrint 0.52-0.79 per round.

    .venv/bin/python benchmarks/bench_pdf.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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

        def html_step(i: int) -> None:
            (folder / f"h{i}.html").write_text(render_html(layout(items, "nb", meta=meta)), encoding="utf-8")

        def weasy_step(i: int) -> None:
            html_to_pdf(page, folder / f"w{i}.pdf")

        steps = {"html": html_step, "weasyprint": weasy_step}
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
    print(f"{'step':<12} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in times.items():
        print(f"{name:<12} {statistics.median(values):9.3f} {min(values):7.3f} {max(values):7.3f}")
    ratios = [a / b for a, b in zip(times["weasyprint"], times["html"])]
    ratio = statistics.median(times["weasyprint"]) / statistics.median(times["html"])
    print(f"ratio weasyprint / html: {ratio:.0f} (per round {min(ratios):.0f}-{max(ratios):.0f})")
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, "
          f"at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")


def _pages(pdf: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(pdf).pages)


if __name__ == "__main__":
    main()
