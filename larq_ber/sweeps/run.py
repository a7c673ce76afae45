"""One run of a sweep: build, train and checkpoint one grid point, crash-safely.

`train_run` trains the model of a recipe at one grid point and writes the run's
folder (`larq_ber.results.RunFiles`). Crash safety: an epoch's row reaches
`epochs.csv` only after the epoch's training state has been checkpointed by Keras's
`BackupAndRestore` (the row waits in `pending.json` meanwhile, see `EpochJournal`),
so a row that was ever written is never lost or rewritten, and a restart after
`SIGKILL` continues at the first epoch without a row. A run is finished once
`result.json` exists; it is never trained again.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tensorflow as tf

from larq_ber.callbacks import BerLogger
from larq_ber.recipes import Recipe
from larq_ber.results import (
    RunFiles,
    RunInfo,
    RunResult,
    append_event,
    read_json,
    read_rows,
    rewrite_rows,
    write_json,
)
from larq_ber.sweeps.grid import GridPoint
from larq_ber.training import compiled_model

__all__ = ["EpochJournal", "train_run"]


class EpochJournal(tf.keras.callbacks.Callback):
    """Makes a run's rows and Top1Max weights agree with its checkpoint.

    Two instances bracket Keras's `BackupAndRestore` in the callback list: `stage`
    (before it) computes the epoch's row and parks it in `pending.json`; `publish`
    (after it, so the checkpoint of the epoch exists) appends the row to
    `epochs.csv` and drops Top1Max weight files that are no longer the best. At the
    first epoch of a `fit` (or at its end, if it had no epoch left) the journal
    reconciles itself with the restored epoch: a parked row of that epoch is
    published, later rows and weight files are dropped.

    Args:
        run: The run's files.
        logger: The run's `BerLogger` (it makes and appends the rows).
        best: The `ModelCheckpoint` keeping the Top1Max weights.
        stage: Whether this is the instance before the checkpoint.
    """

    def __init__(
        self,
        run: RunFiles,
        logger: BerLogger,
        best: tf.keras.callbacks.ModelCheckpoint,
        *,
        stage: bool,
    ) -> None:
        super().__init__()
        self.run, self.logger, self.best, self.stage = run, logger, best, stage
        self.synced = False
        self.on_resume: Any = None

    def set_model(self, model: tf.keras.Model) -> None:
        """Also gives the model to the logger (it reads the class count)."""
        super().set_model(model)
        self.logger.set_model(model)

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
            rewrite_rows(self.run.epochs, rows)
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
        self.best.best = self.logger.top1_max if rows else -math.inf
        self.synced = True
        if self.on_resume is not None:
            self.on_resume(done)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Reconciles at the first epoch, then starts the logger's clock."""
        if self.stage:
            if not self.synced:
                self.reconcile(epoch)
            self.logger.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Parks the row (stage) or publishes it (after the checkpoint)."""
        if self.stage:
            write_json(self.run.pending, self.logger.make_row(epoch, logs))
            return
        row = read_json(self.run.pending)
        self.logger.append_row(row)
        self.run.pending.unlink()
        self.logger.update_top1_max(row)
        self._drop_candidates_but(self.logger.top1_max_epoch)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Reconciles if `fit` had no epoch left to train."""
        if self.stage and not self.synced:
            self.reconcile(self.params["epochs"])


