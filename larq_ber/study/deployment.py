"""Deployment of a sweep's run: its model exported to a verified LCE `.tflite`.

`export_run` rebuilds the model of a run folder from its `run.json`
(`larq_ber.study.runspec.RunSpec`) with its Top1Max or final weights, then exports
it with the plugin's `larq_ber.export.to_tflite`; the command line's
`larq-ber export RUN_DIR --tflite model.tflite` calls it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from larq_ber.export import ExportReport, to_tflite
from larq_ber.study.results import RunFiles
from larq_ber.study.runspec import RunSpec

__all__ = ["export_run"]


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
            `verify_samples`, `float_reference`, …).

    Returns:
        The `ExportReport`.

    Raises:
        ValueError: If `which` is unknown, `run.json` does not describe a model of
            larq-ber, or the weights cannot be read.
        FileNotFoundError: If `run_dir` is not a run folder or lacks the weights
            (the run has not finished).
        larq_ber.export.ExportError: If the converted model fails a check of
            `to_tflite` (nothing is written then).

    Example:
        >>> export_run("runs/missing", "m.tflite")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: 'runs/missing' has no run.json: not a run folder ...
    """
    files = RunFiles(Path(run_dir))
    weights = files.weights(which)
    if files.run.exists() and not weights.exists():
        raise FileNotFoundError(
            f"{str(weights)!r} does not exist: the run has not finished (run the "
            "sweep again to finish it)."
        )
    spec = RunSpec.load(files.folder)
    return to_tflite(spec.network(which), path, **kwargs)
