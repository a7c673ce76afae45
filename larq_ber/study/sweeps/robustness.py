r"""Robustness tables: a trained run evaluated under errors at deployment.

After a run of a sweep trains, its weights (Top1Max by default) are evaluated at
every pair (test BER, weight BER) of a grid, independent draws per pair:
activation errors at inference (`larq_ber.errors.activation_errors`) at the test
BER and weight sign flips (`larq_ber.errors.weight_errors`) at the weight BER. Each
draw is one row of the run's `robustness.csv` (`larq_ber.tables.ROBUSTNESS`).

The draws per pair are `repeats`, a fixed number, or `repeats="auto"`: planned
per cell to a margin (half-width of the cell's t interval, in accuracy points) at
a confidence, with a cap: a pilot of `min_repeats` draws, then the size planned
from its spread, drawn in full (no stopping as soon as the interval looks narrow,
which would bias it). `larq_ber.study.sweeps.plan` states the rule; the
error-free pair (0, 0) is then evaluated once.

* Reproducible: draw $k$ of a pair is seeded from (run seed, test BER, weight BER,
  $k$) alone, so a grid evaluated in pieces, extended later or resumed after a
  crash writes the same numbers as one evaluated at once; a planned size depends
  on the pilot's rows alone, so it is the same too.
* Crash-safe and resumable: rows are appended and synced one at a time; a rerun
  evaluates only the rows that are missing (a row torn by a crash is dropped and
  evaluated again), so the table never holds a duplicate.

A recipe with `test_bers` / `weight_bers` evaluates every run after it trains;
`larq-ber robustness` evaluates runs that exist (`evaluate_sweep`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors import activation_errors, weight_errors
from larq_ber.storage import read_rows
from larq_ber.study.data import info, load
from larq_ber.study.data.pipeline import resize
from larq_ber.study.results import RunFiles, SweepFiles, read_json
from larq_ber.study.runspec import RunSpec
from larq_ber.study.sweeps.plan import AutoRepeats, RobustnessPlan, draw_rule
from larq_ber.study.training import StopWhenAsked
from larq_ber.tables import ROBUSTNESS, Table

__all__ = ["WEIGHTS", "draw_seed", "evaluate_run", "evaluate_sweep", "robustness_rows"]

# Test sets up to this size (decoded, float32) are kept in memory between draws.
_CACHE_BYTES = 2 * 2**30

# Pipeline options of the test set: no autotuning (see `evaluate_run`).
_FIXED_PIPELINE = tf.data.Options()
_FIXED_PIPELINE.autotune.enabled = False

#: Which weights of a run to evaluate: Top1Max (`"best"`) or the last epoch's.
WEIGHTS = ("best", "final")


def draw_seed(seed: int, test_ber: float, weight_ber: float, draw: int) -> int:
    """The seed of one draw, from the run's seed, the rates and the draw number.

    Args:
        seed: The run's seed.
        test_ber: Activation BER at inference.
        weight_ber: Weight BER at inference.
        draw: Draw number, >= 0.

    Returns:
        A 62-bit integer seed.

    Example:
        >>> draw_seed(0, 0.04, 0.0, 1) == draw_seed(0, 0.04, 0.0, 1)
        True
    """
    key = [int(seed), round(test_ber * 1e12), round(weight_ber * 1e12), int(draw)]
    state = np.random.SeedSequence(key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(2))


def _plan(
    test_bers: Sequence[float],
    weight_bers: Sequence[float],
    repeats: int | str | AutoRepeats,
    rule: Mapping[str, Any],
    runs: int = 1,
) -> RobustnessPlan:
    """The checked plan (`draw_rule`, then `RobustnessPlan.checked`)."""
    draws = draw_rule(repeats, **rule)
    return RobustnessPlan.checked(test_bers, weight_bers, draws, runs=runs)


def robustness_rows(
    model: tf.keras.Model,
    data: Any,
    *,
    test_bers: Sequence[float],
    weight_bers: Sequence[float],
    repeats: int | str | AutoRepeats,
    seed: int = 0,
    done: Mapping[tuple[float, float, int], float] | None = None,
    **rule: Any,
) -> Iterator[dict[str, Any]]:
    """Evaluates a compiled model under every (test BER, weight BER) pair.

    For each pair and draw, the model's activations flip at `test_ber` at
    inference and its binarized weights at `weight_ber` (both reseeded per draw
    with `draw_seed`), and `model.evaluate(data)` measures the accuracy; the
    weights are restored after every draw. The pair (0, 0) has no randomness: it
    is evaluated once (and repeated as rows with a fixed number of draws; one
    row with `"auto"`).

    Args:
        model: A compiled Keras model with `BerSteSign` input quantizers and
            1-bit kernels, whose metrics include `top1` (and `top5`).
        data: The test data for `evaluate` (e.g. a `tf.data.Dataset`).
        test_bers: Activation BERs at inference, each in [0, 1].
        weight_bers: Weight BERs at inference, each in [0, 1].
        repeats: Draws per pair (>= 1), or `"auto"` / an `AutoRepeats`: a pilot,
            then the draws planned to a margin
            (`larq_ber.study.sweeps.plan`).
        seed: The run's seed (see `draw_seed`).
        done: Top-1 by (test BER, weight BER, draw) of rows that exist: they are
            not evaluated again, and a planned cell's pilot is read from them.
        **rule: With `"auto"`: `margin`, `confidence`, `min_repeats`,
            `max_repeats` (`larq_ber.study.sweeps.plan.draw_rule`).

    Yields:
        `{"test_ber", "weight_ber", "draw", "test_top1", "test_top5"}` per row not
        done, as soon as it is measured.

    Raises:
        ValueError: If a rate, `repeats` or the rule is out of range.
    """
    plan = _plan(test_bers, weight_bers, repeats, rule)
    known: dict[tuple[float, float], dict[int, float]] = {}
    for (test_ber, weight_ber, draw), top1 in (done or {}).items():
        known.setdefault((test_ber, weight_ber), {})[draw] = top1
    return _rows(model, data, plan, seed, known)


def _todo(
    plan: RobustnessPlan, test_ber: float, weight_ber: float, known: dict[int, float]
) -> Iterator[int]:
    """The draws a cell still needs, in order: its first draws, then the planned.

    Lazy: the planned size is computed once the first draws are in `known`,
    which the caller fills as it measures them.
    """
    first = plan.first(test_ber, weight_ber)
    yield from (d for d in range(first) if d not in known)
    planned = plan.draws(test_ber, weight_ber, known)
    assert planned is not None  # the first draws are known by now
    yield from (d for d in range(first, planned[0]) if d not in known)


def _rows(
    model: tf.keras.Model,
    data: Any,
    plan: RobustnessPlan,
    seed: int,
    known: dict[tuple[float, float], dict[int, float]],
) -> Iterator[dict[str, Any]]:
    """`robustness_rows` on a checked plan; fills `known` as it measures."""
    clean: dict[str, float] | None = None
    stop_when_asked = [StopWhenAsked()]

    def evaluate() -> dict[str, float]:
        logs = model.evaluate(
            data, verbose=0, return_dict=True, callbacks=stop_when_asked
        )
        return {"test_top1": logs["top1"], "test_top5": logs.get("top5")}

    def draw(
        quantizers: list[Any], test_ber: float, weight_ber: float, d: int
    ) -> dict[str, float]:
        nonlocal clean
        draw_key = draw_seed(seed, test_ber, weight_ber, d)
        for k, quantizer in enumerate(quantizers):
            quantizer.reseed_inference_errors(draw_key + k)
        if test_ber == 0 and weight_ber == 0:
            clean = clean or evaluate()
            return clean
        if weight_ber > 0:
            with weight_errors(model, weight_ber, seed=draw_key):
                return evaluate()
        return evaluate()

    for test_ber in plan.test_bers:
        cells = [w for w in plan.weight_bers if _pending(plan, test_ber, w, known)]
        if not cells:
            continue
        context: contextlib.AbstractContextManager[list[Any]] = (
            activation_errors(model, test_ber, seed=0)
            if test_ber > 0
            else contextlib.nullcontext([])
        )
        with context as quantizers:
            for weight_ber in cells:
                have = known.setdefault((test_ber, weight_ber), {})
                for d in _todo(plan, test_ber, weight_ber, have):
                    logs = draw(quantizers, test_ber, weight_ber, d)
                    # As written to the table, so a resumed run plans the same m.
                    have[d] = round(float(logs["test_top1"]), 6)
                    yield {"test_ber": test_ber, "weight_ber": weight_ber, "draw": d,
                           **logs}  # fmt: skip


def _pending(
    plan: RobustnessPlan,
    test_ber: float,
    weight_ber: float,
    known: dict[tuple[float, float], dict[int, float]],
) -> bool:
    """Whether a cell needs a draw (without measuring anything)."""
    have = known.get((test_ber, weight_ber), {})
    first = plan.first(test_ber, weight_ber)
    if any(d not in have for d in range(first)):
        return True
    planned = plan.draws(test_ber, weight_ber, have)
    return planned is not None and any(d not in have for d in range(planned[0]))


def _existing(path: Path, table: Table = ROBUSTNESS) -> list[dict[str, Any]]:
    """The rows of a run's table; a row torn by a crash is dropped from the file."""
    raw = read_rows(path)
    rows = []
    for number, row in enumerate(raw, start=1):
        torn = list(row) != list(table.columns) or None in row.values()
        if torn and number == len(raw):  # only the last row can be torn by a crash
            table.rewrite(path, raw[:-1])
            break
        rows.append(table.parse(row, f"{path}, row {number}"))
    return rows