def _resize(
    ds: tf.data.Dataset, shape: tuple[int, ...], source: tuple[int, ...]
) -> tf.data.Dataset:
    if tuple(shape) == tuple(source):
        return ds
    if shape[-1] != source[-1]:
        raise ValueError(
            f"`input_shape` {list(shape)} has {shape[-1]} channels but the dataset "
            f"has {source[-1]}; only the height and width can differ."
        )
    size = list(shape[:2])
    return ds.map(
        lambda x, y: (tf.image.resize(x, size), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def _run_record(recipe: Recipe, point: GridPoint, meta: Any) -> dict[str, Any]:
    shape = recipe.input_shape or meta.input_shape
    return {
        "run_id": point.run_id,
        "recipe": recipe.name,
        "model": recipe.model,
        "dataset": point.dataset(recipe),
        "subset": point.subset,
        "ber": point.ber,
        "repeat": point.repeat,
        "seed": point.seed(recipe),
        "input_shape": list(shape),
        "num_classes": meta.num_classes,
        "epochs": recipe.epochs,
        "recipe_values": dataclasses.asdict(recipe),
    }


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

    The model `recipe.model` is built with `ber=point.ber` under the recipe's
    `tf.distribute` strategy, trained with the recipe's optimizer and schedule on
    the train split, and measured after every epoch by Keras's own validation pass
    on the test split (`training=False`, so without bit errors). Keras's
    `BackupAndRestore` checkpoints every epoch, `ModelCheckpoint` keeps the weights
    of the best epoch; `larq_ber.results` lists the files.

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

    Example:
        >>> from larq_ber.recipes import load_recipe
        >>> from larq_ber.sweeps import grid
        >>> recipe = load_recipe("models/quickstart.toml", {"epochs": 1})
        >>> train_run(recipe, grid(recipe)[0], "runs/one")  # doctest: +SKIP
        RunResult(run_id='ber0_rep0', top1_max=0.84, ...)
    """
    from larq_ber.data import info, load

    run = RunFiles(Path(run_dir))
    run.folder.mkdir(parents=True, exist_ok=True)
    if run.result.exists():
        # Finished; a kill right after `result.json` may have left the backup.
        shutil.rmtree(run.backup, ignore_errors=True)
        return RunResult(**read_json(run.result))
    dataset = point.dataset(recipe)
    meta = info(dataset)
    record = _run_record(recipe, point, meta)
    if not run.run.exists():
        write_json(run.run, record)
    seed = point.seed(recipe)
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(seed)
    shape = tuple(record["input_shape"])
    train = load(
        dataset,
        split="train",
        batch_size=recipe.batch_size,
        data_dir=data_dir,
        shuffle=True,
        seed=seed,
    )
    test = load(dataset, split="test", batch_size=recipe.batch_size, data_dir=data_dir)
    train = _resize(train, shape, meta.input_shape)
    test = _resize(test, shape, meta.input_shape)
    steps = int(train.cardinality())
    if steps < 1:  # unknown to tf.data: from the split size, or counted once
        size = (meta.splits or {}).get("train")
        steps = math.ceil(size / recipe.batch_size) if size else sum(1 for _ in train)
    model = compiled_model(
        recipe.model,
        recipe.settings(),
        input_shape=shape,
        num_classes=record["num_classes"],
        steps_per_epoch=steps,
        ber=point.ber,
        strategy=recipe.strategy,
    )
    logger = BerLogger(
        str(run.epochs),
        run_info=RunInfo(
            run_id=point.run_id,
            recipe=recipe.name,
            model=recipe.model,
            dataset=dataset,
            subset=point.subset,
            ber=point.ber,
            seed=seed,
        ),
    )
    best = tf.keras.callbacks.ModelCheckpoint(
        str(run.folder / RunFiles.CANDIDATE_PATTERN),
        monitor="val_accuracy",
        mode="max",
        save_best_only=True,
        save_weights_only=True,
    )
    stage = EpochJournal(run, logger, best, stage=True)
    publish = EpochJournal(run, logger, best, stage=False)
    stage.on_resume = lambda done: append_event(
        run, "start" if done == 0 else "resume", epoch=done
    )
    chain: list[tf.keras.callbacks.Callback] = [
        stage,
        best,
        tf.keras.callbacks.BackupAndRestore(str(run.backup), delete_checkpoint=False),
        publish,
        *callbacks,
    ]
    if tensorboard:
        chain.append(tf.keras.callbacks.TensorBoard(str(run.tensorboard)))
    model.fit(
        train,
        epochs=recipe.epochs,
        validation_data=test,
        callbacks=chain,
        verbose=verbose,
    )
    # Finish: keep the Top1Max weights under a fixed name, save the final ones,
    # then mark the run done; only then drop the backup.
    rows = read_rows(run.epochs)
    best_epoch = logger.top1_max_epoch
    candidates = run.candidates()
    if best_epoch in candidates:
        os.replace(candidates[best_epoch], run.best_weights)
    model.save_weights(str(run.final_weights))
    result = RunResult(
        run_id=point.run_id,
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
