"""MTJ physics: convergence, cross-check, limits, inverses, Table I, bridge, errors."""

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest

from larq_ber import mtj
from larq_ber.mtj import MTJ

PAPER = MTJ.paper()
TAU_D = PAPER.tau_d
# (V, t) points spanning WER 1e-1 ... 1e-6 at the paper's device.
TARGETS = (1e-1, 1e-2, 1e-4, 1e-6)


def points():
    pulses = np.array([10e-9, 6e-9, 20e-9, 10e-9])
    return mtj.voltage_for_wer(np.array(TARGETS), pulses), pulses


def test_import_needs_no_tensorflow_and_the_alias_still_registers():
    code = (
        "import sys, larq_ber.mtj; print('tensorflow' in sys.modules)\n"
        "import larq\n"
        "layer = larq.layers.QuantConv2D(4, 3, input_quantizer='ber_ste_sign')\n"
        "print(type(layer.input_quantizer).__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "BerSteSign"]


def test_legendre_solution_converges_with_the_order():
    volts, pulses = points()
    n = mtj.default_order(PAPER.delta)
    base = mtj.write_error_rate(volts, pulses, order=n)
    finer = mtj.write_error_rate(volts, pulses, order=int(1.5 * n))
    np.testing.assert_allclose(finer, base, rtol=2e-3)
    # Too low an order is visibly wrong at the deep end: truncation matters.
    coarse = mtj.write_error_rate(volts, pulses, order=48)
    assert abs(coarse[-1] / base[-1] - 1) > 0.05


@pytest.mark.slow
def test_agrees_with_an_independent_finite_volume_solution():
    volts, pulses = points()
    legendre = mtj.write_error_rate(volts, pulses)
    volume = mtj.write_error_rate(volts, pulses, model="finite_volume", order=1000)
    # Measured: within 3e-4 relative (1000 cells, second order in z).
    np.testing.assert_allclose(volume, legendre, rtol=1e-2)
    # ... and the inverse hit its targets.
    np.testing.assert_allclose(legendre, TARGETS, rtol=1e-2)


def test_limits_and_monotonicity():
    assert mtj.write_error_rate(0.9, 1e-3 * TAU_D) > 0.999  # no time: no switching
    volts = np.linspace(0.4, 1.2, 9)
    wer = mtj.write_error_rate(volts, 10e-9)
    assert np.all(np.diff(wer) < 0)  # falls with the voltage
    pulses = np.geomspace(1e-9, 40e-9, 9)
    wer = mtj.write_error_rate(0.6, pulses)
    assert np.all(np.diff(wer) < 0)  # falls with the pulse length
    # A larger barrier starts closer to the pole and switches later (tail ∝ Δ).
    stiff = dataclasses.replace(PAPER, delta=60.0)
    assert mtj.write_error_rate(0.6, 10e-9, stiff) > mtj.write_error_rate(0.6, 10e-9)
    # The closed-form approximation: 1 below threshold, falling with the pulse,
    # and (only) within an order of magnitude of the FPE at 2 V_c0, 5 tau_D.
    approx = mtj.write_error_rate(0.6, pulses, model="approx")
    assert np.all(np.diff(approx) < 0)
    assert float(mtj.write_error_rate(0.25, 10e-9, model="approx")) == 1.0
    ratio = approx[4] / mtj.write_error_rate(0.6, pulses[4])
    assert 0.1 < ratio < 10
    np.testing.assert_allclose(
        mtj.switching_probability(0.6, 10e-9), 1 - mtj.write_error_rate(0.6, 10e-9)
    )


def test_inverses_round_trip_and_broadcast():
    targets = np.array([[1e-1], [1e-3], [1e-6]])
    pulses = np.array([[8e-9, 12e-9, 30e-9]])
    volts = mtj.voltage_for_wer(targets, pulses)
    assert volts.shape == (3, 3)
    np.testing.assert_allclose(mtj.write_error_rate(volts, pulses), targets + 0 * volts,
                               rtol=1e-2)  # fmt: skip
    lengths = mtj.pulse_for_wer(targets, 0.7)
    assert lengths.shape == (3, 1)
    np.testing.assert_allclose(mtj.write_error_rate(0.7, lengths), targets, rtol=1e-3)
    back = mtj.pulse_for_wer(1e-6, mtj.voltage_for_wer(1e-6, 10e-9))
    assert float(back) == pytest.approx(10e-9, rel=1e-2)


def test_retention_follows_neel_arrhenius():
    ten_years = 10 * mtj.SECONDS_PER_YEAR
    expected = 1 - math.exp(-(ten_years / 1e-9) * math.exp(-40))
    assert float(mtj.retention_failure(ten_years)) == pytest.approx(expected)
    assert round(expected, 2) == 0.74  # the docstring's statement
    stable = dataclasses.replace(PAPER, delta=60.0)
    assert float(mtj.retention_failure(ten_years, stable)) == pytest.approx(
        ten_years / 1e-9 * math.exp(-60), rel=1e-6
    )
    days = mtj.retention_failure(np.array([0.0, 86400.0, 2 * 86400.0]))
    assert days[0] == 0 and days[1] < days[2]


def test_read_disturb():
    pulse = 10e-9
    # At zero read voltage it is the retention law; it grows with the voltage.
    assert float(mtj.read_disturb_rate(0.0, pulse)) == pytest.approx(
        float(mtj.retention_failure(pulse))
    )
    rates = mtj.read_disturb_rate(np.array([0.05, 0.1, 0.2]), pulse)
    assert np.all(np.diff(rates) > 0)
    # At or above V_c0 a read is a write.
    assert float(mtj.read_disturb_rate(0.6, pulse)) == pytest.approx(
        float(mtj.switching_probability(0.6, pulse))
    )


def test_endurance_models():
    for model in mtj.ENDURANCE_MODELS:
        cycles = mtj.endurance_cycles(np.array([1.2, 1.0, 0.96]), model=model)
        assert cycles[0] == PAPER.cycles_at_vbd and np.all(np.diff(cycles) > 0)
        assert cycles[2] / cycles[0] == pytest.approx(1e6, rel=0.05)  # 20 % lower
    with pytest.raises(ValueError, match="`model` must be one of"):
        mtj.endurance_cycles(1.0, model="linear")


def test_operating_points_table_one():
    rows = mtj.operating_points()
    assert [r["wer"] for r in rows] == [1e-6, 1e-2, 1e-1]
    assert rows[0]["voltage_change"] == 0 and rows[0]["reference_pulse"] == 5 * TAU_D
    assert rows[0]["voltage"] > rows[1]["voltage"] > rows[2]["voltage"]
    fixed = rows[0]["fixed_voltage"]
    assert fixed == pytest.approx(0.8 * rows[0]["voltage"])
    for row in rows:  # each row's two operating points reach its target
        assert float(mtj.write_error_rate(row["voltage"], 5 * TAU_D)) == pytest.approx(
            row["wer"], rel=1e-2
        )
        assert float(mtj.write_error_rate(fixed, row["pulse"])) == pytest.approx(
            row["wer"], rel=1e-2
        )
    assert (
        rows[0]["pulse_change"] > 0 > rows[1]["pulse_change"] > rows[2]["pulse_change"]
    )
    text = str(rows).splitlines()
    assert len(text) == 5 and "1e-06" in text[2]
    with pytest.raises(ValueError, match="at or below v_c0"):
        mtj.operating_points(voltage_scale=0.3)


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match=r"`voltage` must be finite and > 0 \(V\)"):
        mtj.write_error_rate([0.5, -0.1], 1e-8)
    with pytest.raises(ValueError, match=r"`pulse` must be finite and > 0 \(s\)"):
        mtj.write_error_rate(0.5, 0.0)
    with pytest.raises(ValueError, match=r"`wer` must be in \(0, 1\)"):
        mtj.voltage_for_wer(1.5, 1e-8)
    with pytest.raises(ValueError, match=r"below the breakdown voltage v_bd = 1\.2 V"):
        mtj.voltage_for_wer(1e-6, 1e-9)  # 0.5 tau_D is too short
    with pytest.raises(ValueError, match="at most v_bd"):
        mtj.pulse_for_wer(1e-2, 1.5)
    with pytest.raises(ValueError, match="`model` must be one of"):
        mtj.write_error_rate(0.5, 1e-8, model="llg")
    with pytest.raises(ValueError, match="`v_bd`"):
        MTJ(v_bd=0.2)
    with pytest.raises(ValueError, match="MTJ `delta`"):
        MTJ(delta=-1.0)
    with pytest.raises(ValueError, match="`duration`"):
        mtj.retention_failure(-1.0)


