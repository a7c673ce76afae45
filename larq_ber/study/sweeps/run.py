"""One run of a sweep: build, train and checkpoint one grid point, crash-safely.

`train_run` trains the model of a recipe at one grid point, one `fit` call per
epoch, and writes the run's folder (`larq_ber.study.results.RunFiles`).

* Crash safety: an epoch's row reaches `epochs.csv` only after the epoch's
  training state has been checkpointed (the row waits in `pending.json` meanwhile,
  see `EpochJournal`), so a row that was ever written is never lost or rewritten,
  and a restart after `SIGKILL` continues at the first epoch without a row. A run
  is finished once `result.json` exists; it is never trained again.
* Identical results after a crash: the checkpoint holds the weights, the
  optimizer and the state of every random generator (bit flips, dropout); each
  epoch's data order comes from (seed, epoch) alone; and kernels run with
  TensorFlow's op determinism. A resumed run therefore writes the same rows, value
  for value, as one that was never interrupted, on the same machine.
* A run whose loss becomes NaN or infinite stops at that epoch and records
  `{"failed": "loss became nan at epoch E"}` in `result.json`; it is not retried.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import tensorflow as tf

from larq_ber.callbacks import BerLogger
from larq_ber.storage import read_rows
from larq_ber.study.data import info, load
from larq_ber.study.data.pipeline import resize
from larq_ber.study.recipes import Recipe
from larq_ber.study.results import (
    RunFiles,
    RunResult,
    append_event,
    read_json,
    write_json,
)
from larq_ber.study.sweeps.grid import GridPoint
from larq_ber.study.training import StopWhenAsked, compiled_model
from larq_ber.tables import EPOCHS, RunInfo

__all__ = ["EpochJournal", "RunFailedError", "train_run"]


class EpochJournal:
    """Makes a run's rows and Top1Max weights agree with its checkpoint.

    An epoch's row is first parked in `pending.json` (`stage`), then the epoch's
    checkpoint is written, then the row is appended to `epochs.csv` and Top1Max
    weight files that are no longer the best are dropped (`publish`). When a run
    starts, `reconcile` brings the files in line with the restored checkpoint: a
    parked row of that epoch is published, later rows and weight files are dropped.

    Args:
        run: The run's files.
        logger: The run's `BerLogger` (it makes and appends the rows, and keeps
            Top1Max).
    """

    def __init__(self, run: RunFiles, logger: BerLogger) -> None:
        self.run, self.logger = run, logger

    def _drop_candidates_but(self, keep: int) -> None:
        for epoch, path in self.run.candidates().items():
            if epoch != keep:
                path.unlink()

    def reconcile(self, done: int) -> None:
        """Brings the files in line with `done` checkpointed epochs.

        Args:
            done: Number of epochs the restored checkpoint holds.
        """
        written = read_rows(self.run.epochs)
        rows = [r for r in written if int(r["epoch"]) <= done]
        if len(rows) < len(written):  # rows past the checkpoint (defensive)
            EPOCHS.rewrite(self.run.epochs, rows)
        if self.run.pending.exists():
            parked = read_json(self.run.pending)
            if int(parked["epoch"]) == done and all(
                int(r["epoch"]) != done for r in rows
            ):
                self.logger.append_row(parked)
                rows.append({k: str(v) for k, v in parked.items()})
            self.run.pending.unlink()
        self.logger.on_train_begin()
        for row in rows:
            self.logger.update_top1_max(row)
        self._drop_candidates_but(self.logger.top1_max_epoch)

    def stage(self, row: dict[str, Any]) -> bool:
        """Parks an epoch's row; returns whether it is a new Top1Max."""
        write_json(self.run.pending, row)
        return float(row["test_top1"]) > self.logger.top1_max

    def publish(self) -> None:
        """Appends the parked row (its checkpoint exists) and updates Top1Max."""
        row = read_json(self.run.pending)
        self.logger.append_row(row)
        self.run.pending.unlink()
        self.logger.update_top1_max(row)
        self._drop_candidates_but(self.logger.top1_max_epoch)


class RunFailedError(RuntimeError):
    """A run stopped for a reason that retrying does not remove (e.g. NaN loss)."""


def _run_record(recipe: Recipe, point: GridPoint, meta: Any) -> dict[str, Any]:
    """The contents of `run.json`.

    `ber` is the training error model: the grid's rate, or with `layer_bers` a
    rate per binarized layer, and then the grid's rate is `grid_ber`.
    """
    shape = recipe.input_shape or meta.input_shape
    rates = {"ber": recipe.training_ber(point.ber)}
    if recipe.layer_bers:
        rates["grid_ber"] = point.ber
    return {
        "run_id": point.run_id,
        "recipe": recipe.name,
        "model": recipe.model,
        "dataset": point.dataset(recipe),
        "subset": point.subset,
        **rates,
        "repeat": point.repeat,
        "seed": point.seed(recipe),
        "input_shape": list(shape),
        "num_classes": meta.num_classes,
        "epochs": recipe.epochs,
        "recipe_values": dataclasses.asdict(recipe),
    }


