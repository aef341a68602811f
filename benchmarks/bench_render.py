"""Render time of the Vestre Toten evaluation against the same pipeline on an empty notebook.

Both go through the one render path (``evalkit.run.render.render``: checks,
papermill execution, results.json, HTML, tables.xlsx, figures, PDF with
WeasyPrint). The baseline notebook has only the real notebook's
parameters cell, so it measures what every render pays (kernel start,
papermill, HTML assembly, PDF) and the ratio what the evaluation itself
adds. Goal: cold render / empty <= 2.0.

A third pipeline is the consultant's re-render: the same evaluation with a
conclusions chapter of their own that changes before every render, with the
on-disk cache (``EVALKIT_CACHE``) kept between renders, so the expensive
analysis comes from disk. Goal: warm re-render / empty <= 1.3. The cold
renders run with ``EVALKIT_CACHE=off``.

Runs interleaved (A B B A ...), after one warm-up of each; prints median and
min-max per pipeline, the ratio of medians with the min-max of the per-round
ratios, and the load average at start and end (docs: benchmarking.md).

    .venv/bin/python benchmarks/bench_render.py [--repeats 5] [--no-pdf]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

# Pinned before numpy loads, and inherited by the kernels papermill starts.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

import nbformat  # noqa: E402
import yaml  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from evalkit.run.render import render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVALUATION = ROOT / "evaluations" / "vestre-toten-2010-2016.yaml"


def empty_evaluation(folder: Path) -> Path:
    """An evaluation of the same programme whose notebook is only the real one's parameters cell."""
    real = yaml.safe_load(EVALUATION.read_text(encoding="utf-8"))
    source = nbformat.read(EVALUATION.parent / real["notebook"], as_version=4)
    parameters = [c for c in source.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    notebook = nbformat.v4.new_notebook(metadata=source.metadata)
    notebook.cells = parameters
    nbformat.write(notebook, folder / "empty.ipynb")
    settings = real | {
        "notebook": "empty.ipynb",
        "data": str((EVALUATION.parent / real["data"]).resolve()),
        "parameters": real.get("parameters", {}),
    }
    path = folder / "empty.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def consultant_evaluation(folder: Path) -> tuple[Path, Path]:
    """The real evaluation with a conclusions chapter of the consultant's own (the file they keep editing)."""
    real = yaml.safe_load(EVALUATION.read_text(encoding="utf-8"))
    chapter = folder / "konklusjoner.md"
    settings = real | {
        "notebook": str((EVALUATION.parent / real["notebook"]).resolve()),
        "data": str((EVALUATION.parent / real["data"]).resolve()),
        "conclusions": str(chapter),
    }
    path = folder / "consultant.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path, chapter


def edit_chapter(chapter: Path, round_: int) -> None:
    chapter.write_text(f"# Konklusjoner\n\nUtkast {round_}: programmet ga {{{{ fig(\"jobs.net_additional\") }}}} "
                       "netto addisjonelle arbeidsplasser.\n", encoding="utf-8")


def timed(evaluation: Path, out: Path, pdf: bool, cache: str) -> tuple[float, float]:
    """Wall time of one render, and the part of it the notebook's cells ran (papermill's record)."""
    os.environ["EVALKIT_CACHE"] = cache
    started = time.perf_counter()
    render(evaluation, out, pdf=pdf)
    total = time.perf_counter() - started
    executed = nbformat.read(out / "report.ipynb", as_version=4)
    cells = sum(c.metadata.get("papermill", {}).get("duration") or 0.0 for c in executed.cells)
    return total, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-pdf", action="store_true", help="leave out the PDF step")
    args = parser.parse_args()
    pdf = not args.no_pdf
    load_start = os.getloadavg()
    names = ("vestre-toten", "warm re-render", "empty notebook")
    times: dict[str, list[float]] = {name: [] for name in names}
    cells: dict[str, list[float]] = {name: [] for name in names}
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory(prefix="evalkit-bench-") as scratch:
        folder = Path(scratch)
        consultant, chapter = consultant_evaluation(folder)
        edit_chapter(chapter, -1)
        runs = {"vestre-toten": EVALUATION, "warm re-render": consultant, "empty notebook": empty_evaluation(folder)}
        caches = {"vestre-toten": "off", "warm re-render": str(folder / "cache"), "empty notebook": "off"}
        for name, evaluation in runs.items():  # warm-up: imports, file caches, and the consultant's cache
            timed(evaluation, folder / f"warm-{name}", pdf, caches[name])
        for round_ in range(args.repeats):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            edit_chapter(chapter, round_)
            for name in order:
                total, in_cells = timed(runs[name], folder / f"{name}-{round_}", pdf, caches[name])
                times[name].append(total)
                cells[name].append(in_cells)
    load_end = os.getloadavg()

    print(f"render pipeline (execute + HTML + xlsx + {'PDF + ' if pdf else ''}results), "
          f"{args.repeats} interleaved repeats, BLAS pinned to 1 thread")
    print(f"{'pipeline':<16} {'median s':>9} {'min s':>7} {'max s':>7} {'in cells s':>11} {'rest s':>7}")
    for name, values in times.items():
        rest = [t - c for t, c in zip(values, cells[name])]
        print(f"{name:<16} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f} "
              f"{statistics.median(cells[name]):11.2f} {statistics.median(rest):7.2f}   runs: "
              + " ".join(f"{v:.2f}" for v in values))
    for name, goal in (("vestre-toten", 2.0), ("warm re-render", 1.3)):
        ratios = [a / b for a, b in zip(times[name], times["empty notebook"])]
        ratio = statistics.median(times[name]) / statistics.median(times["empty notebook"])
        print(f"ratio {name} / empty: {ratio:.2f} (per round {min(ratios):.2f}-{max(ratios):.2f}); "
              f"goal <= {goal}: {'met' if ratio <= goal else 'NOT met'}")
    # "rest": checks, kernel start/stop, results.json, HTML, xlsx, figures, PDF - the render path itself.
    rest_ratio = statistics.median([t - c for t, c in zip(times["vestre-toten"], cells["vestre-toten"])]) / \
        statistics.median([t - c for t, c in zip(times["empty notebook"], cells["empty notebook"])])
    print(f"ratio of the render path without the notebook's cells: {rest_ratio:.2f}")
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, "
          f"at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")


if __name__ == "__main__":
    main()
