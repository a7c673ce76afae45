"""The lifetime summary: the longest storage time within 1 point, with its interval."""

import math

import pytest

from larq_ber.stats import mean_interval
from larq_ber.study.lifetime_summary import (
    duration_text,
    lifetime_limits,
    lifetime_table,
    lifetime_text,
)
from larq_ber.study.results import read_lifetime

from .lifetime_rows import lifetime_folder, lifetime_row

# Top-1 per (time, draw): within at 1 s and 1 h, decided below at 1 day.
CURVE = {1.0: (0.90, 0.90, 0.90), 3600.0: (0.899, 0.897, 0.898),
         86400.0: (0.70, 0.72, 0.71), 1e7: (0.50, 0.52, 0.51)}  # fmt: skip


def _rows(curve=CURVE, **extra):
    return [lifetime_row(time=t, draw=d, top1=v, **extra)
            for t, values in curve.items() for d, v in enumerate(values)]  # fmt: skip


def test_the_limit_is_the_last_time_whose_lower_bound_is_within_one_point():
    limit = lifetime_limits(lifetime_table(_rows()))[0]
    assert limit["within_s"] == 3600.0 and limit["beyond_s"] == 86400.0
    assert limit["threshold"] == pytest.approx(0.89) and limit["decided"]
    expected = mean_interval(CURVE[3600.0])
    there = limit["at_within"]
    assert there["n"] == 3 and there["over"] == "draws"
    assert there["ci_low"] == pytest.approx(expected.low)
    assert there["ci_high"] == pytest.approx(expected.high)


def test_a_straddling_interval_is_undecided_and_a_flat_curve_is_all_within():
    wide = {1.0: (0.90, 0.90), 10.0: (0.95, 0.80)}  # mean 0.875, huge interval
    limit = lifetime_limits(lifetime_table(_rows(wide)))[0]
    assert limit["within_s"] == 1.0 and limit["beyond_s"] == 10.0
    assert not limit["decided"]  # its upper bound is above the threshold
    flat = lifetime_limits(lifetime_table(_rows({1.0: (0.9, 0.9), 5.0: (0.9, 0.9)})))
    assert flat[0]["beyond_s"] is None and flat[0]["within_s"] == 5.0
    low = lifetime_limits(lifetime_table(_rows({1.0: (0.5, 0.52)})))[0]
    assert low["within_s"] is None and low["at_within"] is None


def test_a_point_without_an_interval_is_never_within():
    # one draw (a table read half-evaluated): its mean 0.895 is above the
    # threshold 0.89, but without an interval it is undecided, not within
    rows = [r for r in _rows({10.0: (0.895, 0.895)}) if r["draw"] == 0]
    limit = lifetime_limits(lifetime_table(rows))[0]
    assert limit["within_s"] is None and limit["beyond_s"] == 10.0
    assert not limit["decided"]


def test_several_runs_give_an_interval_over_the_runs_means():
    rows = _rows(run="a") + _rows(run="b", clean=0.92)
    cell = next(r for r in lifetime_table(rows) if r["storage_time_s"] == 3600.0)
    # the interval is over the 2 runs' means: its n is 2 (of 6 draws)
    assert cell["over"] == "runs" and cell["runs"] == 2 and cell["n"] == 2
    assert cell["draws"] == 6
    assert cell["clean"] == pytest.approx(0.91)
    assert math.isfinite(cell["ci_low"])


def test_curves_are_separate_per_temperature_and_spread():
    rows = _rows() + _rows(kelvin=358.15) + _rows(spread=0.1)
    assert len(lifetime_limits(lifetime_table(rows))) == 3


def test_the_text_names_n_the_interval_and_the_verdict(tmp_path):
    out = lifetime_folder(tmp_path, _rows() + _rows(kelvin=358.15))
    assert len(read_lifetime(out)) == 24
    text = lifetime_text(out)
    assert "within 1 point(s) of the error-free accuracy" in text
    assert "1 h" in text and "1 day" in text and "n=3 draws" in text
    assert "89.80 [" in text and " below" in text
    lines = [line for line in text.splitlines() if line.strip().startswith("0 ")]
    assert [line.split()[1] for line in lines] == ["26.85", "85"]
    assert lifetime_text(tmp_path / "none") == ""


def test_durations_read_in_their_largest_unit():
    assert duration_text(1.0) == "1 s" and duration_text(90.0) == "1.5 min"
    assert duration_text(86400.0) == "1 day" and duration_text(3 * 86400.0) == "3 days"
    assert duration_text(365.25 * 86400 * 10) == "10 years"
