"""Training settings as Keras objects: schedule, optimizer, strategy, model."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.models import binarized_layers
from larq_ber.quantizers import BerSteSign
from larq_ber.study.defaults import training_defaults
from larq_ber.study.training import (
    compiled_model,
    distribution_strategy,
    learning_rate_schedule,
    make_optimizer,
)

STEPS = 10  # optimizer steps per epoch


def _rate(schedule, step):
    return np.float32(schedule(step))


def test_schedule_changes_exactly_at_the_first_step_after_a_decay_epoch():
    lenet = training_defaults("lenet4")  # 0.1, decayed by 10 after epochs 15, 30, 45
    schedule = learning_rate_schedule(lenet, STEPS)
    # Epoch 15 (1-based) is steps 140..149, epoch 16 starts at step 150.
    assert _rate(schedule, 0) == _rate(schedule, 149) == np.float32(0.1)
    assert _rate(schedule, 150) == _rate(schedule, 299) == np.float32(0.1 * 0.1)
    assert _rate(schedule, 300) == _rate(schedule, 449) == np.float32(0.1 * 0.1**2)
    assert _rate(schedule, 450) == _rate(schedule, 599) == np.float32(0.1 * 0.1**3)
    assert _rate(schedule, 10**6) == np.float32(0.1 * 0.1**3)


def test_schedule_scales_with_steps_per_epoch():
    nin = training_defaults("nin")  # decays after epochs 40, 80, 120, 160
    schedule = learning_rate_schedule(nin, 390)
    assert _rate(schedule, 40 * 390 - 1) == np.float32(0.01)
    assert _rate(schedule, 40 * 390) == np.float32(0.01 * 0.1)
    assert schedule.get_config()["boundaries"] == [
        e * 390 - 1 for e in nin.decay_epochs
    ]


def test_schedule_without_decay_is_the_constant_rate():
    constant = dataclasses.replace(training_defaults("nin"), decay_epochs=())
    assert learning_rate_schedule(constant, STEPS) == 0.01


@pytest.mark.parametrize("steps", [0, -1])
def test_schedule_rejects_fewer_than_one_step_per_epoch(steps):
    with pytest.raises(ValueError, match=r"`steps_per_epoch` must be >= 1"):
        learning_rate_schedule(training_defaults("lenet4"), steps)


def test_sgd_optimizer_has_momentum_weight_decay_and_the_schedule():
    lenet = training_defaults("lenet4")
    optimizer = make_optimizer(lenet, STEPS)
    assert type(optimizer) is tf.keras.optimizers.SGD
    config = optimizer.get_config()
    assert config["momentum"] == pytest.approx(0.9)
    assert config["weight_decay"] == pytest.approx(1e-4)
    assert config["learning_rate"]["config"]["boundaries"] == [149, 299, 449]
    no_momentum = dataclasses.replace(lenet, momentum=None)
    assert make_optimizer(no_momentum, STEPS).get_config()["momentum"] == 0.0


@pytest.mark.parametrize("name", ["nin", "binary_alexnet"])
def test_adam_optimizer_has_weight_decay_and_the_schedule(name):
    settings = training_defaults(name)
    optimizer = make_optimizer(settings, STEPS)
    assert type(optimizer) is tf.keras.optimizers.Adam
    config = optimizer.get_config()
    assert config["weight_decay"] == pytest.approx(settings.weight_decay)
    schedule = config["learning_rate"]["config"]
    assert schedule["boundaries"] == [e * STEPS - 1 for e in settings.decay_epochs]
    assert schedule["values"][0] == settings.learning_rate


def test_distribution_strategies_by_name():
    default = distribution_strategy("default")
    assert default is tf.distribute.get_strategy()
    assert default.num_replicas_in_sync == 1
    mirrored = distribution_strategy("mirrored")
    assert isinstance(mirrored, tf.distribute.MirroredStrategy)
    assert mirrored.num_replicas_in_sync >= 1


@pytest.mark.parametrize("name", ["tpu", "Default", ""])
def test_unknown_strategy_raises_listing_the_names(name):
    with pytest.raises(
        ValueError, match=r"`strategy` must be one of \['default', 'mirrored'\]"
    ):
        distribution_strategy(name)


def _compiled_lenet4(**kwargs):
    options = {"input_shape": (28, 28, 1), "num_classes": 10, "steps_per_epoch": STEPS}
    return compiled_model(
        "lenet4", training_defaults("lenet4"), **{**options, **kwargs}
    )


def test_compiled_model_has_the_optimizer_and_the_loss():
    model = _compiled_lenet4()
    assert model.name == "lenet4" and model.input_shape == (None, 28, 28, 1)
    assert type(model.optimizer) is tf.keras.optimizers.SGD
    assert (
        model.optimizer.get_config()
        == make_optimizer(training_defaults("lenet4"), STEPS).get_config()
    )
    assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize(
    ("classes", "logged"),
    [
        (10, ["accuracy", "loss", "top5"]),
        (6, ["accuracy", "loss", "top5"]),
        (5, ["accuracy", "loss"]),
        (2, ["accuracy", "loss"]),
    ],
)
def test_compiled_model_logs_top5_only_for_more_than_5_classes(
    classes, logged, tiny_batch
):
    model = _compiled_lenet4(num_classes=classes)
    x, y = tiny_batch((28, 28, 1), n=8, classes=classes)
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(results) == logged


def test_compiled_model_passes_the_ber_to_every_quantizer(binarized):
    model = _compiled_lenet4(ber=0.04)
    quantizers = binarized_layers(model)
    assert [name for name, _ in quantizers] == binarized["lenet4"]
    assert all(isinstance(q, BerSteSign) and q.ber == 0.04 for _, q in quantizers)
    per_layer = _compiled_lenet4(ber=[0.01, 0.02])
    assert [q.ber for _, q in binarized_layers(per_layer)] == [0.01, 0.02]


def test_compiled_model_rejects_unknown_names():
    with pytest.raises(
        ValueError,
        match=r"`model` must be one of \['lenet4', 'nin', 'binary_alexnet'\]",
    ):
        compiled_model(
            "resnet",
            training_defaults("lenet4"),
            input_shape=(28, 28, 1),
            num_classes=10,
            steps_per_epoch=STEPS,
        )
    with pytest.raises(ValueError, match=r"`strategy` must be one of"):
        _compiled_lenet4(strategy="tpu")
