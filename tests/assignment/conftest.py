"""One search on the majority-vote network, shared by the assignment tests."""

import pytest

from larq_ber.assignment import assign_write_points
from tests.assignment.helpers import vote_data, vote_model

LADDER = (1e-6, 0.01, 0.05, 0.1, 0.2, 0.3)
N = 10_000
SEARCH = {"tolerance": 1.5, "ladder": LADDER, "draws": 4, "verify_draws": 8,
          "seed": 5}  # fmt: skip


@pytest.fixture(scope="session")
def vote():
    return vote_model(), vote_data(N)


@pytest.fixture(scope="session")
def searched(vote, tmp_path_factory):
    model, data = vote
    ledger = tmp_path_factory.mktemp("search") / "ledger.csv"
    return assign_write_points(model, data, ledger=ledger, **SEARCH), ledger
