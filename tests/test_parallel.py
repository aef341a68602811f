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
