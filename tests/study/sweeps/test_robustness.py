"""Robustness tables: trained runs evaluated under errors at deployment."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from larq_ber.storage import read_rows
from larq_ber.study.results import read_robustness
from larq_ber.tables import ROBUSTNESS_COLUMNS

GRID = {"test_bers": [0.0, 0.1, 0.5], "weight_bers": [0.0, 0.05], "test_repeats": 3}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A sweep of LeNet-4 on digits (BER 0 and 0.5, one repeat, one epoch) whose
    recipe asks for the robustness table."""
    from larq_ber.study.recipes import load_recipe
    from larq_ber.study.sweeps import run_sweep

    folder = tmp_path_factory.mktemp("robust")
    path = folder / "tiny.toml"
    path.write_text(
        'model = "lenet4"\ndataset = "digits"\nbers = [0.0, 0.5]\nrepeats = 1\n'
        'epochs = 1\nbatch_size = 64\noptimizer = "adam"\nlearning_rate = 0.003\n'
        "weight_decay = 0.0\ndecay_epochs = []\ntest_bers = [0.0, 0.1, 0.5]\n"
        "weight_bers = [0.0, 0.05]\ntest_repeats = 3\n"
    )
    out = folder / "out"
    summary = run_sweep(load_recipe(path), out, progress=False)
    assert summary.finished == 2 and not summary.failed
    return out


def _table(out):
    """Every row as a tuple, keyed by (run, weights, test BER, weight BER, draw)."""
    return {
        (r["run_id"], r["weights"], r["test_ber"], r["weight_ber"], r["draw"]): r
        for r in read_robustness(out)
    }


@pytest.mark.slow
def test_a_robustness_recipe_tables_every_pair_and_draw(trained):
    rows = read_robustness(trained)
    assert len(rows) == 2 * 3 * 2 * 3  # runs x test BERs x weight BERs x draws
    assert len(_table(trained)) == len(rows)  # no duplicates
    by_cell = {}
    for row in rows:
        by_cell.setdefault((row["ber"], row["test_ber"], row["weight_ber"]), []).append(
            row["test_top1"]
        )
    clean = by_cell[(0.0, 0.0, 0.0)]
    assert len(set(clean)) == 1 and clean[0] > 0.5  # no randomness at (0, 0)
    # Independent draws differ; half the activations flipped is chance level.
    assert len(set(by_cell[(0.0, 0.1, 0.05)])) > 1
    n = 359  # digits test split
    chance = np.mean(by_cell[(0.0, 0.5, 0.0)])
    assert abs(chance - 0.1) <= 4 * np.sqrt(0.1 * 0.9 / (3 * n)) + 0.03
    assert np.mean(by_cell[(0.0, 0.1, 0.0)]) < clean[0]


@pytest.mark.slow
def test_draws_are_reproducible_and_the_grid_extends(trained, tmp_path):
    from larq_ber.study.sweeps.robustness import evaluate_run, evaluate_sweep

    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    run = copy / "runs" / "ber0_rep0"
    os.remove(run / "robustness.csv")
    # Evaluated in two pieces, in another order: the same numbers.
    assert evaluate_run(run, test_bers=[0.5, 0.1], weight_bers=[0.05], repeats=3) == 6
    assert evaluate_run(run, test_bers=[0.0, 0.1, 0.5], weight_bers=[0.0, 0.05],
                        repeats=3) == 12  # fmt: skip
    assert evaluate_run(run, test_bers=[0.1], weight_bers=[0.05], repeats=3) == 0
    original = {k: v for k, v in _table(trained).items() if k[0] == "ber0_rep0"}
    assert _table(run) == original
    # Extending the grid keeps every row and adds only the new ones.
    runs, written = evaluate_sweep(
        copy, test_bers=[0.0, 0.1, 0.5, 0.2], weight_bers=[0.0, 0.05], repeats=4,
        progress=False,
    )  # fmt: skip
    assert (runs, written) == (2, 2 * (4 * 2 * 4 - 3 * 2 * 3))
    table = _table(copy)
    assert all(table[key] == row for key, row in _table(trained).items())
    final = evaluate_run(run, test_bers=[0.1], weight_bers=[0.0], repeats=2,
                         weights="final")  # fmt: skip
    assert final == 2 and len(_table(copy)) == 2 * 32 + 2


