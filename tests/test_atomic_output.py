"""No data lost: a render replaces the report folder only when complete.

An interrupted render (killed mid-way) leaves the previous report intact; a failing
cell gives one message with the cell and the error, exit code 2, and keeps the partial
notebook in ``<folder>.failed/``. Uses a small notebook with the real notebook's
parameters cell, so a render takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from evalkit.run.cli import main

from evalkit.run.render import LOCK_FILE, MANIFEST, STAGING_MARK, _exchange, recover_interrupted, render, write_manifest

PREVIOUS = {"results.json": '{"figures": {"previous": 1}}\n', "report.html": "<p>the previous report</p>\n"}


def _project(root: Path, cells: list[str]) -> Path:
    """A copy of the data and an evaluation whose notebook is the real parameters cell plus ``cells``."""
    import shutil

    for sub in ("data/vestre_toten", "data/ssb"):
        shutil.copytree(ROOT / sub, root / sub)
    real = nbformat.read(ROOT / "notebooks" / "final_evaluation.ipynb", as_version=4)
    parameters = next(c for c in real.cells if "parameters" in c.metadata.get("tags", []))
    notebook = nbformat.v4.new_notebook(metadata=real.metadata)
    notebook.cells = [parameters] + [nbformat.v4.new_code_cell(source) for source in cells]
    (root / "notebooks").mkdir()
    nbformat.write(notebook, root / "notebooks" / "small.ipynb")
    (root / "evaluations").mkdir()
    evaluation = root / "evaluations" / "small.yaml"
    evaluation.write_text(
        "title: Small\nnotebook: ../notebooks/small.ipynb\ndata: ../data/vestre_toten\nperiod: [2010, 2016]\n"
        "parameters:\n  municipality_code: '3443'\n",
        encoding="utf-8",
    )
    return evaluation


def _previous_report(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True)
    for name, text in PREVIOUS.items():
        (folder / name).write_text(text)
    write_manifest(folder)
    return _digest(folder)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _start(evaluation: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "evalkit.run.cli", "render", str(evaluation), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_staging(process: subprocess.Popen, out: Path, seconds: float = 60) -> Path:
    """Wait until the render has its staging folder with the executing notebook in it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        staging = [p for p in out.parent.glob(f".{out.name}.{STAGING_MARK}-*") if (p / "report.ipynb").exists()]
        if staging:
            return staging[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the render never started its staging folder")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_render_leaves_the_previous_report(tmp_path, how):
    evaluation = _project(tmp_path, ["import time\ntime.sleep(60)"])
    out = tmp_path / "reports" / "small"
    before = _previous_report(out)
    process = _start(evaluation, out)
    _wait_for_staging(process, out)
    process.send_signal(how)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert _digest(out) == before
    assert _leftovers(out) == []  # the staging folder was removed


def test_killed_render_is_tidied_by_the_next(tmp_path):
    evaluation = _project(tmp_path, ["import time\ntime.sleep(60)"])
    out = tmp_path / "reports" / "small"
    before = _previous_report(out)
    process = _start(evaluation, out)
    staging = _wait_for_staging(process, out)
    process.kill()  # SIGKILL: no clean-up can run
    process.communicate(timeout=30)
    assert _digest(out) == before
    assert staging.exists() and staging.name.startswith(".")  # hidden, and named as a render in progress
    recover_interrupted(out)  # what the next render does first
    assert _leftovers(out) == [] and _digest(out) == before


def test_killed_between_the_two_renames_restores_the_previous_report(tmp_path):
    out = tmp_path / "reports" / "small"
    before = _previous_report(out)
    aside = out.parent / ".small.old-abc123"
    os.replace(out, aside)  # the state a kill between the renames leaves (its staging folder, unlocked)
    (out.parent / f".small.{STAGING_MARK}-abc123").mkdir()
    (out.parent / f".small.{STAGING_MARK}-abc123" / LOCK_FILE).write_text("")
    recover_interrupted(out)
    assert _digest(out) == before and _leftovers(out) == []


def test_exchange_swaps_two_folders_atomically(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x").write_text("a"), (b / "x").write_text("b")
    if not _exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_failing_cell_one_message_and_partial_notebook_kept(tmp_path, capsys):
    evaluation = _project(tmp_path, ["x = 1", "raise ValueError('the survey has no answers')", "y = 2"])
    out = tmp_path / "reports" / "small"
    before = _previous_report(out)
    assert main(["render", str(evaluation), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err
    # cell 4 of the executed notebook: papermill inserts the injected-parameters cell.
    assert "small.ipynb: cell 4 (raise ValueError('the survey has no answers')) failed with ValueError: the survey has no answers" in err
    failed = out.parent / "small.failed" / "report.ipynb"
    assert failed.is_file() and str(failed.parent) in err
    executed = nbformat.read(failed, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells for o in c.get("outputs", []))
    assert _digest(out) == before  # the previous report is untouched
    assert _leftovers(out) == []


def test_success_replaces_the_previous_report_and_clears_the_failed_folder(tmp_path):
    evaluation = _project(tmp_path, ["print('ok')"])
    out = tmp_path / "reports" / "small"
    _previous_report(out)
    (out.parent / "small.failed").mkdir()
    inputs = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / "data").rglob("*")) if p.is_file()}
    result = render(evaluation, out)
    assert inputs == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / "data").rglob("*")) if p.is_file()}
    assert result.folder == out.absolute()
    assert "report.html" in result.files and "results.json" in result.files
    assert "the previous report" not in (out / "report.html").read_text()
    assert not (out.parent / "small.failed").exists()
    assert _leftovers(out) == []


