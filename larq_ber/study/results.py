"""The results of bit-error experiments on disk, without TensorFlow.

One place for everything a sweep folder holds and how it is read and written:

```text
OUT/sweep.json                   the recipe the sweep was started with
OUT/tuner/                       keras-tuner's oracle and trial state
OUT/runs/<run_id>/run.json       what the run is (model, dataset, BER, seed, shapes)
OUT/runs/<run_id>/epochs.csv     one row per finished epoch (`larq_ber.tables.EPOCHS`)
OUT/runs/<run_id>/events.jsonl   start / resume / finish events, one JSON per line
OUT/runs/<run_id>/top1max.weights.h5   weights at the epoch of Top1Max
OUT/runs/<run_id>/final.weights.h5     weights after the last epoch
OUT/runs/<run_id>/result.json    Top1Max, its epoch, wall time (the run is done)
OUT/runs/<run_id>/robustness.csv accuracy under deployment errors, one row per draw
OUT/runs/<run_id>/lifetime.csv   accuracy on an MRAM chip over storage time, per draw
OUT/runs/<run_id>/backup/        training checkpoint while it runs (weights, RNG, ...)
OUT/runs/<run_id>/tensorboard/   TensorBoard logs, when asked for
```

`RunFiles` names the files of one run, `SweepFiles` those of a sweep folder;
`read_results` / `write_results` give the tidy table of every epoch of every run,
`read_robustness` / `write_robustness` that of every evaluation under deployment
errors (`larq_ber.tables.ROBUSTNESS`), `read_lifetime` that of every lifetime
evaluation (`larq_ber.tables.LIFETIME`).
JSON files are replaced atomically (`write_json`), CSV rows are appended and synced
(`larq_ber.storage`), so a crash never leaves half a file. Nothing here imports
TensorFlow: `larq-ber results` and `larq-ber plot` start in a fraction of the time
TensorFlow takes to import.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from larq_ber.storage import read_json, write_json
from larq_ber.tables import EPOCHS, LIFETIME, ROBUSTNESS

__all__ = [
    "RunFiles",
    "RunResult",
    "SweepFiles",
    "append_event",
    "read_json",
    "read_lifetime",
    "read_results",
    "read_robustness",
    "write_json",
    "write_results",
    "write_robustness",
]

#: Environment variable naming this process in a distributed sweep (keras-tuner's).
TUNER_ID_VARIABLE = "KERASTUNER_TUNER_ID"


@dataclasses.dataclass(frozen=True)
class RunFiles:
    """The files of one run folder (`OUT/runs/<run_id>`).

    Attributes:
        folder: The run folder.

    Example:
        >>> RunFiles(Path("runs/q/runs/ber0_rep0")).result.name
        'result.json'
    """

    folder: Path

    @property
    def run(self) -> Path:
        """`run.json`: what the run is (model, dataset, BER, seed, shapes)."""
        return self.folder / "run.json"

    @property
    def epochs(self) -> Path:
        """`epochs.csv`: one row per finished epoch."""
        return self.folder / "epochs.csv"

    @property
    def pending(self) -> Path:
        """`pending.json`: an epoch's row waiting for its checkpoint."""
        return self.folder / "pending.json"

    @property
    def events(self) -> Path:
        """`events.jsonl`: start / resume / finish events."""
        return self.folder / "events.jsonl"

    @property
    def best_weights(self) -> Path:
        """`top1max.weights.h5`: weights at the epoch of Top1Max."""
        return self.folder / "top1max.weights.h5"

    @property
    def final_weights(self) -> Path:
        """`final.weights.h5`: weights after the last epoch."""
        return self.folder / "final.weights.h5"

    @property
    def result(self) -> Path:
        """`result.json`: written when the run is finished."""
        return self.folder / "result.json"

    @property
    def robustness(self) -> Path:
        """Accuracy under deployment errors, one row per draw."""
        return self.folder / "robustness.csv"

    @property
    def lifetime(self) -> Path:
        """Accuracy on an MRAM chip over storage time, one row per draw."""
        return self.folder / "lifetime.csv"

    @property
    def backup(self) -> Path:
        """`backup/`: the training checkpoint while the run trains.

        Weights, optimizer, random-generator states and the last finished epoch.
        """
        return self.folder / "backup"

    @property
    def tensorboard(self) -> Path:
        """`tensorboard/`: TensorBoard logs, when asked for."""
        return self.folder / "tensorboard"

    def weights(self, which: str) -> Path:
        """The weights file of the best (Top1Max) or the final epoch.

        Args:
            which: `"best"` or `"final"`.

        Returns:
            The path of the weights file.

        Raises:
            ValueError: If `which` is neither.

        Example:
            >>> RunFiles(Path("r")).weights("final").name
            'final.weights.h5'
        """
        if which not in ("best", "final"):
            raise ValueError(f"`which` must be 'best' or 'final', got {which!r}.")
        return self.best_weights if which == "best" else self.final_weights

    def candidate_weights(self, epoch: int) -> Path:
        """Weights of an epoch that was the best so far, while the run trains.

        Args:
            epoch: The 1-based epoch.

        Returns:
            `top1max-e<epoch>.weights.h5` in the run folder.

        Example:
            >>> RunFiles(Path("r")).candidate_weights(3).name
            'top1max-e003.weights.h5'
        """
        return self.folder / f"top1max-e{epoch:03d}.weights.h5"

    #: The pattern Keras's `ModelCheckpoint` fills for `candidate_weights`.
    CANDIDATE_PATTERN = "top1max-e{epoch:03d}.weights.h5"

    def candidates(self) -> dict[int, Path]:
        """The candidate weight files present, by epoch.

        Returns:
            `{epoch: path}` for every `top1max-eNNN.weights.h5` in the folder.
        """
        found = {}
        for path in self.folder.glob("top1max-e*.weights.h5"):
            number = path.name[len("top1max-e") : -len(".weights.h5")]
            if number.isdigit():
                found[int(number)] = path
        return found


