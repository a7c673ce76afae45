"""Keras 2 as `tf.keras` on TensorFlow >= 2.16, without the user setting anything.

larq 0.14 and larq-compute-engine 0.16 are built on Keras 2. TensorFlow 2.15 is the
last release whose `tf.keras` is Keras 2; from 2.16 on, `tf.keras` is Keras 3 unless
the `tf-keras` package is installed and `TF_USE_LEGACY_KERAS` is set. TensorFlow
reads that variable twice: when `tensorflow` is imported (for the search path of
`from tensorflow.keras... import ...`) and when `tf.keras` is first used (for the
attribute). `import larq_ber` calls `configure()` before any of its modules imports
TensorFlow; it imports neither TensorFlow nor Keras itself:

- TensorFlow < 2.16 (or none) installed: nothing to do;
- TensorFlow >= 2.16 not imported yet: set `TF_USE_LEGACY_KERAS=1` unless the user
  set it;
- TensorFlow >= 2.16 imported already (`import tensorflow as tf` before
  `import larq_ber`) with `tf.keras` still unused: set the variable and put
  tf-keras first on TensorFlow's search path, as TensorFlow does itself when the
  variable is set before it is imported;
- `tf.keras` already bound to Keras 3, or tf-keras not installed: `ImportError`
  saying what to do.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import warnings
from importlib import metadata
from types import ModuleType

__all__ = ["configure", "tensorflow_version"]

_VARIABLE = "TF_USE_LEGACY_KERAS"
# What TensorFlow accepts as "on" (tensorflow/python/util/lazy_loader.py).
_ON = ("true", "True", "1")
# Distributions that install the `tensorflow` module.
_DISTRIBUTIONS = (
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-macos",
    "tensorflow-intel",
    "tf-nightly",
)


def _parse(version: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def tensorflow_version() -> tuple[int, int] | None:
    """(major, minor) of the TensorFlow in this process or installed; no import.

    Returns:
        The version of the imported `tensorflow` module if there is one, else of
        the first installed TensorFlow distribution, else `None`.
    """
    module = sys.modules.get("tensorflow")
    if module is not None:
        version = vars(module).get("__version__")
        if isinstance(version, str):
            return _parse(version)
    for dist in _DISTRIBUTIONS:
        try:
            return _parse(metadata.version(dist))
        except metadata.PackageNotFoundError:
            continue
    return None


def _bound_keras(tensorflow: ModuleType) -> str | None:
    """What `tensorflow.keras` is bound to: "tf_keras", "keras3" or `None` (unused).

    Reads the module's and the lazy loader's `__dict__` only: attribute access
    would make TensorFlow's loader choose a Keras.
    """
    candidates = [vars(tensorflow).get("keras"), sys.modules.get("tensorflow.keras")]
    found = None
    for candidate in candidates:
        if candidate is None:
            continue
        state = vars(candidate)
        if state.get("_tfll_initialized") is False:
            continue  # TensorFlow's lazy loader, not resolved yet
        chosen = state.get("_tfll_keras_version")
        if chosen is None:  # a module: the loader replaced itself, or an import
            # tf_keras.api._v2.keras, or tensorflow.keras from .../tf_keras/api/...;
            # Keras 3 is keras._tf_keras.keras from .../keras/_tf_keras/keras.
            name = str(state.get("__name__") or "")
            folders = os.path.normpath(str(state.get("__file__") or "")).split(os.sep)
            tf_keras = name.split(".")[0] == "tf_keras" or "tf_keras" in folders
            chosen = "tf_keras" if tf_keras else "keras3"
        if chosen != "tf_keras":
            return "keras3"
        found = "tf_keras"
    return found


def _restart_advice(version: str) -> str:
    return (
        f"larq-ber needs Keras 2 as tf.keras (larq is built on it), but TensorFlow "
        f"{version} in this process already uses Keras 3 for tf.keras. Restart Python "
        "(in Colab or Jupyter: restart the runtime or kernel), then `import larq_ber` "
        "before anything uses tf.keras, or set TF_USE_LEGACY_KERAS=1 in the "
        "environment before TensorFlow is imported "
        "(`import os; os.environ['TF_USE_LEGACY_KERAS'] = '1'`)."
    )


def configure() -> None:
    """Makes `tf.keras` Keras 2 (tf-keras) on TensorFlow >= 2.16; see the module.

    Raises:
        ImportError: TensorFlow >= 2.16 without tf-keras installed, or TensorFlow
            already imported with `tf.keras` on Keras 3.
    """
    version = tensorflow_version()
    if version is None or version < (2, 16):
        return
    text = f"{version[0]}.{version[1]}"
    if importlib.util.find_spec("tf_keras") is None:
        raise ImportError(
            f"larq-ber needs Keras 2 as tf.keras, which TensorFlow {text} provides "
            f"through the tf-keras package: pip install 'tf-keras~={text}.0' (or "
            "reinstall larq-ber, which requires it on Python 3.12)"
        )
    if os.environ.setdefault(_VARIABLE, "1") not in _ON:
        # The user switched it off: respect that, and say what will fail.
        message = (
            f"{_VARIABLE}={os.environ[_VARIABLE]!r} makes tf.keras Keras 3 on "
            f"TensorFlow {text}; larq-ber's TensorFlow modules need Keras 2 "
            f"(unset it or set {_VARIABLE}=1)"
        )
        if "tensorflow" in sys.modules:
            raise ImportError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is None or vars(tensorflow).get("_tf_uses_legacy_keras") is True:
        return  # TensorFlow will read the variable, or already did
    if _bound_keras(tensorflow) == "keras3":
        raise ImportError(_restart_advice(text))
    # Imported before the variable was set: route `from tensorflow.keras... import`
    # to tf-keras as TensorFlow's __init__ does when the variable is set (the
    # `tf.keras` attribute reads the variable itself, on first use).
    spec = importlib.util.find_spec("tf_keras")
    if spec is None or spec.origin is None:  # pragma: no cover - checked above
        return
    api = os.path.join(os.path.dirname(spec.origin), "api", "_v2")
    path = getattr(tensorflow, "__path__", None)
    if isinstance(path, list) and api not in path:
        tensorflow.__path__ = [api, *path]
