"""larq_ber.mtj.cells and .variation: a chip's cells, their spread, their rates."""

import dataclasses
import math

import numpy as np
import pytest
from scipy import integrate, stats

from larq_ber.mtj.cells import FACTOR_FLOOR, CellPopulation, CellVariation, draw_cells
from larq_ber.mtj.deployment import error_rates, state_error_rates, weight_error_rate
from larq_ber.mtj.reliability import retention_failure
from larq_ber.mtj.variation import (
    cell_retention_failure,
    cell_stored_error_rates,
    cell_write_error_rates,
)

HOUR = 3600.0
DAY = 24 * HOUR


def _devices(paper):
    """The paper's device, with a field, and with a field and an STT asymmetry."""
    return [
        paper,
        dataclasses.replace(paper, h=0.1),
        dataclasses.replace(paper, h=0.05, stt_asymmetry=1.2),
    ]


def _cell(device, population, j):
    """The device of cell j (its own delta and v_c0)."""
    return dataclasses.replace(
        device,
        delta=device.delta * float(population.delta_factor[j]),
        v_c0=device.v_c0 * float(population.v_c0_factor[j]),
    )


def test_zero_spread_gives_the_device_functions(paper):
    chip = draw_cells(50, CellVariation(), seed=0)
    assert np.all(chip.delta_factor == 1) and np.all(chip.v_c0_factor == 1)
    for device in _devices(paper):
        for voltage, pulse in [(0.6, 10e-9), (0.45, 20e-9)]:
            ber_neg, ber_pos = cell_write_error_rates(chip, voltage, pulse, device)
            rates = error_rates(voltage, pulse, device)
            assert ber_neg.dtype == ber_pos.dtype == np.float32
            assert ber_neg.shape == ber_pos.shape == (50,)
            np.testing.assert_allclose(ber_neg, rates.ber_neg, rtol=1e-6)
            np.testing.assert_allclose(ber_pos, rates.ber_pos, rtol=1e-6)
        assert np.all(
            cell_retention_failure(chip, DAY, device)
            == np.float32(retention_failure(DAY, device))
        )


