"""Many evaluations at once: a bad one does not stop a good one; the same renders on a Dask cluster.

Renders cost seconds each, so there are three: one through the command line
with ``--jobs 2`` (local processes) and one on a Dask ``LocalCluster`` on
loopback, plus one render-free failure in each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from evalkit.run.batch import BatchResult, Outcome, check_batch, render_many, render_one
from evalkit.run.cli import main
from evalkit.errors import InputError

# The quickest evaluation to render (no counterfactual, few tables).
GOOD = ROOT / "evaluations" / "gjovikregionen-2017-2018-en.yaml"


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    """An evaluation whose notebook does not exist: found before a kernel starts."""
    path = tmp_path / "broken-2020.yaml"
    path.write_text(
        "title: Broken\nnotebook: ../nowhere.ipynb\ndata: .\nperiod: [2017, 2018]\n", encoding="utf-8"
    )
    return path


@pytest.mark.slow  # one render in a worker process: ~7 s on an idle 2-core machine
def test_a_batch_renders_the_good_evaluation_and_names_the_bad_one(tmp_path, bad, capsys):
    out = tmp_path / "reports"
    code = main(["render", str(GOOD), str(bad), "--jobs", "2", "-o", str(out)])
    printed = capsys.readouterr()
    assert code == 2
    lines = printed.out.splitlines()
    assert any(line.startswith("done") and "gjovikregionen-2017-2018-en" in line for line in lines)
    failed = [line for line in lines if line.startswith("FAILED")]
    assert len(failed) == 1 and "broken-2020" in failed[0] and "nowhere.ipynb" in failed[0]
    assert "1 of 2 evaluations rendered" in printed.err and "failed: broken-2020" in printed.err
    # -o with several evaluations is the reports root: reports land in DIR/<slug>/.
    figures = json.loads((out / "gjovikregionen-2017-2018-en" / "results.json").read_text())["figures"]
    assert figures["projects.count"] == 17 and figures["funding.granted_nok"] == 5_500_000
    assert not (out / "broken-2020").exists()


@pytest.mark.slow  # cluster start and one render: ~8 s on an idle 2-core machine
def test_render_on_a_dask_cluster(tmp_path, bad):
    distributed = pytest.importorskip("distributed")
    seen: list[Outcome] = []
    # Loopback TCP; the worker runs in this process (threads), so the test starts fast.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        result = render_many([GOOD, bad], scheduler=cluster.scheduler_address, reports_root=tmp_path, on_done=seen.append)
    assert [o.slug for o in result.outcomes] == ["gjovikregionen-2017-2018-en", "broken-2020"]  # order given
    assert sorted(o.slug for o in seen) == sorted(o.slug for o in result.outcomes)
    good, failed = result.outcomes
    assert good.ok and Path(good.folder) == tmp_path / "gjovikregionen-2017-2018-en"
    assert json.loads((tmp_path / good.slug / "results.json").read_text())["figures"]["region.population"] == 70_875
    assert not failed.ok and "nowhere.ipynb" in failed.reason
    assert result.exit_code == 2 and result.workers == "dask"


def test_render_one_never_raises(bad, tmp_path):
    outcome = render_one(bad, reports_root=tmp_path)
    assert not outcome.ok and outcome.slug == "broken-2020"
    assert "\n" not in outcome.reason and "nowhere.ipynb" in outcome.reason
    assert outcome.line().startswith("FAILED  broken-2020")
    missing = render_one(tmp_path / "missing.yaml", reports_root=tmp_path)
    assert not missing.ok and "does not exist" in missing.reason


def test_serial_batch_of_failures_keeps_going(tmp_path, bad):
    other = tmp_path / "other.yaml"
    other.write_text("not: [valid", encoding="utf-8")
    result = render_many([bad, other], jobs=1, reports_root=tmp_path / "r")
    assert [o.ok for o in result.outcomes] == [False, False]
    assert "not valid YAML" in result.outcomes[1].reason
    assert result.exit_code == 2 and "0 of 2 evaluations rendered" in result.summary()


def test_a_bad_batch_is_stopped_before_anything_runs(tmp_path, capsys):
    a = tmp_path / "a" / "same.yaml"
    b = tmp_path / "b" / "same.yaml"
    with pytest.raises(InputError, match="would both write the report folder 'same'"):
        check_batch([a, b], 2)
    for jobs in (0, -1, True):
        with pytest.raises(InputError) as info:
            check_batch([a], jobs)
        assert info.value.location.parameter == "jobs"
    with pytest.raises(InputError):
        check_batch([], 1)
    assert main(["render", str(a), str(b), "--jobs", "2"]) == 2
    assert "same" in capsys.readouterr().err


def test_batch_result_exit_code_and_table():
    ok = Outcome("a.yaml", "a", True, 1.25, folder="/r/a")
    no = Outcome("b.yaml", "b", False, 0.5, reason="b.yaml: broken.")
    assert BatchResult((ok,), 1.3).exit_code == 0
    both = BatchResult((ok, no), 1.8, 2)
    assert both.exit_code == 2 and both.failed == (no,)
    frame = both.to_frame()
    assert frame.loc["b", "reason"] == "b.yaml: broken." and bool(frame.loc["a", "ok"])
    assert both.summary() == "1 of 2 evaluations rendered in 1.8 s (2 workers); failed: b."
