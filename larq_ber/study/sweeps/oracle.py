"""The planner of a sweep: a keras-tuner `Oracle` that hands out grid points.

`SweepOracle.populate_space` returns the first point of the `Grid` that no trial
holds yet, and `STOPPED` when none is left, so any number of workers can draw from
it at once (keras-tuner's own `GridSearchOracle` expands the grid from finished
trials only and leaves a second worker idle until the first one finishes).
"""

from __future__ import annotations

from typing import Any

import keras_tuner as kt

from larq_ber.study.recipes import Recipe
from larq_ber.study.sweeps.grid import Grid, GridPoint
from larq_ber.study.sweeps.kt_internals import CrashSafeOracle

__all__ = ["OBJECTIVE", "SweepOracle"]

#: The metric each trial reports: the run's Top1Max.
OBJECTIVE = "top1_max"

_Status = kt.engine.trial.TrialStatus


class SweepOracle(CrashSafeOracle):
    """keras-tuner `Oracle` that plans the grid of a recipe, point by point.

    The one hyperparameter is `point`, the index into `Grid(recipe)`. Trials whose
    status is `STOPPED` no longer hold their point. Its state is keras-tuner's,
    written atomically; on reload, trials that were running go to keras-tuner's
    retry queue (they resume from their checkpoint) and failed ones are planned
    again under a new trial.

    Args:
        recipe: The validated recipe.

    Example:
        >>> from larq_ber.study.recipes import load_recipe
        >>> oracle = SweepOracle(load_recipe("quickstart"))
        >>> oracle.populate_space("0")["values"]
        {'point': 0}
    """

    def __init__(self, recipe: Recipe) -> None:
        self.grid = Grid(recipe)
        space = kt.HyperParameters()
        space.Int("point", 0, len(self.grid) - 1)
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
        self._space = space

    def point(self, trial: kt.engine.trial.Trial) -> GridPoint:
        """The grid point of a trial.

        Args:
            trial: A trial of this oracle.

        Returns:
            Its `GridPoint`.
        """
        return self.grid.point_of(trial.hyperparameters.values)

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Hands out the first grid point no trial holds.

        Args:
            trial_id: The id of the trial to fill.

        Returns:
            `{"status": "RUNNING", "values": {"point": i}}`, or
            `{"status": "STOPPED"}` when every point is taken.
        """
        taken = {
            self.grid.index_of(trial.hyperparameters.values)
            for trial in self.trials.values()
            if trial.status != _Status.STOPPED
        }
        for index in range(len(self.grid)):
            if index not in taken:
                return {"status": _Status.RUNNING, "values": self.grid.values(index)}
        return {"status": _Status.STOPPED, "values": None}

    def reload(self) -> None:
        """Reloads keras-tuner's state and replans failed and orphaned trials."""
        super().reload()
        self.hyperparameters = self._space.copy()
        started = set(self.start_order)
        for trial_id in list(self.trials):
            trial = self.trials[trial_id]
            if trial_id not in started:
                # An orphan: killed between writing the trial and the oracle state.
                del self.trials[trial_id]
            elif trial.status == _Status.FAILED:
                # Failed for good last time: let a new trial take the point (it
                # resumes from the run's checkpoint).
                trial.status = _Status.STOPPED
                self.save_trial(trial)
        self.forget_completed_retries()

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
        return sum(1 for t in self.trials.values() if t.status == _Status.COMPLETED)
