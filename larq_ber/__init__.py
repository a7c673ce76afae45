"""larq-ber: bit-error-resilient binarized neural networks for Larq and Keras.

Two layers: this package is the Keras/Larq plugin (quantizers, layers, models,
callbacks, errors, export, the MTJ physics, tables and statistics), and
`larq_ber.study` is the paper's experiment app built on it (recipes, sweeps, figures,
the `larq-ber` command line); the plugin never imports the app.

The package loads lazily (PEP 562): `import larq_ber` alone imports neither
TensorFlow nor larq, so the TF-free modules (`larq_ber.rates`, `tables`, `stats`,
`storage`, `mtj`, and the app's `results`, `recipes`, `plots`) start fast. The
`"ber_ste_sign"` quantizer alias is registered with larq and Keras when
`larq_ber.quantizers` is imported: at once by `import larq_ber` if larq or
TensorFlow is already imported (as after `import larq as lq`), and otherwise by the
first use of `larq_ber.BerSteSign`, `larq_ber.set_ber` or any module of the package
that uses TensorFlow.

On TensorFlow >= 2.16 (Python 3.12), `import larq_ber` sets `TF_USE_LEGACY_KERAS=1`
(unless set) so that `tf.keras` is Keras 2 from the tf-keras package, as larq needs;
see `larq_ber._keras2`. Import larq_ber before anything uses `tf.keras`.
"""

import importlib as _importlib
import sys as _sys
from importlib import metadata as _metadata
from typing import Any as _Any

from larq_ber import _keras2

# Before any module of the package imports TensorFlow: Keras 2 as tf.keras.
_keras2.configure()

try:
    __version__: str = _metadata.version("larq-ber")
except _metadata.PackageNotFoundError:  # pragma: no cover - source tree, not installed
    __version__ = "0+unknown"

__all__ = ["BerSteSign", "__version__", "quantizers", "set_ber"]

_FROM_QUANTIZERS = {"BerSteSign", "set_ber"}


def __getattr__(name: str) -> _Any:
    if name in _FROM_QUANTIZERS:
        return getattr(_importlib.import_module("larq_ber.quantizers"), name)
    if name == "quantizers":
        return _importlib.import_module("larq_ber.quantizers")
    raise AttributeError(f"module 'larq_ber' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if "larq" in _sys.modules or "tensorflow" in _sys.modules:
    # TensorFlow is loaded anyway: register the "ber_ste_sign" alias now.
    _importlib.import_module("larq_ber.quantizers")
