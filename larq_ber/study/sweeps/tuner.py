"""The executor of a sweep: a keras-tuner `BaseTuner` whose trial is one run.

`SweepTuner` asks its `SweepOracle` for grid points and trains each with
`train_run`; in a distributed sweep the chief only serves the oracle and workers
train. Roles follow keras-tuner's documented environment variables:
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` make a distributed sweep,
`KERASTUNER_TUNER_ID=chief` the chief, any other id a worker.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras_tuner as kt
import tensorflow as tf

from larq_ber.study.data import DataError
from larq_ber.study.messages import one_line
from larq_ber.study.names import describe
from larq_ber.study.recipes import Recipe
from larq_ber.study.results import SweepFiles, read_json, write_json
from larq_ber.study.sweeps.grid import Grid
from larq_ber.study.sweeps.kt_internals import serve
from larq_ber.study.sweeps.lifetime import evaluate_planned
from larq_ber.study.sweeps.oracle import OBJECTIVE, SweepOracle
from larq_ber.study.sweeps.robustness import evaluate_run
from larq_ber.study.sweeps.run import RunFailedError, train_run

__all__ = ["SweepTuner", "sweep_role"]

_ID, _IP, _PORT = (
    "KERASTUNER_TUNER_ID",
    "KERASTUNER_ORACLE_IP",
    "KERASTUNER_ORACLE_PORT",
)


def sweep_role() -> str:
    """This process's role, from keras-tuner's environment variables.

    Returns:
        `"single"` (no `KERASTUNER_ORACLE_IP`/`_PORT`), `"chief"`
        (`KERASTUNER_TUNER_ID=chief`) or `"worker"`.

    Example:
        >>> sweep_role()  # without keras-tuner's variables
        'single'
    """
    if _IP not in os.environ or _PORT not in os.environ:
        return "single"
    return "chief" if os.environ.get(_ID) == "chief" else "worker"


def _corrupt_state(folder: Path, error: BaseException) -> Exception:
    """A clear error for keras-tuner state that fails to load: names the file."""
    for path in sorted(folder.rglob("*.json")):
        try:
            read_json(path)
        except ValueError as bad:
            return ValueError(
                f"{bad} The sweep's keras-tuner state is damaged; the runs are "
                f"intact: delete {str(folder)!r} and run the same command again to "
                "rebuild it from the run folders."
            )
    return error if isinstance(error, RuntimeError) else RuntimeError(str(error))


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


#: Errors of the file system that a retry of the trial cannot remove.
_FATAL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


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
        >>> from larq_ber.study.recipes import load_recipe
        >>> recipe = load_recipe("quickstart")
        >>> SweepTuner(recipe, "runs/q").search()  # doctest: +SKIP
    """

    def __init__(
        self,
        recipe: Recipe,
        out: str | os.PathLike[str],
        *,
        data_dir: str | None = None,
        tensorboard: bool = False,
        progress: bool = True,
        overwrite: bool = False,
    ) -> None:
        self.recipe, self.files = recipe, SweepFiles(Path(out))
        self.data_dir, self.tensorboard, self.progress = data_dir, tensorboard, progress
        self.role = sweep_role()
        self.grid = Grid(recipe)
        self.bar: Any = None
        try:
            super().__init__(
                SweepOracle(recipe),
                directory=str(self.files.folder),
                project_name=self.files.tuner.name,
                overwrite=overwrite,
            )
        except (ValueError, KeyError, RuntimeError) as error:
            raise _corrupt_state(self.files.tuner, error) from error
        self.total = len(self.grid)
        if self.role != "worker":
            self.oracle.verbose = 0  # the progress bar replaces keras-tuner's display

    def save(self) -> None:
        """Saves the oracle (unless a worker) and this tuner's state atomically."""
        if self.role != "worker":
            self.oracle.save()
        write_json(Path(self.project_dir) / f"{self.tuner_id}.json", self.get_state())

    def run_trial(self, trial: kt.engine.trial.Trial) -> dict[str, float]:
        """Trains the trial's grid point (resuming it if it was interrupted).

        Args:
            trial: The keras-tuner trial.

        Returns:
            `{"top1_max": …}`, the objective.
        """
        point = self.grid.point_of(trial.hyperparameters.values)
        extra = [] if self.bar is None else [_Progress(self.bar, point.run_id)]
        try:
            result = train_run(
                self.recipe,
                point,
                self.files.run(point.run_id).folder,
                data_dir=self.data_dir,
                tensorboard=self.tensorboard,
                callbacks=extra,
            )
            if self.recipe.robustness:  # resumes where an earlier attempt stopped
                evaluate_run(
                    self.files.run(point.run_id).folder,
                    test_bers=self.recipe.test_bers,
                    weight_bers=self.recipe.weight_bers,
                    repeats=self.recipe.test_repeats,
                    data_dir=self.data_dir,
                )
            if self.recipe.lifetime is not None:  # resumes likewise
                evaluate_planned(
                    self.files.run(point.run_id).folder,
                    self.recipe.lifetime,
                    data_dir=self.data_dir,
                )
        except RunFailedError as error:  # for good: keras-tuner must not retry it
            raise kt.errors.FailedTrialError(str(error)) from error
        except (DataError, OSError) as error:
            if isinstance(error, OSError) and error.errno not in _FATAL_ERRNOS:
                raise
            # Retrying cannot help (no data, a full or read-only disk): stop the
            # sweep at once with one line, not after three trials' tracebacks.
            raise kt.errors.FatalError(one_line(error)) from error
        return {OBJECTIVE: result.top1_max}

    def finished(self) -> int:
        """Number of grid points with a finished (or failed for good) run.

        Returns:
            The count of `result.json` files (in a shared folder: of all workers).
        """
        return self.files.finished()

    def on_trial_end(self, trial: kt.engine.trial.Trial) -> None:
        """Reports the trial to the oracle, says why a run failed, moves the bar."""
        super().on_trial_end(trial)
        if trial.status in (
            kt.engine.trial.TrialStatus.FAILED,
            kt.engine.trial.TrialStatus.INVALID,
        ):
            reason = (trial.message or "").strip().splitlines()
            run_id = self.grid.point_of(trial.hyperparameters.values).run_id
            print(
                f"run {run_id} failed: {reason[-1] if reason else 'unknown error'}",
                file=sys.stderr,
            )
        self._move_bar(self.finished())

    def _move_bar(self, done: int) -> None:
        if self.bar is not None and self.bar.n != min(done, self.total):
            self.bar.n = min(done, self.total)
            self.bar.refresh()

    @contextlib.contextmanager
    def _bar(self, initial: int) -> Iterator[None]:
        if not self.progress:
            yield
            return
        from larq_ber.study.progress import progress_bar

        # A live bar on a terminal; in a log, one line per finished run.
        recipe = self.recipe
        with progress_bar(
            self.total,
            initial=initial,
            unit="run",
            desc=f"{self.recipe.name} ({describe(recipe.model, recipe.dataset)})",
        ) as bar:
            self.bar = bar
            try:
                yield
            finally:
                self.bar = None

    def search(self) -> None:
        """Runs grid points until none is left (or serves them, as the chief)."""
        if self.role == "chief":
            self.save()
            with self._bar(self.oracle.done()):
                serve(
                    self.oracle,
                    f"{os.environ[_IP]}:{os.environ[_PORT]}",
                    finished=lambda: self.oracle.done() >= self.total,
                    tick=lambda: self._move_bar(self.oracle.done()),
                )
            return
        with self._bar(min(self.finished(), self.total)):
            super().search()
