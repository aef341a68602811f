"""Benchmark: what importing evalkit costs, against importing pandas, in fresh interpreters.

Each case runs ``python -X importtime -c "import X"`` in a new process (interleaved, REPEATS
times) and reports the wall time, its ratio to ``import pandas`` measured in the same run, and
which heavy libraries the import loaded. Goal: ``import evalkit.errors`` loads none of scipy,
matplotlib, pandera, statsmodels (and ``import evalkit`` none either: the API loads on first use).

Run: ``.venv/bin/python benchmarks/bench_import.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

REPEATS = 7
CASES = {
    "import pandas": "import pandas",
    "import evalkit": "import evalkit",
    "import evalkit.errors": "import evalkit.errors",
    "ek.load_programme (first use)": "import evalkit as ek; ek.load_programme",
    "ek.synthetic_control (first use)": "import evalkit as ek; ek.synthetic_control",
}
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "pandera", "statsmodels")
PROBE = "import sys; {code}; print(','.join(m for m in {heavy!r} if m in sys.modules))"


def run(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)], check=True,
                         capture_output=True, text=True, env=os.environ | {"OPENBLAS_NUM_THREADS": "1"})
    return time.perf_counter() - start, out.stdout.strip()


def main() -> None:
    print(f"load average at start: {os.getloadavg()}")
    times: dict[str, list[float]] = {name: [] for name in CASES}
    loaded: dict[str, str] = {}
    run("pass")  # warm the file cache
    for _ in range(REPEATS):
        for name, code in CASES.items():
            seconds, modules = run(code)
            times[name].append(seconds)
            loaded[name] = modules
    base = statistics.median(times["import pandas"])
    print(f"{'case':36} {'median s':>9} {'min-max':>13} {'/ pandas':>9}  heavy modules loaded")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:36} {med:9.3f} {min(values):6.3f}-{max(values):.3f} {med / base:9.2f}  {loaded[name] or '-'}")
    print(f"load average at end: {os.getloadavg()}")
    bad = [m for m in loaded["import evalkit.errors"].split(",") if m in ("scipy", "matplotlib", "pandera", "statsmodels")]
    print("goal met: import evalkit.errors loads none of scipy, matplotlib, pandera, statsmodels" if not bad
          else f"GOAL NOT MET: import evalkit.errors loads {bad}")


if __name__ == "__main__":
    main()
