"""The accuracies the tables record: top-1, and top-5 where it means something.

Top-5 accuracy is recorded only for more than 5 classes: with 5 or fewer it is
always 1. One rule, used by `BerLogger`, training and robustness evaluation alike.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

__all__ = ["TOP5_MIN_CLASSES", "accuracy_metrics", "has_top5"]

#: The smallest number of classes for which top-5 accuracy is recorded.
TOP5_MIN_CLASSES = 6


def has_top5(num_classes: int | None) -> bool:
    """Whether top-5 accuracy is recorded for a model with `num_classes` outputs.

    Args:
        num_classes: Number of classes (`None`: unknown, as no top-5).

    Returns:
        `True` for more than 5 classes.

    Example:
        >>> has_top5(10), has_top5(2)
        (True, False)
    """
    return num_classes is not None and num_classes >= TOP5_MIN_CLASSES


def accuracy_metrics(num_classes: int, top1: str = "accuracy") -> list[Any]:
    """The compile metrics: top-1 under `top1`, and `top5` for more than 5 classes.

    Args:
        num_classes: Number of classes of the model's output.
        top1: Name of the top-1 metric (`"accuracy"` as Keras logs it in `fit`).

    Returns:
        Metrics for `model.compile` with sparse integer labels.

    Example:
        >>> [m.name for m in accuracy_metrics(10, top1="top1")]
        ['top1', 'top5']
    """
    metrics: list[Any] = [tf.keras.metrics.SparseCategoricalAccuracy(top1)]
    if has_top5(num_classes):
        metrics.append(tf.keras.metrics.SparseTopKCategoricalAccuracy(5, "top5"))
    return metrics
