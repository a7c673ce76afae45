"""The per-layer search: `larq_ber.assignment.search.assign_write_points`."""

import json
import math

import numpy as np
import pytest

import larq_ber.assignment.search as module
from larq_ber.assignment import (
    STEP_COLUMNS,
    Ledger,
    WriteLadder,
    assign_write_points,
)
from larq_ber.stats import t_quantile
from tests.assignment.conftest import LADDER, SEARCH, N
from tests.assignment.helpers import FRAGILE, TOLERANT, WRITES, vote_accuracy


def _sd(points: float, n: int = N) -> float:
    """The binomial standard deviation (points) of one draw's accuracy."""
    p = points / 100
    return 100 * math.sqrt(p * (1 - p) / n)


def test_the_tolerant_layer_climbs_and_the_fragile_one_stays_low(searched):
    answer, _ = searched
    bers = answer.layer_bers()
    # The exact optimum: every (b1, b2) on the ladder whose expected accuracy
    # clears the threshold by 3 sd of the verification mean, cheapest first.
    ladder = WriteLadder.build(LADDER)
    writes = [WRITES[TOLERANT], WRITES[FRAGILE]]
    margin = 3 * _sd(99.0) / math.sqrt(SEARCH["verify_draws"])
    feasible = [
        (ladder.energy(writes, (i, j)), (LADDER[i], LADDER[j]))
        for i in range(len(LADDER))
        for j in range(len(LADDER))
        if vote_accuracy(LADDER[i], LADDER[j]) >= 100 - 1.5 + margin
    ]
    assert (bers[TOLERANT], bers[FRAGILE]) == min(feasible)[1] == (0.3, 0.01)
    assert answer.met and answer.single_met
    assert answer.single_ber == 0.01  # 5 % in the fragile layer costs 5 points
    assert answer.energy == pytest.approx(ladder.energy(writes, (5, 1)), rel=1e-12)
    assert answer.single_energy == pytest.approx(ladder.energies[1], rel=1e-12)
    assert answer.saving == pytest.approx(1 - answer.energy / answer.single_energy)
    assert answer.saving > 0.2
    assert answer.clean == 100.0 and answer.threshold == 98.5


def test_the_verified_interval_covers_the_exact_accuracy(searched):
    answer, _ = searched
    acc = answer.accuracy
    exact = vote_accuracy(0.3, 0.01)
    assert acc.n == SEARCH["verify_draws"] and acc.confidence == 0.95
    # 4 sd of the mean of 8 binomial draws around the exact value.
    assert abs(acc.mean - exact) < 4 * _sd(exact) / math.sqrt(acc.n)
    assert acc.low >= answer.threshold
    single = answer.single_accuracy
    exact_single = vote_accuracy(0.01, 0.01)
    assert abs(single.mean - exact_single) < 4 * _sd(exact_single) / math.sqrt(8)


def test_the_path_is_greedy_on_measured_accuracies(searched):
    answer, _ = searched
    steps = answer.steps
    phases = [s.phase for s in steps]
    assert phases[0] == "single" and "start" in phases and phases[-1] == "verify"
    single = [s for s in steps if s.phase == "single"]
    # Every layer on one rung, until one is clearly beyond (upper bound below).
    assert [s.bers[0] for s in single] == list(LADDER[: len(single)])
    assert single[-1].accuracy.high < answer.threshold
    assert all(s.accuracy.high >= answer.threshold for s in single[:-1])
    taken = [s for s in steps if s.phase == "greedy" and s.taken]
    # The tolerant layer climbs to the top first (its moves cost nothing
    # measurable and save the most), then the fragile one takes one rung.
    assert [s.moved for s in taken] == [TOLERANT] * 5 + [FRAGILE]
    refused = [s for s in steps if s.phase == "greedy" and not s.within]
    assert [s.moved for s in refused] == [FRAGILE]  # 5 % is beyond
    assert all(s.accuracy.n == SEARCH["draws"] for s in steps if s.phase != "verify")
    energies = [s.energy for s in [steps[phases.index("start")], *taken]]
    assert energies == sorted(energies, reverse=True)


def test_rows_text_and_json(searched):
    answer, _ = searched
    rows = answer.rows()
    assert [r["layer"] for r in rows] == [TOLERANT, FRAGILE]
    assert [r["writes"] for r in rows] == [65, 32]
    assert math.fsum(r["energy_share"] for r in rows) == pytest.approx(1.0)
    assert math.fsum(r["share"] for r in rows) == pytest.approx(1.0)
    assert rows[0]["voltage_v"] < rows[1]["voltage_v"]  # the higher BER: lower V
    steps = answer.step_rows()
    assert len(steps) == len(answer.steps) and tuple(steps[0]) == STEP_COLUMNS
    text = str(answer)
    assert "tolerant" in text and "saved" in text and "within 98.50 %" in text
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["layer_bers"] == {TOLERANT: 0.3, FRAGILE: 0.01}
    assert data["saving"] == pytest.approx(answer.saving)