def test_read_only_location_is_a_clear_message(tmp_path, capsys):
    evaluation = _project(tmp_path, ["print('ok')"])
    # /sys refuses new entries even to root, unlike a chmod-ed folder.
    assert main(["render", str(evaluation), "-o", "/sys/evalkit-report"]) == 2
    err = capsys.readouterr().err
    assert "evalkit: error: /sys: cannot be written" in err and "-o" in err and "Traceback" not in err


# --- a render replaces only what a render wrote ---------------------------------------------------


def _render_refused(evaluation: Path, out: Path, capsys) -> str:
    assert main(["render", str(evaluation), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if line.strip()]) == 1 and "Traceback" not in err
    return err


def test_a_folder_without_a_manifest_is_never_replaced(tmp_path, capsys):
    evaluation = _project(tmp_path, ["print('ok')"])
    out = tmp_path / "mine"
    out.mkdir()
    (out / "results.json").write_text("{}")  # looks like a report, but no render listed it
    (out / "thesis.docx").write_text("years of work")
    before = _digest(out)
    err = _render_refused(evaluation, out, capsys)
    assert f"{out}: exists and holds files but is not an evalkit report (no {MANIFEST}" in err
    assert _digest(out) == before and _leftovers(out) == []


def test_a_report_folder_with_a_file_of_ones_own_is_never_replaced(tmp_path, capsys):
    evaluation = _project(tmp_path, ["print('ok')"])
    out = tmp_path / "reports" / "small"
    _previous_report(out)
    (out / "figures").mkdir()
    (out / "figures" / "my-drawing.png").write_bytes(b"png")
    before = _digest(out)
    err = _render_refused(evaluation, out, capsys)
    assert f"{out}: exists and holds files no render wrote (e.g. 'figures/my-drawing.png'" in err
    assert _digest(out) == before and (out / "figures" / "my-drawing.png").exists()


def test_a_report_folder_listed_in_its_manifest_is_replaced(tmp_path):
    evaluation = _project(tmp_path, ["print('ok')"])
    out = tmp_path / "reports" / "small"
    render(evaluation, out)
    first = json.loads((out / MANIFEST).read_text())["files"]
    assert "results.json" in first and "report.html" in first and MANIFEST not in first
    assert not (out / LOCK_FILE).exists()
    render(evaluation, out)  # a report of ours: replaced
    assert json.loads((out / MANIFEST).read_text())["files"] == first


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    evaluation = _project(tmp_path, ["print('ok')"])
    real = tmp_path / "shared" / "report"
    _previous_report(real)
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    render(evaluation, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "the previous report" not in (real / "report.html").read_text()
    leftovers = [p.name for p in (*tmp_path.iterdir(), *real.parent.iterdir()) if p.name.startswith(".")]
    assert leftovers == []  # no temporary folder, no dangling link
    assert all(p.exists() for p in tmp_path.rglob("*"))  # no dangling link anywhere


def test_a_users_folder_named_like_the_failed_folder_is_kept(tmp_path, capsys):
    evaluation = _project(tmp_path, ["raise ValueError('boom')"])
    out = tmp_path / "reports" / "small"
    mine = out.parent / "small.failed"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    assert main(["render", str(evaluation), "-o", str(out)]) == 2
    capsys.readouterr()
    assert (mine / "notes.txt").read_text() == "mine"
    assert [p for p in out.parent.glob("small.failed-*") if (p / "report.ipynb").is_file()]


# --- stale staging folders are judged by their lock, not by a process id ------------------------

HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def test_a_staging_folder_whose_lock_is_held_is_kept_whatever_its_pid(tmp_path):
    out = tmp_path / "reports" / "small"
    before = _previous_report(out)
    # Named with the id of a process that has ended, as a render in another PID namespace looks.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    busy = out.parent / f".small.{STAGING_MARK}-{int(dead.stdout)}-x1"
    busy.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(busy / LOCK_FILE)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        idle = out.parent / f".small.{STAGING_MARK}-{os.getpid()}-x2"
        idle.mkdir()
        (idle / LOCK_FILE).write_text("")  # its render is gone: nobody holds the lock
        recover_interrupted(out)
        assert busy.is_dir() and not idle.exists()
        assert _digest(out) == before
    finally:
        holder.kill()
        holder.wait()
    recover_interrupted(out)  # the holder is gone now
    assert _leftovers(out) == []
