"""The per-layer search: `larq_ber.assignment.search.assign_write_points`."""

import dataclasses
import json
import math

import numpy as np
import pytest

import larq_ber.assignment.search as module
from larq_ber.assignment import (
    STEP_COLUMNS,
    VERIFY_TESTS,
    Ledger,
    WriteLadder,
    assign_write_points,
)
from larq_ber.assignment.result import SearchStep
from larq_ber.stats import draws_to_settle, mean_interval, t_quantile
from tests.assignment.conftest import LADDER, SEARCH, N
from tests.assignment.helpers import (
    FRAGILE,
    TOLERANT,
    WRITES,
    vote_accuracy,
    vote_data,
)


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
    assert acc.n == SEARCH["verify_draws"]
    # Bonferroni over the verification tests the search may make.
    assert acc.confidence == pytest.approx(1 - 0.05 / VERIFY_TESTS)
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
    # Then one exchange, the fragile layer up and the tolerant one down: cheaper,
    # and beyond (5 % in the fragile layer again).
    exchanges = [s for s in steps if s.phase == "exchange"]
    assert [(s.bers, s.within) for s in exchanges] == [((0.2, 0.05), False)]
    assert exchanges[0].moved == f"{FRAGILE} up, {TOLERANT} down"
    assert exchanges[0].energy < taken[-1].energy
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
    # Nothing measured before is measured again: the ledger grows by the draws
    # of the states the first search did not measure, search and verification
    # draws apart (numbers 0-3 and 4-11).
    first, _ = searched

    def states(answer, verify):
        return {s.bers for s in answer.steps if (s.phase == "verify") == verify}

    new = states(tight, False) - states(first, False)
    checked = states(tight, True) - states(first, True)
    assert (0.3, 1e-6) in checked  # the tighter answer, verified afresh
    added = len(new) * SEARCH["draws"] + len(checked) * SEARCH["verify_draws"]
    assert len(Ledger(ledger)) - before == added


def test_layers_not_named_stay_on_the_first_rung(vote, searched):
    model, data = vote
    _, ledger = searched
    answer = assign_write_points(model, data, ledger=ledger, layers=[FRAGILE],
                                 **SEARCH)  # fmt: skip
    # The tolerant layer stays on the first rung: raising the fragile layer
    # alone is dearer than the single point, which is reported, not substituted.
    assert answer.layer_bers() == {TOLERANT: 1e-6, FRAGILE: 0.01}
    assert answer.free == (FRAGILE,) and answer.met and answer.single_met
    assert answer.single_ber == 0.01 and answer.saving < 0
    assert "kept" not in answer.method


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
        ({"ladder": (0.01, 1.0)}, r"in \(0, 1\)"),
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


def test_an_answer_straddling_the_threshold_is_reported_undecided(vote, tmp_path):
    # The threshold 0.3 points below the exact accuracy of (0.3, 0.01): the
    # search's 4 draws put it within (their t bound is ~0.16 below the mean),
    # three verification draws at the Bonferroni level cannot decide it (their
    # bound is ~0.7 below the mean), so the answer falls back to the previous
    # state of the path, (0.3, 1e-6), decided within on its tiny spread.
    model, data = vote
    tolerance = 100 - vote_accuracy(0.3, 0.01) + 0.3
    answer = assign_write_points(
        model, data, ledger=tmp_path / "l.csv",
        **{**SEARCH, "tolerance": tolerance, "verify_draws": 3},
    )  # fmt: skip
    assert answer.undecided == (0.3, 0.01)
    assert answer.layer_bers() == {TOLERANT: 0.3, FRAGILE: 1e-6} and answer.met
    missed = [s for s in answer.steps if s.phase == "verify" and not s.taken]
    # The single point (0.01, 0.01) missed too, and fell back to (1e-6, 1e-6).
    assert [s.bers for s in missed] == [(0.01, 0.01), answer.undecided]
    assert answer.single_ber == 1e-6 and answer.single_met
    step = missed[1]
    assert step.accuracy.low < answer.threshold <= step.accuracy.high
    assert answer.undecided_draws == draws_to_settle(step.accuracy, answer.threshold)
    assert answer.undecided_draws > 0
    assert "Undecided: BERs 0.3 0.01 straddled the threshold" in str(answer)


class _Exact:
    """A stand-in for the search's measurer: accuracies from a formula."""

    def __init__(self, accuracy, threshold):
        self.positions = [("big", None, (10,)), ("small", None, (1,))]
        self.ladder = WriteLadder.build((1e-6, 0.01, 0.1))
        self.writes = [10, 1]
        self.accuracy, self.threshold, self.steps = accuracy, threshold, []

    def __call__(self, levels, first, count, **step):
        value = self.accuracy(levels)
        self.steps.append(SearchStep(
            bers=tuple(self.ladder.rungs[r] for r in levels),
            energy=self.ladder.energy(self.writes, levels),
            accuracy=mean_interval([value, value]),
            within=value >= self.threshold, **step,
        ))  # fmt: skip
        return self.steps[-1].accuracy, [value, value]

    def take(self, index):
        self.steps[index] = dataclasses.replace(self.steps[index], taken=True)


