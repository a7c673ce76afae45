"""Building and compiling one training run: optimizer, schedule, strategy, model.

The settings come from `larq_ber.study.defaults.TrainingDefaults` (the paper's reference
training, or a recipe's `Recipe.settings()`); this module turns them into Keras
objects. `compiled_model` is what a sweep run trains; `StopWhenAsked` lets Ctrl-C
and SIGTERM stop it even when Python dropped their exception.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from larq_ber.metrics import has_top5
from larq_ber.models import MODELS
from larq_ber.study.defaults import STRATEGIES, TrainingDefaults
from larq_ber.study.stopping import raise_if_stopped

__all__ = [
    "StopWhenAsked",
    "compiled_model",
    "distribution_strategy",
    "learning_rate_schedule",
    "make_optimizer",
]


def learning_rate_schedule(
    settings: TrainingDefaults, steps_per_epoch: int
) -> tf.keras.optimizers.schedules.PiecewiseConstantDecay | float:
    r"""The step-wise learning-rate schedule of `settings`, in optimizer steps.

    The rate is `learning_rate` $\times$ `decay_factor`$^k$ in epochs after the
    $k$-th of `decay_epochs`.

    Args:
        settings: The training settings.
        steps_per_epoch: Optimizer steps in one epoch (>= 1).

    Returns:
        A Keras `PiecewiseConstantDecay` schedule, or the constant
        `learning_rate` when `decay_epochs` is empty.

    Raises:
        ValueError: If `steps_per_epoch` < 1.

    Example:
        >>> from larq_ber.study.defaults import training_defaults
        >>> schedule = learning_rate_schedule(training_defaults("lenet4"), 10)
        >>> round(float(schedule(149)), 6), round(float(schedule(150)), 6)
        (0.1, 0.01)
    """
    if steps_per_epoch < 1:
        raise ValueError(f"`steps_per_epoch` must be >= 1, got {steps_per_epoch!r}.")
    if not settings.decay_epochs:
        return settings.learning_rate
    values = [
        settings.learning_rate * settings.decay_factor**i
        for i in range(len(settings.decay_epochs) + 1)
    ]
    # Keras gives values[i] while step <= boundaries[i]; the optimizer's first
    # step of epoch e (0-based) is step e * steps_per_epoch.
    boundaries = [e * steps_per_epoch - 1 for e in settings.decay_epochs]
    return tf.keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)


def make_optimizer(
    settings: TrainingDefaults, steps_per_epoch: int
) -> tf.keras.optimizers.Optimizer:
    """Builds the optimizer of `settings` with its schedule and weight decay.

    Keras applies `weight_decay` decoupled from the gradient (scaled by the
    learning rate), the PyTorch reference couples it as an L2 term; for SGD the
    two agree up to the momentum, for Adam they differ slightly.

    Args:
        settings: The training settings.
        steps_per_epoch: Optimizer steps in one epoch (>= 1).

    Returns:
        A Keras SGD or Adam optimizer.

    Example:
        >>> from larq_ber.study.defaults import training_defaults
        >>> make_optimizer(training_defaults("nin"), 390).name
        'Adam'
    """
    schedule = learning_rate_schedule(settings, steps_per_epoch)
    if settings.optimizer == "sgd":
        return tf.keras.optimizers.SGD(
            schedule,
            momentum=settings.momentum or 0.0,
            weight_decay=settings.weight_decay,
        )
    return tf.keras.optimizers.Adam(schedule, weight_decay=settings.weight_decay)


def distribution_strategy(name: str) -> tf.distribute.Strategy:
    """The `tf.distribute` strategy of a run.

    Args:
        name: `"default"` (the current strategy: one device) or `"mirrored"`
            (`MirroredStrategy` over all local GPUs).

    Returns:
        The strategy.

    Raises:
        ValueError: If `name` is not one of `STRATEGIES`.

    Example:
        >>> distribution_strategy("default").num_replicas_in_sync
        1
    """
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"`strategy` must be one of {list(STRATEGIES)}, got {name!r}.")


def compiled_model(
    model: str,
    settings: TrainingDefaults,
    *,
    input_shape: tuple[int, ...],
    num_classes: int,
    steps_per_epoch: int,
    ber: Any = 0.0,
    strategy: str = "default",
) -> tf.keras.Model:
    """Builds one of the paper's models and compiles it for training.

    The model is built under the `strategy`, compiled with the optimizer of
    `settings`, sparse categorical cross-entropy and the metrics `accuracy` (and
    `top5` for more than 5 classes, `larq_ber.metrics.has_top5`), which `BerLogger`
    reads.

    Args:
        model: A name of `larq_ber.models.MODELS`.
        settings: Optimizer and schedule.
        input_shape: Shape of one input image.
        num_classes: Number of classes.
        steps_per_epoch: Optimizer steps in one epoch (>= 1), for the schedule.
        ber: The error model passed to the model function (a rate in [0, 1], per
            layer rates, …).
        strategy: A name of `STRATEGIES`.

    Returns:
        The compiled Keras model.

    Raises:
        ValueError: If `model` or `strategy` is unknown.

    Example:
        >>> from larq_ber.study.defaults import training_defaults
        >>> m = compiled_model("lenet4", training_defaults("lenet4"),
        ...                    input_shape=(28, 28, 1), num_classes=10,
        ...                    steps_per_epoch=10, ber=0.04)
        >>> m.optimizer.name, m.name
        ('SGD', 'lenet4')
    """
    if model not in MODELS:
        raise ValueError(f"`model` must be one of {list(MODELS)}, got {model!r}.")
    with distribution_strategy(strategy).scope():
        network = MODELS[model](
            input_shape=input_shape, num_classes=num_classes, ber=ber
        )
        # "accuracy" as a string, not a metric object: with an object, Keras 2.15
        # saves weight files that a model compiled with "accuracy" cannot load.
        metrics: list[Any] = ["accuracy"]
        if has_top5(num_classes):
            metrics.append(tf.keras.metrics.SparseTopKCategoricalAccuracy(5, "top5"))
        network.compile(
            optimizer=make_optimizer(settings, steps_per_epoch),
            loss="sparse_categorical_crossentropy",
            metrics=metrics,
        )
    return network


class StopWhenAsked(tf.keras.callbacks.Callback):
    """Raises a Ctrl-C or SIGTERM that came during `fit`, `evaluate` or `predict`.

    After every batch (with `steps_per_execution` $k$: every $k$ batches) it calls
    `larq_ber.study.stopping.raise_if_stopped`: a signal whose exception Python
    dropped (raised inside a finalizer while TensorFlow computed) still stops the
    command at the end of the batch it came in. It reads no logs, so it does not
    slow a step down.

    Example:
        >>> model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> _ = model.fit(tf.zeros((4, 2)), tf.zeros((4, 1)), verbose=0,
        ...               callbacks=[StopWhenAsked()])
    """

    def __init__(self) -> None:
        super().__init__()
        self._supports_tf_logs = True  # no conversion of the logs to numpy

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Raises a stop asked for by a signal, if any."""
        raise_if_stopped()

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        """Raises a stop asked for by a signal, if any."""
        raise_if_stopped()

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        """Raises a stop asked for by a signal, if any."""
        raise_if_stopped()