def _check_evaluable(spec: RunSpec, table: Path, what: str) -> None:
    """Refuses a table that is a link, or a run that is unfinished or failed."""
    if table.is_symlink() or table.resolve().parent != spec.files.folder.resolve():
        raise ValueError(
            f"{str(table)!r} is a symbolic link: {what} rows are written only to "
            "a regular file inside the run folder; remove the link."
        )
    result = read_json(spec.files.result) if spec.files.result.exists() else None
    if result is None or "failed" in result:
        state = "failed" if result else "not finished"
        raise ValueError(f"run {spec.run_id} is {state}: nothing to evaluate.")


def _for_draws(test: tf.data.Dataset, size: int) -> tf.data.Dataset:
    """The test set as every draw reads it: from memory if it fits in `size` bytes.

    Every `evaluate` makes a new iterator, and destroying one that tf.data
    autotunes waits for its optimisation thread: up to 0.3 s per draw on 2 cores
    (LeNet-4 on 4,096 images: 0.29-0.41 s or 0.63 s per evaluate with autotuning,
    0.31-0.41 s without). Read from memory, nothing needs tuning.
    """
    if 0 < size <= _CACHE_BYTES:
        return test.cache().with_options(_FIXED_PIPELINE)
    return test


def _done(spec: RunSpec, weights: str) -> dict[tuple[float, float, int], float]:
    """Top-1 by (test BER, weight BER, draw) of the rows the run's table has."""
    _check_evaluable(spec, spec.files.robustness, "robustness")
    return {
        (r["test_ber"], r["weight_ber"], r["draw"]): r["test_top1"]
        for r in _existing(spec.files.robustness)
        if r["weights"] == weights
    }


