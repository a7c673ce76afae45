"""Sweeps: the grid, one run's files, resuming, the journal, results and figures."""

import csv
import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.callbacks import COLUMNS
from larq_ber.data import load
from larq_ber.models import LeNet4
from larq_ber.plots import plot_epochs, save_figure, top1max_table
from larq_ber.recipes import load_recipe
from larq_ber.sweep import (
    GridPoint,
    SweepOracle,
    grid,
    read_results,
    run_sweep,
    train_run,
    write_results,
)

ROOT = Path(__file__).parent.parent

TINY = """\
model = "lenet4"
dataset = "digits"
bers = [0.0, 0.5]
repeats = 2
epochs = 2
batch_size = 64
optimizer = "adam"
learning_rate = 0.003
weight_decay = 0.0
decay_epochs = []
"""


def tiny_recipe(tmp_path, **overrides):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return load_recipe(path, overrides)


def events(run_dir):
    lines = (Path(run_dir) / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_grid_is_repeat_major_and_complete():
    recipe = load_recipe(ROOT / "models/fig4b_alexnet_imagenet_2class.toml")
    points = grid(recipe)
    assert len(points) == recipe.repeats * 5 * len(recipe.bers) == 400
    assert len({p.run_id for p in points}) == len(points)
    assert [p.ber for p in points[: len(recipe.bers)]] == list(recipe.bers)
    assert {p.repeat for p in points[:40]} == {0}
    assert points[0].dataset(recipe) == "imagenet2012:classes=2,subset_seed=1"
    assert points[41].seed(recipe) == recipe.seed + 1


def test_oracle_hands_out_every_point_once(tmp_path):
    recipe = tiny_recipe(tmp_path, repeats=3)
    oracle = SweepOracle(recipe)
    oracle._set_project_dir(str(tmp_path), "tuner")
    seen = []
    for worker in ("a", "b", "a", "b", "a", "b"):
        trial = oracle.create_trial(worker)
        assert trial.status == "RUNNING"
        seen.append(dict(trial.hyperparameters.values))
        trial.status = "COMPLETED"
        oracle.update_trial(trial.trial_id, {"top1_max": 0.5})
        oracle.end_trial(trial)
    assert seen == [oracle.values(p) for p in grid(recipe)]
    assert oracle.create_trial("a").status == "STOPPED"
    assert oracle.done() == 6


def test_oracle_reload_resumes_running_and_replans_failed(tmp_path):
    recipe = tiny_recipe(tmp_path)
    oracle = SweepOracle(recipe)
    oracle._set_project_dir(str(tmp_path), "tuner")
    first = oracle.create_trial("w")  # will fail
    first.status = "FAILED"
    oracle.end_trial(first)
    running = oracle.create_trial("w")  # killed while running
    oracle.save()
    again = SweepOracle(recipe)
    again._set_project_dir(str(tmp_path), "tuner")
    again.reload()
    resumed = again.create_trial("w")
    assert resumed.trial_id == running.trial_id  # from keras-tuner's retry queue
    resumed.status = "COMPLETED"
    again.update_trial(resumed.trial_id, {"top1_max": 0.5})
    again.end_trial(resumed)
    replanned = again.create_trial("w")
    assert replanned.hyperparameters.values == first.hyperparameters.values
    assert replanned.trial_id not in (first.trial_id, running.trial_id)
    replanned.status = "COMPLETED"
    again.update_trial(replanned.trial_id, {"top1_max": 0.5})
    again.end_trial(replanned)
    # A later reload must not plan the point that failed once and then completed.
    third = SweepOracle(recipe)
    third._set_project_dir(str(tmp_path), "tuner")
    third.reload()
    rest = [third.create_trial(w) for w in ("w", "v")]
    assert [t.hyperparameters.values for t in rest] == [
        third.values(p) for p in grid(recipe)[2:]
    ]
    assert third.create_trial("u").status == "STOPPED"


@pytest.mark.slow
def test_train_run_files_and_weights_match_the_table(tmp_path):
    recipe = tiny_recipe(tmp_path, epochs=3)
    point = GridPoint(0.0, 0)
    run_dir = tmp_path / "run"
    result = train_run(recipe, point, run_dir)
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == [
        "epochs.csv", "events.jsonl", "final.weights.h5", "result.json", "run.json",
        "top1max.weights.h5",
    ]  # fmt: skip
    with open(run_dir / "epochs.csv") as file:
        rows = list(csv.DictReader(file))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert list(rows[0]) == list(COLUMNS)
    top1 = [float(r["test_top1"]) for r in rows]
    assert result.top1_max == max(top1) and result.final_top1 == top1[-1]
    assert result.top1_max_epoch == 1 + int(np.argmax(top1))
    # Both weight files reproduce the accuracies the table holds.
    test = load("digits", split="test", batch_size=64)
    model = LeNet4(ber=0.0)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.load_weights(run_dir / "top1max.weights.h5")
    assert model.evaluate(test, verbose=0)[1] == pytest.approx(result.top1_max, 1e-6)
    model.load_weights(run_dir / "final.weights.h5")
    assert model.evaluate(test, verbose=0)[1] == pytest.approx(top1[-1], 1e-6)
    run = json.loads((run_dir / "run.json").read_text())
    assert run["model"] == "lenet4" and run["num_classes"] == 10
    assert run["input_shape"] == [28, 28, 1] and run["ber"] == 0.0
    # A finished run is read back, not trained again; a backup left by a kill
    # between `result.json` and its removal is removed then.
    before = (run_dir / "events.jsonl").read_text()
    (run_dir / "backup").mkdir()
    assert train_run(recipe, point, run_dir) == result
    assert (run_dir / "events.jsonl").read_text() == before
    assert not (run_dir / "backup").exists()


def _journal_state(run_dir, done, pending_epoch):
    """A run dir as a kill between 'stage' and 'publish' would leave it."""
    header = ",".join(COLUMNS)
    lines = [header]
    for epoch in range(1, done + (pending_epoch != done)):
        lines.append(f"r,t,lenet4,digits,,0.5,0.5,0.5,0,{epoch},0.{epoch}0,,1.0,1.0")
    (run_dir / "epochs.csv").write_text("\n".join(lines) + "\n")
    row = dict(zip(COLUMNS, lines[1].split(","), strict=True))
    row.update(epoch=pending_epoch, test_top1=0.99)
    (run_dir / "pending.json").write_text(json.dumps(row))
    for epoch in range(1, pending_epoch + 1):
        (run_dir / f"top1max-e{epoch:03d}.weights.h5").write_text("x")


@pytest.mark.parametrize("checkpointed", [True, False])
def test_journal_reconciles_with_the_checkpoint(tmp_path, checkpointed):
    from larq_ber.callbacks import BerLogger
    from larq_ber.sweep import _EpochJournal

    # Killed after epoch 3's row was parked; its checkpoint was written or not.
    done = 3 if checkpointed else 2
    _journal_state(tmp_path, done, pending_epoch=3)
    logger = BerLogger(str(tmp_path / "epochs.csv"), run_info={"run_id": "r"})
    best = tf.keras.callbacks.ModelCheckpoint(str(tmp_path / "x"), save_best_only=True)
    journal = _EpochJournal(tmp_path, logger, best, stage=True)
    journal.reconcile(done)
    with open(tmp_path / "epochs.csv") as file:
        epochs = [int(r["epoch"]) for r in csv.DictReader(file)]
    assert epochs == list(range(1, done + 1))
    assert not (tmp_path / "pending.json").exists()
    best_files = sorted(p.name for p in tmp_path.glob("top1max-e*"))
    if checkpointed:  # the parked row (0.99) is published and is the best
        assert best_files == ["top1max-e003.weights.h5"]
        assert best.best == logger.top1_max == 0.99
    else:  # epoch 3 is trained again: its row and weights are dropped
        assert best_files == ["top1max-e002.weights.h5"]
        assert best.best == logger.top1_max == 0.2


@pytest.mark.slow
def test_run_sweep_resumes_and_refuses_another_recipe(tmp_path, capsys):
    recipe = tiny_recipe(tmp_path, repeats=1, epochs=1)
    out = tmp_path / "out"
    summary = run_sweep(recipe, out, progress=False)
    assert (summary.total, summary.finished, summary.failed) == (2, 2, ())
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/result.json")}
    again = run_sweep(recipe, out, progress=False)
    assert again.finished == 2
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/result.json")} == stamps
    for run_dir in out.glob("runs/*"):
        assert [e["event"] for e in events(run_dir)] == ["start", "finish"]
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


@pytest.mark.slow
def test_mirrored_strategy_run_with_tensorboard(tmp_path):
    recipe = tiny_recipe(tmp_path, epochs=1, strategy="mirrored")
    result = train_run(recipe, GridPoint(0.0, 0), tmp_path / "run", tensorboard=True)
    assert result.epochs == 1 and result.top1_max > 0.5  # chance: 0.1
    for split in ("train", "validation"):
        assert list((tmp_path / "run" / "tensorboard" / split).glob("events.out.*"))


def test_read_results_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"runs/\*/epochs\.csv"):
        read_results(tmp_path)


