"""Deprecated: `larq_ber.sweep` is now the package `larq_ber.sweeps`.

Every name of 0.1 still works from here for one release, with a
`DeprecationWarning`; import from `larq_ber.sweeps` (or `larq_ber.results` for
reading results) instead.
"""

import warnings

from larq_ber.sweeps import (
    GridPoint,
    RunResult,
    SweepOracle,
    SweepSummary,
    SweepTuner,
    grid,
    read_results,
    run_sweep,
    train_run,
    write_results,
)

__all__ = [
    "GridPoint",
    "RunResult",
    "SweepOracle",
    "SweepSummary",
    "SweepTuner",
    "grid",
    "read_results",
    "run_sweep",
    "train_run",
    "write_results",
]

warnings.warn(
    "larq_ber.sweep is now larq_ber.sweeps (and larq_ber.results for reading "
    "results); the old module goes away in larq-ber 0.3.",
    DeprecationWarning,
    stacklevel=2,
)