def _test_data(spec: RunSpec, data_dir: str | None) -> tf.data.Dataset:
    """The run's test set, at the run's input shape, as every draw reads it."""
    meta = info(spec.dataset)
    test = load(
        spec.dataset, split="test", batch_size=spec.batch_size, data_dir=data_dir
    )
    test = resize(test, spec.input_shape, meta.input_shape)
    size = ((meta.splits or {}).get("test") or 0) * int(np.prod(spec.input_shape)) * 4
    return _for_draws(test, size)


def evaluate_run(
    run_dir: str | os.PathLike[str],
    *,
    test_bers: Sequence[float],
    weight_bers: Sequence[float] = (0.0,),
    repeats: int | str | AutoRepeats = 10,
    weights: str = "best",
    data_dir: str | None = None,
    progress: Callable[[int], Any] | None = None,
    **rule: Any,
) -> int:
    """Adds the missing rows of a finished run's robustness table.

    Args:
        run_dir: A finished run's folder (`OUT/runs/<run_id>`).
        test_bers: Activation BERs at inference, each in [0, 1].
        weight_bers: Weight BERs at inference, each in [0, 1].
        repeats: Draws per pair (>= 1), or `"auto"` (with `margin`) / an
            `AutoRepeats`: draws planned per cell to a margin from a pilot
            (`larq_ber.study.sweeps.plan`).
        weights: `"best"` (Top1Max) or `"final"`.
        data_dir: TFDS data directory (`None`: TFDS's default).
        progress: Called with 1 after each row (e.g. a tqdm bar's `update`).
        **rule: With `"auto"`: `margin` (half-width, accuracy points),
            `confidence` (0.95), `min_repeats` (the pilot, 10) and `max_repeats`
            (the cap, 100).

    Returns:
        The number of rows written (0 if the table was complete).

    Raises:
        ValueError: If a rate, `repeats`, the rule or `weights` is out of range
            (the message names the argument), or the run is not finished (or
            failed).
        FileNotFoundError: If `run_dir` is not a run folder.

    Example:
        ```python
        evaluate_run("runs/q/runs/ber0_rep0", test_bers=[0, 0.04],
                     weight_bers=[0, 0.01], repeats=3)  # 12 rows the first time
        evaluate_run("runs/q/runs/ber0_rep0", test_bers=[0, 0.04],
                     repeats="auto", margin=0.25, max_repeats=50)
        ```
    """
    plan = _plan(test_bers, weight_bers, repeats, rule)
    if weights not in WEIGHTS:
        raise ValueError(f"`weights` must be one of {list(WEIGHTS)}, got {weights!r}.")
    return _evaluate(run_dir, plan, weights, data_dir, progress)