def _run_info(record: dict[str, Any], point: GridPoint) -> RunInfo:
    """What identifies the run in `epochs.csv`, with the grid's rate as `ber`."""
    names = {f.name for f in dataclasses.fields(RunInfo)}
    values = {k: v for k, v in record.items() if k in names}
    return RunInfo(**{**values, "ber": point.ber})


class _Checkpoint:
    """The run's training state after each epoch: weights, optimizer, RNG states.

    A `tf.train.Checkpoint` of the model (its optimizer and random generators
    included) and the last finished 0-based epoch, in the run's `backup/` folder.
    """

    def __init__(self, model: tf.keras.Model, folder: Path) -> None:
        self.saved = tf.Variable(-1, dtype=tf.int64, trainable=False)
        state = tf.train.Checkpoint(model=model, epoch=self.saved)
        self.manager = tf.train.CheckpointManager(
            state, directory=str(folder), max_to_keep=1
        )

    def restore(self) -> int:
        """Restores the latest state, if any; returns the epochs it holds."""
        if self.manager.latest_checkpoint:
            self.manager.checkpoint.restore(
                self.manager.latest_checkpoint
            ).expect_partial()
        return int(self.saved.numpy()) + 1

    def save(self, epoch: int) -> None:
        """Saves the state after the 0-based `epoch`."""
        self.saved.assign(epoch)
        self.manager.save()


def _finished(run: RunFiles) -> RunResult:
    """The result of a finished run; `RunFailedError` if it failed for good."""
    record = read_json(run.result)
    if "failed" in record:
        raise RunFailedError(f"run {record.get('run_id')} failed: {record['failed']}")
    return RunResult(**record)


