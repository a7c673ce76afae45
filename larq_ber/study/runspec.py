"""What a run of a sweep is, read back from its `run.json`, and its model rebuilt.

Training writes `run.json` once, before the first epoch; robustness evaluation and
export read it back with `RunSpec.load` and rebuild the same network with
`RunSpec.network`, so the three agree on the architecture, input shape, classes and
training rates by construction.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tensorflow as tf

from larq_ber.metrics import accuracy_metrics
from larq_ber.models import MODELS
from larq_ber.storage import read_json
from larq_ber.study.results import RunFiles

__all__ = ["RunSpec"]


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training run as its `run.json` records it.

    Attributes:
        files: The run folder's files.
        run_id: The run's name.
        recipe: The recipe's name.
        model: A name of `larq_ber.models.MODELS`.
        dataset: The dataset trained on.
        subset: Class subset (`""`: all classes).
        ber: The training error model: a rate, or rates by binarized layer (a
            recipe's `layer_bers`), as the model functions take it.
        grid_ber: The run's rate in the grid of its sweep (the tables' `ber`
            column): `ber` itself when that is one rate, else `run.json`'s
            `grid_ber`.
        seed: The run's seed (`None` if `run.json` has none; robustness
            evaluation needs it).
        input_shape: Shape of one input image.
        num_classes: Classes of the output.
        batch_size: The recipe's batch size.
    """

    files: RunFiles
    run_id: str
    recipe: str
    model: str
    dataset: str
    subset: str
    ber: Any
    grid_ber: float
    seed: int | None
    input_shape: tuple[int, ...]
    num_classes: int
    batch_size: int

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> RunSpec:
        """Reads a run folder's `run.json`.

        Args:
            run_dir: A run folder of a sweep (`OUT/runs/<run_id>`).

        Returns:
            The run's specification.

        Raises:
            FileNotFoundError: If `run_dir` has no `run.json`.
            ValueError: If `run.json` does not describe a run of larq-ber's models
                (the message names the missing fields).

        Example:
            >>> RunSpec.load("no/such/run")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            FileNotFoundError: 'no/such/run' has no run.json: ...
        """
        files = RunFiles(Path(run_dir))
        if not files.run.exists():
            raise FileNotFoundError(
                f"{os.fspath(run_dir)!r} has no run.json: not a run folder of a sweep "
                "(runs are in OUT/runs/<run_id>)."
            )
        return cls.from_record(files, read_json(files.run))

    @classmethod
    def from_record(cls, files: RunFiles, record: Mapping[str, Any]) -> RunSpec:
        """A specification from the contents of `run.json`.

        Args:
            files: The run folder's files.
            record: The parsed `run.json`.

        Returns:
            The run's specification.

        Raises:
            ValueError: If a field is missing or the model is unknown, or `ber`
                gives rates by layer without `grid_ber`.
        """
        required = ("run_id", "model", "dataset", "ber", "input_shape", "num_classes")
        missing = [key for key in required if key not in record]
        if missing or record.get("model") not in MODELS:
            raise ValueError(
                f"{str(files.run)!r} does not describe a run of larq-ber's models "
                f"(missing {missing or ['a known model']})."
            )
        try:
            values = record.get("recipe_values") or {}
            return cls(
                files=files,
                run_id=str(record["run_id"]),
                recipe=str(record.get("recipe", "")),
                model=str(record["model"]),
                dataset=str(record["dataset"]),
                subset=str(record.get("subset", "")),
                ber=record["ber"],
                grid_ber=float(record.get("grid_ber", record["ber"])),
                seed=None if record.get("seed") is None else int(record["seed"]),
                input_shape=tuple(int(d) for d in record["input_shape"]),
                num_classes=int(record["num_classes"]),
                batch_size=int(values.get("batch_size", 128)),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{str(files.run)!r} does not describe a run of larq-ber's models "
                f"({type(error).__name__}: {error})."
            ) from None

    def network(self, weights: str | None = None) -> tf.keras.Model:
        """Rebuilds the run's network, with trained weights if asked.

        Args:
            weights: `None` (fresh initialisation), `"best"` (Top1Max) or
                `"final"`.

        Returns:
            The Keras model, uncompiled.

        Raises:
            ValueError: If `weights` is unknown, or its file is missing or cannot
                be loaded (the message names the file).
        """
        path = None if weights is None else str(self.files.weights(weights))
        return MODELS[self.model](
            input_shape=self.input_shape,
            num_classes=self.num_classes,
            ber=self.ber,
            weights=path,
        )

    def evaluation_model(self, weights: str) -> tf.keras.Model:
        """The trained network compiled for `evaluate` (metrics `top1`, `top5`).

        Args:
            weights: `"best"` or `"final"`.

        Returns:
            The compiled model.
        """
        network = self.network(weights)
        # 32 batches per call of Keras's test function: the per-batch overhead of
        # `evaluate` weighs on small networks (LeNet-4's robustness draw of 4,096
        # images took 0.213 s instead of 0.239 s; docs/benchmarks.md).
        network.compile(
            loss="sparse_categorical_crossentropy",
            metrics=accuracy_metrics(self.num_classes, top1="top1"),
            steps_per_execution=32,
        )
        return network

    def row(self) -> dict[str, Any]:
        """The cells that identify the run in a table row.

        Returns:
            `run_id`, `recipe`, `model`, `dataset`, `subset`, `ber` (the grid's
            rate, `grid_ber`) and `seed`.
        """
        names = ("run_id", "recipe", "model", "dataset", "subset")
        row = {name: getattr(self, name) for name in names}
        return {**row, "ber": self.grid_ber, "seed": self.seed}
