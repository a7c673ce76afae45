"""The quick demonstration behind `make demo` and `larq-ber demo`.

Trains the paper's binarized LeNet-4 (`larq_ber.models.LeNet4`) on the embedded
`digits` data once per bit error rate and reports the error-free test accuracy after
every epoch. The accuracy is Keras's own validation pass, which runs the model with
`training=False`, so the quantizers flip nothing while it is measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from larq_ber.models import LeNet4
from larq_ber.study.data import digits_arrays
from larq_ber.study.progress import progress_bar

__all__ = ["as_rows", "format_table", "run_demo"]


def run_demo(
    bers: Sequence[float] = (0.0, 0.04),
    *,
    epochs: int = 6,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> dict[float, list[float]]:
    """Trains LeNet-4 on `digits` once per bit error rate.

    Args:
        bers: Bit error rates to train with, each in [0, 1].
        epochs: Number of training epochs (>= 1).
        batch_size: Training batch size (>= 1).
        learning_rate: Adam learning rate (> 0).
        seed: Seed of `tf.keras.utils.set_random_seed` before each run.
        progress: Show progress on standard error: a live bar on a terminal, one
            line per finished epoch (with the time left) in a log.

    Returns:
        For each BER, the error-free test top-1 accuracy (a fraction) after every
        epoch.

    Raises:
        ValueError: If `epochs`, `batch_size` or `learning_rate` is out of range
            (rates are checked by `BerSteSign`).

    Example:
        ```python
        curves = run_demo([0.0], epochs=1)  # trains LeNet-4 for one epoch
        assert len(curves[0.0]) == 1
        ```
    """
    if epochs < 1:
        raise ValueError(f"`epochs` must be >= 1, got {epochs!r}.")
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size!r}.")
    if not learning_rate > 0:
        raise ValueError(f"`learning_rate` must be > 0, got {learning_rate!r}.")
    (x_train, y_train), (x_test, y_test) = digits_arrays(seed=seed)
    curves: dict[float, list[float]] = {}
    bar = (
        progress_bar(len(bers) * epochs, desc="demo", unit="epoch")
        if progress
        else None
    )
    try:  # the bar is closed (its line finished) on Ctrl-C and errors too
        for ber in bers:
            tf.keras.utils.set_random_seed(seed)
            model = LeNet4(ber=ber)
            model.compile(
                tf.keras.optimizers.Adam(learning_rate),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            history = model.fit(
                x_train,
                y_train,
                batch_size=batch_size,
                epochs=epochs,
                validation_data=(x_test, y_test),
                verbose=0,
                callbacks=[] if bar is None else [_EpochTicks(bar, ber)],
            )
            curves[float(ber)] = [float(a) for a in history.history["val_accuracy"]]
    finally:
        if bar is not None:
            bar.close()
    return curves


class _EpochTicks(tf.keras.callbacks.Callback):
    """Advances a progress bar by one per epoch, showing the BER and accuracy."""

    def __init__(self, bar: Any, ber: float) -> None:
        super().__init__()
        self.bar = bar
        self.ber = ber

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        accuracy = (logs or {}).get("val_accuracy")
        text = f"BER {self.ber:g}, epoch {epoch + 1}"
        if accuracy is not None:
            text += f": {100 * accuracy:.2f} %"
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)


def format_table(curves: dict[float, list[float]]) -> str:
    """Formats `run_demo`'s result as a table: one row per epoch, one column per BER.

    Args:
        curves: Accuracy per epoch for each BER.

    Returns:
        The table as text.

    Example:
        >>> print(format_table({0.0: [0.5, 0.75]}))
        epoch    BER 0%
            1    50.00%
            2    75.00%
    """
    bers = list(curves)
    header = "epoch" + "".join(
        f"  {'BER ' + format(b * 100, 'g') + '%':>8s}" for b in bers
    )
    rows = [header]
    epochs = max(len(c) for c in curves.values())
    for e in range(epochs):
        cells = "".join(
            f"  {curves[b][e] * 100:7.2f}%" if e < len(curves[b]) else " " * 10
            for b in bers
        )
        rows.append(f"{e + 1:5d}{cells}")
    return "\n".join(rows)


def as_rows(curves: dict[float, list[float]]) -> list[dict[str, Any]]:
    """`run_demo`'s result as rows of the epoch table, one run per BER.

    For `larq_ber.study.summary.top1max_table`, which gives ⟨Top1Max⟩ per BER
    (each BER was trained once: n = 1, no interval).

    Args:
        curves: Accuracy per epoch for each BER.

    Returns:
        Rows with `model`, `dataset`, `subset`, `ber`, `run_id`, `epoch` and
        `test_top1`.

    Example:
        >>> as_rows({0.04: [0.5, 0.75]})[1]["test_top1"]
        0.75
    """
    return [
        {"model": "lenet4", "dataset": "digits", "subset": "", "ber": ber,
         "run_id": f"ber{ber:g}", "epoch": epoch, "test_top1": top1}
        for ber, accuracies in curves.items()
        for epoch, top1 in enumerate(accuracies, start=1)
    ]  # fmt: skip
