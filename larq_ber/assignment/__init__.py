r"""Per-layer write operating points: a write voltage for each binarized layer.

The paper writes every binary activation at one lower voltage and trains the
network to tolerate the resulting bit error rate. Layers differ in size and in
sensitivity (`larq_ber.sensitivity`), so writing the large, tolerant layers at a
low voltage and the small, fragile ones at a safe one saves energy that a single
operating point leaves on the table. `assign_write_points` finds such an
assignment on measured accuracies and compares it with the best single point:

- `ladder`: `WriteLadder`, the rates a layer may be written at and the cheapest
  write (voltage, pulse, energy) of each (TF-free);
- `ledger`: `Ledger`, every measured draw in a CSV file, so a search resumes and
  searches at several tolerances share their measurements (TF-free);
- `result`: `Assignment`, `LayerPoint`, `SearchStep` (TF-free);
- `measure`: `Measure`, an assignment's accuracy over draws, through the ledger;
- `search`: `assign_write_points`, the greedy search and the exchanges;
- `verification`: the answer and the single point verified on fresh draws;
- `figure`: `plot_assignment`, energy against accuracy of what was measured.

Example:
    ```python
    from larq_ber.assignment import assign_write_points

    answer = assign_write_points(model, (x_test, y_test), tolerance=0.5)
    print(answer)
    ```
"""

from larq_ber.assignment.figure import plot_assignment
from larq_ber.assignment.ladder import DEFAULT_LADDER, MAX_RUNGS, WriteLadder
from larq_ber.assignment.ledger import Ledger, assignment_key
from larq_ber.assignment.result import (
    LAYER_COLUMNS,
    STEP_COLUMNS,
    Assignment,
    LayerPoint,
    SearchStep,
)
from larq_ber.assignment.search import assign_write_points
from larq_ber.assignment.verification import MAX_BACKOFF, METHOD, VERIFY_TESTS

__all__ = [
    "DEFAULT_LADDER",
    "LAYER_COLUMNS",
    "MAX_BACKOFF",
    "MAX_RUNGS",
    "METHOD",
    "STEP_COLUMNS",
    "VERIFY_TESTS",
    "Assignment",
    "LayerPoint",
    "Ledger",
    "SearchStep",
    "WriteLadder",
    "assign_write_points",
    "assignment_key",
    "plot_assignment",
]
