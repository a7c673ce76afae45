"""The paper's reference training settings, as plain data."""

import dataclasses

import pytest

from larq_ber.study.defaults import (
    MODEL_NAMES,
    OPTIMIZERS,
    STRATEGIES,
    TrainingDefaults,
    training_defaults,
)


def test_names():
    assert MODEL_NAMES == ("lenet4", "nin", "binary_alexnet")
    assert OPTIMIZERS == ("sgd", "adam")
    assert STRATEGIES == ("default", "mirrored")


def test_defaults_import_neither_tensorflow_nor_training():
    import ast
    import inspect

    from larq_ber.study import defaults

    tree = ast.parse(inspect.getsource(defaults))
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "dataclasses"}


def test_lenet4_trains_with_sgd_and_a_step_schedule():
    lenet = training_defaults("lenet4")
    assert (lenet.optimizer, lenet.learning_rate, lenet.momentum) == ("sgd", 0.1, 0.9)
    assert (lenet.weight_decay, lenet.epochs, lenet.batch_size) == (1e-4, 60, 128)
    assert (lenet.decay_epochs, lenet.decay_factor) == ((15, 30, 45), 0.1)
    assert "arXiv:1905.10927" in lenet.source


def test_nin_trains_with_adam():
    nin = training_defaults("nin")
    assert (nin.optimizer, nin.learning_rate, nin.weight_decay) == ("adam", 0.01, 1e-5)
    assert nin.momentum is None
    assert nin.decay_epochs == (40, 80, 120, 160) and nin.epochs == 200
    assert nin.batch_size == 128 and "arXiv:1905.10927" in nin.source


def test_alexnet_settings_say_they_are_not_from_the_paper():
    alexnet = training_defaults("binary_alexnet")
    assert (alexnet.optimizer, alexnet.learning_rate) == ("adam", 1e-3)
    assert (alexnet.decay_epochs, alexnet.epochs, alexnet.batch_size) == (
        (25, 50),
        60,
        256,
    )
    assert alexnet.source.startswith("not given in the paper")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_settings_are_frozen_and_consistent(name):
    settings = training_defaults(name)
    assert isinstance(settings, TrainingDefaults)
    assert settings.optimizer in OPTIMIZERS
    assert (settings.momentum is None) == (settings.optimizer == "adam")
    assert list(settings.decay_epochs) == sorted(settings.decay_epochs)
    assert all(0 < e < settings.epochs for e in settings.decay_epochs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.epochs = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", ["resnet", "LeNet4", "", None, ["lenet4"]])
def test_unknown_model_raises_listing_the_names(name):
    with pytest.raises(
        ValueError,
        match=r"`name` must be one of \['lenet4', 'nin', 'binary_alexnet'\]",
    ):
        training_defaults(name)
