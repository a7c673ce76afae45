r"""Lifetime tables: a trained run on an MRAM chip over storage time, heat and reads.

After a run trains, its weights (Top1Max by default) are written once into the
weight memory of one MRAM chip and evaluated at every point of a `LifetimePlan`:
cell spread × operating temperature × time since write × reads of each bit,
`draws` error draws per point (`larq_ber.lifetime.lifetime_rows`: each weight flips
with its cell's probability of reading wrong for the value it holds; activations
flip at the write point's rates, if one is given). Each draw is one row of the
run's `lifetime.csv` (`larq_ber.tables.LIFETIME`), with the error-free accuracy of
the same weights (`clean_top1`) for reference.

* Seeded by the run: the chip (which cells are weak, with a spread) is the run's
  seed, and draw $k$ uses the same random numbers (seeded by the run's seed and
  $k$) at every point, so a weight flipped at one storage time stays flipped at
  every later one, and a grid evaluated in pieces, extended later or resumed after
  a crash writes the same numbers as one evaluated at once.
* Crash-safe and resumable: rows are appended and synced one at a time; a rerun
  evaluates only the points with a missing draw (a row torn by a crash is dropped
  and evaluated again), and never writes a row twice.

A recipe with `storage_times` evaluates every run after it trains;
`larq-ber robustness OUT --storage-times …` evaluates runs that exist
(`evaluate_sweep_lifetime`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import tensorflow as tf

from larq_ber.lifetime import lifetime_rows
from larq_ber.study.runspec import RunSpec
from larq_ber.study.stopping import raise_if_stopped
from larq_ber.study.sweeps.lifetime_plan import LifetimePlan
from larq_ber.study.sweeps.robustness import (
    WEIGHTS,
    _check_evaluable,
    _existing,
    _finished_runs,
    _test_data,
    over_runs,
)
from larq_ber.tables import LIFETIME

__all__ = ["evaluate_planned", "evaluate_run_lifetime", "evaluate_sweep_lifetime"]

#: A point of the plan: (delta spread, V_c0 spread, K, s).
_Place = tuple[float, float, float, float]


def _check_weights(weights: Any) -> str:
    if weights not in WEIGHTS:
        raise ValueError(f"`weights` must be one of {list(WEIGHTS)}, got {weights!r}.")
    return str(weights)


def evaluate_run_lifetime(
    run_dir: str | os.PathLike[str],
    *,
    storage_times: Any,
    device: str = "tzoufras2019",
    temperatures: Any = None,
    reads: Any = (0,),
    delta_spread: Any = 0.0,
    v_c0_spread: Any = 0.0,
    write_voltage: float | None = None,
    write_pulse: float | None = None,
    read_polarity: str = "fixed",
    draws: int = 10,
    weights: str = "best",
    data_dir: str | None = None,
    progress: Callable[[int], Any] | None = None,
) -> int:
    r"""Adds the missing rows of a finished run's lifetime table.

    The chip is the run's seed (its cells, with a spread) and the draws are
    seeded from the run's seed: the same run always gives the same rows.

    Args:
        run_dir: A finished run's folder (`OUT/runs/<run_id>`).
        storage_times: Times since write: seconds or strings such as `"10y"`,
            each >= 0.
        device: An MTJ preset name (`larq_ber.mtj.presets.PRESETS`).
        temperatures: Operating temperatures: kelvin or strings such as `"85C"`,
            each in $(0, T_c)$; `None`: the device's own (300 K).
        reads: Reads of each weight bit over the storage time, integers >= 0.
        delta_spread: Spread of the cells' $\Delta$ (>= 0), or a list.
        v_c0_spread: Spread of the cells' $V_{c0}$ (>= 0), or a list.
        write_voltage: Activation write voltage (V); `None` with `write_pulse`:
            error-free activations.
        write_pulse: Activation write pulse (s).
        read_polarity: `"fixed"` or `"bipolar"`.
        draws: Error draws per point, an integer in [2, 100,000].
        weights: `"best"` (Top1Max) or `"final"`.
        data_dir: TFDS data directory (`None`: TFDS's default).
        progress: Called with 1 after each row (e.g. a tqdm bar's `update`).

    Returns:
        The number of rows written (0 if the table was complete).

    Raises:
        ValueError: If a value is out of range (the message names it), the plan
            is too large, or the run is not finished (or failed).
        FileNotFoundError: If `run_dir` is not a run folder.

    Example:
        ```python
        evaluate_run_lifetime("runs/f/runs/ber0.04_rep0",
                              storage_times=["1h", "1y", "10y"],
                              temperatures=["25C", "85C"], draws=5)
        ```
    """
    plan = LifetimePlan.checked(
        storage_times=storage_times, device=device, temperatures=temperatures,
        reads=reads, delta_spread=delta_spread, v_c0_spread=v_c0_spread,
        write_voltage=write_voltage, write_pulse=write_pulse,
        read_polarity=read_polarity, draws=draws,
    )  # fmt: skip
    return evaluate_planned(
        run_dir, plan, weights=_check_weights(weights), data_dir=data_dir,
        progress=progress,
    )  # fmt: skip


def _condition(plan: LifetimePlan, weights: str) -> dict[str, Any]:
    """The cells every row of the plan shares (besides the run's)."""
    return {
        "weights": weights,
        "device": plan.device,
        "write_voltage": plan.write_voltage,
        "write_pulse": plan.write_pulse,
        "read_polarity": plan.read_polarity,
    }


def _done(path: Path, condition: dict[str, Any]) -> set[tuple[Any, ...]]:
    """(delta spread, V_c0 spread, K, s, reads, draw) of the rows written."""
    return {
        (r["delta_spread"], r["v_c0_spread"], r["temperature_k"],
         r["storage_time_s"], r["reads"], r["draw"])
        for r in _existing(path, LIFETIME)
        if all(r[key] == value for key, value in condition.items())
    }  # fmt: skip


def _todo(plan: LifetimePlan, done: set[tuple[Any, ...]]) -> dict[_Place, list[int]]:
    """The reads of each (spreads, K, s) that still miss a draw, in plan order."""
    todo: dict[_Place, list[int]] = {}
    for *place, count in plan.points():
        if any((*place, count, d) not in done for d in range(plan.draws)):
            todo.setdefault((place[0], place[1], place[2], place[3]), []).append(count)
    return todo


def evaluate_planned(
    run_dir: str | os.PathLike[str],
    plan: LifetimePlan,
    *,
    weights: str = "best",
    data_dir: str | None = None,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """`evaluate_run_lifetime` on a checked plan (a recipe's, for one).

    Args:
        run_dir: A finished run's folder.
        plan: The checked plan.
        weights: `"best"` or `"final"`.
        data_dir: TFDS data directory.
        progress: Called with 1 after each row.

    Returns:
        The number of rows written.

    Raises:
        ValueError: If the run has no seed, is not finished or its table is a
            link (as `evaluate_run_lifetime`).
    """
    spec = RunSpec.load(run_dir)
    if spec.seed is None:
        raise ValueError(
            f"{str(spec.files.run)!r} has no seed: the chip and the draws of a "
            "lifetime table are seeded from the run's seed."
        )
    path = spec.files.lifetime
    _check_evaluable(spec, path, "lifetime")
    condition = _condition(plan, _check_weights(weights))
    done = _done(path, condition)
    todo = _todo(plan, done)
    if not todo:
        return 0
    tf.keras.backend.clear_session()
    model = spec.evaluation_model(weights)
    data = _test_data(spec, data_dir)
    clean = model.evaluate(data, verbose=0, return_dict=True)["top1"]
    base = {**spec.row(), **condition, "clean_top1": round(float(clean), 6)}
    written = 0
    for row in _rows(model, data, plan, spec.seed, todo):
        key = (row["delta_spread"], row["v_c0_spread"], row["temperature_k"],
               row["storage_time_s"], row["reads"], row["draw"])  # fmt: skip
        if key in done:  # a draw of a point evaluated in part before
            continue
        LIFETIME.append(path, {**base, **row})
        written += 1
        raise_if_stopped()  # a Ctrl-C whose exception Python dropped
        if progress is not None:
            progress(1)
    return written


def _rows(
    model: tf.keras.Model,
    data: Any,
    plan: LifetimePlan,
    seed: int,
    todo: dict[_Place, list[int]],
) -> Iterator[dict[str, Any]]:
    """The rows of the points to do, as `LIFETIME` cells (accuracy a fraction)."""
    device = plan.mtj()
    for (delta, v_c0, kelvin, time), counts in todo.items():
        rows = lifetime_rows(
            model, data, storage_times=[time], device=device, temperatures=[kelvin],
            reads=counts, voltage=plan.write_voltage, pulse=plan.write_pulse,
            variation=plan.variation(delta, v_c0), draws=plan.draws, seed=seed,
            chip=seed, read_polarity=plan.read_polarity, metric="top1",
        )  # fmt: skip
        for row in rows:
            yield {
                "delta_spread": delta, "v_c0_spread": v_c0, "temperature_k": kelvin,
                "storage_time_s": time, "reads": int(row["reads"]),
                "draw": int(row["draw"]), "ber_neg": float(row["ber_neg"]),
                "ber_pos": float(row["ber_pos"]),
                "weight_ber": float(row["weight_ber"]),
                "test_top1": round(float(row["accuracy"]) / 100, 6),
            }  # fmt: skip


def evaluate_sweep_lifetime(
    out: str | os.PathLike[str],
    *,
    weights: str = "best",
    data_dir: str | None = None,
    progress: bool = True,
    **grid: Any,
) -> tuple[int, int]:
    """Evaluates every finished run of a sweep folder (or one run folder).

    The sweep folder is locked (`larq_ber.study.sweeps.lock.SweepLock`) while it
    evaluates; the plan is bounded for all its runs together.

    Args:
        out: A sweep's output folder, or one run folder inside it.
        weights: `"best"` (Top1Max) or `"final"`.
        data_dir: TFDS data directory.
        progress: Whether to show progress: a tqdm bar on a terminal, one line
            per run in a log.
        **grid: The plan: `storage_times` (required), `device`, `temperatures`,
            `reads`, `delta_spread`, `v_c0_spread`, `write_voltage`,
            `write_pulse`, `read_polarity`, `draws` (see `evaluate_run_lifetime`).

    Returns:
        `(runs evaluated, rows written)`.

    Raises:
        FileNotFoundError: If `out` holds no finished run.
        ValueError: As `evaluate_run_lifetime`.
        larq_ber.study.sweeps.lock.SweepLockedError: If a sweep holds the folder.

    Example:
        ```python
        runs, rows = evaluate_sweep_lifetime(
            "runs/f", storage_times=[1, 3600, "1y"], temperatures=["85C"])
        ```
    """
    LifetimePlan.checked(**grid)  # the values first, then the folder
    weights = _check_weights(weights)
    runs, sweep = _finished_runs(Path(out))
    plan = LifetimePlan.checked(**grid, runs=len(runs))
    written = over_runs(
        runs, sweep, plan.evaluations(), "lifetime", progress,
        lambda run_dir, update: evaluate_planned(
            run_dir, plan, weights=weights, data_dir=data_dir, progress=update
        ),
    )  # fmt: skip
    return len(runs), written
