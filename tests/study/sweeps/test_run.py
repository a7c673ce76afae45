"""One run of a sweep: its files, its weights, the epoch journal, resuming."""

import csv
import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.callbacks import BerLogger
from larq_ber.models import LeNet4, binarized_layers
from larq_ber.storage import read_rows
from larq_ber.study.data import load
from larq_ber.study.results import RunFiles
from larq_ber.study.runspec import RunSpec
from larq_ber.study.sweeps import GridPoint, train_run
from larq_ber.study.sweeps.run import EpochJournal
from larq_ber.tables import COLUMNS


@pytest.mark.slow
def test_train_run_files_and_weights_match_the_table(tiny_recipe, tmp_path):
    recipe = tiny_recipe(epochs=3)
    point = GridPoint(0.0, 0)
    run_dir = tmp_path / "run"
    result = train_run(recipe, point, run_dir)
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == [
        "epochs.csv", "events.jsonl", "final.weights.h5", "result.json", "run.json",
        "top1max.weights.h5",
    ]  # fmt: skip
    rows = read_rows(run_dir / "epochs.csv")
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


@pytest.mark.slow
def test_logged_rate_is_the_one_the_quantizers_trained_with(tiny_recipe, tmp_path):
    recipe = tiny_recipe(epochs=1)
    train_run(recipe, GridPoint(0.5, 0), tmp_path / "run")
    (row,) = read_rows(tmp_path / "run" / "epochs.csv")
    assert (row["ber"], row["ber_neg"], row["ber_pos"]) == ("0.5", "0.5", "0.5")


class _TrainingRates(tf.keras.callbacks.Callback):
    """Records each binarized layer's quantizer rates at every training batch."""

    def __init__(self):
        super().__init__()
        self.seen = set()

    def on_train_batch_begin(self, batch, logs=None):
        layers = binarized_layers(self.model)
        self.seen.add(tuple((p, q.ber, q.ber_neg, q.ber_pos) for p, q in layers))


def test_a_run_trains_each_layer_at_its_rate_and_run_json_keeps_them(
    tiny_recipe, tmp_path
):
    assigned = {"binary_conv_2": 0.16, "binary_dense_3": 0.04}
    recipe = tiny_recipe(epochs=1, bers=[0.0], layer_bers=assigned)
    rates = _TrainingRates()
    point = GridPoint(0.0, 0)
    train_run(recipe, point, tmp_path / "run", callbacks=[rates])
    trained = {(n, r, r, r) for n, r in assigned.items()}
    assert [set(seen) for seen in rates.seen] == [trained]  # every batch
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert (run["ber"], run["grid_ber"], run["run_id"]) == (assigned, 0.0, "ber0_rep0")
    assert run["recipe_values"]["layer_bers"] == assigned
    (row,) = read_rows(tmp_path / "run" / "epochs.csv")
    assert (row["ber"], row["ber_neg"], row["ber_pos"]) == ("0.0", "0.0", "0.0")
    spec = RunSpec.load(tmp_path / "run")
    assert (spec.ber, spec.row()["ber"]) == (assigned, 0.0)
    model = spec.evaluation_model("final")
    rebuilt = {(p, q.ber, q.ber_neg, q.ber_pos) for p, q in binarized_layers(model)}
    assert rebuilt == trained


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
    # Killed after epoch 3's row was parked; its checkpoint was written or not.
    done = 3 if checkpointed else 2
    _journal_state(tmp_path, done, pending_epoch=3)
    logger = BerLogger(str(tmp_path / "epochs.csv"), run_info={"run_id": "r"})
    journal = EpochJournal(RunFiles(tmp_path), logger)
    journal.reconcile(done)
    with open(tmp_path / "epochs.csv") as file:
        epochs = [int(r["epoch"]) for r in csv.DictReader(file)]
    assert epochs == list(range(1, done + 1))
    assert not (tmp_path / "pending.json").exists()
    best_files = sorted(p.name for p in tmp_path.glob("top1max-e*"))
    if checkpointed:  # the parked row (0.99) is published and is the best
        assert best_files == ["top1max-e003.weights.h5"]
        assert logger.top1_max == 0.99 and logger.top1_max_epoch == 3
    else:  # epoch 3 is trained again: its row and weights are dropped
        assert best_files == ["top1max-e002.weights.h5"]
        assert logger.top1_max == 0.2 and logger.top1_max_epoch == 2


def test_journal_stages_then_publishes(tmp_path):
    logger = BerLogger(str(tmp_path / "epochs.csv"), run_info={"run_id": "r"})
    journal = EpochJournal(RunFiles(tmp_path), logger)
    journal.reconcile(0)
    row = dict(
        zip(COLUMNS, ["r", "", "", "", "", 0, 0, 0, 0, 1, 0.5, "", 1, 1], strict=True)
    )
    assert journal.stage(row) is True  # a new Top1Max: its weights are kept
    assert (tmp_path / "pending.json").exists() and not (
        tmp_path / "epochs.csv"
    ).exists()
    journal.publish()
    assert not (tmp_path / "pending.json").exists()
    assert [r["test_top1"] for r in read_rows(tmp_path / "epochs.csv")] == ["0.5"]
    assert journal.stage({**row, "epoch": 2, "test_top1": 0.4}) is False


@pytest.mark.slow
def test_mirrored_strategy_run_with_tensorboard(tiny_recipe, tmp_path):
    recipe = tiny_recipe(epochs=1, strategy="mirrored")
    result = train_run(recipe, GridPoint(0.0, 0), tmp_path / "run", tensorboard=True)
    assert result.epochs == 1 and result.top1_max > 0.5  # chance: 0.1
    for split in ("train", "validation"):
        assert list((tmp_path / "run" / "tensorboard" / split).glob("events.out.*"))


def test_input_shape_with_other_channels_is_refused(tiny_recipe, tmp_path):
    # (recipes refuse it already; train_run checks again for direct callers)
    recipe = dataclasses.replace(tiny_recipe(), input_shape=(28, 28, 3))
    with pytest.raises(ValueError, match="3 channels but the dataset has 1"):
        train_run(recipe, GridPoint(0.0, 0), tmp_path / "run")


@pytest.mark.slow
def test_a_run_whose_loss_diverges_fails_for_good_with_the_reason(
    tiny_recipe, tmp_path, read_events
):
    from larq_ber.study.sweeps.run import RunFailedError

    recipe = tiny_recipe(epochs=3, optimizer="sgd", learning_rate=1e30, momentum=0.9)
    run_dir = tmp_path / "run"
    with pytest.raises(RunFailedError, match=r"loss became (nan|inf) at epoch 1"):
        train_run(recipe, GridPoint(0.0, 0), run_dir)
    result = json.loads((run_dir / "result.json").read_text())
    assert result["failed"].startswith("loss became")
    assert [e["event"] for e in read_events(run_dir)] == ["start", "failed"]
    assert read_rows(run_dir / "epochs.csv") == []  # no row that looks like a result
    assert not (run_dir / "backup").exists()
    # Not trained again: the same failure is reported at once.
    with pytest.raises(RunFailedError, match="loss became"):
        train_run(recipe, GridPoint(0.0, 0), run_dir)
    assert [e["event"] for e in read_events(run_dir)] == ["start", "failed"]
