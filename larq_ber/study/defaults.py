"""Reference training settings of the paper's three models, as plain data.

`training_defaults(name)` gives the optimizer, schedule, epochs and batch size each
model was trained with in the paper's reference code (arXiv:1905.10927); recipes
fill what they leave out from here. `OPTIMIZERS` and `STRATEGIES` name the
optimizers and `tf.distribute` strategies a run can use. Nothing here imports
TensorFlow: `larq_ber.study.training` turns the settings into Keras objects
(`make_optimizer(settings, steps_per_epoch)`).
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "MODEL_NAMES",
    "OPTIMIZERS",
    "STRATEGIES",
    "TrainingDefaults",
    "training_defaults",
]

#: The optimizers of `TrainingDefaults.optimizer`.
OPTIMIZERS = ("sgd", "adam")
#: The `tf.distribute` strategies a run can use
#: (`larq_ber.study.training.distribution_strategy`).
STRATEGIES = ("default", "mirrored")


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