@pytest.mark.parametrize("polarity", ["fixed", "bipolar"])
@pytest.mark.parametrize(
    "storage_time, reads, read_voltage",
    [(0.0, 0, None), (DAY, 0, None), (HOUR, 10**4, None), (0.0, 1000, 0.2),
     (DAY, 10**6, 0.25), (HOUR, 10, 0.35)],
)  # fmt: skip
def test_zero_spread_gives_the_state_error_rates(
    paper, polarity, storage_time, reads, read_voltage
):
    chip = draw_cells(20, CellVariation(), seed=1)
    kwargs = {"reads": reads, "read_voltage": read_voltage, "read_polarity": polarity}
    for device in _devices(paper):
        minus, plus = cell_stored_error_rates(chip, storage_time, device, **kwargs)
        p, ap = state_error_rates(storage_time, device, **kwargs)
        # -1 <-> P, +1 <-> AP.
        np.testing.assert_allclose(minus, p, rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(plus, ap, rtol=1e-6, atol=1e-30)
        mean = (minus.astype(float) + plus) / 2
        expected = weight_error_rate(storage_time, device, **kwargs)
        np.testing.assert_allclose(mean, expected, rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("spread", [0.03, 0.1, 0.2])
def test_the_spread_is_the_requested_truncated_normal(spread):
    variation = CellVariation(delta_spread=spread, v_c0_spread=spread / 2, truncation=3)
    n = 200_000
    chip = draw_cells(n, variation, seed=7)
    for factors, sigma in [(chip.delta_factor, spread), (chip.v_c0_factor, spread / 2)]:
        law = stats.truncnorm(-3, 3, loc=1, scale=sigma)
        x = factors.astype(float)
        # Mean and standard deviation within 5 standard errors.
        assert abs(x.mean() - law.mean()) < 5 * law.std() / math.sqrt(n)
        assert abs(x.std() - law.std()) < 5 * law.std() / math.sqrt(2 * n)
        # The whole distribution: Kolmogorov-Smirnov at a fixed seed.
        assert stats.kstest(x, law.cdf).pvalue > 1e-3
        # Truncated at 3 sigma, and the tails reach the bounds.
        assert x.min() >= 1 - 3 * sigma - 1e-6 and x.max() <= 1 + 3 * sigma + 1e-6
        assert x.min() < 1 - 2.9 * sigma and x.max() > 1 + 2.9 * sigma
    # The two factors are independent.
    r = np.corrcoef(chip.delta_factor, chip.v_c0_factor)[0, 1]
    assert abs(r) < 5 / math.sqrt(n)


def test_truncation_keeps_the_physical_floor():
    variation = CellVariation(delta_spread=0.3, v_c0_spread=0.45, truncation=4)
    assert variation.delta_bounds == (FACTOR_FLOOR, 2.2)
    chip = draw_cells(100_000, variation, seed=3)
    assert chip.delta_factor.min() >= FACTOR_FLOOR * (1 - 1e-6)
    assert chip.v_c0_factor.min() >= FACTOR_FLOOR * (1 - 1e-6)
    # The fraction below 0.4 is that of the normal truncated at the floor.
    law = stats.truncnorm((FACTOR_FLOOR - 1) / 0.3, 4, loc=1, scale=0.3)
    expected = law.cdf(0.4)
    found = np.mean(chip.delta_factor < 0.4)
    assert abs(found - expected) < 5 * math.sqrt(expected / 100_000)


def test_cells_are_seeded_and_blocks_are_consecutive():
    variation = CellVariation(delta_spread=0.1, v_c0_spread=0.05)
    chip = draw_cells(10_000, variation, seed=11)
    again = draw_cells(10_000, variation, seed=11)
    other = draw_cells(10_000, variation, seed=12)
    assert np.array_equal(chip.delta_factor, again.delta_factor)
    assert np.array_equal(chip.v_c0_factor, again.v_c0_factor)
    assert not np.array_equal(chip.delta_factor, other.delta_factor)
    # The delta factors do not depend on the v_c0 spread (separate streams).
    alone = draw_cells(10_000, CellVariation(delta_spread=0.1), seed=11)
    assert np.array_equal(chip.delta_factor, alone.delta_factor)
    # Blocks: consecutive cells, rates per block equal the chip's rates.
    block = chip.block(2500, 4000)
    assert len(block) == 1500 and block.variation == variation
    assert np.array_equal(block.delta_factor, chip.delta_factor[2500:4000])
    assert np.array_equal(
        block.block(100, 200).v_c0_factor, chip.v_c0_factor[2600:2700]
    )
    assert len(chip.block(10, 10)) == 0
    whole = cell_write_error_rates(chip, 0.6, 10e-9)[1]
    assert np.array_equal(
        cell_write_error_rates(block, 0.6, 10e-9)[1], whole[2500:4000]
    )
    # Read-only factors.
    with pytest.raises(ValueError):
        chip.delta_factor[0] = 2.0


@pytest.mark.parametrize("voltage, pulse", [(0.6, 10e-9), (0.45, 20e-9), (0.9, 6e-9)])
def test_interpolated_wer_matches_direct_solves(paper, voltage, pulse):
    chip = draw_cells(20_000, CellVariation(delta_spread=0.1, v_c0_spread=0.05), seed=5)
    # The extreme cells and random ones.
    picks = [int(np.argmin(chip.delta_factor)), int(np.argmax(chip.delta_factor)),
             int(np.argmin(chip.v_c0_factor)), int(np.argmax(chip.v_c0_factor)),
             *np.random.default_rng(0).integers(0, len(chip), 4)]  # fmt: skip
    device = dataclasses.replace(paper, h=0.05, stt_asymmetry=1.2)
    ber_neg, ber_pos = cell_write_error_rates(chip, voltage, pulse, device)
    for j in picks:
        direct = error_rates(voltage, pulse, _cell(device, chip, j))
        for got, want in [(ber_neg[j], direct.ber_neg), (ber_pos[j], direct.ber_pos)]:
            if want >= 1e-8:
                assert got == pytest.approx(want, rel=1e-3)
            else:  # below the Legendre solution's resolution
                assert abs(got - want) < 1e-8


def test_interpolated_read_disturb_matches_direct_solves(paper):
    # Reads near V_c0: the Fokker-Planck cap and, for weak cells, a read above
    # the cell's own V_c0 (a write).
    chip = draw_cells(5_000, CellVariation(delta_spread=0.1, v_c0_spread=0.1), seed=9)
    order = np.argsort(chip.v_c0_factor)
    picks = [int(order[k]) for k in (0, 20, 500, 2500, 4999)]
    kwargs = {"reads": 1000, "read_voltage": 0.285, "read_pulse": 10e-9}
    minus, plus = cell_stored_error_rates(chip, HOUR, paper, **kwargs)
    for j in picks:
        p, ap = state_error_rates(HOUR, _cell(paper, chip, j), **kwargs)
        assert minus[j] == pytest.approx(p, rel=1e-3, abs=1e-9)
        assert plus[j] == pytest.approx(ap, rel=1e-3, abs=1e-9)
    assert chip.v_c0_factor[picks[0]] * paper.v_c0 < 0.285  # one read is a write


def _bernoulli_fraction(rates, seed):
    """Flip each cell with its own rate; the flipped fraction and its tolerance."""
    p = rates.astype(float)
    flips = np.random.default_rng(seed).random(p.size) < p
    tolerance = 5 * math.sqrt(np.sum(p * (1 - p))) / p.size + 1 / p.size
    return flips.mean(), tolerance


def test_monte_carlo_of_the_population_matches_the_mean_rate(paper):
    chip = draw_cells(
        400_000, CellVariation(delta_spread=0.1, v_c0_spread=0.05), seed=2
    )
    ber_neg, ber_pos = cell_write_error_rates(chip, 0.5, 10e-9, paper)
    for k, rates in enumerate((ber_neg, ber_pos, *cell_stored_error_rates(chip, DAY))):
        fraction, tolerance = _bernoulli_fraction(rates, seed=k)
        assert abs(fraction - rates.mean(dtype=float)) < tolerance
    # The spread raises the mean write error rate above the nominal cell's at a
    # low-WER operating point (the WER is convex in the drive): 1.9 x here.
    low = cell_write_error_rates(chip, 0.8, 10e-9, paper)[1].mean(dtype=float)
    assert low > 1.5 * error_rates(0.8, 10e-9, paper).ber_pos


def test_retention_of_the_population_follows_the_low_delta_tail(paper):
    variation = CellVariation(delta_spread=0.1)
    n = 400_000
    chip = draw_cells(n, variation, seed=4)
    cells = cell_retention_failure(chip, HOUR, paper).astype(float)
    # An independent quadrature of E_Delta[1 - exp(-(t / tau_0) e^-Delta)] over
    # the truncated normal, split where the integrand turns over.
    low, high = variation.delta_bounds
    law = stats.truncnorm(-4, 4, loc=40, scale=4)

    def integrand(delta):
        return -math.expm1(-(HOUR / paper.tau_0) * math.exp(-delta)) * law.pdf(delta)

    turn = math.log(HOUR / paper.tau_0)
    expected, error = integrate.quad(integrand, 40 * low, 40 * high, points=[turn])
    assert error < 1e-3 * expected
    assert abs(cells.mean() - expected) < 5 * cells.std() / math.sqrt(n)
    # Orders of magnitude above the mean cell's.
    assert expected > 100 * float(retention_failure(HOUR, paper))


def test_write_rates_do_not_increase_with_the_drive(paper):
    chip = draw_cells(5_000, CellVariation(v_c0_spread=0.1), seed=6)
    order = np.argsort(chip.v_c0_factor)  # weakest cells first: largest drive
    for rates in cell_write_error_rates(chip, 0.5, 10e-9, paper):
        assert np.all(np.diff(rates[order].astype(float)) >= -1e-6 * rates[order][1:])


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: CellVariation(delta_spread=-0.1), "`delta_spread`"),
        (lambda: CellVariation(v_c0_spread=0.5), "`v_c0_spread`"),
        (lambda: CellVariation(delta_spread=True), "`delta_spread`"),
        (lambda: CellVariation(truncation=0.5), "`truncation`"),
        (lambda: CellVariation(truncation=math.nan), "`truncation`"),
        (lambda: draw_cells(0, CellVariation(), 0), "`n`"),
        (lambda: draw_cells(2.5, CellVariation(), 0), "`n`"),
        (lambda: draw_cells(10, CellVariation(), -1), "`seed`"),
        (lambda: draw_cells(10, CellVariation(), True), "`seed`"),
        (lambda: draw_cells(10, 0.1, 0), "`variation`"),
        (lambda: draw_cells(10, CellVariation(), 0).block(5, 11), "`start`, `stop`"),
        (lambda: draw_cells(10, CellVariation(), 0).block(6, 5), "`start`, `stop`"),
        (lambda: CellPopulation(np.ones(3), np.ones(2), CellVariation()), "one length"),
        (lambda: CellPopulation(np.full(3, 1.5), np.ones(3), CellVariation(0.1)),
         "`delta_factor`"),
        (lambda: CellPopulation(["a"], np.ones(1), CellVariation()), "`delta_factor`"),
        (lambda: cell_write_error_rates(np.ones(3), 0.6, 10e-9), "`population`"),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_argument(make, name):
    with pytest.raises(ValueError, match=name) as caught:
        make()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda c: cell_write_error_rates(c, 1.3, 10e-9), "`voltage`"),
        (lambda c: cell_write_error_rates(c, 0.0, 10e-9), "`voltage`"),
        (lambda c: cell_write_error_rates(c, 0.6, 0.0), "`pulse`"),
        (lambda c: cell_write_error_rates(c, 0.6, 1.0), "`pulse`"),
        (lambda c: cell_write_error_rates(c, 0.6, 1e-8, "paper"), "`device`"),
        (lambda c: cell_stored_error_rates(c, -1.0), "`storage_time`"),
        (lambda c: cell_stored_error_rates(c, math.inf), "`storage_time`"),
        (lambda c: cell_stored_error_rates(c, 1.0, reads=-1), "`reads`"),
        (lambda c: cell_stored_error_rates(c, 1.0, reads=1.5), "`reads`"),
        (lambda c: cell_stored_error_rates(c, 1.0, read_voltage=2.0), "`read_voltage`"),
        (lambda c: cell_stored_error_rates(c, 1.0, read_pulse=0.0), "`read_pulse`"),
        (lambda c: cell_stored_error_rates(c, 1, read_polarity="x"), "`read_polarity`"),
        (lambda c: cell_retention_failure(c, -1.0), "`duration`"),
    ],
)  # fmt: skip
def test_bad_rate_inputs_name_the_argument(call, name):
    chip = draw_cells(10, CellVariation(delta_spread=0.05), seed=0)
    with pytest.raises(ValueError, match=name) as caught:
        call(chip)
    assert "\n" not in str(caught.value)


