"""Benchmark: a batch of 8 evaluations rendered with ``--jobs 2`` against one after the other.

Both arms call :func:`evalkit.run.batch.render_many` (the code behind
``evalkit render A.yaml ... --jobs N``) on the same 8 evaluations: the four
shipped ones (Vestre Toten and Gjøvikregionen, nb and en), each twice under a
second name. Arms are interleaved (serial, parallel, serial, ...) so that a
change in the machine's load hits both; the table gives the median and the
min-max wall time of each arm, the speed-up (serial / parallel, per repeat
pair) and the load average at start and end. Target on a 2-core machine:
speed-up >= 1.7.

Run::

    .venv/bin/python benchmarks/bench_batch.py [--repeats 3] [--jobs 2] [--pdf]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # kernels inherit it
os.environ.setdefault("MPLBACKEND", "Agg")

import yaml  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from evalkit.run.batch import render_many  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("vestre-toten-2010-2016", "vestre-toten-2010-2016-en", "gjovikregionen-2017-2018", "gjovikregionen-2017-2018-en")


def eight_evaluations(folder: Path) -> list[Path]:
    """The four shipped evaluations, twice each, with absolute notebook and data paths."""
    paths = []
    for copy in ("a", "b"):
        for name in SHIPPED:
            raw = yaml.safe_load((ROOT / "evaluations" / f"{name}.yaml").read_text(encoding="utf-8"))
            for key in ("notebook", "data"):
                raw[key] = str((ROOT / "evaluations" / raw[key]).resolve())
            path = folder / f"{name}-{copy}.yaml"
            path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
            paths.append(path)
    return paths


def timed(paths: list[Path], jobs: int, pdf: bool, root: Path) -> float:
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    result = render_many(paths, jobs=jobs, pdf=pdf, reports_root=root)
    seconds = time.perf_counter() - started
    if not result.ok:
        sys.exit(f"a render failed: {result.summary()} {[o.reason for o in result.failed]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pdf", action="store_true", help="also print each report to PDF")
    args = parser.parse_args()

    load_start = os.getloadavg()
    serial: list[float] = []
    parallel: list[float] = []
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        paths = eight_evaluations(folder)
        timed(paths[:1], 1, args.pdf, folder / "warm-up")  # imports and caches warm, not measured
        for _ in range(args.repeats):
            serial.append(timed(paths, 1, args.pdf, folder / "serial"))
            parallel.append(timed(paths, args.jobs, args.pdf, folder / "parallel"))
    load_end = os.getloadavg()

    speedups = [s / p for s, p in zip(serial, parallel)]
    print(f"batch of {len(paths)} evaluations{' with PDF' if args.pdf else ''}, {args.repeats} interleaved repeats, "
          f"{os.cpu_count()} cores, BLAS threads pinned to 1")
    print(f"{'arm':<22}{'median s':>10}{'min s':>9}{'max s':>9}")
    print(f"{'serial (--jobs 1)':<22}{statistics.median(serial):>10.1f}{min(serial):>9.1f}{max(serial):>9.1f}")
    print(f"{f'parallel (--jobs {args.jobs})':<22}{statistics.median(parallel):>10.1f}{min(parallel):>9.1f}{max(parallel):>9.1f}")
    print(f"{'speed-up (ratio)':<22}{statistics.median(speedups):>10.2f}{min(speedups):>9.2f}{max(speedups):>9.2f}"
          f"   target >= 1.7")
    print(f"load average (1/5/15 min) at start {load_start[0]:.2f}/{load_start[1]:.2f}/{load_start[2]:.2f}, "
          f"at end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f}")


if __name__ == "__main__":
    main()
