"""⟨Top1Max⟩ per BER with its t-interval, as printed by `larq-ber results`."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from larq_ber.study.results import SweepFiles
from larq_ber.study.summary import format_top1max, summary_text, top1max_table
from larq_ber.tables import EPOCHS

#: Best epochs per BER: three runs at 0 and 4 %, one at 16 %.
BEST = {0.0: (0.97, 0.98, 0.975), 0.04: (0.96, 0.97, 0.962), 0.16: (0.9,)}


def sweep(folder, model="lenet4", dataset="digits"):
    """A sweep folder whose runs' best epochs are `BEST` (the first epoch is worse)."""
    for ber, bests in BEST.items():
        for seed, best in enumerate(bests):
            run_id = f"ber{ber:g}_rep{seed}"
            run = SweepFiles(folder).run(run_id)
            run.folder.mkdir(parents=True)
            for epoch, top1 in ((1, best - 0.1), (2, best), (3, best - 0.01)):
                EPOCHS.append(run.epochs, {
                    "run_id": run_id, "recipe": "t", "model": model,
                    "dataset": dataset, "subset": "", "ber": ber, "ber_neg": ber,
                    "ber_pos": ber, "seed": seed, "epoch": epoch, "test_top1": top1,
                    "test_top5": "", "train_loss": 1.0, "wall_s": 1.0,
                })  # fmt: skip
    return folder


def test_top1max_table_is_the_mean_and_t_interval_of_each_runs_best(tmp_path):
    from larq_ber.study.results import read_results

    table = top1max_table(read_results(sweep(tmp_path)))
    assert [(r["ber"], r["runs"], r["n"]) for r in table] == [
        (0.0, 3, 3), (0.04, 3, 3), (0.16, 1, 1)
    ]  # fmt: skip
    for record in table[:2]:
        best = BEST[record["ber"]]
        low, high = scipy_stats.t.interval(
            0.95, 2, loc=np.mean(best), scale=scipy_stats.sem(best)
        )
        assert record["mean"] == pytest.approx(np.mean(best))
        assert record["std"] == pytest.approx(np.std(best, ddof=1))
        assert (record["ci_low"], record["ci_high"]) == pytest.approx((low, high))
    single = table[2]
    assert (single["mean"], single["std"]) == (0.9, 0.0)
    assert math.isnan(single["ci_low"]) and math.isnan(single["ci_high"])
    wider = top1max_table(read_results(tmp_path), confidence=0.99)[0]
    assert wider["ci_low"] < table[0]["ci_low"] < table[0]["ci_high"] < wider["ci_high"]


def test_the_printed_table_says_what_it_shows_in_accuracy_points(tmp_path):
    text = summary_text(sweep(tmp_path))
    assert text.splitlines() == [
        "⟨Top1Max⟩ of LeNet-4 on offline digits: each run's best error-free test "
        "top-1 accuracy",
        "(%); mean, std (ddof = 1) and 95 % t-interval over n training runs",
        "  BER (%)     n    mean     std   ci_low  ci_high",
        "        0     3   97.50    0.50    96.26    98.74",
        "        4     3   96.40    0.53    95.09    97.71",
        "       16     1   90.00       –        –        –",
        "n = 1: no spread and no interval from a single training run.",
    ]
    assert "90 % t-interval" in summary_text(tmp_path, confidence=0.9)


def test_subsets_get_a_column_of_readable_names():
    table = [
        {"subset": f"classes=2,subset_seed={s}", "ber": 0.0, "runs": 2, "n": 2,
         "mean": 0.9, "std": 0.01, "ci_low": 0.81, "ci_high": 0.99}
        for s in (1, 2)
    ]  # fmt: skip
    lines = format_top1max(table, what="NiN on ImageNet").splitlines()
    assert lines[2] == (
        "  subset                     BER (%)     n    mean     std   ci_low  ci_high"
    )
    assert lines[3] == (
        "  2 classes (subset seed 1)        0     2   90.00    1.00    81.00    99.00"
    )
    assert not lines[-1].startswith("n = 1")


def test_summary_of_a_folder_without_results(tmp_path):
    with pytest.raises(FileNotFoundError, match="No finished epoch"):
        summary_text(tmp_path)


