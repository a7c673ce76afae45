"""Keras callbacks for bit-error experiments: per-epoch logging and BER schedules.

`BerLogger` writes the paper's measurement — the error-free test accuracy after every
epoch — as one row per epoch of a tidy CSV table. It does not evaluate anything
itself: it reads what Keras's own validation pass logged (`fit(...,
validation_data=...)`), which runs the model with `training=False`, so every
`BerSteSign` is error-free while the accuracy is measured.

`BerSchedule` changes the bit error rates of every `BerSteSign` of the model at the
start of each epoch (a write-voltage schedule) and logs them like any other value.
Put it before `BerLogger` in the callback list so the logger records the rates used.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow as tf

from larq_ber.metrics import has_top5
from larq_ber.quantizers import ber_quantizers, set_ber
from larq_ber.rates import check_rate
from larq_ber.tables import COLUMNS, EPOCHS, RunInfo

__all__ = ["COLUMNS", "BerLogger", "BerSchedule", "RunInfo"]

_TOP1_KEYS = (
    "val_accuracy",
    "val_sparse_categorical_accuracy",
    "val_categorical_accuracy",
)
_TOP5_KEYS = (
    "val_top5",
    "val_sparse_top_k_categorical_accuracy",
    "val_top_k_categorical_accuracy",
)


class BerLogger(tf.keras.callbacks.Callback):
    """Appends one row per epoch to a tidy CSV table of error-free test accuracy.

    Works like Keras's `CSVLogger` in append mode — a header when the file is new
    or empty, one row per epoch, flushed at once, so a crash loses at most the
    epoch in progress and a resumed run continues the same file — but with a fixed
    schema, `COLUMNS`, that many runs can share (`CSVLogger` takes its columns
    from the logs and adds `val_` copies when there are none). The columns are the
    run's `RunInfo`, the 1-based `epoch`, `test_top1` (Keras's `val_accuracy`, a
    fraction), `test_top5` (a `top5` validation metric; empty when there is none or
    the model has at most 5 classes), `train_loss` and `wall_s` (seconds the epoch
    took, validation included). While `BerSchedule` runs, `ber`, `ber_neg` and
    `ber_pos` are the rates of that epoch.

    Args:
        path: CSV file to append to.
        run_info: A `RunInfo` or a mapping with its fields.

    Attributes:
        top1_max: Best `test_top1` in this `fit` (the paper's Top1Max).
        top1_max_epoch: The 1-based epoch where it was reached.

    Raises:
        ValueError: If `run_info` has unknown fields, or (at the end of the first
            epoch) the logs hold no validation accuracy.

    Example:
        >>> logger = BerLogger("runs/log.csv", run_info={"run_id": "a", "ber": 0.04})
        >>> model.fit(x, y, validation_data=(x_test, y_test),
        ...           callbacks=[logger])  # doctest: +SKIP
    """

    def __init__(self, path: str, *, run_info: RunInfo | Mapping[str, Any]) -> None:
        super().__init__()
        if isinstance(run_info, Mapping):
            fields = {f.name for f in dataclasses.fields(RunInfo)}
            unknown = sorted(set(run_info) - fields)
            if unknown:
                raise ValueError(
                    f"`run_info` has unknown fields {unknown}; known: {sorted(fields)}."
                )
            run_info = RunInfo(**run_info)
        self.path = str(path)
        self.run_info = run_info
        self.top1_max = -math.inf
        self.top1_max_epoch = 0
        self._epoch_start = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Resets Top1Max and creates the table's folder if it does not exist."""
        self.top1_max, self.top1_max_epoch = -math.inf, 0
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Starts the epoch's clock."""
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Writes the epoch's row and updates Top1Max."""
        row = self.make_row(epoch, logs)
        self.append_row(row)
        self.update_top1_max(row)

    def make_row(self, epoch: int, logs: dict[str, Any] | None) -> dict[str, Any]:
        """Builds the table row of an epoch from Keras's logs.

        Args:
            epoch: The 0-based epoch index Keras passes to callbacks.
            logs: The epoch's logs, with the validation accuracy.

        Returns:
            The row, a mapping with the keys `COLUMNS`.

        Raises:
            ValueError: If the logs hold no validation accuracy.
        """
        logs = logs or {}
        top1 = next((logs[k] for k in _TOP1_KEYS if k in logs), None)
        if top1 is None:
            raise ValueError(
                "BerLogger needs the error-free test accuracy from Keras's validation "
                "pass: compile with metrics=['accuracy'] and call fit with "
                f"validation_data. Logged keys: {sorted(logs)}."
            )
        top5: Any = next((logs[k] for k in _TOP5_KEYS if k in logs), "")
        if self.model is not None and not has_top5(self.model.output_shape[-1]):
            top5 = ""
        info = dataclasses.asdict(self.run_info)
        ber, neg, pos = self._rates(info)
        return {
            **info,
            "ber": ber,
            "ber_neg": neg,
            "ber_pos": pos,
            "seed": "" if info["seed"] is None else info["seed"],
            "epoch": epoch + 1,
            "test_top1": float(top1),
            "test_top5": top5 if top5 == "" else float(top5),
            "train_loss": float(logs.get("loss", math.nan)),
            "wall_s": round(time.perf_counter() - self._epoch_start, 3),
        }

    def _rates(self, info: Mapping[str, Any]) -> tuple[float, float, float]:
        """(ber, ber_neg, ber_pos) of the epoch: what the quantizers trained with.

        When every `BerSteSign` of the model has the same rates, those are logged;
        with per-layer rates (or no model), the `run_info`'s.
        """
        found = {
            (float(q.ber_neg), float(q.ber_pos))
            for q in (ber_quantizers(self.model) if self.model is not None else [])
        }
        if len(found) == 1:
            neg, pos = found.pop()
            return (neg if neg == pos else (neg + pos) / 2), neg, pos
        ber = info["ber"]
        neg = info["ber_neg"] if info["ber_neg"] is not None else ber
        pos = info["ber_pos"] if info["ber_pos"] is not None else ber
        return ber, neg, pos

    def append_row(self, row: Mapping[str, Any]) -> None:
        """Appends a row to the table, with the header if the file is new or empty.

        The row is flushed and synced to disk before this returns.

        Args:
            row: A mapping with the keys `COLUMNS`.
        """
        EPOCHS.append(self.path, row)

    def update_top1_max(self, row: Mapping[str, Any]) -> None:
        """Updates `top1_max` / `top1_max_epoch` with a row's accuracy.

        Args:
            row: A row with `epoch` and `test_top1`.
        """
        if float(row["test_top1"]) > self.top1_max:
            self.top1_max = float(row["test_top1"])
            self.top1_max_epoch = int(row["epoch"])


Schedule = Callable[[int], Any]


def _rates(value: Any, epoch: int) -> tuple[float, float]:
    """A schedule's value → (ber_neg, ber_pos), validated."""
    if isinstance(value, Mapping):
        pair = (
            value.get("ber_neg", value.get("ber")),
            value.get("ber_pos", value.get("ber")),
        )
    elif isinstance(value, tuple | list) and len(value) == 2:
        pair = (value[0], value[1])
    else:
        pair = (value, value)
    try:
        return check_rate("ber_neg", pair[0]), check_rate("ber_pos", pair[1])
    except ValueError:
        raise ValueError(
            f"The BER schedule returned {value!r} for epoch {epoch}; expected a "
            "rate in [0, 1], a (ber_neg, ber_pos) pair of rates or a mapping with "
            "'ber' / 'ber_neg' / 'ber_pos'."
        ) from None


class BerSchedule(tf.keras.callbacks.Callback):
    """Sets the bit error rates of every `BerSteSign` in the model each epoch.

    Like Keras's `LearningRateScheduler`, but for the write-error rate of the
    activations, e.g. a write voltage that is lowered as training goes on. The
    rates live in variables, so changing them needs no retracing. The rates of
    each epoch are added to the logs as `ber`, `ber_neg` and `ber_pos` (in
    `History`, `CSVLogger`, `BerLogger`, TensorBoard); `ber` is their mean when
    they differ.

    Args:
        schedule: Function of the 0-based epoch index returning a rate in [0, 1],
            a `(ber_neg, ber_pos)` pair, or a mapping with `ber` / `ber_neg` /
            `ber_pos`.

    Raises:
        ValueError: At the start of an epoch whose scheduled value is not a valid
            rate (the message names the epoch), or if the model has no
            `BerSteSign`.

    Example:
        >>> schedule = BerSchedule(lambda epoch: 0.08 if epoch < 10 else 0.02)
        >>> model.fit(x, y, epochs=20, callbacks=[schedule])  # doctest: +SKIP
    """

    def __init__(self, schedule: Schedule) -> None:
        super().__init__()
        self.schedule = schedule
        self._current: tuple[float, float] | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Applies the epoch's rates to every `BerSteSign` of the model."""
        ber_neg, ber_pos = _rates(self.schedule(epoch), epoch)
        if not ber_quantizers(self.model):
            raise ValueError("BerSchedule: the model contains no BerSteSign quantizer.")
        symmetric = ber_neg if ber_neg == ber_pos else None
        set_ber(self.model, symmetric, ber_neg=ber_neg, ber_pos=ber_pos)
        self._current = (ber_neg, ber_pos)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Logs the rates used in the epoch."""
        if logs is not None and self._current is not None:
            ber_neg, ber_pos = self._current
            logs["ber"] = ber_neg if ber_neg == ber_pos else (ber_neg + ber_pos) / 2
            logs["ber_neg"], logs["ber_pos"] = ber_neg, ber_pos
