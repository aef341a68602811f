"""How many processes one computation may use (e.g. the synthetic-control placebo).

One render alone may use every core; a batch of renders running side by side
must not each do so, or they fight over the same cores. Batch workers therefore
set ``EVALKIT_JOBS=1`` (like ``OMP_NUM_THREADS`` for BLAS), and the kernels they
start inherit it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

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


def die_with_parent(parent: int | None = None) -> None:
    """End this process when its parent ends, even by ``kill -9`` (a pool initializer).

    Linux delivers SIGKILL to a process whose parent dies once it has asked
    with ``prctl(PR_SET_PDEATHSIG)``; without it, pool workers of a killed
    render keep computing, orphaned. A parent that died before the request is
    caught by comparing the parent's id with ``parent`` (the pool owner's pid).
    Elsewhere this does nothing.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # orphaned already, between fork and the request


#: prctl option: signal to receive when the parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def one_job_per_worker() -> None:
    """Pool initializer of batch workers: each render uses one process, and ends with the batch."""
    os.environ[JOBS_ENV] = "1"
    die_with_parent()