def _robust_rows(values, test_ber=0.1, weight_ber=0.0, ber=0.0):
    """Robustness rows: `values` maps run_id -> accuracies of its draws."""
    return [
        {"subset": "", "weights": "best", "ber": ber, "test_ber": test_ber,
         "weight_ber": weight_ber, "run_id": run, "draw": d, "test_top1": v}
        for run, draws in values.items()
        for d, v in enumerate(draws)
    ]  # fmt: skip


def test_robustness_table_is_two_level_and_counts_real_draws():
    from larq_ber.study.summary import robustness_table

    several = {"a": [0.80, 0.82, 0.81], "b": [0.70, 0.72], "c": [0.75, 0.76]}
    clean = {"a": [0.9] * 3, "b": [0.88] * 3, "c": [0.89] * 3}
    rows = _robust_rows(several) + _robust_rows(clean, test_ber=0.0)
    table = robustness_table(rows)
    zero, noisy = table
    means = [np.mean(v) for v in several.values()]
    low, high = scipy_stats.t.interval(
        0.95, 2, loc=np.mean(means), scale=scipy_stats.sem(means)
    )
    assert (noisy["runs"], noisy["n"], noisy["over"]) == (3, 7, "runs")
    assert noisy["mean"] == pytest.approx(np.mean(means))
    assert (noisy["ci_low"], noisy["ci_high"]) == pytest.approx((low, high))
    assert noisy["half_width"] == pytest.approx((high - low) / 2)
    assert (zero["runs"], zero["n"]) == (3, 3)  # identical rows: once per run
    assert zero["std"] == pytest.approx(np.std([0.9, 0.88, 0.89], ddof=1))
    assert noisy["at_cap"] is None  # no rule known


def test_one_run_has_its_interval_over_the_draws_and_marks_the_cap():
    from larq_ber.study.summary import format_robustness, robustness_table
    from larq_ber.study.sweeps.plan import AutoRepeats

    draws = [0.80, 0.83, 0.78, 0.81, 0.79]
    rows = _robust_rows({"a": draws}) + _robust_rows({"a": [0.9] * 5}, test_ber=0.0)
    rule = AutoRepeats.checked(0.25, minimum=5, maximum=5)
    zero, noisy = robustness_table(rows, rule=rule)
    low, high = scipy_stats.t.interval(
        0.95, 4, loc=np.mean(draws), scale=scipy_stats.sem(draws)
    )
    assert (noisy["runs"], noisy["n"], noisy["over"]) == (1, 5, "draws")
    assert (noisy["ci_low"], noisy["ci_high"]) == pytest.approx((low, high))
    assert (noisy["at_cap"], zero["at_cap"]) == (1, 0)
    assert zero["n"] == 1 and math.isnan(zero["ci_low"])
    text = format_robustness([zero, noisy], rule=rule).splitlines()
    assert text[0].startswith("Top-1 under errors at deployment (%): mean and 95 %")
    assert "over the runs' means where runs > 1" in text[1]
    assert text[6].split() == ["0", "10", "0", "1", "5", "80.20", "77.81",
                               "82.59", "2.39", "draws*"]  # fmt: skip
    assert text[-2] == (
        "* stopped at the cap of 5 draws in at least one run: the interval may be "
        "wider than ±0.25 points."
    )
    assert text[-1] == "–: a single value (one run, one draw): no interval."


def test_robustness_text_reads_the_sweeps_rule(tmp_path):
    from larq_ber.study.results import SweepFiles, write_json
    from larq_ber.study.summary import robustness_text, sweep_rule
    from larq_ber.tables import ROBUSTNESS, ROBUSTNESS_COLUMNS

    files = SweepFiles(tmp_path)
    assert robustness_text(tmp_path) == "" and sweep_rule(tmp_path) is None
    run = files.run("ber0_rep0")
    run.folder.mkdir(parents=True)
    for row in _robust_rows({"ber0_rep0": [0.5, 0.6, 0.55]}):
        ROBUSTNESS.append(run.robustness, {**dict.fromkeys(ROBUSTNESS_COLUMNS, ""),
                                           **row, "seed": 0})  # fmt: skip
    rule = {"margin": 0.25, "confidence": 0.95, "minimum": 3, "maximum": 3}
    write_json(files.recipe, {"test_repeats": rule})
    assert sweep_rule(tmp_path).maximum == 3
    assert "draws*" in robustness_text(tmp_path)
    write_json(files.recipe, {"test_repeats": 10})
    assert sweep_rule(tmp_path) is None and "*" not in robustness_text(tmp_path)