def _evaluate(
    run_dir: str | os.PathLike[str],
    plan: RobustnessPlan,
    weights: str,
    data_dir: str | None,
    progress: Callable[[int], Any] | None,
) -> int:
    """`evaluate_run` on a checked plan."""
    spec = RunSpec.load(run_dir)
    if spec.seed is None:
        raise ValueError(
            f"{str(spec.files.run)!r} has no seed: the draws of a robustness table "
            "are seeded from the run's seed."
        )
    seed = spec.seed
    known: dict[tuple[float, float], dict[int, float]] = {}
    for (test_ber, weight_ber, draw), top1 in _done(spec, weights).items():
        known.setdefault((test_ber, weight_ber), {})[draw] = top1
    if not any(
        _pending(plan, t, w, known) for t in plan.test_bers for w in plan.weight_bers
    ):
        return 0
    tf.keras.backend.clear_session()
    model = spec.evaluation_model(weights)
    base = {**spec.row(), "weights": weights}
    written = 0
    for row in _rows(model, _test_data(spec, data_dir), plan, seed, known):
        top5 = row["test_top5"]
        ROBUSTNESS.append(
            spec.files.robustness,
            {
                **base,
                **row,
                "test_top1": round(float(row["test_top1"]), 6),
                "test_top5": "" if top5 is None else round(float(top5), 6),
            },
        )
        written += 1
        if progress is not None:
            progress(1)
    return written