def test_a_ledger_resumes_without_measuring_again(vote, searched, monkeypatch):
    model, data = vote
    answer, ledger = searched
    calls = []
    real = module.accuracy
    monkeypatch.setattr(module, "accuracy", lambda *a: calls.append(1) or real(*a))
    again = assign_write_points(model, data, ledger=ledger, **SEARCH)
    assert len(calls) == 1  # the error-free accuracy only
    assert again.step_rows() == answer.step_rows()
    assert again.layer_bers() == answer.layer_bers()


def test_a_killed_search_resumes_to_the_same_table(vote, searched, tmp_path):
    model, data = vote
    answer, _ = searched
    ledger = tmp_path / "killed.csv"
    seen = []

    def kill(step):
        seen.append(step)
        if len(seen) == 9:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        assign_write_points(model, data, ledger=ledger, progress=kill, **SEARCH)
    kept = len(Ledger(ledger))
    # The error-free accuracy and the draws of each assignment of the 9 steps
    # (the start is the single point's first rung: measured once).
    unique = {step.bers for step in answer.steps[:9]}
    assert kept == 1 + SEARCH["draws"] * len(unique) < 1 + 9 * SEARCH["draws"]
    again = assign_write_points(model, data, ledger=ledger, **SEARCH)
    assert again.step_rows() == answer.step_rows()


def test_a_search_at_another_tolerance_shares_the_ledger(vote, searched):
    model, data = vote
    _, ledger = searched
    before = len(Ledger(ledger))
    tight = assign_write_points(model, data, ledger=ledger,
                                **{**SEARCH, "tolerance": 0.5})  # fmt: skip
    assert tight.layer_bers() == {TOLERANT: 0.3, FRAGILE: 1e-6}
    assert tight.single_ber == 1e-6 and tight.single_energy == 1.0
    # Nothing of the search is measured again: only the verification of the
    # two answers the first search did not verify, (1e-6, 1e-6) and (0.3, 1e-6).
    assert len(Ledger(ledger)) - before == 2 * SEARCH["verify_draws"]


def test_layers_not_named_stay_on_the_first_rung(vote, searched):
    model, data = vote
    _, ledger = searched
    answer = assign_write_points(model, data, ledger=ledger, layers=[FRAGILE],
                                 **SEARCH)  # fmt: skip
    # Raising the fragile layer alone is dearer than the single point, kept.
    assert answer.layer_bers() == {TOLERANT: 0.01, FRAGILE: 0.01}
    assert "kept" in answer.method and answer.saving == 0.0


def test_the_ledger_refuses_another_model(vote, searched):
    model, (x, y) = vote
    _, ledger = searched
    with pytest.raises(ValueError, match="another model or test set"):
        assign_write_points(model, (x, 1 - y), ledger=ledger, **SEARCH)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"tolerance": -0.1}, r"`tolerance` must be a number in \[0, 100\]"),
        ({"tolerance": "1"}, r"`tolerance` must be a number in \[0, 100\]"),
        ({"confidence": 1.0}, "`confidence`"),
        ({"draws": 1}, r"`draws` must be an integer in \[2, "),
        ({"verify_draws": 1}, r"`verify_draws` must be an integer in \[2, "),
        ({"seed": -1}, "`seed`"),
        ({"ladder": (0.1, 0.01)}, "`ladder` must be 2 to 64 strictly increasing"),
        ({"ladder": (0.01,)}, "`ladder` must be 2 to 64"),
        ({"ladder": (0.01, 1.0)}, r"in \[0, 1\)"),
        ({"layers": ["nope"]}, r"`layers` must name .* \['tolerant', 'fragile'\]"),
        ({"ledger": __file__}, "is not a ledger"),
    ],
)
def test_bad_input_gets_one_line(vote, change, match):
    model, data = vote
    with pytest.raises(ValueError, match=match) as error:
        assign_write_points(model, data, **{**SEARCH, **change})
    assert "\n" not in str(error.value)


def test_a_model_without_binarized_layers_is_refused():
    import tensorflow as tf

    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    model.compile(loss="mse", metrics=["accuracy"])
    with pytest.raises(ValueError, match="no BerSteSign"):
        assign_write_points(model, (np.zeros((4, 3)), np.zeros(4)), 1.0)


def test_t_quantile_used_for_the_bound(searched):
    # The lower bound of each step is the Student's t bound of its draws.
    answer, _ = searched
    step = next(s for s in answer.steps if s.phase == "greedy")
    acc = step.accuracy
    half = t_quantile(0.95, acc.n - 1) * acc.std / math.sqrt(acc.n)
    assert acc.low == pytest.approx(acc.mean - half)
    assert step.within == (acc.low >= answer.threshold)
