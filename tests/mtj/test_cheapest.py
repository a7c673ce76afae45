"""larq_ber.mtj.cheapest: from measured accuracies to the cheapest write."""

import re

import pytest

from larq_ber.mtj.cheapest import cheapest_operating_point
from larq_ber.mtj.deployment import DEFAULT_READ_PULSE, weight_error_rate
from larq_ber.mtj.fpe import write_error_rate
from larq_ber.mtj.inverse import voltage_for_wer


def test_from_accuracy_curve_to_cheapest_point():
    curve = {0.0: 0.970, 0.01: 0.969, 0.04: 0.966, 0.16: 0.940}
    point = cheapest_operating_point(curve, tolerance=0.005)
    assert point.ber == 0.04 and point.accuracy == 0.966
    assert float(write_error_rate(point.voltage, point.pulse)) == pytest.approx(
        0.04, rel=1e-2
    )
    assert 0 < point.energy < 1 and point.endurance_gain > 1
    # No other pulse on the WER = 0.04 contour is cheaper (±30 %).
    for factor in (0.7, 1.3):
        other = float(voltage_for_wer(0.04, point.pulse * factor))
        assert other**2 * point.pulse * factor >= point.voltage**2 * point.pulse
    # A looser tolerance buys a larger BER and less energy; records work too.
    loose = cheapest_operating_point(
        [{"ber": b, "mean": a} for b, a in curve.items()], tolerance=0.05
    )
    assert loose.ber == 0.16 and loose.energy < point.energy
    strict = cheapest_operating_point(curve, tolerance=0.0)
    assert strict.ber == 0.0 and strict.energy == pytest.approx(1.0)
    with pytest.raises(ValueError, match="must include BER 0"):
        cheapest_operating_point({0.04: 0.9}, 0.01)


def _robustness_table(strings=False):
    """A synthetic robustness sweep: 2 training BERs x test BERs x weight BERs."""
    # (train ber, test_ber, weight_ber) -> mean accuracy; two draws around it.
    means = {
        (0.0, 0.0, 0.0): 0.970,
        (0.0, 0.01, 0.0): 0.962,
        (0.0, 0.04, 0.0): 0.930,
        (0.0, 0.0, 1e-3): 0.969,
        (0.04, 0.0, 0.0): 0.968,
        (0.04, 0.01, 0.0): 0.967,
        (0.04, 0.04, 0.0): 0.966,
        (0.04, 0.16, 0.0): 0.900,
        (0.04, 0.04, 1e-4): 0.966,
        (0.04, 0.04, 1e-3): 0.965,
        (0.04, 0.04, 1e-2): 0.930,
        (0.16, 0.0, 0.0): 0.955,
        (0.16, 0.04, 0.0): 0.954,
        (0.16, 0.04, 1e-3): 0.953,
    }
    rows = []
    for (ber, test_ber, weight_ber), mean in means.items():
        for draw, offset in enumerate((-0.002, 0.002)):
            row = {
                "model": "lenet4",
                "ber": ber,
                "test_ber": test_ber,
                "weight_ber": weight_ber,
                "draw": draw,
                "test_top1": mean + offset,
            }
            rows.append({k: str(v) for k, v in row.items()} if strings else row)
    return rows


def test_robustness_table_gives_write_training_and_storage(paper):
    point = cheapest_operating_point(_robustness_table(), tolerance=0.0055)
    # Largest acceptable test BER 0.04 (trained at 0.04; 0.16 misses the
    # tolerance), tolerating weight BER 1e-3 (1e-2 misses it).
    assert (point.ber, point.train_ber, point.weight_ber) == (0.04, 0.04, 1e-3)
    assert point.accuracy == pytest.approx(0.965)
    assert point.baseline_accuracy == pytest.approx(0.970)
    assert float(write_error_rate(point.voltage, point.pulse)) == pytest.approx(
        0.04, rel=1e-2
    )
    # The same write point as the curve form gives for BER 0.04.
    curve = cheapest_operating_point({0.0: 0.97, 0.04: 0.97}, tolerance=0.0)
    assert (point.voltage, point.pulse, point.energy) == (
        curve.voltage,
        curve.pulse,
        curve.energy,
    )
    # Storage: no reads, weight BER at that storage time within the tolerated one.
    assert point.reads == 0 and point.read_voltage == paper.v_c0 / 3
    assert point.read_pulse == DEFAULT_READ_PULSE
    rate = weight_error_rate(point.storage_time, paper)
    assert rate <= 1e-3 and rate == pytest.approx(1e-3, rel=1e-6)
    # Strings from a CSV file give the same point.
    assert cheapest_operating_point(_robustness_table(True), 0.0055) == point


