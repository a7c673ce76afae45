"""larq-ber: bit-error-resilient binarized neural networks for Larq and Keras.

Importing the package registers the `"ber_ste_sign"` quantizer alias with larq and
Keras, so `input_quantizer="ber_ste_sign"` works in any larq layer. The
registration needs TensorFlow; so that `larq_ber.mtj` (numpy/scipy only) can be
used without it, it happens at once when larq or TensorFlow is already imported,
and otherwise right after `import larq` runs.
"""

import importlib as _importlib
import importlib.abc as _abc
import importlib.util as _util
import os as _os
import sys as _sys
from importlib import metadata as _metadata
from typing import Any as _Any

if _os.path.basename(_sys.argv[0]).startswith("larq-ber"):
    # The command line hides TensorFlow's C++ start-up chatter (CUDA probing,
    # oneDNN notices) unless the user asked for a log level.
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

try:
    __version__: str = _metadata.version("larq-ber")
except _metadata.PackageNotFoundError:  # pragma: no cover - source tree, not installed
    __version__ = "0+unknown"

__all__ = ["BerSteSign", "__version__", "quantizers", "set_ber"]

_LAZY = {"BerSteSign", "set_ber", "quantizers"}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        module = _importlib.import_module("larq_ber.quantizers")
        return module if name == "quantizers" else getattr(module, name)
    raise AttributeError(f"module 'larq_ber' has no attribute {name!r}")


class _RegisterAfterLarq(_abc.MetaPathFinder):
    """Imports `larq_ber.quantizers` as soon as `larq` has been imported."""

    def find_spec(self, fullname: str, path: _Any, target: _Any = None) -> _Any:
        if fullname != "larq":
            return None
        _sys.meta_path.remove(self)
        spec = _util.find_spec("larq")
        if spec is None or spec.loader is None:  # pragma: no cover - larq missing
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: _Any) -> None:
            execute(module)
            _importlib.import_module("larq_ber.quantizers")

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "larq" in _sys.modules or "tensorflow" in _sys.modules:
    from larq_ber import quantizers
elif not any(isinstance(f, _RegisterAfterLarq) for f in _sys.meta_path):
    _sys.meta_path.insert(0, _RegisterAfterLarq())
