"""Fixtures shared by the `larq_ber.mtj` tests."""

import pytest

from larq_ber.mtj.device import MTJ


@pytest.fixture
def paper() -> MTJ:
    """The paper's device: Δ = 40, τ_D = 2 ns, V_c0 = 0.3 V, V_bd = 1.2 V."""
    return MTJ.paper()