def evaluate_sweep(
    out: str | os.PathLike[str],
    *,
    test_bers: Sequence[float],
    weight_bers: Sequence[float] = (0.0,),
    repeats: int | str | AutoRepeats = 10,
    weights: str = "best",
    data_dir: str | None = None,
    progress: bool = True,
    **rule: Any,
) -> tuple[int, int]:
    """Evaluates every finished run of a sweep folder (or one run folder).

    The sweep folder is locked (`larq_ber.study.sweeps.lock.SweepLock`) while it
    evaluates, so it never runs next to a sweep writing the same folder.

    Args:
        out: A sweep's output folder, or one run folder inside it.
        test_bers: Activation BERs at inference, each in [0, 1].
        weight_bers: Weight BERs at inference, each in [0, 1].
        repeats: Draws per pair (>= 1), or `"auto"` / an `AutoRepeats` (see
            `evaluate_run`).
        weights: `"best"` (Top1Max) or `"final"`.
        data_dir: TFDS data directory.
        progress: Whether to show progress: a tqdm bar on a terminal, one line
            per run in a log. With `"auto"` the bar counts the most draws the
            plan can need, and skips a run's unneeded ones when it ends.
        **rule: With `"auto"`: `margin`, `confidence`, `min_repeats`,
            `max_repeats` (see `evaluate_run`).

    Returns:
        `(runs evaluated, rows written)`.

    Raises:
        FileNotFoundError: If `out` holds no finished run.
        ValueError: As `evaluate_run`.
        larq_ber.study.sweeps.lock.SweepLockedError: If a sweep holds the folder.

    Example:
        ```python
        runs, rows = evaluate_sweep("runs/q", test_bers=[0, 0.04])
        ```
    """
    plan = _plan(test_bers, weight_bers, repeats, rule)
    if weights not in WEIGHTS:
        raise ValueError(f"`weights` must be one of {list(WEIGHTS)}, got {weights!r}.")
    runs, sweep = _finished_runs(Path(out))
    plan = RobustnessPlan.checked(
        plan.test_bers, plan.weight_bers, plan.auto or plan.repeats, runs=len(runs)
    )
    written = over_runs(
        runs, sweep, plan.evaluations(), "robustness", progress,
        lambda run_dir, update: _evaluate(run_dir, plan, weights, data_dir, update),
    )  # fmt: skip
    return len(runs), written


def over_runs(
    runs: list[Path],
    sweep: Path,
    per_run: int,
    desc: str,
    progress: bool,
    evaluate: Callable[[Path, Callable[[int], Any]], int],
) -> int:
    """Evaluates each run under the sweep's lock, with one progress display.

    Args:
        runs: The finished run folders.
        sweep: The sweep folder to lock (`SweepLock`).
        per_run: The most rows one run can need (the bar skips the unneeded).
        desc: The bar's label.
        progress: A tqdm bar on a terminal / a line per run in a log, or none.
        evaluate: `evaluate(run_dir, update)` writes a run's missing rows,
            calling `update(1)` after each, and returns how many it wrote.

    Returns:
        The rows written.
    """
    import io

    from larq_ber.study.progress import LineProgress, progress_bar
    from larq_ber.study.sweeps.lock import SweepLock

    written = 0
    with SweepLock(sweep):
        bar = (
            progress_bar(per_run * len(runs), desc=desc, unit="draw", every=per_run)
            if progress
            else LineProgress(per_run * len(runs), stream=io.StringIO())
        )
        with bar:
            for run_dir in runs:
                # Labelled before it runs: the line printed as its last draw lands
                # (and a live bar while it runs) names this run, not the previous.
                bar.set_postfix_str(f"run {RunFiles(run_dir).folder.name}")
                count = evaluate(run_dir, bar.update)
                bar.update(per_run - count)
                written += count
    return written


def _finished_runs(folder: Path) -> tuple[list[Path], Path]:
    """The finished runs of a sweep folder (or the run folder) and the sweep's."""
    if RunFiles(folder).run.exists():
        sweep = folder.parent.parent
        if not SweepFiles(sweep).recipe.exists():  # a run folder on its own
            sweep = folder
        return [folder], sweep
    runs = sorted(p.parent for p in SweepFiles(folder).runs.glob("*/result.json"))
    runs = [r for r in runs if "failed" not in read_json(RunFiles(r).result)]
    if not runs:
        raise FileNotFoundError(
            f"No finished run under {os.fspath(folder)!r} (expected "
            "runs/*/result.json or a run folder)."
        )
    return runs, folder
