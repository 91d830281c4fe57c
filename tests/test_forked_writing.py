"""The command line makes and writes the gap areas in a forked process while the circles are built
(projects.forking, projects.outputs.AnalysisWriter, run_analysis's gaps_sink): the same files as one process
writes, errors reach the parent whole, and a failure or an interruption leaves the output folder as it was."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from layers.errors import InputError
from projects.forking import ChildFailed, can_fork, fork_call
from projects.outputs import AnalysisWriter, write_analysis
from spatial.analysis import run_analysis

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs a POSIX fork and a single-threaded test process")


def _raise(exc):
    raise exc


def test_fork_call_returns_the_value_and_raises_the_error_whole():
    assert fork_call(lambda: {"answer": 6 * 7}).result() == {"answer": 42}
    err = InputError("no such column", path="/data/设施.csv", row=3, column="名称")
    with pytest.raises(InputError) as caught:
        fork_call(lambda: _raise(err)).result()
    assert (caught.value.path, caught.value.row, caught.value.column) == (Path("/data/设施.csv"), 3, "名称")
    assert str(caught.value) == str(err)
    assert any("in a worker process" in note for note in caught.value.__notes__)
    with pytest.raises(OSError) as caught:
        fork_call(lambda: _raise(OSError(28, "No space left on device", "/out/gaps.gpkg"))).result()
    assert caught.value.errno == 28 and caught.value.filename == "/out/gaps.gpkg"


def test_a_child_that_dies_is_reported_not_waited_for():
    call = fork_call(lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(ChildFailed, match="killed by SIGKILL"):
        call.result()
    call = fork_call(lambda: os._exit(3))
    with pytest.raises(ChildFailed, match="exit status 3"):
        call.result()


def test_kill_stops_a_running_child():
    call = fork_call(lambda: time.sleep(60))
    t0 = time.monotonic()
    call.kill()
    assert time.monotonic() - t0 < 5
    call.kill()  # twice is harmless


def test_no_fork_while_another_thread_runs(tmp_path):
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        with pytest.raises(RuntimeError):
            fork_call(lambda: 1)
        with AnalysisWriter(tmp_path / "out", processes=True) as writer:  # then the result keeps its gap areas
            assert writer.gaps_sink is None
    finally:
        stop.set()
        thread.join()


@pytest.fixture(scope="module")
def sample():
    from layers.classes import BASELINE_STATUSES
    from projects.ccproj import Settings
    from projects.inputs import load_inputs, sample_info
    from projects.profiles import load_profile

    info = sample_info()
    inputs = load_inputs(info.sources)
    params = Settings(profile=load_profile(info.profile), elderly_basis=info.elderly_basis).params(
        statuses=BASELINE_STATUSES, area_name=info.title)
    return inputs, params, run_analysis(inputs, params)


def _layers(path: Path) -> dict[str, pd.DataFrame]:
    return {name: pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)}


def test_the_forked_writer_writes_what_one_process_writes(sample, tmp_path):
    inputs, params, full = sample
    one = write_analysis(full, tmp_path / "one")
    seen = []
    with AnalysisWriter(tmp_path / "forked", processes=True) as writer:
        assert writer.gaps_sink is not None

        def sink(make):
            seen.append(threading.active_count())  # no worker thread alive when the process is forked
            writer.gaps_sink(make)

        result = run_analysis(inputs, params, gaps_sink=sink)
        forked = writer.finish(result)
    assert seen == [1] and result.gaps is None
    assert list(forked) == list(one) and [p.name for p in forked.values()] == [p.name for p in one.values()]
    for key, path in one.items():
        if path.suffix == ".gpkg":
            a, b = _layers(path), _layers(forked[key])
            assert list(a) == list(b)
            for name in a:
                assert a[name].drop(columns="geometry").equals(b[name].drop(columns="geometry")), (key, name)
                assert shapely.equals_exact(a[name].geometry.values, b[name].geometry.values, tolerance=0.0).all()
        else:
            assert path.read_bytes() == forked[key].read_bytes(), key
    assert len(_layers(forked["gaps"])["gaps"]) == len(full.gaps) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forked", "one"]  # no temporary folder left


def test_a_failing_gap_writer_leaves_the_folder_as_it_was(sample, tmp_path):
    full = sample[2]
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.csv").write_text("from an earlier run", encoding="utf-8")
    with pytest.raises(InputError, match="broken"):
        with AnalysisWriter(out, processes=True) as writer:
            writer.gaps_sink(lambda: _raise(InputError("broken")))
            writer.finish(full)
    assert [p.name for p in out.iterdir()] == ["coverage.csv"]
    assert (out / "coverage.csv").read_text(encoding="utf-8") == "from an earlier run"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_leaving_without_finishing_stops_the_writer(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with AnalysisWriter(tmp_path / "out", processes=True) as writer:
            writer.gaps_sink(lambda: time.sleep(60))
            raise KeyboardInterrupt  # Ctrl+C while the circles are built
    assert time.monotonic() - t0 < 5
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and not list((tmp_path / "out").iterdir())


def test_a_grandchild_dies_with_its_parent(tmp_path):
    """A worker's own worker does not outlive it when it is killed (nor a worker the command, killed)."""
    pid_file = tmp_path / "pid"

    def writer():
        fork_call(lambda: (pid_file.write_text(str(os.getpid())), time.sleep(60))).result()

    call = fork_call(writer)
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    call.kill()
    for _ in range(100):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        try:  # a zombie until init reaps it counts as gone
            with open(f"/proc/{grandchild}/stat") as fh:
                if fh.read().split()[2] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the worker's own child outlived it")
