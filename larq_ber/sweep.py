"""Resumable, distributed BER sweeps on keras-tuner.

A sweep is the grid BER × repeat (× class subset) of one `Recipe`; every grid point
is one training run. The grid is planned by `SweepOracle`, a keras-tuner `Oracle`
that hands out the points in a fixed order (repeat by repeat, so an early look at
the results already covers every BER), and executed by `SweepTuner`, a keras-tuner
`BaseTuner` whose trial is `train_run`. keras-tuner keeps the trial state on disk
and provides the chief/worker mode, so

* re-running the same command resumes (keras-tuner's `overwrite=False`): finished
  runs are skipped, an interrupted run continues from its last finished epoch;
* many processes or machines share one sweep: start one process with
  `KERASTUNER_TUNER_ID=chief` and any number with `KERASTUNER_TUNER_ID=<unique
  name>`, all with `KERASTUNER_ORACLE_IP` / `KERASTUNER_ORACLE_PORT` set to the
  chief's address, and the same `--out` (a shared directory).

The output directory holds:

```text
OUT/sweep.json                   the recipe the sweep was started with
OUT/tuner/                       keras-tuner's oracle and trial state
OUT/runs/<run_id>/run.json       what the run is (model, dataset, BER, seed, shapes)
OUT/runs/<run_id>/epochs.csv     one row per finished epoch (`callbacks.COLUMNS`)
OUT/runs/<run_id>/events.jsonl   start / resume / finish events, one JSON per line
OUT/runs/<run_id>/top1max.weights.h5   weights at the epoch of Top1Max
OUT/runs/<run_id>/final.weights.h5     weights after the last epoch
OUT/runs/<run_id>/result.json    Top1Max, its epoch, wall time (the run is done)
OUT/runs/<run_id>/backup/        Keras `BackupAndRestore` state while it runs
OUT/runs/<run_id>/tensorboard/   TensorBoard logs, when asked for
```

Crash safety: an epoch's row reaches `epochs.csv` only after the epoch's training
state has been checkpointed (the row waits in `pending.json` meanwhile), so a row
that was ever written is never lost or rewritten, and a restart after `SIGKILL`
continues at the first epoch without a row. A run is finished once `result.json`
exists; it is never trained again. Every JSON file is replaced atomically.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import glob
import json
import math
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import keras_tuner as kt
import tensorflow as tf

from larq_ber.callbacks import COLUMNS, BerLogger, RunInfo
from larq_ber.recipes import Recipe

__all__ = [
    "GridPoint",
    "RunResult",
    "SweepOracle",
    "SweepSummary",
    "SweepTuner",
    "grid",
    "read_results",
    "run_sweep",
    "train_run",
    "write_results",
]

OBJECTIVE = "top1_max"
_ENV_ID, _ENV_IP, _ENV_PORT = (
    "KERASTUNER_TUNER_ID",
    "KERASTUNER_ORACLE_IP",
    "KERASTUNER_ORACLE_PORT",
)


# --------------------------------------------------------------------------- files
def _write_json(path: str | Path, data: Any) -> None:
    """Writes JSON atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(data, file, indent=1, default=str)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _read_json(path: str | Path) -> Any:
    with open(path) as file:
        return json.load(file)


def _append_event(run_dir: Path, event: str, **fields: Any) -> None:
    record = {
        "event": event,
        "time": time.time(),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "tuner_id": os.environ.get(_ENV_ID, "tuner0"),
        **fields,
    }
    with open(run_dir / "events.jsonl", "a") as file:
        file.write(json.dumps(record) + "\n")
        file.flush()
        os.fsync(file.fileno())


# ---------------------------------------------------------------------------- grid
@dataclasses.dataclass(frozen=True)
class GridPoint:
    """One run of a sweep.

    Attributes:
        ber: Bit error rate of the run's `BerSteSign` quantizers, in [0, 1].
        repeat: Index of the repeat, 0 … repeats − 1.
        subset: Class subset (`"classes=K,subset_seed=S"`) or `""`.
    """

    ber: float
    repeat: int
    subset: str = ""

    @property
    def run_id(self) -> str:
        """A file-name-safe unique name, e.g. `ber0.04_rep1`.

        Example:
            >>> GridPoint(0.04, 1, "classes=2,subset_seed=3").run_id
            'classes2_subset_seed3_ber0.04_rep1'
        """
        prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.subset.replace("=", ""))
        return f"{prefix + '_' if prefix else ''}ber{self.ber:g}_rep{self.repeat}"

    def seed(self, recipe: Recipe) -> int:
        """The run's random seed: `recipe.seed + repeat`.

        Args:
            recipe: The sweep's recipe.

        Returns:
            The seed.
        """
        return recipe.seed + self.repeat

    def dataset(self, recipe: Recipe) -> str:
        """The dataset name `larq_ber.data.load` gets for this run.

        Args:
            recipe: The sweep's recipe.

        Returns:
            The dataset, with the subset appended when there is one.
        """
        return f"{recipe.dataset}:{self.subset}" if self.subset else recipe.dataset