@pytest.mark.slow
def test_auto_repeats_plan_each_cell_from_its_pilot(trained, tmp_path):
    from larq_ber.study.summary import robustness_table
    from larq_ber.study.sweeps.plan import AutoRepeats
    from larq_ber.study.sweeps.robustness import evaluate_run

    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    run = copy / "runs" / "ber0_rep0"
    os.remove(run / "robustness.csv")
    grid = {"test_bers": [0.0, 0.1], "weight_bers": [0.0, 0.05]}
    rule = {"margin": 0.5, "min_repeats": 3, "max_repeats": 8}
    written = evaluate_run(run, **grid, repeats="auto", **rule)
    table = _table(run)
    assert len(table) == written
    assert [k for k in table if k[2:4] == (0.0, 0.0)] == [
        ("ber0_rep0", "best", 0.0, 0.0, 0)
    ]  # the error-free cell: one row
    planned = AutoRepeats.checked(0.5, minimum=3, maximum=8)
    for cell in [(0.0, 0.05), (0.1, 0.0), (0.1, 0.05)]:
        draws = sorted(k[4] for k in table if k[2:4] == cell)
        pilot = [table[("ber0_rep0", "best", *cell, d)]["test_top1"] for d in range(3)]
        assert draws == list(range(planned.planned(pilot)[0]))
    # the same seeds: the pilot rows are those of the fixed-draws table
    original = _table(trained)
    assert all(original[k] == row for k, row in table.items() if k in original)
    assert evaluate_run(run, **grid, repeats="auto", **rule) == 0
    summary = robustness_table(read_robustness(run), rule=planned)
    assert {r["at_cap"] for r in summary} <= {0, 1}
    assert summary[0]["n"] == 1  # the error-free cell


@pytest.mark.slow
def test_evaluate_run_refuses_what_it_cannot_evaluate(trained, tmp_path):
    from larq_ber.study.sweeps.robustness import evaluate_run, evaluate_sweep

    run = trained / "runs" / "ber0_rep0"
    with pytest.raises(ValueError, match="`weights` must be one of"):
        evaluate_run(run, test_bers=[0.1], weights="last")
    with pytest.raises(ValueError, match="`test_bers` must be in the range"):
        evaluate_run(run, test_bers=[1.5])
    with pytest.raises(ValueError, match="`repeats` must be an integer >= 1"):
        evaluate_run(run, test_bers=[0.1], repeats=0)
    with pytest.raises(ValueError, match="`margin` is needed with repeats = 'auto'"):
        evaluate_run(run, test_bers=[0.1], repeats="auto")
    with pytest.raises(ValueError, match="`max_repeats` must be an integer >= "):
        evaluate_run(run, test_bers=[0.1], repeats="auto", margin=1, max_repeats=2)
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        evaluate_run(tmp_path, test_bers=[0.1])
    with pytest.raises(FileNotFoundError, match="No finished run"):
        evaluate_sweep(tmp_path, test_bers=[0.1], progress=False)
    unfinished = tmp_path / "runs" / "x"
    unfinished.mkdir(parents=True)
    shutil.copy(run / "run.json", unfinished / "run.json")
    with pytest.raises(ValueError, match="is not finished"):
        evaluate_run(unfinished, test_bers=[0.1])


def _robustness_command(out):
    return [sys.executable, "-m", "larq_ber.study.cli", "robustness", str(out),
            "--test-bers", "0", "0.1", "0.5", "--weight-bers", "0", "0.05",
            "--repeats", "6", "--no-progress"]  # fmt: skip


