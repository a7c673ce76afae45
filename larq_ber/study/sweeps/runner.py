"""Running a sweep: one call that runs, resumes or joins the sweep of a recipe."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from larq_ber.study.recipes import Recipe
from larq_ber.study.results import SweepFiles, read_json, write_json
from larq_ber.study.sweeps.lock import SweepLock
from larq_ber.study.sweeps.tuner import SweepTuner, sweep_role

__all__ = ["SweepSummary", "run_sweep"]


@dataclasses.dataclass(frozen=True)
class SweepSummary:
    """What a call of `run_sweep` leaves behind.

    Attributes:
        out: The output folder.
        role: `"single"`, `"chief"` or `"worker"`.
        total: Grid points of the sweep.
        finished: Grid points with a finished run in `out` (failed ones included).
        failed: Run ids that failed: for good (their `result.json` says why, e.g.
            a NaN loss), or in this process (they are retried by the next call).
        reasons: Why each of `failed` failed, where known.
    """

    out: str
    role: str
    total: int
    finished: int
    failed: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


def _defaults() -> dict[str, Any]:
    """The recipe fields that have a default, as JSON values."""
    values = {}
    for field in dataclasses.fields(Recipe):
        if field.default is not dataclasses.MISSING:
            values[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            values[field.name] = field.default_factory()
    return json.loads(json.dumps(values, default=str))


def _check_same_recipe(files: SweepFiles, recipe: Recipe) -> None:
    current = json.loads(json.dumps(dataclasses.asdict(recipe)))
    if not files.recipe.exists():
        write_json(files.recipe, current)
        return
    saved = read_json(files.recipe)
    # A field newer than the saved file counts as unchanged at its default.
    saved = {**{k: v for k, v in _defaults().items() if k not in saved}, **saved}
    changed = sorted(
        k for k in set(saved) | set(current) if saved.get(k) != current.get(k)
    )
    if changed:
        detail = ", ".join(
            f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in changed
        )
        raise ValueError(
            f"`out` {str(files.folder)!r} holds a sweep of another recipe ({detail}). "
            "Resume it with the recipe it was started with, or choose a new output "
            "folder; nothing was changed."
        )


def run_sweep(
    recipe: Recipe,
    out: str | os.PathLike[str],
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
        SweepLockedError: If another sweep process writes to `out` (nothing is
            touched then); workers of a distributed sweep do not take the lock.
        ValueError: If `out` holds a sweep of a different recipe (nothing is
            touched then).
        RuntimeError: If the chief cannot listen on its address, or keras-tuner
            stops after three consecutive failed runs.

    Example:
        >>> from larq_ber.study.recipes import load_recipe
        >>> recipe = load_recipe("quickstart")
        >>> run_sweep(recipe, "runs/quickstart").finished  # doctest: +SKIP
        9
    """
    files = SweepFiles(Path(out))
    role = sweep_role()
    with contextlib.ExitStack() as stack:
        if role != "worker":  # the planner is the folder's one writer
            stack.enter_context(SweepLock(files.folder))
        _check_same_recipe(files, recipe)
        tuner = SweepTuner(
            recipe, out, data_dir=data_dir, tensorboard=tensorboard, progress=progress
        )
        before = set(tuner.oracle.trials) if role != "worker" else set()
        tuner.search()
    failed = {
        path.parent.name: str(record["failed"])
        for path in sorted(files.runs.glob("*/result.json"))
        if "failed" in (record := read_json(path))
    }
    if role != "worker":
        for trial_id, trial in tuner.oracle.trials.items():
            run_id = tuner.grid.point_of(trial.hyperparameters.values).run_id
            if trial_id not in before and trial.status == "FAILED":
                reason = (trial.message or "").strip().splitlines()
                failed.setdefault(run_id, reason[-1] if reason else "unknown error")
    return SweepSummary(
        out=str(files.folder),
        role=role,
        total=tuner.total,
        finished=tuner.finished(),
        failed=tuple(failed),
        reasons=tuple(failed.values()),
    )