@dataclasses.dataclass(frozen=True)
class SweepFiles:
    """The files of a sweep folder (`--out`).

    Attributes:
        folder: The sweep's output folder.

    Example:
        >>> SweepFiles(Path("runs/q")).run("ber0_rep0").folder.as_posix()
        'runs/q/runs/ber0_rep0'
    """

    folder: Path

    @property
    def recipe(self) -> Path:
        """`sweep.json`: the recipe the sweep was started with."""
        return self.folder / "sweep.json"

    @property
    def tuner(self) -> Path:
        """`tuner/`: keras-tuner's oracle and trial state."""
        return self.folder / "tuner"

    @property
    def runs(self) -> Path:
        """`runs/`: one folder per run."""
        return self.folder / "runs"

    def run(self, run_id: str) -> RunFiles:
        """The files of one run.

        Args:
            run_id: The run's name.

        Returns:
            Its `RunFiles`.
        """
        return RunFiles(self.runs / run_id)

    def finished(self) -> int:
        """Number of runs with a `result.json`.

        Returns:
            The count (in a shared folder: over all workers).
        """
        return len(glob.glob(str(self.runs / "*" / "result.json")))


@dataclasses.dataclass(frozen=True)
class RunResult:
    """The outcome of one finished run (`result.json`).

    Attributes:
        run_id: The run's name.
        top1_max: Best error-free test top-1 accuracy over the epochs (fraction).
        top1_max_epoch: Its 1-based epoch.
        final_top1: Accuracy after the last epoch.
        epochs: Number of epochs trained.
        wall_s: Seconds of training summed over all attempts (s).
    """

    run_id: str
    top1_max: float
    top1_max_epoch: int
    final_top1: float
    epochs: int
    wall_s: float


