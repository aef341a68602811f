"""How many processes one computation may use (e.g. the synthetic-control placebo).

One render alone may use every core; a batch of renders running side by side
must not each do so, or they fight over the same cores. Batch workers therefore
set ``EVALKIT_JOBS=1`` (like ``OMP_NUM_THREADS`` for BLAS), and the kernels they
start inherit it.
"""

from __future__ import annotations

import os

from evalkit.errors import InputError

#: Environment variable capping the processes of one computation.
JOBS_ENV = "EVALKIT_JOBS"


def available_jobs() -> int:
    """Processes a computation may use: ``EVALKIT_JOBS`` if set, else the CPUs this process may run on."""
    value = os.environ.get(JOBS_ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise InputError(f"must be a positive whole number, not {value!r}.", parameter=JOBS_ENV)
        return int(value)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def one_job_per_worker() -> None:
    """Pool initializer of batch workers: each render uses one process."""
    os.environ[JOBS_ENV] = "1"