def test_robustness_table_with_reads_and_tolerances(paper):
    table = _robustness_table()
    read = cheapest_operating_point(table, 0.0055, reads=10**3)
    assert read.storage_time < cheapest_operating_point(table, 0.0055).storage_time
    rate = weight_error_rate(read.storage_time, paper, reads=1000)
    assert rate <= 1e-3 and rate == pytest.approx(1e-3, rel=1e-6)
    # Stricter tolerances: weight BER 1e-4 at test BER 0.04, then test BER 0.01
    # with no weight errors (only weight BER 0 measured there), so no storage.
    stricter = cheapest_operating_point(table, 0.0045)
    assert (stricter.ber, stricter.train_ber, stricter.weight_ber) == (
        0.04,
        0.04,
        1e-4,
    )
    assert 0 < stricter.storage_time < read.storage_time
    strict = cheapest_operating_point(table, 0.0035)
    assert (strict.ber, strict.train_ber, strict.weight_ber) == (0.01, 0.04, 0.0)
    assert strict.storage_time == 0.0 and strict.energy > stricter.energy
    # No tolerance: only the baseline cell (trained at 0, error-free).
    none = cheapest_operating_point(table, 0.0)
    assert (none.ber, none.train_ber, none.weight_ber) == (0.0, 0.0, 0.0)
    assert none.energy == pytest.approx(1.0)
    # A loose one reaches the cell trained at 0.04 and tested at 0.16.
    loose = cheapest_operating_point(table, 0.08)
    assert (loose.ber, loose.train_ber) == (0.16, 0.04)
    # The read disturb of 1e4 reads at 0.12 V alone exceeds weight BER 1e-3.
    with pytest.raises(ValueError, match=r"tolerates a weight BER of 0\.001.*`reads`"):
        cheapest_operating_point(table, 0.0055, reads=10**4, read_voltage=0.12)


def test_robustness_table_bad_input():
    table = _robustness_table()
    no_baseline = [r for r in table if not (r["test_ber"] == r["weight_ber"] == 0)]
    with pytest.raises(ValueError, match="`test_ber` 0 and `weight_ber` 0"):
        cheapest_operating_point(no_baseline, 0.01)
    for key, value, message in [
        ("test_top1", "", "`test_top1` must be a finite number"),
        ("test_top1", "nan", "`test_top1` must be a finite number"),
        ("weight_ber", 1.5, r"`weight_ber` must be in \[0, 1\]"),
        ("test_ber", 1.0, r"`test_ber` must be in \[0, 1\)"),
        ("ber", -0.1, r"`ber` must be in \[0, 1\)"),
        ("ber", None, "`ber` must be a finite number"),
    ]:
        bad = [dict(r) for r in table]
        bad[3][key] = value
        with pytest.raises(ValueError, match=f"row 3: {message}"):
            cheapest_operating_point(bad, 0.01)
    missing = [dict(r) for r in table]
    del missing[2]["test_top1"]
    with pytest.raises(ValueError, match="row 2 lacks `test_top1`"):
        cheapest_operating_point(missing, 0.01)
    with pytest.raises(ValueError, match="`tolerance`"):
        cheapest_operating_point(table, -0.01)
    with pytest.raises(ValueError, match="`reads`"):
        cheapest_operating_point(table, 0.01, reads=-1)
    with pytest.raises(ValueError, match="`read_pulse`"):
        cheapest_operating_point({0.0: 0.9}, 0.01, read_pulse=0)