def test_bridge_from_accuracy_curve_to_cheapest_point():
    assert float(mtj.ber_from_operating_point(0.6, 10e-9)) == pytest.approx(
        float(mtj.write_error_rate(0.6, 10e-9))
    )
    curve = {0.0: 0.970, 0.01: 0.969, 0.04: 0.966, 0.16: 0.940}
    point = mtj.cheapest_operating_point(curve, tolerance=0.005)
    assert point.ber == 0.04 and point.accuracy == 0.966
    assert float(mtj.write_error_rate(point.voltage, point.pulse)) == pytest.approx(
        0.04, rel=1e-2
    )
    assert 0 < point.energy < 1 and point.endurance_gain > 1
    # No other pulse on the WER = 0.04 contour is cheaper (±30 %).
    for factor in (0.7, 1.3):
        other = float(mtj.voltage_for_wer(0.04, point.pulse * factor))
        assert other**2 * point.pulse * factor >= point.voltage**2 * point.pulse
    # A looser tolerance buys a larger BER and less energy; records work too.
    loose = mtj.cheapest_operating_point(
        [{"ber": b, "mean": a} for b, a in curve.items()], tolerance=0.05
    )
    assert loose.ber == 0.16 and loose.energy < point.energy
    strict = mtj.cheapest_operating_point(curve, tolerance=0.0)
    assert strict.ber == 0.0 and strict.energy == pytest.approx(1.0)
    with pytest.raises(ValueError, match="must include BER 0"):
        mtj.cheapest_operating_point({0.04: 0.9}, 0.01)