def test_an_exchange_moves_a_rung_from_a_small_layer_to_a_big_one():
    # Accuracy falls with the sum of the rungs: (2, 0) is as good as (1, 1)
    # and cheaper (the big layer writes 10x more); (2, 1) is beyond.
    measure = _Exact(lambda levels: 100.0 - sum(levels), threshold=98.0)
    path = module._exchanges(measure, 2, (1, 1), free={0, 1})
    assert path == [(2, 0)]
    taken = [s for s in measure.steps if s.taken]
    assert [(s.phase, s.moved, s.bers) for s in taken] == [
        ("exchange", "big up, small down", (0.1, 1e-6))
    ]
    # From (2, 0) no exchange saves energy: the search ends there.
    assert len(measure.steps) == 1


def test_exchanges_only_raise_free_layers_and_end_when_none_is_within():
    measure = _Exact(lambda levels: 100.0 - 3 * levels[0] - levels[1], 98.0)
    assert module._exchanges(measure, 2, (1, 1), free={0, 1}) == []
    assert [(s.bers, s.within) for s in measure.steps] == [((0.1, 1e-6), False)]
    fixed = _Exact(lambda levels: 100.0, 98.0)
    assert module._exchanges(fixed, 2, (1, 1), free={1}) == [] and not fixed.steps


def test_a_reference_sets_an_absolute_target(vote, searched):
    model, data = vote
    first, ledger = searched
    # 0.5 below a reference of 99 % is the threshold of 1.5 below 100 %.
    change = {"tolerance": 0.5, "reference": 99.0}
    answer = assign_write_points(model, data, ledger=ledger, **{**SEARCH, **change})
    assert answer.threshold == first.threshold == 98.5
    assert answer.layer_bers() == first.layer_bers()
    assert answer.single_ber == first.single_ber
    assert answer.reference == 99.0 and answer.tolerance == 0.5
    assert answer.clean == 100.0 and first.reference is None
    assert "within 0.5 point(s) of 99.00 % (error-free 100.00 %)" in str(answer)
    with pytest.raises(ValueError, match=r"`reference` must be a number in \[0, 100\]"):
        assign_write_points(model, data, **{**SEARCH, "reference": 100.5})


def test_a_ladder_whose_first_rung_is_beyond_answers_nothing(vote, tmp_path):
    model, data = vote
    answer = assign_write_points(model, data, ledger=tmp_path / "l.csv",
                                 **{**SEARCH, "ladder": (0.05, 0.1, 0.3)})  # fmt: skip
    # 5 % in the fragile layer costs 5 points: nothing is within 1.5.
    assert not answer.met and not answer.single_met
    assert answer.single_accuracy is None and answer.single_energy == 1.0
    assert answer.layer_bers() == {TOLERANT: 0.05, FRAGILE: 0.05}
    assert answer.accuracy.n == SEARCH["verify_draws"]
    assert answer.accuracy.high < answer.threshold
    assert [s.phase for s in answer.steps] == ["single", "start", "verify", "verify"]
    assert "missed the tolerance" in str(answer)
    assert "every rung decided beyond" in str(answer)


def test_a_model_with_one_binarized_layer(tmp_path):
    import larq as lq
    import tensorflow as tf

    from larq_ber.quantizers import BerSteSign

    inputs = tf.keras.Input((65,))
    kernel = np.tile([[-1.0, 1.0]], (65, 1)).astype("float32")
    logits = lq.layers.QuantDense(
        2, input_quantizer=BerSteSign(), use_bias=False, name="only",
        kernel_initializer=tf.keras.initializers.Constant(kernel),
    )(inputs)  # fmt: skip
    model = tf.keras.Model(inputs, logits)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = vote_data(N)
    answer = assign_write_points(model, (x, y), **SEARCH)
    # A majority of 65 survives 30 % flips (99.97 %): the top rung, which is
    # the single point too (no saving: one layer has nothing to trade).
    assert answer.layer_bers() == {"only": 0.3} and answer.single_ber == 0.3
    assert answer.met and answer.saving == 0.0
    assert not [s for s in answer.steps if s.phase == "exchange"]


def test_layer_bers_name_the_layer_of_a_quantizer_no_layer_holds(searched):
    answer, _ = searched
    renamed = dataclasses.replace(
        answer.layers[0], layer="binary_conv_4_sign"
    )  # NiN: the sign before the pooling that feeds binary_conv_4
    other = dataclasses.replace(answer, layers=(renamed, *answer.layers[1:]))
    assert list(other.layer_bers()) == ["binary_conv_4", FRAGILE]
