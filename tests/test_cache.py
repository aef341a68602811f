"""The render cache: a cached call gives what the plain call gives; another input is another key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.run import cache
from evalkit.run.cache import CACHE_ENV, cached, memory

CALLS: list[int] = []


def _expensive(frame: pd.DataFrame, *, draws: int, seed: int) -> pd.Series:
    """A stand-in for a Monte-Carlo: random draws over a frame's column (counts its calls)."""
    CALLS.append(1)
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(size=(draws, len(frame))).mean(axis=0) + frame["x"].to_numpy(), index=frame.index)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])


def test_cached_equals_uncached_and_is_served_from_disk(tmp_path, monkeypatch, frame):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    CALLS.clear()
    plain = _expensive(frame, draws=500, seed=1)
    first = cached(_expensive)(frame, draws=500, seed=1)
    second = cached(_expensive)(frame.copy(), draws=500, seed=1)  # an equal frame is the same key
    pd.testing.assert_series_equal(first, plain, check_exact=True)
    pd.testing.assert_series_equal(second, plain, check_exact=True)
    assert len(CALLS) == 2  # the plain call and the first cached one; the second came from disk
    assert any((tmp_path / "cache" / cache.code_version()).rglob("output.pkl"))


def test_the_key_changes_when_an_input_frame_changes(tmp_path, monkeypatch, frame):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    func = memory().cache(_expensive)
    changed = frame.copy()
    changed.loc["b", "x"] = 2.5
    key = func._get_args_id(frame, draws=500, seed=1)
    assert func._get_args_id(frame.copy(), draws=500, seed=1) == key
    assert func._get_args_id(changed, draws=500, seed=1) != key
    assert func._get_args_id(frame, draws=500, seed=2) != key
    CALLS.clear()
    a = cached(_expensive)(frame, draws=500, seed=1)
    b = cached(_expensive)(changed, draws=500, seed=1)
    assert len(CALLS) == 2 and b["b"] != a["b"] and b["a"] == a["a"]


def test_off_without_the_variable(monkeypatch, frame, tmp_path):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert cache.cache_folder() is None and memory().location is None
    monkeypatch.setenv(CACHE_ENV, "off")
    CALLS.clear()
    cached(_expensive)(frame, draws=10, seed=1)
    cached(_expensive)(frame, draws=10, seed=1)
    assert len(CALLS) == 2
    assert cached(_expensive).uncached is _expensive


def test_the_code_version_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    version = cache.code_version()
    assert len(version) == 16 and memory().location == str(tmp_path / version)