def test_a_curve_point_records_its_baseline():
    assert cheapest_operating_point({0.0: 0.9}, 0.0).baseline_accuracy == 0.9


def _cell_rows(ber, test_ber, values, runs=("a",), weight_ber=0.0):
    return [
        {"run_id": run, "ber": ber, "test_ber": test_ber, "weight_ber": weight_ber,
         "draw": k, "test_top1": value}
        for run in runs for k, value in enumerate(values)
    ]  # fmt: skip


def test_with_confidence_a_cell_qualifies_on_its_lower_bound_and_doubt_is_reported():
    # Baseline 0.90 (no spread); threshold 0.89 at a one-point tolerance. The 4 %
    # cell's mean 0.8925 meets it, but its draws spread by 0.01: its 95 % lower
    # bound (t with 3 degrees of freedom) is below 0.89.
    table = (
        _cell_rows(0.0, 0.0, [0.90] * 4)
        + _cell_rows(0.0, 0.01, [0.899, 0.897, 0.898, 0.900])
        + _cell_rows(0.0, 0.04, [0.8825, 0.8975, 0.8875, 0.9025])
    )
    on_means = cheapest_operating_point(table, 0.01)
    assert on_means.ber == 0.04 and on_means.undecided == ""
    point = cheapest_operating_point(table, 0.01, confidence=0.95)
    assert point.ber == 0.01 and point.confidence == 0.95
    assert 0.89 <= point.accuracy_low < point.accuracy
    assert point.undecided.startswith("undecided: training BER 0, test BER 0.04")
    assert "(95 %, n = 4) against the threshold 89.00 %" in point.undecided
    assert re.search(r"about \d+ more draws at the same spread", point.undecided)
    # At a low confidence (20 %) the interval is narrow enough to accept the cell.
    assert cheapest_operating_point(table, 0.01, confidence=0.2).ber == 0.04


def test_with_two_or_more_runs_per_cell_the_interval_is_over_run_means():
    runs = ("a", "b", "c")
    table = _cell_rows(0.0, 0.0, [0.90], runs) + [
        {"run_id": run, "ber": 0.0, "test_ber": 0.04, "weight_ber": 0.0, "draw": k,
         "test_top1": mean + noise}
        for run, mean in zip(runs, (0.880, 0.895, 0.910), strict=True)
        for k, noise in enumerate((-0.001, 0.001))
    ]  # fmt: skip
    point = cheapest_operating_point(table, 0.01, confidence=0.95)
    assert point.ber == 0.0  # run means 0.88-0.91: far too wide to decide on
    assert "(95 %, n = 3)" in point.undecided and "more runs" in point.undecided


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, True, "0.95"])
def test_confidence_is_checked_and_needs_a_table(confidence):
    table = _cell_rows(0.0, 0.0, [0.9, 0.9])
    with pytest.raises(
        ValueError, match=r"`confidence` must be a finite number in \(0, 1\)"
    ):
        cheapest_operating_point(table, 0.01, confidence=confidence)
    with pytest.raises(ValueError, match="needs a robustness table"):
        cheapest_operating_point({0.0: 0.9, 0.04: 0.89}, 0.01, confidence=0.95)


def test_cells_of_one_value_have_no_bound_and_say_their_spread_is_unknown():
    # The baseline holds one row (as `"auto"` writes the error-free cell) and the
    # only cheaper cell one draw that meets the threshold by its mean.
    table = _cell_rows(0.0, 0.0, [0.90]) + _cell_rows(0.0, 0.04, [0.895])
    point = cheapest_operating_point(table, 0.01, confidence=0.95)
    assert point.ber == 0.0 and point.accuracy_low is None
    assert "(n = 1: spread unknown)" in point.undecided
    assert "more draws are needed to estimate its spread" in point.undecided
    assert "nan" not in point.undecided