def train_run(
    recipe: Recipe,
    point: GridPoint,
    run_dir: str | os.PathLike[str],
    *,
    data_dir: str | None = None,
    tensorboard: bool = False,
    callbacks: Sequence[tf.keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> RunResult:
    """Trains (or resumes, or just reads) one run of a sweep.

    The model `recipe.model` is built with `ber=recipe.training_ber(point.ber)`
    (the grid's rate, or with `layer_bers` a rate per binarized layer) under the
    recipe's `tf.distribute` strategy, trained with the recipe's optimizer and
    schedule on the train split, and measured after every epoch by Keras's own
    validation pass on the test split (`training=False`, so without bit errors).
    The training state is checkpointed after every epoch and the weights of the
    best epoch are kept; `larq_ber.study.results` lists the files. While it
    trains, the process runs with TensorFlow's op determinism and Keras's
    `tf.random.Generator`-based layers (both switched back afterwards). With
    `layer_bers`, `run.json` records the rates by layer and the tables' rate
    columns (`ber`, `ber_neg`, `ber_pos`) hold the grid's rate.

    Args:
        recipe: The sweep's recipe.
        point: The grid point to train.
        run_dir: The run's folder (created if missing).
        data_dir: TFDS data directory (`None`: TFDS's default).
        tensorboard: Whether to also write TensorBoard logs to `run_dir/tensorboard`.
        callbacks: Extra Keras callbacks (e.g. progress display).
        verbose: Keras `fit` verbosity.

    Returns:
        The `RunResult`; read from `result.json` without training if the run is
        already finished.

    Raises:
        ValueError: If the recipe's `input_shape` has another channel count than
            the data.
        RunFailedError: If the loss became NaN or infinite (now or in an earlier
            attempt: then `result.json` says so).

    Example:
        >>> from larq_ber.study.recipes import load_recipe
        >>> from larq_ber.study.sweeps import grid
        >>> recipe = load_recipe("quickstart", {"epochs": 1})
        >>> train_run(recipe, grid(recipe)[0], "runs/one")  # doctest: +SKIP
        RunResult(run_id='ber0_rep0', top1_max=0.84, ...)
    """
    run = RunFiles(Path(run_dir))
    run.folder.mkdir(parents=True, exist_ok=True)
    if run.result.exists():
        # Finished; a kill right after `result.json` may have left the backup.
        shutil.rmtree(run.backup, ignore_errors=True)
        return _finished(run)
    with _reproducible():
        return _train(recipe, point, run, data_dir, tensorboard, callbacks, verbose)


@contextlib.contextmanager
def _reproducible() -> Iterator[None]:
    """TensorFlow's op determinism and Keras's generator-based random layers.

    Both are process-wide switches; the previous settings come back afterwards.
    """
    # internal: TF 2.15 exports only the enable function; config holds both.
    from tensorflow.python.framework import config as tf_config

    determinism = tf_config.is_op_determinism_enabled()
    generators = tf.keras.backend.experimental.is_tf_random_generator_enabled()
    tf.config.experimental.enable_op_determinism()
    tf.keras.backend.experimental.enable_tf_random_generator()
    try:
        yield
    finally:
        if not determinism:
            tf_config.disable_op_determinism()
        if not generators:
            tf.keras.backend.experimental.disable_tf_random_generator()


def _train(
    recipe: Recipe,
    point: GridPoint,
    run: RunFiles,
    data_dir: str | None,
    tensorboard: bool,
    callbacks: Sequence[tf.keras.callbacks.Callback],
    verbose: int,
) -> RunResult:
    """`train_run` past the check for a finished run."""
    meta = info(point.dataset(recipe))
    record = _run_record(recipe, point, meta)
    if not run.run.exists():
        write_json(run.run, record)
    # Every random draw of the run is reproducible: deterministic kernels
    # (`_reproducible`), flips and dropout from generators whose state the
    # checkpoint holds, and each epoch's data order from (seed, epoch).
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(record["seed"])
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    train, test, steps = _datasets(recipe, record, meta, data_dir, epoch)
    model = compiled_model(
        recipe.model,
        recipe.settings(),
        input_shape=tuple(record["input_shape"]),
        num_classes=record["num_classes"],
        steps_per_epoch=steps,
        ber=record["ber"],
        strategy=recipe.strategy,
    )
    logger = BerLogger(str(run.epochs), run_info=_run_info(record, point))
    logger.set_model(model)
    checkpoint = _Checkpoint(model, run.backup)
    done = checkpoint.restore()
    journal = EpochJournal(run, logger)
    journal.reconcile(done)
    append_event(run, "start" if done == 0 else "resume", epoch=done)
    extra = [tf.keras.callbacks.TerminateOnNaN(), StopWhenAsked(), *callbacks]
    if tensorboard:
        extra.append(tf.keras.callbacks.TensorBoard(str(run.tensorboard)))
    for number in range(done, recipe.epochs):
        epoch.assign(number)
        logger.on_epoch_begin(number)
        history = model.fit(
            train,
            epochs=number + 1,
            initial_epoch=number,
            validation_data=test,
            callbacks=extra,
            verbose=verbose,
        )
        logs = _epoch_logs(run, point.run_id, number, history)
        row = logger.make_row(number, logs)
        if recipe.layer_bers:  # the tables' rate columns: the grid's rate
            row.update(ber=point.ber, ber_neg=point.ber, ber_pos=point.ber)
        if journal.stage(row):
            model.save_weights(str(run.candidate_weights(number + 1)))
        checkpoint.save(number)
        journal.publish()
    return _finish(run, point.run_id, model, logger)


def _datasets(
    recipe: Recipe,
    record: dict[str, Any],
    meta: Any,
    data_dir: str | None,
    epoch: tf.Variable,
) -> tuple[tf.data.Dataset, tf.data.Dataset, int]:
    """The run's train and test data at its input shape, and the steps per epoch.

    The train split's order and augmentation are a function of (seed, `epoch`).
    """
    dataset, shape = record["dataset"], tuple(record["input_shape"])
    train = load(
        dataset,
        split="train",
        batch_size=recipe.batch_size,
        data_dir=data_dir,
        shuffle=True,
        seed=record["seed"],
        epoch=epoch,
    )
    test = load(dataset, split="test", batch_size=recipe.batch_size, data_dir=data_dir)
    train = resize(train, shape, meta.input_shape)
    test = resize(test, shape, meta.input_shape)
    steps = int(train.cardinality())
    if steps < 1:  # unknown to tf.data: from the split size, or counted once
        size = (meta.splits or {}).get("train")
        steps = math.ceil(size / recipe.batch_size) if size else sum(1 for _ in train)
    return train, test, steps


def _epoch_logs(
    run: RunFiles, run_id: str, number: int, history: tf.keras.callbacks.History
) -> dict[str, Any]:
    """The logs of the epoch `fit` trained; a NaN or infinite loss ends the run.

    Raises:
        RunFailedError: If the loss is not finite (`result.json` says so, and the
            backup is dropped: the run is not retried).
    """
    logs = {key: values[-1] for key, values in history.history.items()}
    loss = float(logs.get("loss", math.nan))
    if math.isfinite(loss) and len(history.epoch) == 1:
        return logs
    reason = f"loss became {loss} at epoch {number + 1}"
    write_json(run.result, {"run_id": run_id, "failed": reason})
    append_event(run, "failed", epoch=number + 1, reason=reason)
    shutil.rmtree(run.backup, ignore_errors=True)
    raise RunFailedError(f"run {run_id} failed: {reason}")


def _finish(
    run: RunFiles, run_id: str, model: tf.keras.Model, logger: BerLogger
) -> RunResult:
    """Keeps the Top1Max and final weights, then marks the run done.

    The backup is dropped last, once `result.json` exists.
    """
    best_epoch = logger.top1_max_epoch
    candidates = run.candidates()
    if best_epoch in candidates:
        os.replace(candidates[best_epoch], run.best_weights)
    model.save_weights(str(run.final_weights))
    rows = read_rows(run.epochs)
    result = RunResult(
        run_id=run_id,
        top1_max=logger.top1_max,
        top1_max_epoch=best_epoch,
        final_top1=float(rows[-1]["test_top1"]),
        epochs=len(rows),
        wall_s=round(sum(float(r["wall_s"]) for r in rows), 3),
    )
    write_json(run.result, dataclasses.asdict(result))
    append_event(run, "finish", top1_max=result.top1_max)
    shutil.rmtree(run.backup, ignore_errors=True)
    return result