def test_one_chip_at_several_temperatures(paper):
    chip = draw_cells(50_000, CellVariation(delta_spread=0.1, v_c0_spread=0.05), seed=8)
    means = []
    for kelvin in (300.0, 330.0, 358.15):
        device = paper.at(kelvin)
        cells = cell_retention_failure(chip, HOUR, device)
        for j in (0, 1, 2):  # the same cells: Delta_cell = Delta(T) f_Delta
            expected = retention_failure(HOUR, _cell(device, chip, j))
            assert cells[j] == pytest.approx(float(expected), rel=1e-6, abs=1e-30)
        minus, plus = cell_stored_error_rates(chip, HOUR, device)
        p, ap = state_error_rates(HOUR, _cell(device, chip, 0))
        assert (minus[0], plus[0]) == pytest.approx((p, ap), rel=1e-6, abs=1e-30)
        means.append(cells.mean(dtype=float))
    # Hotter storage loses more bits.
    assert means[0] < means[1] < means[2]


@pytest.mark.parametrize("polarity", ["fixed", "bipolar"])
def test_zero_spread_reads_use_each_states_switch(paper, polarity):
    # h = 0.1, r = 1.2: a cell's read disturb of AP is the AP->P write (field -h,
    # drive V sqrt(r) / V_c0), of P the P->AP write (+h, V / (V_c0 sqrt(r))).
    device = dataclasses.replace(paper, h=0.1, stt_asymmetry=1.2)
    chip = draw_cells(20, CellVariation(), seed=2)
    for volts in (0.35, 0.4):  # both drives >= 1: the reads are writes
        rates = error_rates(volts, 10e-9, device)
        kwargs = {"reads": 1, "read_voltage": volts, "read_polarity": polarity}
        minus, plus = cell_stored_error_rates(chip, 0.0, device, **kwargs)
        p, ap = state_error_rates(0.0, device, **kwargs)
        np.testing.assert_allclose(minus, p, rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(plus, ap, rtol=1e-6)
        det = rates.ber_neg * (rates.ber_pos if polarity == "bipolar" else 1.0)
        mean = (minus.astype(float) + plus) / 2
        np.testing.assert_allclose(mean, (1 - det) / 2, rtol=1e-5)