def append_event(run: RunFiles, event: str, **fields: Any) -> None:
    """Appends one event to a run's `events.jsonl`, synced to disk.

    Args:
        run: The run's files.
        event: `"start"`, `"resume"` or `"finish"`.
        **fields: More fields of the record (e.g. `epoch`).
    """
    record = {
        "event": event,
        "time": time.time(),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "tuner_id": os.environ.get(TUNER_ID_VARIABLE, "tuner0"),
        **fields,
    }
    with open(run.events, "a") as file:
        file.write(json.dumps(record) + "\n")
        file.flush()
        os.fsync(file.fileno())


def read_results(out: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Reads every epoch row of every run of a sweep folder.

    Args:
        out: A sweep's output folder (or any folder with `runs/*/epochs.csv`).

    Returns:
        Rows of `larq_ber.tables.EPOCHS`, numbers parsed (`test_top5` is `None`
        where empty), sorted by subset, BER, seed, run and epoch.

    Raises:
        FileNotFoundError: If `out` has no run with a finished epoch.
        ValueError: If a table holds a malformed row (the message names the file
            and the row).

    Example:
        ```python
        rows = read_results("runs/quickstart")  # after a sweep into runs/quickstart
        print(rows[0]["test_top1"])
        ```
    """
    rows = EPOCHS.read(
        sorted(glob.glob(str(SweepFiles(Path(out)).runs / "*" / "epochs.csv")))
    )
    if not rows:
        raise FileNotFoundError(
            f"No finished epoch under {os.fspath(out)!r} (expected runs/*/epochs.csv): "
            "is it the --out folder of a sweep?"
        )
    return rows


def write_results(out: str | os.PathLike[str], path: str | os.PathLike[str]) -> int:
    """Writes the tidy table of a sweep (`read_results`) to one CSV file.

    Args:
        out: The sweep's output folder.
        path: The CSV file to write (its folder must exist).

    Returns:
        The number of rows written.

    Raises:
        FileNotFoundError: If `out` has no results or the folder of `path` does not
            exist.
    """
    return EPOCHS.write(path, read_results(out))


def read_robustness(out: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Reads every robustness row of a sweep folder or of one run folder.

    Args:
        out: A sweep's output folder (its `runs/*/robustness.csv`) or a run folder
            (its `robustness.csv`).

    Returns:
        Rows of `larq_ber.tables.ROBUSTNESS`, numbers parsed, sorted by subset,
        training BER, seed, run, weights, test BER, weight BER and draw; empty if
        nothing was evaluated.

    Raises:
        ValueError: If a table holds a malformed row (the message names the file
            and the row).
    """
    own = Path(out) / "robustness.csv"
    paths = [str(own)] if own.exists() else []
    paths += sorted(glob.glob(str(SweepFiles(Path(out)).runs / "*" / "robustness.csv")))
    return ROBUSTNESS.read(paths)


def write_robustness(out: str | os.PathLike[str], path: str | os.PathLike[str]) -> int:
    """Writes the robustness table of a sweep (`read_robustness`) to one CSV file.

    Args:
        out: The sweep's output folder (or a run folder).
        path: The CSV file to write (its folder must exist).

    Returns:
        The number of rows written (0 writes nothing).

    Raises:
        FileNotFoundError: If the folder of `path` does not exist.
    """
    rows = read_robustness(out)
    return ROBUSTNESS.write(path, rows) if rows else 0


def read_lifetime(out: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Reads every lifetime row of a sweep folder or of one run folder.

    Args:
        out: A sweep's output folder (its `runs/*/lifetime.csv`) or a run folder
            (its `lifetime.csv`).

    Returns:
        Rows of `larq_ber.tables.LIFETIME`, numbers parsed, sorted by run and
        point; empty if nothing was evaluated.

    Raises:
        ValueError: If a table holds a malformed row (the message names the file
            and the row).
    """
    own = Path(out) / "lifetime.csv"
    paths = [str(own)] if own.exists() else []
    paths += sorted(glob.glob(str(SweepFiles(Path(out)).runs / "*" / "lifetime.csv")))
    return LIFETIME.read(paths)