def grid(recipe: Recipe) -> list[GridPoint]:
    """All runs of a recipe, in the order a sweep starts them.

    Repeat by repeat, then subset, then BER, so the first `len(bers)` runs give one
    curve per BER.

    Args:
        recipe: A validated recipe.

    Returns:
        The grid points, `repeats × max(1, len(subsets)) × len(bers)` of them.

    Example:
        >>> from larq_ber.recipes import load_recipe
        >>> points = grid(load_recipe("models/quickstart.toml"))
        >>> len(points), points[1]
        (9, GridPoint(ber=0.04, repeat=0, subset=''))
    """
    subsets = recipe.subsets or ("",)
    return [
        GridPoint(ber, repeat, subset)
        for repeat in range(recipe.repeats)
        for subset in subsets
        for ber in recipe.bers
    ]


# ------------------------------------------------------------------------ executor
@dataclasses.dataclass(frozen=True)
class RunResult:
    """The outcome of one finished run (`result.json`).

    Attributes:
        run_id: The run's name.
        top1_max: Best error-free test top-1 accuracy over the epochs (fraction).
        top1_max_epoch: Its 1-based epoch.
        final_top1: Accuracy after the last epoch.
        epochs: Number of epochs trained.
        wall_s: Seconds of training summed over all attempts (s).
    """

    run_id: str
    top1_max: float
    top1_max_epoch: int
    final_top1: float
    epochs: int
    wall_s: float


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def _rewrite_rows(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


_BEST = re.compile(r"top1max-e(\d+)\.weights\.h5$")


def _best_files(run_dir: Path) -> dict[int, Path]:
    found = {}
    for name in os.listdir(run_dir):
        match = _BEST.match(name)
        if match:
            found[int(match.group(1))] = run_dir / name
    return found


class _EpochJournal(tf.keras.callbacks.Callback):
    """Makes a run's rows and Top1Max weights agree with its checkpoint.

    Two instances bracket Keras's `BackupAndRestore` in the callback list: `stage`
    (before it) computes the epoch's row and parks it in `pending.json`; `publish`
    (after it, so the checkpoint of the epoch exists) appends the row to
    `epochs.csv` and drops Top1Max weight files that are no longer the best. At the
    first epoch of a `fit` (or at its end, if it had no epoch left) the journal
    reconciles itself with the restored epoch: a parked row of that epoch is
    published, later rows and weight files are dropped.
    """

    def __init__(
        self,
        run_dir: Path,
        logger: BerLogger,
        best: tf.keras.callbacks.ModelCheckpoint,
        *,
        stage: bool,
    ) -> None:
        super().__init__()
        self.run_dir, self.logger, self.best, self.stage = run_dir, logger, best, stage
        self.csv = Path(logger.path)
        self.pending = run_dir / "pending.json"
        self.synced = False
        self.on_resume: Any = None

    def set_model(self, model: tf.keras.Model) -> None:
        """Also gives the model to the logger (it reads the class count)."""
        super().set_model(model)
        self.logger.set_model(model)

    def reconcile(self, done: int) -> None:
        """Brings the files in line with `done` checkpointed epochs."""
        written = _read_rows(self.csv)
        rows = [r for r in written if int(r["epoch"]) <= done]
        if len(rows) < len(written):  # rows past the checkpoint (defensive)
            _rewrite_rows(self.csv, rows)
        if self.pending.exists():
            parked = _read_json(self.pending)
            if int(parked["epoch"]) == done and all(
                int(r["epoch"]) != done for r in rows
            ):
                self.logger.append_row(parked)
                rows.append({k: str(v) for k, v in parked.items()})
            self.pending.unlink()
        self.logger.on_train_begin()
        for row in rows:
            self.logger.update_top1_max(row)
        keep = self.logger.top1_max_epoch
        for epoch, path in _best_files(self.run_dir).items():
            if epoch != keep:
                path.unlink()
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
            row = self.logger.make_row(epoch, logs)
            _write_json(self.pending, row)
            return
        row = _read_json(self.pending)
        self.logger.append_row(row)
        self.pending.unlink()
        self.logger.update_top1_max(row)
        for number, path in _best_files(self.run_dir).items():
            if number != self.logger.top1_max_epoch:
                path.unlink()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Reconciles if `fit` had no epoch left to train."""
        if self.stage and not self.synced:
            self.reconcile(self.params["epochs"])


def _strategy(name: str) -> tf.distribute.Strategy:
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"`strategy` must be 'default' or 'mirrored', got {name!r}.")


def _resize(
    ds: tf.data.Dataset, shape: tuple[int, int, int], source: tuple[int, ...]
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
    run_dir: str | Path,
    *,
    data_dir: str | None = None,
    tensorboard: bool = False,
    callbacks: Sequence[tf.keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> RunResult:
    """Trains (or resumes, or just reads) one run of a sweep.

    The model `MODELS[recipe.model]` is built with `ber=point.ber` under the
    recipe's `tf.distribute` strategy, trained with the recipe's optimizer and
    schedule on the train split, and measured after every epoch by Keras's own
    validation pass on the test split (`training=False`, so without bit errors).
    Keras's `BackupAndRestore` checkpoints every epoch, `ModelCheckpoint` keeps the
    weights of the best epoch; see the module documentation for the files.

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
        >>> recipe = load_recipe("models/quickstart.toml", {"epochs": 1})
        >>> train_run(recipe, grid(recipe)[0], "runs/one")  # doctest: +SKIP
        RunResult(run_id='ber0_rep0', top1_max=0.84, ...)
    """
    from larq_ber.data import info, load
    from larq_ber.models import MODELS, training_defaults

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    result_path = run_dir / "result.json"
    if result_path.exists():
        # Finished; a kill right after `result.json` may have left the backup.
        shutil.rmtree(run_dir / "backup", ignore_errors=True)
        return RunResult(**_read_json(result_path))
    dataset = point.dataset(recipe)
    meta = info(dataset)
    record = _run_record(recipe, point, meta)
    if not (run_dir / "run.json").exists():
        _write_json(run_dir / "run.json", record)
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
    settings = dataclasses.replace(
        training_defaults(recipe.model),
        optimizer=recipe.optimizer,
        learning_rate=recipe.learning_rate,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
        decay_epochs=recipe.decay_epochs,
        decay_factor=recipe.decay_factor,
    )
    with _strategy(recipe.strategy).scope():
        model = MODELS[recipe.model](
            input_shape=shape, num_classes=record["num_classes"], ber=point.ber
        )
        metrics: list[Any] = ["accuracy"]
        if record["num_classes"] > 5:
            metrics.append(tf.keras.metrics.SparseTopKCategoricalAccuracy(5, "top5"))
        model.compile(
            optimizer=settings.make_optimizer(steps),
            loss="sparse_categorical_crossentropy",
            metrics=metrics,
        )
    info_ = RunInfo(
        run_id=point.run_id,
        recipe=recipe.name,
        model=recipe.model,
        dataset=dataset,
        subset=point.subset,
        ber=point.ber,
        seed=seed,
    )
    logger = BerLogger(str(run_dir / "epochs.csv"), run_info=info_)
    best = tf.keras.callbacks.ModelCheckpoint(
        str(run_dir / "top1max-e{epoch:03d}.weights.h5"),
        monitor="val_accuracy",
        mode="max",
        save_best_only=True,
        save_weights_only=True,
    )
    stage = _EpochJournal(run_dir, logger, best, stage=True)
    publish = _EpochJournal(run_dir, logger, best, stage=False)
    stage.on_resume = lambda done: _append_event(
        run_dir, "start" if done == 0 else "resume", epoch=done
    )
    chain: list[tf.keras.callbacks.Callback] = [
        stage,
        best,
        tf.keras.callbacks.BackupAndRestore(
            str(run_dir / "backup"), delete_checkpoint=False
        ),
        publish,
        *callbacks,
    ]
    if tensorboard:
        chain.append(tf.keras.callbacks.TensorBoard(str(run_dir / "tensorboard")))
    model.fit(
        train,
        epochs=recipe.epochs,
        validation_data=test,
        callbacks=chain,
        verbose=verbose,
    )
    # Finish: keep the Top1Max weights under a fixed name, save the final ones,
    # then mark the run done; only then drop the backup.
    rows = _read_rows(Path(logger.path))
    best_epoch = logger.top1_max_epoch
    files = _best_files(run_dir)
    if best_epoch in files:
        os.replace(files[best_epoch], run_dir / "top1max.weights.h5")
    model.save_weights(str(run_dir / "final.weights.h5"))
    wall = sum(float(r["wall_s"]) for r in rows)
    result = RunResult(
        run_id=point.run_id,
        top1_max=logger.top1_max,
        top1_max_epoch=best_epoch,
        final_top1=float(rows[-1]["test_top1"]),
        epochs=len(rows),
        wall_s=round(wall, 3),
    )
    _write_json(result_path, dataclasses.asdict(result))
    _append_event(run_dir, "finish", top1_max=result.top1_max)
    shutil.rmtree(run_dir / "backup", ignore_errors=True)
    return result


# ------------------------------------------------------------------------- planner
class SweepOracle(kt.Oracle):
    """keras-tuner `Oracle` that plans the grid of a recipe, point by point.

    The hyperparameters are `ber` (`Choice` of the recipe's rates), `repeat` and,
    with subsets, `subset`. `populate_space` returns the first grid point (in
    `grid` order) that was never handed out, and `STOPPED` when none is left, so
    any number of workers can draw from it at once (keras-tuner's own
    `GridSearchOracle` expands the grid from finished trials only and leaves the
    second worker idle until the first one finishes). Its state is keras-tuner's,
    written atomically; on reload, trials that were running go to keras-tuner's
    retry queue (they resume from their checkpoint) and failed ones are planned
    again.

    Args:
        recipe: The validated recipe.

    Example:
        >>> from larq_ber.recipes import load_recipe
        >>> oracle = SweepOracle(load_recipe("models/quickstart.toml"))
        >>> oracle.populate_space("0")["values"]
        {'ber': 0.0, 'repeat': 0}
    """

    def __init__(self, recipe: Recipe) -> None:
        space = kt.HyperParameters()
        space.Choice("ber", list(recipe.bers), ordered=True)
        space.Choice("repeat", list(range(recipe.repeats)), ordered=True)
        if recipe.subsets:
            space.Choice("subset", list(recipe.subsets))
        super().__init__(
            objective=kt.Objective(OBJECTIVE, "max"),
            max_trials=None,
            hyperparameters=space,
            allow_new_entries=False,
            tune_new_entries=False,
            seed=recipe.seed + 1,
            max_retries_per_trial=1,
            max_consecutive_failed_trials=3,
        )
        self.points = grid(recipe)
        self._subsets = bool(recipe.subsets)

    def values(self, point: GridPoint) -> dict[str, Any]:
        """The hyperparameter values of a grid point.

        Args:
            point: A point of the grid.

        Returns:
            `{"ber": …, "repeat": …}` plus `"subset"` when the recipe has subsets.
        """
        values: dict[str, Any] = {"ber": point.ber, "repeat": point.repeat}
        if self._subsets:
            values["subset"] = point.subset
        return values

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Hands out the next grid point never handed out before.

        Args:
            trial_id: The id of the trial to fill.

        Returns:
            `{"status": "RUNNING", "values": …}`, or `{"status": "STOPPED"}` when
            every point is taken.
        """
        for point in self.points:
            values = self.values(point)
            if not self._duplicate(values):
                return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}
        return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}

    def save(self) -> None:
        """Writes the oracle state atomically (a kill never leaves half a file)."""
        _write_json(self._get_oracle_fname(), self.get_state())

    def _save_trial(self, trial: kt.engine.trial.Trial) -> None:
        path = Path(self._get_trial_dir(trial.trial_id)) / "trial.json"
        _write_json(path, trial.get_state())

    def reload(self) -> None:
        """Reloads keras-tuner's state and replans failed and orphaned trials."""
        super().reload()
        started = set(self.start_order)
        for trial_id in list(self.trials):
            trial = self.trials[trial_id]
            if trial_id not in started:
                # An orphan: killed between writing the trial and the oracle state.
                del self.trials[trial_id]
            elif trial.status == "FAILED":
                # Failed for good last time: plan the point again (it resumes from
                # its checkpoint), under a new trial.
                digest = self._id_to_hash.get(trial_id)
                self._tried_so_far.discard(digest)
                trial.status = "STOPPED"
                self._save_trial(trial)
        # keras-tuner saves the state of `end_trial` before it removes the trial
        # from the ongoing ones; a trial that completed is not retried.
        queue: list[str] = getattr(self, "_retry_queue")  # noqa: B009 (untyped base)
        self._retry_queue = [
            t
            for t in queue
            if t in self.trials and self.trials[t].status != "COMPLETED"
        ]

    @kt.synchronized
    def end_trial(self, trial: kt.engine.trial.Trial) -> None:
        """keras-tuner's `end_trial`, then the state saved once more.

        keras-tuner writes the state before it removes the trial from the ongoing
        ones; saving again keeps a chief killed right after from retrying it.

        Args:
            trial: The finished trial.
        """
        super().end_trial(trial)
        self.save()

    def done(self) -> int:
        """Number of grid points whose trial completed.

        Returns:
            The count of `COMPLETED` trials.
        """
        return sum(1 for t in self.trials.values() if t.status == "COMPLETED")


