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

import pytest

from larq_ber.results import COLUMNS, read_results, write_results
from larq_ber.sweeps import run_sweep


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
    return [sys.executable, "-m", "larq_ber.cli", "sweep", str(recipe), "--out",
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


@pytest.mark.slow
def test_sigkill_at_any_moment_loses_no_row_and_reruns_no_run(
    tmp_path, tiny_recipe_file, read_events
):
    recipe = tiny_recipe_file(epochs=3)
    out = tmp_path / "out"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    # Kill moments, one per process: during start-up; right after the first
    # committed row; while an epoch's row is parked (between the checkpoint
    # and its publication) or else right after the next row; right after a run
    # finished; then let the last process complete the sweep.
    triggers = [
        lambda s, t, s0: t > 2.0,
        lambda s, t, s0: len(s[0]) > len(s0[0]),
        lambda s, t, s0: s[2] or len(s[0]) > len(s0[0]),
        lambda s, t, s0: len(s[1]) > len(s0[1]),
        None,
    ]
    seen = {}  # every row ever observed, with its content
    finished_before_kill = set()
    for trigger in triggers:
        start = time.monotonic()
        before = snapshot(out)
        proc = subprocess.Popen(
            sweep_command(recipe, out), env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        while proc.poll() is None:
            state = snapshot(out)
            seen.update(state[0])
            if trigger is not None and trigger(state, time.monotonic() - start, before):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                finished_before_kill |= snapshot(out)[1]
                break
            assert time.monotonic() - start < 240, "sweep process hangs"
            time.sleep(0.01)
        if trigger is None:
            output = proc.communicate()[0]
            assert proc.returncode == 0, output
            assert "4 of 4 runs finished" in output
    rows, done, pending = snapshot(out)
    assert not pending and len(done) == 4
    # Every row ever seen is still there, unchanged: rows are only appended.
    for key, row in seen.items():
        assert rows[key] == row, key
    # Each run has each epoch exactly once.
    for run in done:
        assert sorted(int(e) for r, e in rows if r == run) == [1, 2, 3]
    # A finished run was never started again; some run resumed mid-way.
    resumed = []
    for run_dir in (out / "runs").iterdir():
        kinds = [e["event"] for e in read_events(run_dir)]
        assert kinds.count("finish") == 1 and kinds[-1] == "finish", kinds
        resumed += [e["epoch"] for e in read_events(run_dir) if e["event"] == "resume"]
    assert finished_before_kill, "no kill happened after a finished run"
    assert resumed and max(resumed) >= 1
    # The tidy table and the objective agree with the rows.
    for run in done:
        result = json.loads((out / "runs" / run / "result.json").read_text())
        top1 = [float(row[10]) for (r, _), row in rows.items() if r == run]
        assert result["top1_max"] == max(top1) and result["epochs"] == 3
    assert not list(out.glob("runs/*/backup")), "backups are removed when done"


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
