"""The TF-free results layer: run-folder layout, atomic JSON, a sweep's tables."""

import csv
import json
import os
import stat

import pytest

from larq_ber.study.results import (
    RunFiles,
    SweepFiles,
    read_json,
    read_results,
    read_robustness,
    write_json,
    write_results,
    write_robustness,
)
from larq_ber.tables import EPOCHS, ROBUSTNESS, ROBUSTNESS_COLUMNS


def _row(run_id="r", epoch=1, ber=0.04, top1=0.5, top5=""):
    return {"run_id": run_id, "recipe": "t", "model": "lenet4", "dataset": "digits",
            "subset": "", "ber": ber, "ber_neg": ber, "ber_pos": ber, "seed": 0,
            "epoch": epoch, "test_top1": top1, "test_top5": top5, "train_loss": 1.0,
            "wall_s": 0.5}  # fmt: skip


def test_run_and_sweep_files_name_every_file_in_one_place(tmp_path):
    sweep = SweepFiles(tmp_path)
    run = sweep.run("ber0_rep0")
    assert run.folder == tmp_path / "runs" / "ber0_rep0"
    names = {
        "run": "run.json", "epochs": "epochs.csv", "pending": "pending.json",
        "events": "events.jsonl", "best_weights": "top1max.weights.h5",
        "final_weights": "final.weights.h5", "result": "result.json",
        "backup": "backup", "tensorboard": "tensorboard",
    }  # fmt: skip
    for attribute, name in names.items():
        assert getattr(run, attribute) == run.folder / name
    assert run.weights("best") == run.best_weights
    assert run.weights("final") == run.final_weights
    with pytest.raises(ValueError, match="`which` must be 'best' or 'final'"):
        run.weights("last")
    assert sweep.recipe == tmp_path / "sweep.json"
    assert sweep.tuner == tmp_path / "tuner"


def test_candidate_weights_are_found_by_epoch(tmp_path):
    run = RunFiles(tmp_path)
    for epoch in (2, 11):
        run.candidate_weights(epoch).write_text("x")
    (tmp_path / "top1max-eXYZ.weights.h5").write_text("not an epoch")
    assert run.candidates() == {
        2: run.candidate_weights(2),
        11: run.candidate_weights(11),
    }
    assert RunFiles.CANDIDATE_PATTERN.format(epoch=11) == "top1max-e011.weights.h5"


def test_finished_counts_result_files(tmp_path):
    sweep = SweepFiles(tmp_path)
    for run_id, done in (("a", True), ("b", False), ("c", True)):
        sweep.run(run_id).folder.mkdir(parents=True)
        if done:
            write_json(sweep.run(run_id).result, {"run_id": run_id})
    assert sweep.finished() == 2


def test_write_json_is_atomic_and_world_readable(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "state.json"
    write_json(path, {"a": 1, "path": tmp_path})
    assert read_json(path) == {"a": 1, "path": str(tmp_path)}
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    # A failure while writing leaves the old file and no temporary file.
    monkeypatch.setattr(json, "dump", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_json(path, {"a": 2})
    assert read_json(path) == {"a": 1, "path": str(tmp_path)}
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_read_json_names_the_file_of_bad_json(tmp_path):
    path = tmp_path / "oracle.json"
    path.write_text('{"a": 1,')
    with pytest.raises(ValueError, match=r"oracle\.json.*not valid JSON"):
        read_json(path)


def test_read_results_parses_and_sorts_every_run(tmp_path):
    for run_id, ber in (("b", 0.08), ("a", 0.0)):
        folder = SweepFiles(tmp_path).run(run_id).folder
        folder.mkdir(parents=True)
        for epoch in (2, 1):
            EPOCHS.append(folder / "epochs.csv", _row(run_id, epoch, ber, 0.25 * epoch))
    rows = read_results(tmp_path)
    assert [(r["run_id"], r["epoch"]) for r in rows] == [
        ("a", 1), ("a", 2), ("b", 1), ("b", 2)
    ]  # fmt: skip
    assert rows[1]["test_top1"] == 0.5 and rows[1]["test_top5"] is None
    assert isinstance(rows[0]["epoch"], int) and isinstance(rows[0]["ber"], float)
    assert write_results(tmp_path, tmp_path / "all.csv") == 4
    with open(tmp_path / "all.csv", newline="") as file:
        written = list(csv.DictReader(file))
    assert [r["run_id"] for r in written] == ["a", "a", "b", "b"]
    assert written[0]["test_top5"] == ""


def test_read_and_write_results_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"runs/\*/epochs\.csv"):
        read_results(tmp_path)
    folder = SweepFiles(tmp_path).run("a").folder
    folder.mkdir(parents=True)
    EPOCHS.append(folder / "epochs.csv", _row())
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_results(tmp_path, tmp_path / "missing" / "all.csv")
    assert not (tmp_path / "missing").exists()


def _robust_row(run_id, test_ber, weight_ber, draw, top1, **extra):
    return {"run_id": run_id, "recipe": "r", "model": "lenet4", "dataset": "digits",
            "subset": "", "ber": extra.get("ber", 0.0), "seed": 0, "weights": "best",
            "test_ber": test_ber, "weight_ber": weight_ber, "draw": draw,
            "test_top1": top1, "test_top5": extra.get("top5", "")}  # fmt: skip


def test_robustness_rows_are_read_from_runs_sorted_and_written(tmp_path):
    files = SweepFiles(tmp_path)
    assert read_robustness(tmp_path) == []
    assert write_robustness(tmp_path, tmp_path / "none.csv") == 0
    assert not (tmp_path / "none.csv").exists()
    b = files.run("b").folder
    a = files.run("a").folder
    for folder in (a, b):
        folder.mkdir(parents=True)
    ROBUSTNESS.append(b / "robustness.csv", _robust_row("b", 0.1, 0.0, 1, 0.5, ber=0.1))
    ROBUSTNESS.append(b / "robustness.csv", _robust_row("b", 0.1, 0.0, 0, 0.6, ber=0.1))
    ROBUSTNESS.append(
        a / "robustness.csv", _robust_row("a", 0.0, 0.0, 0, 0.9, top5=1.0)
    )
    rows = read_robustness(tmp_path)
    assert [(r["run_id"], r["draw"]) for r in rows] == [("a", 0), ("b", 0), ("b", 1)]
    assert rows[0]["test_top5"] == 1.0 and rows[1]["test_top5"] is None
    assert isinstance(rows[1]["draw"], int) and rows[1]["test_ber"] == 0.1
    assert [r["run_id"] for r in read_robustness(b)] == ["b", "b"]  # one run folder
    assert write_robustness(tmp_path, tmp_path / "all.csv") == 3
    header = (tmp_path / "all.csv").read_text().splitlines()[0]
    assert header == ",".join(ROBUSTNESS_COLUMNS)
    with open(b / "robustness.csv", "a") as file:
        file.write("b,r,lenet4\n")  # a torn row
    with pytest.raises(ValueError, match=r"robustness.csv, row 3: not a row"):
        read_robustness(tmp_path)
