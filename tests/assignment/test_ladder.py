"""The write ladder: `larq_ber.assignment.ladder`."""

import itertools
import math

import pytest

from larq_ber.assignment.ladder import DEFAULT_LADDER, WriteLadder
from larq_ber.mtj import MTJ, write_error_rate


@pytest.fixture(scope="module")
def ladder():
    return WriteLadder.build((1e-6, 1e-3, 0.04, 0.16))


def test_each_rung_is_written_at_its_rate(ladder):
    device = MTJ.paper()
    for rung, point in zip(ladder.rungs[1:], ladder.points[1:], strict=True):
        wer = write_error_rate(point.voltage, point.pulse, device)
        assert wer == pytest.approx(rung, rel=1e-6)
        assert point.voltage <= device.v_bd
    assert ladder.energies[0] == 1.0  # 1e-6: the conventional write itself
    assert ladder.points[0].pulse == pytest.approx(5 * device.tau_d)


def test_energy_falls_with_the_rate_and_sums_per_write(ladder):
    energies = ladder.energies
    assert list(energies) == sorted(energies, reverse=True) and len(ladder) == 4
    writes, levels = [2880, 800], [3, 1]
    expected = (2880 * energies[3] + 800 * energies[1]) / 3680
    assert ladder.energy(writes, levels) == pytest.approx(expected, rel=1e-15)
    assert ladder.energy(writes, [0, 0]) == 1.0


def test_the_default_ladder_starts_conventional_and_rises():
    assert DEFAULT_LADDER[0] == 1e-6 and max(DEFAULT_LADDER) < 1
    assert all(b > a for a, b in itertools.pairwise(DEFAULT_LADDER))


def test_a_device_with_a_higher_barrier_needs_more_energy():
    rungs = (1e-6, 0.04)
    paper = WriteLadder.build(rungs)
    stable = WriteLadder.build(rungs, MTJ(delta=60.0))
    assert stable.device.delta == 60.0
    # Relative to its own conventional write, both are cheaper than 1.
    assert 0 < stable.energies[1] < 1 and 0 < paper.energies[1] < 1
    assert not math.isclose(stable.energies[1], paper.energies[1], rel_tol=1e-3)


@pytest.mark.parametrize(
    "rungs",
    [
        (0.1,),
        (0.1, 0.01),
        (0.01, 0.01),
        (0.0, 1.0),
        (-0.1, 0.1),
        (0.0, math.nan),
        (0.0, 0.01),  # no write is error-free
        ("a", "b"),
        0.1,
        (True, 0.5),
        tuple(i / 100 for i in range(65)),
    ],
)
def test_bad_rungs_get_one_line(rungs):
    with pytest.raises(ValueError, match="`ladder` must be 2 to 64 strictly") as e:
        WriteLadder.build(rungs)
    assert "\n" not in str(e.value)


def test_a_bad_device_is_refused():
    with pytest.raises(ValueError, match="`device` must be an MTJ"):
        WriteLadder.build((1e-6, 0.01), device="paper")