def test_figure_five_and_cli(tmp_path, capsys):
    from larq_ber import cli

    fig = mtj.plot_write_window()
    lines = fig.axes[0].lines
    assert len(lines) == 5
    for line, target in zip(lines[:3], (1e-1, 1e-2, 1e-6), strict=True):
        pulses, volts = line.get_data()
        ok = ~np.isnan(volts)
        assert ok.sum() > 100 and np.all(np.diff(volts[ok]) < 0)
        k = np.nonzero(ok)[0][len(np.nonzero(ok)[0]) // 2]
        assert float(mtj.write_error_rate(volts[k], pulses[k] * 1e-9)) == pytest.approx(
            target, rel=1e-2
        )
    assert cli.main(["mtj", "figure", "--out", str(tmp_path / "fig5.svg")]) == 0
    assert (tmp_path / "fig5.svg").read_bytes().startswith(b"<?xml")
    assert cli.main(["mtj", "table"]) == 0
    assert "1e-06" in capsys.readouterr().out
    assert cli.main(["mtj", "wer", "--voltage", "0.6", "--pulse", "10e-9"]) == 0
    assert "1.3285e-03" in capsys.readouterr().out
    assert cli.main(["mtj", "wer", "--voltage", "0.6"]) == 2
    assert cli.main(["mtj", "figure", "--out", str(tmp_path / "f.gif")]) == 2


def test_cli_help_lists_the_table_columns(capsys):
    from larq_ber import cli
    from larq_ber.callbacks import COLUMNS

    assert cli._COLUMNS == ", ".join(COLUMNS)
    with pytest.raises(SystemExit):
        cli.main(["mtj", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_operator_matches_legendre_series_algebra():
    from numpy.polynomial import legendre as leg

    order = 40
    one_minus_z2 = leg.poly2leg([1.0, 0.0, -1.0])
    b, z, d = mtj._operator_parts(order)
    for n in range(order):
        e = np.zeros(n + 1)
        e[n] = 1.0
        images = (
            leg.legder(leg.legmul(one_minus_z2, e)),  # d/dz (1 - z^2) P_n
            leg.legder(leg.legmul(one_minus_z2, leg.legmulx(e))),  # ... z P_n
            leg.legder(leg.legmul(one_minus_z2, leg.legder(e))) if n else [0.0],
        )
        for matrix, image in zip((b, z, d), images, strict=True):
            expected = np.zeros(order)
            m = min(order, len(image))
            expected[:m] = image[:m]
            np.testing.assert_allclose(matrix[:, n], expected, atol=1e-10)
