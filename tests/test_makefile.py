"""`make lab` serves: bound to this machine, no browser, and as root with --allow-root (Jupyter refuses root otherwise)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_serves_locally_and_as_root():
    # -n prints the commands; the stamp and pip steps are skipped by pointing them at what exists.
    done = subprocess.run(["make", "-n", "lab", "STAMP=Makefile"], cwd=ROOT, capture_output=True, text=True, check=True)
    line = next(ln for ln in done.stdout.splitlines() if "jupyter lab" in ln)
    assert "--ip=127.0.0.1" in line and "--no-browser" in line
    assert ("--allow-root" in line) == (os.getuid() == 0)
