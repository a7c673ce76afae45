"""Every use of keras-tuner internals in larq-ber, each with its reason.

larq-ber drives keras-tuner through its public hooks (`Oracle.populate_space`,
`reload`, `end_trial`, `BaseTuner.run_trial`, `on_trial_end`, `save`, `search`).
Three things have no public hook; they live here, and only here, and
`tests/study/sweeps/test_kt_internals.py` fails loudly when a keras-tuner release
changes any of them. Checked on keras-tuner `CHECKED_VERSIONS`.

1. **Atomic state files.** keras-tuner writes `oracle.json` and every
   `trial_*/trial.json` with a plain write, so a kill during the write leaves a
   truncated file that `reload` cannot parse. `CrashSafeOracle` overrides the
   private `Oracle._save_trial` hook (called on every trial change) and `save` to
   write them atomically, at the paths of the private `_get_trial_dir` and
   `_get_oracle_fname`.
2. **Completed trials are not retried.** `Oracle.end_trial` saves the state before
   it removes the trial from the ongoing ones; a chief killed in between would, on
   reload, put the completed trial into the private `_retry_queue` and train it
   again. `CrashSafeOracle.forget_completed_retries` drops those.
3. **A responsive chief.** keras-tuner's `oracle_chief.start_server` checks for the
   end of the search every 20 s and shows nothing; `serve` runs the same
   `OracleServicer` (from the private `keras_tuner.src.distribute.oracle_chief` and
   `keras_tuner.src.protos`) and checks every 0.2 s, calling back for progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import keras_tuner as kt

from larq_ber.study.results import write_json

__all__ = ["CHECKED_VERSIONS", "CrashSafeOracle", "serve"]

#: keras-tuner versions on which every use below was checked.
CHECKED_VERSIONS = ("1.4.7", "1.4.8")


class CrashSafeOracle(kt.Oracle):
    """A keras-tuner `Oracle` whose state files are replaced atomically.

    Subclasses implement the public hooks (`populate_space`, `reload`, …).
    """

    def save(self) -> None:
        """Writes the oracle state atomically (a kill never leaves half a file)."""
        # internal: `_get_oracle_fname` is where keras-tuner's `reload` reads it.
        write_json(self._get_oracle_fname(), self.get_state())

    def _save_trial(self, trial: kt.engine.trial.Trial) -> None:
        # internal: keras-tuner calls this private hook on every change of a trial;
        # `_get_trial_dir` is where its `reload` finds `trial.json`.
        write_json(
            Path(self._get_trial_dir(trial.trial_id)) / "trial.json", trial.get_state()
        )

    def save_trial(self, trial: kt.engine.trial.Trial) -> None:
        """Writes one trial's state atomically (after a subclass changed it).

        Args:
            trial: A trial of this oracle.
        """
        self._save_trial(trial)

    def forget_completed_retries(self) -> None:
        """Drops trials that completed (or vanished) from keras-tuner's retry queue."""
        # internal: `_retry_queue` holds the ids `reload` found ongoing.
        queue: list[str] = getattr(self, "_retry_queue")  # noqa: B009 (untyped base)
        self._retry_queue = [
            trial_id
            for trial_id in queue
            if trial_id in self.trials
            and self.trials[trial_id].status != kt.engine.trial.TrialStatus.COMPLETED
        ]


def serve(
    oracle: kt.Oracle,
    address: str,
    *,
    finished: Callable[[], bool],
    tick: Callable[[], None] = lambda: None,
    interval: float = 0.2,
) -> None:
    """Serves `oracle` to workers on `address` until the search is over.

    The search is over when a worker found nothing left to do (keras-tuner's
    `stop_triggered`) or `finished()` is true, and every worker has left
    (keras-tuner's `exit_chief`).

    Args:
        oracle: The chief's oracle.
        address: `host:port` to listen on.
        finished: Whether every point of the grid is done.
        tick: Called every `interval` seconds (e.g. to move a progress bar).
        interval: Seconds between checks.

    Raises:
        RuntimeError: If the address cannot be listened on.
    """
    from concurrent import futures

    import grpc

    # internal: the oracle service keras-tuner's own chief runs.
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if not port:
        raise RuntimeError(
            f"The chief cannot listen on {address} (KERASTUNER_ORACLE_IP, "
            "KERASTUNER_ORACLE_PORT): the port is taken or the address is not this "
            "machine's."
        )
    server.start()
    try:
        nothing_left = finished()
        while not (
            (servicer.stop_triggered or nothing_left)
            and oracle_chief.exit_chief(oracle)
        ):
            time.sleep(interval)
            tick()
    finally:
        server.stop(grace=2)
