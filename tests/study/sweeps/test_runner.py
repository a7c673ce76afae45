"""Running a sweep: resuming, refusing another recipe, SIGKILL at many moments, and a
chief with two workers."""

import csv
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from larq_ber.study.recipes import load_recipe
from larq_ber.study.results import read_results, write_results
from larq_ber.study.sweeps import run_sweep
from larq_ber.tables import COLUMNS


@pytest.mark.slow
def test_run_sweep_resumes_and_refuses_another_recipe(
    tiny_recipe, tmp_path, read_events
):
    recipe = tiny_recipe(repeats=1, epochs=1)
    out = tmp_path / "out"
    summary = run_sweep(recipe, out, progress=False)
    assert (summary.total, summary.finished, summary.failed) == (2, 2, ())
    assert summary.role == "single"
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/result.json")}
    again = run_sweep(recipe, out, progress=False)
    assert again.finished == 2
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/result.json")} == stamps
    for run_dir in out.glob("runs/*"):
        assert [e["event"] for e in read_events(run_dir)] == ["start", "finish"]
    listing = sorted(str(p) for p in out.rglob("*"))
    other = dataclasses.replace(recipe, epochs=2)
    with pytest.raises(ValueError, match="epochs: 1 -> 2"):
        run_sweep(other, out, progress=False)
    assert sorted(str(p) for p in out.rglob("*")) == listing
    rows = read_results(out)
    assert [(r["ber"], r["epoch"]) for r in rows] == [(0.0, 1), (0.5, 1)]
    assert write_results(out, tmp_path / "all.csv") == 2
    with open(tmp_path / "all.csv") as file:
        assert next(csv.reader(file)) == list(COLUMNS)


def sweep_command(recipe, out):
    return [sys.executable, "-m", "larq_ber.study.cli", "sweep", str(recipe), "--out",
            str(out), "--no-progress"]  # fmt: skip


def snapshot(out):
    """Every committed row (by run and epoch) and the finished runs."""
    rows = {}
    for path in Path(out).glob("runs/*/epochs.csv"):
        with open(path, newline="") as file:
            for row in csv.DictReader(file):
                rows[(row["run_id"], row["epoch"])] = tuple(row.values())
    done = {p.parent.name for p in Path(out).glob("runs/*/result.json")}
    pending = any(Path(out).glob("runs/*/pending.json"))
    return rows, done, pending


def _without_wall_time(rows):
    """Rows keyed by (run, epoch) without `wall_s`, the one column that is a clock."""
    wall = COLUMNS.index("wall_s")
    return {key: row[:wall] + row[wall + 1 :] for key, row in rows.items()}


