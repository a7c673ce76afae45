"""larq-ber: bit-error-resilient binarized neural networks for Larq and Keras.

Importing the package registers the `"ber_ste_sign"` quantizer alias with larq and
Keras, so `input_quantizer="ber_ste_sign"` works in any larq layer.
"""

import os as _os
import sys as _sys
from importlib import metadata as _metadata

if _os.path.basename(_sys.argv[0]).startswith("larq-ber"):
    # The command line hides TensorFlow's C++ start-up chatter (CUDA probing,
    # oneDNN notices) unless the user asked for a log level.
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from larq_ber import quantizers
from larq_ber.quantizers import BerSteSign, set_ber

try:
    __version__: str = _metadata.version("larq-ber")
except _metadata.PackageNotFoundError:  # pragma: no cover - source tree, not installed
    __version__ = "0+unknown"

__all__ = ["BerSteSign", "__version__", "quantizers", "set_ber"]