@pytest.mark.slow
def test_sigkill_during_evaluation_resumes_to_the_uninterrupted_table(
    trained, tmp_path
):
    """Kill-and-compare: `larq-ber robustness` killed at 4 seeded moments, each time
    resumed, ends with the table of one uninterrupted evaluation, value for value,
    without duplicates; a torn last row is dropped and evaluated again."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    clean = tmp_path / "clean"
    shutil.copytree(trained, clean)
    start = time.monotonic()
    done = subprocess.run(_robustness_command(clean), env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    duration = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    expected = _table(clean)
    assert len(expected) == 2 * 3 * 2 * 6

    out = tmp_path / "out"
    shutil.copytree(trained, out)
    moments = np.random.default_rng(7).uniform(0.3, 0.9, 4) * duration
    for moment in [*moments, None]:
        begin = time.monotonic()
        proc = subprocess.Popen(_robustness_command(out), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)  # fmt: skip
        while proc.poll() is None:
            if moment is not None and time.monotonic() - begin > moment:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                break
            assert time.monotonic() - begin < 300, "robustness process hangs"
            time.sleep(0.05)
        if moment is None:
            assert proc.returncode == 0, proc.communicate()[0]
        if moment == moments[1]:  # a crash in the middle of writing a row
            path = out / "runs" / "ber0.5_rep0" / "robustness.csv"
            with open(path, "a") as file:  # the sweep wrote its header already
                file.write("ber0.5_rep0,tiny,lenet4,dig")
    assert _table(out) == expected
    for path in Path(out).glob("runs/*/robustness.csv"):
        rows = read_rows(path)
        assert len(rows) == 3 * 2 * 6 and list(rows[0]) == list(ROBUSTNESS_COLUMNS)


def test_draws_read_a_small_test_set_from_memory_without_autotuning():
    import tensorflow as tf

    from larq_ber.study.sweeps.robustness import _CACHE_BYTES, _for_draws

    data = tf.data.Dataset.range(10).map(lambda i: i * 2)
    read = []
    counted = data.map(
        lambda i: tf.py_function(lambda v: read.append(int(v)) or v, [i], tf.int64)
    )
    small = _for_draws(counted, 80)
    assert small.options().autotune.enabled is False
    assert list(small.as_numpy_iterator()) == list(small.as_numpy_iterator())
    assert len(read) == 10  # the second pass came from the cache
    large = _for_draws(data, _CACHE_BYTES + 1)
    assert large.options().autotune.enabled is not False


def test_plans_are_bounded_and_checked_before_anything_runs():
    from larq_ber.study.sweeps.plan import MAX_EVALUATIONS, RobustnessPlan

    with pytest.raises(ValueError, match=r"needs 1,000,000,000,000 evaluations"):
        RobustnessPlan.checked([0.1], [0.0], 10**12)
    with pytest.raises(ValueError, match=r"× 3 runs\).*at most 1,000,000"):
        RobustnessPlan.checked([0.1, 0.2], [0.0], MAX_EVALUATIONS // 4, runs=3)
    with pytest.raises(ValueError, match=r"`test_bers` holds more than 1,000,000"):
        RobustnessPlan.checked(iter(lambda: 0.5, None), [0.0], 1)  # endless
    with pytest.raises(ValueError, match=r"needs 1,000,010 evaluations"):
        RobustnessPlan.checked([i / 200_000 for i in range(100_001)], [0.0], 10)
    with pytest.raises(ValueError, match=r"lists 0\.1 more than once"):
        RobustnessPlan.checked([0.1, 0.1])
    with pytest.raises(ValueError, match=r"`weight_bers` must hold at least one"):
        RobustnessPlan.checked([0.1], [])
    with pytest.raises(ValueError, match=r"`test_bers` must be a list"):
        RobustnessPlan.checked("0.1")
    with pytest.raises(ValueError, match=r"`repeats` must be an integer >= 1"):
        RobustnessPlan.checked([0.1], repeats=True)
    with pytest.raises(
        ValueError, match=r"`weight_bers` must be in the range \[0, 1\]"
    ):
        RobustnessPlan.checked([0.1], [1.5])
    assert RobustnessPlan.checked([0.0, 0.1], [0.0], 5).evaluations(runs=2) == 20


def test_a_symlinked_table_is_refused_before_anything_is_written(tmp_path):
    from larq_ber.storage import write_json
    from larq_ber.study.results import RunFiles
    from larq_ber.study.runspec import RunSpec
    from larq_ber.study.sweeps.robustness import _done

    files = RunFiles(tmp_path / "run")
    files.folder.mkdir()
    record = {
        "run_id": "r",
        "model": "lenet4",
        "dataset": "digits",
        "ber": 0.0,
        "seed": 0,
    }
    write_json(files.run, {**record, "input_shape": [28, 28, 1], "num_classes": 10})
    write_json(files.result, {"run_id": "r"})
    outside = tmp_path / "elsewhere.csv"
    files.robustness.symlink_to(outside)
    with pytest.raises(ValueError, match="is a symbolic link"):
        _done(RunSpec.load(files.folder), "best")
    assert not outside.exists()


def _fake_top1(test_ber, weight_ber, draw):
    """A deterministic accuracy per draw seed (spread ~1 point), like a model's."""
    from larq_ber.study.sweeps.robustness import draw_seed

    rng = np.random.default_rng(draw_seed(0, test_ber, weight_ber, draw))
    return round(0.8 + 0.01 * rng.standard_normal(), 6)


def _draw_cells(plan, known):
    """The draws `_rows` would make, measured with `_fake_top1`, filling `known`."""
    from larq_ber.study.sweeps.robustness import _pending, _todo

    made = []
    for t in plan.test_bers:
        for w in plan.weight_bers:
            if not _pending(plan, t, w, known):
                continue
            have = known.setdefault((t, w), {})
            for d in _todo(plan, t, w, have):
                have[d] = _fake_top1(t, w, d)
                made.append((t, w, d))
    return made


def test_auto_draws_a_pilot_then_the_planned_size_and_resumes_to_the_same_rows():
    from larq_ber.study.sweeps.plan import AutoRepeats, RobustnessPlan

    rule = AutoRepeats.checked(0.25, minimum=10, maximum=60)
    plan = RobustnessPlan.checked([0.0, 0.1], [0.0, 0.01], rule)
    whole: dict = {}
    made = _draw_cells(plan, whole)
    assert whole[(0.0, 0.0)].keys() == {0}  # the error-free cell: once
    for cell in [(0.0, 0.01), (0.1, 0.0), (0.1, 0.01)]:
        pilot = [whole[cell][d] for d in range(10)]
        m, _ = rule.planned(pilot)
        assert sorted(whole[cell]) == list(range(m)) and 10 < m <= 60
    assert len(made) == len(set(made)) == sum(len(v) for v in whole.values())
    # Killed after any number of rows, a rerun plans the same sizes: same rows.
    for cut in (0, 5, 12, len(made) // 2, len(made) - 1):
        known: dict = {}
        for t, w, d in made[:cut]:
            known.setdefault((t, w), {})[d] = whole[(t, w)][d]
        assert made[:cut] + _draw_cells(plan, known) == made
        assert known == whole
    assert _draw_cells(plan, whole) == []  # complete: nothing to do
