"""Reference training settings of the paper's three models, as plain data.

`training_defaults(name)` gives the optimizer, schedule, epochs and batch size each
model was trained with in the paper's reference code (arXiv:1905.10927); recipes
fill what they leave out from here. Nothing in this module imports TensorFlow;
`TrainingDefaults.make_optimizer` builds the Keras optimizer through
`larq_ber.training` when it is called.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["MODEL_NAMES", "TrainingDefaults", "training_defaults"]


@dataclasses.dataclass(frozen=True)
class TrainingDefaults:
    r"""Reference training settings of a model.

    Attributes:
        optimizer: `"sgd"` or `"adam"`.
        learning_rate: Initial learning rate.
        momentum: SGD momentum (`None` for Adam).
        weight_decay: Weight decay coefficient.
        decay_epochs: Epochs after which the learning rate is multiplied by
            `decay_factor`.
        decay_factor: Learning-rate factor at each of `decay_epochs`.
        epochs: Number of training epochs.
        batch_size: Training batch size.
        source: Where the values come from.
    """

    optimizer: str
    learning_rate: float
    momentum: float | None
    weight_decay: float
    decay_epochs: tuple[int, ...]
    decay_factor: float
    epochs: int
    batch_size: int
    source: str

    def learning_rate_schedule(self, steps_per_epoch: int) -> Any:
        """The step-wise learning-rate schedule, in optimizer steps.

        See `larq_ber.training.learning_rate_schedule`.

        Args:
            steps_per_epoch: Optimizer steps in one epoch (>= 1).

        Returns:
            A Keras `PiecewiseConstantDecay` schedule, or the constant
            `learning_rate` when `decay_epochs` is empty.

        Example:
            >>> schedule = training_defaults("lenet4").learning_rate_schedule(10)
            >>> round(float(schedule(150)), 6)  # epoch 16 starts at step 150
            0.01
        """
        from larq_ber.training import learning_rate_schedule

        return learning_rate_schedule(self, steps_per_epoch)

    def make_optimizer(self, steps_per_epoch: int) -> Any:
        """Builds the Keras optimizer with its schedule and weight decay.

        See `larq_ber.training.make_optimizer`.

        Args:
            steps_per_epoch: Optimizer steps in one epoch (>= 1).

        Returns:
            A Keras optimizer.

        Example:
            >>> training_defaults("nin").make_optimizer(390).name
            'Adam'
        """
        from larq_ber.training import make_optimizer

        return make_optimizer(self, steps_per_epoch)


_PAPER = "the paper's reference code (arXiv:1905.10927)"

_TRAINING_DEFAULTS = {
    "lenet4": TrainingDefaults(
        optimizer="sgd",
        learning_rate=0.1,
        momentum=0.9,
        weight_decay=1e-4,
        decay_epochs=(15, 30, 45),
        decay_factor=0.1,
        epochs=60,
        batch_size=128,
        source=f"LeNet-4 training of {_PAPER}",
    ),
    "nin": TrainingDefaults(
        optimizer="adam",
        learning_rate=0.01,
        momentum=None,
        weight_decay=1e-5,
        decay_epochs=(40, 80, 120, 160),
        decay_factor=0.1,
        epochs=200,
        batch_size=128,
        source=f"Network-in-Network training of {_PAPER}",
    ),
    "binary_alexnet": TrainingDefaults(
        optimizer="adam",
        learning_rate=1e-3,
        momentum=None,
        weight_decay=5e-6,
        decay_epochs=(25, 50),
        decay_factor=0.1,
        epochs=60,
        batch_size=256,
        source=(
            "not given in the paper: this library's choice, Adam with a step "
            "schedule as in XNOR-Net's reference ImageNet training"
        ),
    ),
}

#: The model names of `larq_ber.models.MODELS`, recipes and `training_defaults`.
MODEL_NAMES = tuple(_TRAINING_DEFAULTS)


def training_defaults(name: str) -> TrainingDefaults:
    """Returns the reference training settings of a model.

    Args:
        name: `"lenet4"`, `"nin"` or `"binary_alexnet"`.

    Returns:
        The model's `TrainingDefaults`.

    Raises:
        ValueError: If `name` is not one of the three.

    Example:
        >>> training_defaults("lenet4").batch_size
        128
    """
    try:
        return _TRAINING_DEFAULTS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"`name` must be one of {list(MODEL_NAMES)}, got {name!r}."
        ) from None