# ------------------------------------------------------------------------ executor
class _Progress(tf.keras.callbacks.Callback):
    """Shows the epoch of the current run in the sweep's progress bar."""

    def __init__(self, bar: Any, run_id: str) -> None:
        super().__init__()
        self.bar, self.run_id = bar, run_id

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        top1 = (logs or {}).get("val_accuracy", math.nan)
        self.bar.set_postfix_str(
            f"{self.run_id} epoch {epoch + 1}/{self.params['epochs']} top1 {top1:.3f}"
        )


class SweepTuner(kt.engine.base_tuner.BaseTuner):
    """keras-tuner `BaseTuner` whose trial is one `train_run`.

    Args:
        recipe: The validated recipe.
        out: The sweep's output folder.
        data_dir: TFDS data directory.
        tensorboard: Whether every run also writes TensorBoard logs.
        progress: Whether to show a progress bar over the whole sweep.
        overwrite: Whether to discard keras-tuner's state (not the runs) first.

    Example:
        >>> from larq_ber.recipes import load_recipe
        >>> recipe = load_recipe("models/quickstart.toml")
        >>> SweepTuner(recipe, "runs/q").search()  # doctest: +SKIP
    """

    def __init__(
        self,
        recipe: Recipe,
        out: str | Path,
        *,
        data_dir: str | None = None,
        tensorboard: bool = False,
        progress: bool = True,
        overwrite: bool = False,
    ) -> None:
        self.recipe, self.out = recipe, Path(out)
        self.data_dir, self.tensorboard, self.progress = data_dir, tensorboard, progress
        self.bar: Any = None
        super().__init__(
            SweepOracle(recipe),
            directory=str(self.out),
            project_name="tuner",
            overwrite=overwrite,
        )
        self.total = len(grid(recipe))
        if not self._is_worker():
            self.oracle.verbose = 0  # the progress bar replaces keras-tuner's display

    def _get_tuner_fname(self) -> str:
        return os.path.join(self.project_dir, f"{self.tuner_id}.json")

    def save(self) -> None:
        """Saves the oracle (unless a worker) and this tuner's state atomically."""
        if not self._is_worker():
            self.oracle.save()
        _write_json(self._get_tuner_fname(), self.get_state())

    def run_trial(self, trial: kt.engine.trial.Trial) -> dict[str, float]:
        """Trains the trial's grid point (resuming it if it was interrupted).

        Args:
            trial: The keras-tuner trial.

        Returns:
            `{"top1_max": …}`, the objective.
        """
        values = trial.hyperparameters.values
        point = GridPoint(
            float(values["ber"]), int(values["repeat"]), str(values.get("subset", ""))
        )
        extra = [] if self.bar is None else [_Progress(self.bar, point.run_id)]
        result = train_run(
            self.recipe,
            point,
            self.out / "runs" / point.run_id,
            data_dir=self.data_dir,
            tensorboard=self.tensorboard,
            callbacks=extra,
        )
        return {OBJECTIVE: result.top1_max}

    def finished(self) -> int:
        """Number of grid points with a finished run in the output folder.

        Returns:
            The count (in a shared folder: over all workers).
        """
        return len(glob.glob(str(self.out / "runs" / "*" / "result.json")))

    def on_trial_end(self, trial: kt.engine.trial.Trial) -> None:
        """Reports the trial to the oracle, says why a run failed, moves the bar."""
        super().on_trial_end(trial)
        if trial.status in ("FAILED", "INVALID"):
            reason = (trial.message or "").strip().splitlines()
            print(
                f"run {trial.hyperparameters.values} failed: "
                f"{reason[-1] if reason else 'unknown error'}",
                file=sys.stderr,
            )
        if self.bar is not None:
            self.bar.n = min(self.finished(), self.total)
            self.bar.refresh()

    @contextlib.contextmanager
    def _bar(self, initial: int) -> Iterator[None]:
        if not self.progress:
            yield
            return
        from tqdm.auto import tqdm

        with tqdm(
            total=self.total, initial=initial, unit="run", desc=self.recipe.name
        ) as bar:
            self.bar = bar
            try:
                yield
            finally:
                self.bar = None

    def search(self) -> None:
        """Runs grid points until none is left (or serves them, as the chief)."""
        if kt.src.distribute.utils.is_chief_oracle():
            self.save()
            with self._bar(self.oracle.done()):
                self._serve()
            return
        with self._bar(min(self.finished(), self.total)):
            super().search()

    def _serve(self) -> None:
        """The chief: keras-tuner's oracle service, polled every 0.2 s.

        keras-tuner's `oracle_chief.start_server` checks for the end every 20 s
        and shows nothing; this loop uses the same servicer and moves the bar.
        """
        from concurrent import futures

        import grpc
        from keras_tuner.src import protos
        from keras_tuner.src.distribute import oracle_chief

        address = f"{os.environ[_ENV_IP]}:{os.environ[_ENV_PORT]}"
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        servicer = oracle_chief.OracleServicer(self.oracle)
        protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
        try:
            port = server.add_insecure_port(address)
        except RuntimeError:
            port = 0
        if not port:
            raise RuntimeError(
                f"The chief cannot listen on {address} ({_ENV_IP}, {_ENV_PORT}): "
                "the port is taken or the address is not this machine's."
            )
        server.start()
        try:
            nothing_left = self.oracle.done() >= self.total
            while not (
                (servicer.stop_triggered or nothing_left)
                and oracle_chief.exit_chief(self.oracle)
            ):
                time.sleep(0.2)
                if self.bar is not None and self.bar.n != self.oracle.done():
                    self.bar.n = self.oracle.done()
                    self.bar.refresh()
        finally:
            server.stop(grace=2)


