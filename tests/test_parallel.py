"""How many processes one computation may use, and batch workers capping it at one."""

from __future__ import annotations

import os

import pytest

import evalkit as ek
from evalkit.run.parallel import JOBS_ENV, one_job_per_worker


def test_available_jobs_follows_the_environment(monkeypatch):
    monkeypatch.setenv(JOBS_ENV, "3")
    assert ek.available_jobs() == 3
    monkeypatch.delenv(JOBS_ENV)
    assert ek.available_jobs() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_a_bad_cap_names_the_variable(monkeypatch, bad):
    monkeypatch.setenv(JOBS_ENV, bad)
    with pytest.raises(ek.InputError, match=JOBS_ENV):
        ek.available_jobs()


def test_batch_workers_use_one_job_each(monkeypatch):
    monkeypatch.delenv(JOBS_ENV, raising=False)
    one_job_per_worker()
    try:
        assert ek.available_jobs() == 1
    finally:
        os.environ.pop(JOBS_ENV, None)


# --- workers end with their parent, even after kill -9 ------------------------------------------

PARENT = """
import sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import pandas as pd
from evalkit.methods.counterfactual import synthetic_control as sc

# A render-like parent: the placebo's pool of forked workers, each kept busy for a long time.
rng = np.random.default_rng(1)
units = [f"u{i}" for i in range(6)]
data = pd.DataFrame([(u, t, 100 + rng.normal()) for u in units for t in range(2000, 2010)], columns=["unit", "year", "y"])
fit = sc.synthetic_control(data, unit="unit", time="year", outcome="y", treated="u0", treatment_start=2006)
real = sc._fit_problem
def slow(*args, **kwargs):
    time.sleep(120)
    return real(*args, **kwargs)
sc._fit_problem = slow
print("fitting", flush=True)
fit.placebo(n_jobs=3)
"""


def _children(pid: int) -> list[int]:
    from pathlib import Path

    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid) and fields.get("State", "").split()[0] != "Z":
            found.append(int(status.parent.name))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="Linux: the test reads /proc")
def test_placebo_workers_end_when_their_parent_is_killed():
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[1] / "src")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, src], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "fitting"
        deadline = time.monotonic() + 30
        while len(_children(parent.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(parent.pid)
        assert len(workers) >= 3, workers
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [w for w in alive if Path(f"/proc/{w}").exists() and "State:\tZ" not in Path(f"/proc/{w}/status").read_text()]
        time.sleep(0.1)
    for w in alive:  # do not leave them behind if the test fails
        os.kill(w, signal.SIGKILL)
    assert alive == [], "placebo workers outlived their killed parent"


def test_batch_workers_ask_to_die_with_their_parent(monkeypatch):
    from evalkit.run import parallel

    asked = []
    monkeypatch.setattr(parallel, "die_with_parent", lambda parent=None: asked.append(parent))
    monkeypatch.delenv(JOBS_ENV, raising=False)
    one_job_per_worker()
    os.environ.pop(JOBS_ENV, None)
    assert asked == [None]