@pytest.mark.slow
def test_sigkill_at_random_moments_gives_the_uninterrupted_table(
    tmp_path, tiny_recipe_file, read_events
):
    """Kill-and-compare: the table after 3 SIGKILLs at moments drawn from a seeded
    RNG, each followed by a resume, equals the table of an uninterrupted sweep of
    the same recipe value for value (except the wall-clock column)."""
    recipe = tiny_recipe_file(epochs=3)  # digits, 2 BERs x 2 repeats, 3 epochs
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    clean = tmp_path / "clean"
    start = time.monotonic()
    proc = subprocess.Popen(sweep_command(recipe, clean), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    first_row = None
    while proc.poll() is None:
        if first_row is None and snapshot(clean)[0]:
            first_row = time.monotonic() - start
        assert time.monotonic() - start < 600, "sweep process hangs"
        time.sleep(0.05)
    duration = time.monotonic() - start
    assert proc.returncode == 0, proc.communicate()[0]
    first_row = first_row if first_row is not None else 0.1 * duration
    expected, finished, _ = snapshot(clean)
    assert len(finished) == 4 and len(expected) == 12

    out = tmp_path / "out"
    # Between the first row of the clean sweep and its end: a kill while
    # TensorFlow is still importing tests nothing the resume has to repair.
    moments = np.random.default_rng(2026).uniform(first_row, 0.9 * duration, 3)
    seen = {}  # every row ever observed, with its content
    for moment in [*moments, None]:
        begin = time.monotonic()
        proc = subprocess.Popen(
            sweep_command(recipe, out), env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        while proc.poll() is None:
            seen.update(snapshot(out)[0])
            if moment is not None and time.monotonic() - begin > moment:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                break
            assert time.monotonic() - begin < 300, "sweep process hangs"
            time.sleep(0.05)
        if moment is None:
            output = proc.communicate()[0]
            assert proc.returncode == 0, output
            assert "4 of 4 runs finished" in output
    rows, finished, pending = snapshot(out)
    assert not pending and len(finished) == 4
    # Every row ever seen is still there, unchanged: rows are only appended.
    for key, row in seen.items():
        assert rows[key] == row, key
    # The same rows as the uninterrupted sweep: none missing, none duplicated,
    # every value equal.
    assert _without_wall_time(rows) == _without_wall_time(expected)
    assert len(read_results(out)) == len(expected)
    for run_dir in (out / "runs").iterdir():
        kinds = [e["event"] for e in read_events(run_dir)]
        assert kinds.count("finish") == 1 and kinds[-1] == "finish", kinds
        result = json.loads((run_dir / "result.json").read_text())
        clean_result = json.loads(
            (clean / "runs" / run_dir.name / "result.json").read_text()
        )
        assert {k: v for k, v in result.items() if k != "wall_s"} == {
            k: v for k, v in clean_result.items() if k != "wall_s"
        }
    assert not list(out.glob("runs/*/backup")), "backups are removed when done"


@pytest.mark.slow
def test_a_second_sweep_into_a_busy_folder_is_refused(tmp_path, tiny_recipe_file):
    recipe = tiny_recipe_file(epochs=2, repeats=1)
    out = tmp_path / "out"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    first = subprocess.Popen(sweep_command(recipe, out), env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (out / "sweep.json").exists():  # the first one holds the lock
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        second = subprocess.run(
            sweep_command(recipe, out), env=env, cwd=tmp_path, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert second.returncode == 2
        message = second.stderr.strip().splitlines()
        assert len(message) == 1, second.stderr
        assert (
            f"process {first.pid} on" in message[0]
            and "KERASTUNER_TUNER_ID" in message[0]
        )
        output = first.communicate(timeout=300)[0]
    finally:
        first.kill()
    assert first.returncode == 0, output
    assert "2 of 2 runs finished" in output
    rows, finished, _ = snapshot(out)
    assert len(finished) == 2 and sorted(e for _, e in rows) == ["1", "1", "2", "2"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_chief_and_two_workers_run_every_point_exactly_once(
    tmp_path, tiny_recipe_file, read_events
):
    recipe = tiny_recipe_file(bers=[0.0, 0.1, 0.5])  # 3 BERs x 2 repeats, 2 epochs
    out = tmp_path / "out"
    base = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
            "KERASTUNER_ORACLE_IP": "127.0.0.1",
            "KERASTUNER_ORACLE_PORT": str(free_port())}  # fmt: skip
    procs = {}
    for tuner_id in ("chief", "worker0", "worker1"):
        procs[tuner_id] = subprocess.Popen(
            sweep_command(recipe, out), env={**base, "KERASTUNER_TUNER_ID": tuner_id},
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    outputs = {}
    try:
        for tuner_id, proc in procs.items():
            outputs[tuner_id] = proc.communicate(timeout=300)[0]
    finally:
        for proc in procs.values():
            proc.kill()
    for tuner_id, proc in procs.items():
        assert proc.returncode == 0, outputs[tuner_id]
    assert "6 of 6 runs finished" in outputs["chief"]
    assert "(this process: chief)" in outputs["chief"]
    runs = sorted((out / "runs").iterdir())
    assert len(runs) == 6
    trained_by = {}
    for run_dir in runs:
        kinds = read_events(run_dir)
        assert [e["event"] for e in kinds] == ["start", "finish"], run_dir.name
        trained_by[run_dir.name] = kinds[0]["tuner_id"]
        assert kinds[0]["pid"] == kinds[1]["pid"]
    assert set(trained_by.values()) == {"worker0", "worker1"}  # the chief trains none
    trials = [json.loads(p.read_text()) for p in out.glob("tuner/trial_*/trial.json")]
    assert sorted(t["status"] for t in trials) == ["COMPLETED"] * 6


@pytest.mark.slow
def test_diverged_runs_are_reported_in_the_summary_and_exit_status(
    tmp_path, tiny_recipe_file, capsys
):
    from larq_ber.study import cli

    recipe = tiny_recipe_file(
        epochs=1, repeats=1, optimizer="sgd", learning_rate=1e30, momentum=0.9
    )
    out = tmp_path / "out"
    assert cli.main(["sweep", str(recipe), "--out", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "0 of 2 runs finished" in captured.out
    assert "run ber0_rep0 failed: loss became" in captured.err
    assert "2 run(s) failed" in captured.err
    summary = run_sweep(load_recipe(recipe), out, progress=False)  # not retried
    assert set(summary.failed) == {"ber0_rep0", "ber0.5_rep0"}
    assert all(r.startswith("loss became") for r in summary.reasons)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(28, "No space left on device", "out/runs/r/epochs.csv"),
         "out/runs/r/epochs.csv: No space left on device"),
        ("data", "no mnist here"),  # a dataset that cannot be had here
    ],
)  # fmt: skip
def test_errors_a_retry_cannot_remove_stop_the_sweep_at_once(
    tiny_recipe, tmp_path, monkeypatch, error, expected
):
    import keras_tuner as kt

    from larq_ber.study.data import DataError
    from larq_ber.study.sweeps import tuner

    calls = []

    def fail(*args, **kwargs):
        calls.append(args[1].run_id)
        raise error if isinstance(error, OSError) else DataError("no mnist here")

    monkeypatch.setattr(tuner, "train_run", fail)
    with pytest.raises(kt.errors.FatalError) as raised:
        run_sweep(tiny_recipe(repeats=1, epochs=1), tmp_path / "out", progress=False)
    assert len(calls) == 1  # not three trials' worth of tracebacks
    assert str(raised.value) == expected


def test_other_os_errors_are_still_retried(tiny_recipe, tmp_path, monkeypatch):
    from larq_ber.study.sweeps import tuner

    calls = []

    def fail(*args, **kwargs):
        calls.append(args[1].run_id)
        raise OSError(5, "Input/output error", "out/runs/r/epochs.csv")

    monkeypatch.setattr(tuner, "train_run", fail)
    summary = run_sweep(
        tiny_recipe(repeats=1, epochs=1), tmp_path / "out", progress=False
    )
    assert calls == ["ber0_rep0", "ber0_rep0", "ber0.5_rep0", "ber0.5_rep0"]  # retried
    assert summary.failed == ("ber0_rep0", "ber0.5_rep0")
    assert all("Input/output error" in reason for reason in summary.reasons)


def test_a_sweep_saved_before_a_new_recipe_field_still_resumes(tiny_recipe, tmp_path):
    from larq_ber.study.sweeps.runner import SweepFiles, _check_same_recipe

    recipe = tiny_recipe(repeats=1, epochs=1)
    files = SweepFiles(tmp_path)
    _check_same_recipe(files, recipe)  # writes sweep.json
    saved = json.loads(files.recipe.read_text())
    del saved["layer_bers"]  # as a sweep started before the key existed
    files.recipe.write_text(json.dumps(saved))
    _check_same_recipe(files, recipe)  # the default: the same recipe
    other = dataclasses.replace(recipe, layer_bers={"binary_conv_2": 0.1})
    with pytest.raises(ValueError, match=r"layer_bers: \{\} -> \{'binary_conv_2'"):
        _check_same_recipe(files, other)