def _rows():
    rng = np.random.default_rng(0)
    rows = []
    for subset in ("classes=2,subset_seed=1", "classes=2,subset_seed=2"):
        for ber in (0.0, 0.08):
            for seed in range(3):
                for epoch in (1, 2, 3):
                    run_id = f"{subset}|{ber}|{seed}"
                    rows.append(
                        {"subset": subset, "ber": ber, "run_id": run_id,
                         "epoch": epoch, "dataset": "imagenet2012", "seed": seed,
                         "test_top1": float(rng.uniform(0.5, 1.0))}
                    )  # fmt: skip
    return rows


def test_top1max_table_is_mean_and_std_of_each_runs_best_epoch():
    rows = _rows()
    table = top1max_table(rows)
    assert len(table) == 4 and {r["runs"] for r in table} == {3}
    for record in table:
        best = [
            max(r["test_top1"] for r in rows if r["run_id"] == run)
            for run in {r["run_id"] for r in rows}
            if run.rsplit("|", 1)[0] == f"{record['subset']}|{record['ber']}"
        ]
        assert record["mean"] == pytest.approx(np.mean(best))
        assert record["std"] == pytest.approx(np.std(best))


def test_plot_epochs_panels_and_traces():
    fig = plot_epochs(_rows(), style="traces")
    assert len(fig.axes) == 2  # one panel per subset
    # per panel: 2 BERs x (3 runs + 1 mean)
    assert [len(ax.lines) for ax in fig.axes] == [8, 8]
    with pytest.raises(ValueError, match="`style` must be one of"):
        plot_epochs(_rows(), style="band")


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                          (".svg", b"<?xml")])  # fmt: skip
def test_save_figure_formats(tmp_path, suffix, magic):
    run_dir = tmp_path / "runs" / "r"
    run_dir.mkdir(parents=True)
    with open(run_dir / "epochs.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(_rows())
    for kind in ("epochs", "top1max"):
        path = save_figure(tmp_path, tmp_path / f"{kind}{suffix}", kind=kind)
        assert path.read_bytes().startswith(magic)
    with pytest.raises(ValueError, match="must end in one of"):
        save_figure(tmp_path, tmp_path / "f.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_figure(tmp_path, tmp_path / "missing" / "f.png")
    assert not os.path.exists(tmp_path / "missing")


@pytest.mark.parametrize("command", ["sweep", "results", "plot"])
def test_cli_help_has_examples(command, capsys):
    from larq_ber import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"larq-ber {command} " in text


def test_cli_sweep_reports_every_recipe_problem(tmp_path, capsys):
    from larq_ber import cli

    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY)
    sets = ["--set", "epochs=0", "--set", "bers=[0, 2]", "--set", "colour=1"]
    code = cli.main(["sweep", str(recipe), "--out", str(tmp_path / "out"), *sets])
    assert code == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "epochs = 0" in err and "'colour'" in err
    assert not (tmp_path / "out").exists()  # nothing started


def test_cli_results_and_plot_errors(tmp_path, capsys):
    from larq_ber import cli

    assert cli.main(["results", str(tmp_path), "--csv", str(tmp_path / "r.csv")]) == 2
    assert "No finished epoch" in capsys.readouterr().err
    assert cli.main(["plot", str(tmp_path), "--out", str(tmp_path / "f.gif")]) == 2
    assert "must end in one of" in capsys.readouterr().err
