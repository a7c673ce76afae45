"""Which error models are active on a model: `larq_ber.errors.registry`."""

import pytest

from larq_ber.errors import active_errors, weight_errors
from larq_ber.errors.registry import mark, marked, unmark
from larq_ber.models import LeNet4


class _Model:
    """Any object that can be weakly referenced stands in for a model."""


def test_marks_count_nested_applications_and_leave_no_trace():
    model = _Model()
    mark(model, "stuck_at")
    with marked(model, "weight_errors"), marked(model, "weight_errors"):
        assert active_errors(model) == ["stuck_at", "weight_errors"]
    assert active_errors(model) == ["stuck_at"]
    unmark(model, "stuck_at")
    assert active_errors(model) == []
    unmark(model, "stuck_at")  # unmarking an unmarked model does nothing
    assert active_errors(model) == []


def test_a_failing_block_is_unmarked_too():
    model = LeNet4()
    with pytest.raises(RuntimeError, match="boom"):
        with weight_errors(model, 0.1, seed=0):
            assert active_errors(model) == ["weight_errors"]
            raise RuntimeError("boom")
    assert active_errors(model) == []
