"""A disk cache for the expensive calls of a report, so that re-rendering is fast.

A render sets ``EVALKIT_CACHE`` for its kernel (default ``reports/.cache/``,
the folder beside the report folders; a value already set is kept, and
``EVALKIT_CACHE=off`` renders without a cache). In the notebook, wrap a call
whose inputs are data and whose result is a value::

    from evalkit.run.cache import cached

    net_effect = cached(ek.estimate_net_effect)(programme, period=period, mc_draws=mc_draws, seed=seed, ...)
    sc = cached(ek.synthetic_control)(panel, unit="municipality_code", ..., placebo=True)

The first render computes and stores the result; a later render with equal
arguments (compared by content: a DataFrame that differs in one cell is
another key) loads it instead. Results are identical either way: the cache
stores the returned object (pickled), it does not approximate.

The cache is keyed by the function, the arguments and the evalkit code that
made the result: :func:`code_version` (a digest of evalkit's source files
and of numpy, scipy and pandas versions) names a subfolder, so a change to
any evalkit module starts a fresh cache rather than serving a result the old
code made. Without ``EVALKIT_CACHE`` (the library used outside a render)
nothing is cached. Delete the folder to free the space.

Built on ``joblib.Memory`` (joblib, BSD licence): argument hashing by
content, one folder per function.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

#: Environment variable naming the cache folder (``off``, ``0`` or empty: no cache).
CACHE_ENV = "EVALKIT_CACHE"
#: The cache folder's name beside the report folders when a render chooses it.
DEFAULT_FOLDER = ".cache"
_OFF = ("", "0", "off", "no", "false")

F = TypeVar("F", bound=Callable[..., Any])


def cache_folder() -> Path | None:
    """The cache folder from ``EVALKIT_CACHE``, or None when caching is off."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() in _OFF:
        return None
    return Path(value)


@cache
def code_version() -> str:
    """A short digest of evalkit's source and the numeric libraries' versions (the cache's subfolder)."""
    import numpy
    import pandas
    import scipy

    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for module in (numpy, scipy, pandas):
        digest.update(f"{module.__name__}={module.__version__}".encode())
    return digest.hexdigest()[:16]


def memory(folder: str | Path | None = None):
    """A ``joblib.Memory`` on the cache folder (``folder``, else ``EVALKIT_CACHE``); caching nothing when off.

    Returns
    -------
    joblib.Memory
        Located at ``<folder>/<code_version()>``, or with no location (calls
        go straight through) when no folder is set.
    """
    import joblib

    folder = Path(folder) if folder is not None else cache_folder()
    if folder is None:
        return joblib.Memory(location=None, verbose=0)
    return joblib.Memory(location=str(folder / code_version()), verbose=0)


def cached(func: F) -> F:
    """``func`` with its results kept in the cache (see the module's docstring).

    The folder is looked up at each call (``EVALKIT_CACHE``), so a function
    wrapped at import time follows the render's setting. The plain function
    stays reachable as ``.uncached``.

    Parameters
    ----------
    func
        A function of data (frames, arrays, numbers, frozen results) whose
        result depends only on its arguments. Not for functions that read
        files or the clock: the cache does not see those.

    Examples
    --------
    >>> from evalkit.run.cache import cached
    >>> fit = cached(ek.synthetic_control)(panel, unit="municipality_code", ...)  # doctest: +SKIP
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        store = memory()
        if store.location is None:
            return func(*args, **kwargs)
        return store.cache(func)(*args, **kwargs)

    wrapper.uncached = func  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
