"""larq_ber._keras2: Keras 2 as tf.keras on TensorFlow >= 2.16, with fake modules.

The suite runs on TensorFlow 2.15 (nothing to do there); the paths for 2.16+ are
exercised with stand-in `tensorflow` modules and a stand-in tf-keras spec, and for
real by `.ci/compat_py312` on Python 3.12.
"""

import importlib.util
import os
import sys
import types
import warnings

import pytest

from larq_ber import _keras2

VARIABLE = "TF_USE_LEGACY_KERAS"


@pytest.fixture
def tf_keras_installed(monkeypatch):
    """`find_spec("tf_keras")` finds a stand-in package at /site/tf_keras."""
    real = importlib.util.find_spec
    spec = types.SimpleNamespace(
        origin=os.path.join("/site", "tf_keras", "__init__.py")
    )
    monkeypatch.setattr(
        _keras2.importlib.util,
        "find_spec",
        lambda name, *a: spec if name == "tf_keras" else real(name, *a),
    )
    # setenv first: monkeypatch then removes what `configure` sets, after the test
    monkeypatch.setenv(VARIABLE, "")
    monkeypatch.delenv(VARIABLE)
    return spec


def _fake_tensorflow(monkeypatch, keras=None):
    module = types.ModuleType("tensorflow")
    module.__version__ = "2.21.0"
    module.__path__ = [os.path.join("/site", "tensorflow")]
    if keras is not None:
        module.keras = keras
    monkeypatch.setitem(sys.modules, "tensorflow", module)
    monkeypatch.delitem(sys.modules, "tensorflow.keras", raising=False)
    return module


def test_nothing_to_do_on_tensorflow_2_15(monkeypatch):
    monkeypatch.setenv(VARIABLE, "")
    monkeypatch.delenv(VARIABLE)
    monkeypatch.setattr(_keras2, "tensorflow_version", lambda: (2, 15))
    _keras2.configure()
    assert VARIABLE not in os.environ


def test_sets_the_variable_before_tensorflow_is_imported(
    monkeypatch, tf_keras_installed
):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(_keras2, "tensorflow_version", lambda: (2, 21))
    _keras2.configure()
    assert os.environ[VARIABLE] == "1"


def test_missing_tf_keras_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_keras2, "tensorflow_version", lambda: (2, 21))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        _keras2.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tf_keras" else real(name, *a),
    )
    with pytest.raises(ImportError, match=r"pip install 'tf-keras~=2\.21\.0'"):
        _keras2.configure()


def test_a_user_who_switched_it_off_is_warned_or_stopped(
    monkeypatch, tf_keras_installed
):
    monkeypatch.setenv(VARIABLE, "0")
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(_keras2, "tensorflow_version", lambda: (2, 21))
    with pytest.warns(RuntimeWarning, match="makes tf.keras Keras 3"):
        _keras2.configure()
    _fake_tensorflow(monkeypatch)
    with pytest.raises(ImportError, match="unset it or set TF_USE_LEGACY_KERAS=1"):
        _keras2.configure()
    assert os.environ[VARIABLE] == "0"  # the user's choice is kept


def test_keras_3_already_bound_asks_for_a_restart(monkeypatch, tf_keras_installed):
    _fake_tensorflow(monkeypatch, keras=types.ModuleType("keras._tf_keras.keras"))
    with pytest.raises(ImportError, match="Restart Python"):
        _keras2.configure()


def test_tensorflow_imported_first_is_routed_to_tf_keras(
    monkeypatch, tf_keras_installed
):
    loader = types.ModuleType("keras")
    loader._tfll_initialized = False  # TensorFlow's lazy loader, not resolved yet
    tensorflow = _fake_tensorflow(monkeypatch, keras=loader)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _keras2.configure()
    api = os.path.join("/site", "tf_keras", "api", "_v2")
    assert tensorflow.__path__ == [api, os.path.join("/site", "tensorflow")]
    assert os.environ[VARIABLE] == "1"
    _keras2.configure()  # a second import changes nothing
    assert tensorflow.__path__.count(api) == 1
