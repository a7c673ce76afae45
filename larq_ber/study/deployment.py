"""Deployment of a sweep's run: its model exported to a verified LCE `.tflite`.

`export_run` rebuilds the model of a run folder from its `run.json` and its Top1Max
or final weights, then exports it with the plugin's `larq_ber.export.to_tflite`;
the command line's `larq-ber export RUN_DIR --tflite model.tflite` calls it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tensorflow as tf

from larq_ber.export import ExportReport, to_tflite
from larq_ber.models import MODELS
from larq_ber.storage import read_json
from larq_ber.study.results import RunFiles

__all__ = ["export_run"]

#: What `run.json` must give to rebuild the model.
_REQUIRED = ("model", "input_shape", "num_classes", "ber")


def _run_model(run: RunFiles, weights: Path) -> tf.keras.Model:
    """The run's model, rebuilt from `run.json`, with the weights of `weights`."""
    record = read_json(run.run)
    missing = [key for key in _REQUIRED if key not in record]
    if missing or record.get("model") not in MODELS:
        raise ValueError(
            f"{str(run.run)!r} does not describe a run of larq-ber's models "
            f"(missing {missing or ['a known model']})."
        )
    model = MODELS[record["model"]](
        input_shape=tuple(record["input_shape"]),
        num_classes=record["num_classes"],
        ber=record["ber"],
    )
    try:
        model.load_weights(str(weights))
    except (OSError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise ValueError(
            f"{str(weights)!r} cannot be read as the run's weights ({reason})."
        ) from None
    return model


def export_run(
    run_dir: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    which: str = "best",
    **kwargs: Any,
) -> ExportReport:
    """Exports a run of a sweep: its model with its Top1Max or final weights.

    Args:
        run_dir: A run folder of a sweep (`OUT/runs/<run_id>`, with `run.json`).
        path: The `.tflite` file to write.
        which: `"best"` (weights at Top1Max) or `"final"` (after the last epoch).
        **kwargs: Passed to `larq_ber.export.to_tflite` (`target`, `verify`,
            `verify_samples`, …).

    Returns:
        The `ExportReport`.

    Raises:
        ValueError: If `which` is unknown, `run.json` does not describe a model of
            larq-ber, or the weights cannot be read.
        FileNotFoundError: If `run_dir` is not a run folder or lacks the weights
            (the run has not finished).

    Example:
        >>> export_run("runs/missing", "m.tflite")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: `run_dir` 'runs/missing' is not a run folder of a sweep ...
    """
    run = RunFiles(Path(run_dir))
    weights = run.weights(which)
    if not run.run.exists():
        raise FileNotFoundError(
            f"`run_dir` {str(run.folder)!r} is not a run folder of a sweep (no "
            "run.json; runs are in OUT/runs/<run_id>)."
        )
    if not weights.exists():
        raise FileNotFoundError(
            f"{str(weights)!r} does not exist: the run has not finished (run the "
            "sweep again to finish it)."
        )
    return to_tflite(_run_model(run, weights), path, **kwargs)