# ------------------------------------------------------------------------ frontend
@dataclasses.dataclass(frozen=True)
class SweepSummary:
    """What a call of `run_sweep` leaves behind.

    Attributes:
        out: The output folder.
        role: `"single"`, `"chief"` or `"worker"`.
        total: Grid points of the sweep.
        finished: Grid points with a finished run in `out`.
        failed: Run ids whose trial failed in this process.
    """

    out: str
    role: str
    total: int
    finished: int
    failed: tuple[str, ...] = ()


def _check_same_recipe(out: Path, recipe: Recipe) -> None:
    saved_path = out / "sweep.json"
    current = json.loads(json.dumps(dataclasses.asdict(recipe)))
    if not saved_path.exists():
        _write_json(saved_path, current)
        return
    saved = _read_json(saved_path)
    changed = sorted(
        k for k in set(saved) | set(current) if saved.get(k) != current.get(k)
    )
    if changed:
        detail = ", ".join(
            f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in changed
        )
        raise ValueError(
            f"`out` {str(out)!r} holds a sweep of another recipe ({detail}). Resume it "
            "with the recipe it was started with, or choose a new output folder; "
            "nothing was changed."
        )


def run_sweep(
    recipe: Recipe,
    out: str | Path,
    *,
    data_dir: str | None = None,
    tensorboard: bool = False,
    progress: bool = True,
) -> SweepSummary:
    """Runs, resumes or joins the sweep of a recipe.

    Without keras-tuner's environment variables this process runs the whole grid.
    With `KERASTUNER_ORACLE_IP`/`KERASTUNER_ORACLE_PORT` and
    `KERASTUNER_TUNER_ID=chief` it serves the grid to workers; with another
    `KERASTUNER_TUNER_ID` it is a worker that trains the points the chief gives it.
    Running the same call again resumes: finished runs are kept, an interrupted
    run continues from its last finished epoch.

    Args:
        recipe: The validated recipe.
        out: Output folder (shared by all workers of a distributed sweep).
        data_dir: TFDS data directory.
        tensorboard: Whether each run also writes TensorBoard logs.
        progress: Whether to show a progress bar (runs done / total, ETA).

    Returns:
        A `SweepSummary`.

    Raises:
        ValueError: If `out` holds a sweep of a different recipe (nothing is
            touched then).
        RuntimeError: If the chief cannot listen on its address, or keras-tuner
            stops after three consecutive failed runs.

    Example:
        >>> from larq_ber.recipes import load_recipe
        >>> recipe = load_recipe("models/quickstart.toml")
        >>> run_sweep(recipe, "runs/quickstart").finished  # doctest: +SKIP
        9
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _check_same_recipe(out, recipe)
    tuner = SweepTuner(
        recipe, out, data_dir=data_dir, tensorboard=tensorboard, progress=progress
    )
    role = "single"
    if kt.src.distribute.utils.has_chief_oracle():
        role = "chief" if kt.src.distribute.utils.is_chief_oracle() else "worker"
    before = set(tuner.oracle.trials) if role != "worker" else set()
    tuner.search()
    failed: list[str] = []
    if role != "worker":
        for trial_id, trial in tuner.oracle.trials.items():
            if trial_id not in before and trial.status == "FAILED":
                values = trial.hyperparameters.values
                failed.append(
                    GridPoint(
                        float(values["ber"]),
                        int(values["repeat"]),
                        str(values.get("subset", "")),
                    ).run_id
                )
    return SweepSummary(
        out=str(out),
        role=role,
        total=tuner.total,
        finished=tuner.finished(),
        failed=tuple(failed),
    )


# ------------------------------------------------------------------------- results
_INT_COLUMNS = {"epoch", "seed"}
_FLOAT_COLUMNS = {
    "ber",
    "ber_neg",
    "ber_pos",
    "test_top1",
    "test_top5",
    "train_loss",
    "wall_s",
}


def read_results(out: str | Path) -> list[dict[str, Any]]:
    """Reads every epoch row of every run of a sweep folder.

    Args:
        out: A sweep's output folder (or any folder with `runs/*/epochs.csv`).

    Returns:
        Rows with the keys `callbacks.COLUMNS`, numbers parsed (`test_top5` is
        `None` where empty), sorted by subset, BER, seed and epoch.

    Raises:
        FileNotFoundError: If `out` has no run with a finished epoch.

    Example:
        >>> rows = read_results("runs/quickstart")  # doctest: +SKIP
        >>> rows[0]["test_top1"]  # doctest: +SKIP
        0.8611
    """
    paths = sorted(glob.glob(str(Path(out) / "runs" / "*" / "epochs.csv")))
    rows: list[dict[str, Any]] = []
    for path in paths:
        for raw in _read_rows(Path(path)):
            row: dict[str, Any] = dict(raw)
            for key in _INT_COLUMNS:
                row[key] = int(row[key]) if row.get(key) not in ("", None) else None
            for key in _FLOAT_COLUMNS:
                row[key] = float(row[key]) if row.get(key) not in ("", None) else None
            rows.append(row)
    if not rows:
        raise FileNotFoundError(
            f"No finished epoch under {str(out)!r} (expected runs/*/epochs.csv): is it "
            "the --out folder of a sweep?"
        )
    rows.sort(
        key=lambda r: (r["subset"], r["ber"], r["seed"] or 0, r["run_id"], r["epoch"])
    )
    return rows


def write_results(out: str | Path, path: str | Path) -> int:
    """Writes the tidy table of a sweep (`read_results`) to one CSV file.

    Args:
        out: The sweep's output folder.
        path: The CSV file to write (its folder must exist).

    Returns:
        The number of rows written.

    Raises:
        FileNotFoundError: If `out` has no results or the folder of `path` does not
            exist.

    Example:
        >>> write_results("runs/quickstart", "quickstart.csv")  # doctest: +SKIP
        162
    """
    rows = read_results(out)
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"`--csv`: the folder {str(folder)!r} does not exist.")
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return len(rows)
