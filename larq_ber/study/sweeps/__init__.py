"""Resumable, distributed BER sweeps on keras-tuner.

A sweep is the grid BER × repeat (× class subset) of one `Recipe`; every grid point
is one training run. The modules, bottom up:

* `grid` — `Grid`/`GridPoint`: the points, computed from their index (TF-free);
* `oracle` — `SweepOracle`, a keras-tuner `Oracle` that plans: it hands out the
  points in grid order (repeat by repeat, so an early look at the results already
  covers every BER) to any number of workers;
* `run` — `train_run`: one point trained, checkpointed every epoch, crash-safe;
* `robustness` — `evaluate_run`/`evaluate_sweep`: a trained run evaluated under
  errors at deployment (test BER × weight BER × draws), crash-safe;
* `lifetime_plan` / `lifetime` — `LifetimePlan`, `evaluate_run_lifetime` /
  `evaluate_sweep_lifetime`: a trained run on an MRAM chip over storage time,
  temperature, reads and cell spread, crash-safe;
* `tuner` — `SweepTuner`, a keras-tuner `BaseTuner` that executes: one trial is one
  `train_run` (and, if the recipe asks, its robustness and lifetime tables);
* `runner` — `run_sweep`: run, resume or join a sweep;
* `kt_internals` — the only module that touches keras-tuner internals, each use
  with its reason.

keras-tuner keeps the trial state on disk and provides the chief/worker mode, so
re-running the same command resumes, and many processes or machines share one sweep:
start one process with `KERASTUNER_TUNER_ID=chief` and any number with
`KERASTUNER_TUNER_ID=<unique name>`, all with `KERASTUNER_ORACLE_IP` /
`KERASTUNER_ORACLE_PORT` set to the chief's address, and the same `--out` (a shared
directory). `larq_ber.study.results` describes and reads the files of a sweep folder.
"""

import importlib
from typing import Any

# Loaded on first use (PEP 562), so that `larq_ber.study.sweeps.grid` imports without
# TensorFlow.
_WHERE = {
    "Grid": "larq_ber.study.sweeps.grid",
    "GridPoint": "larq_ber.study.sweeps.grid",
    "grid": "larq_ber.study.sweeps.grid",
    "RunResult": "larq_ber.study.results",
    "read_results": "larq_ber.study.results",
    "write_results": "larq_ber.study.results",
    "SweepOracle": "larq_ber.study.sweeps.oracle",
    "train_run": "larq_ber.study.sweeps.run",
    "SweepSummary": "larq_ber.study.sweeps.runner",
    "run_sweep": "larq_ber.study.sweeps.runner",
    "SweepTuner": "larq_ber.study.sweeps.tuner",
    "evaluate_run": "larq_ber.study.sweeps.robustness",
    "evaluate_sweep": "larq_ber.study.sweeps.robustness",
    "read_robustness": "larq_ber.study.results",
    "LifetimePlan": "larq_ber.study.sweeps.lifetime_plan",
    "evaluate_run_lifetime": "larq_ber.study.sweeps.lifetime",
    "evaluate_sweep_lifetime": "larq_ber.study.sweeps.lifetime",
    "read_lifetime": "larq_ber.study.results",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
