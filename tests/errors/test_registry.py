"""Which error models are active on a model: `larq_ber.errors.registry`."""

import threading

import pytest

from larq_ber.errors import active_errors, weight_errors
from larq_ber.errors.registry import mark, marked
from larq_ber.models import LeNet4
from tests.errors.helpers import nested_model


class _Model:
    """Any object that can be weakly referenced stands in for a model."""


def test_marks_count_nested_applications_and_leave_no_trace():
    model = _Model()
    claim = mark(model, "stuck_at")
    with marked(model, "weight_errors"), marked(model, "weight_errors"):
        assert active_errors(model) == ["stuck_at", "weight_errors"]
    assert active_errors(model) == ["stuck_at"]
    claim.release()
    assert active_errors(model) == []
    claim.release()  # releasing twice does nothing
    assert active_errors(model) == []


def test_a_failing_block_is_unmarked_too():
    model = LeNet4()
    with pytest.raises(RuntimeError, match="boom"):
        with weight_errors(model, 0.1, seed=0):
            assert active_errors(model) == ["weight_errors"]
            raise RuntimeError("boom")
    assert active_errors(model) == []
    assert "save" not in vars(model)  # saving allowed again


def test_a_block_on_a_nested_model_shows_on_the_outer_one_and_back():
    model, inner = nested_model()
    with weight_errors(inner, 0.1, seed=0):
        assert active_errors(model) == ["weight_errors"]
    with weight_errors(model, 0.1, seed=0):
        assert active_errors(inner) == ["weight_errors"]
    assert active_errors(model) == active_errors(inner) == []


def test_a_claim_of_a_thread_that_ended_does_not_hold_the_model():
    model = _Model()
    done = threading.Thread(target=lambda: mark(model, "stuck_at"))
    done.start()
    done.join()
    with marked(model, "weight_errors"):  # the thread is gone: not refused
        assert active_errors(model) == ["stuck_at", "weight_errors"]


def test_another_threads_claim_is_refused_naming_both_threads():
    model, inner = nested_model()
    ready, leave = threading.Event(), threading.Event()

    def hold():
        with marked(inner.get_layer("qdense"), "stuck_at"):
            ready.set()
            leave.wait(60)

    thread = threading.Thread(target=hold, name="worker")
    thread.start()
    try:
        assert ready.wait(60)
        message = r"'qdense' is in a larq_ber\.errors block of thread 'worker'"
        with pytest.raises(RuntimeError, match=message):
            with weight_errors(model, 0.1, seed=0):
                pass
    finally:
        leave.set()
        thread.join()
    assert active_errors(model) == []
