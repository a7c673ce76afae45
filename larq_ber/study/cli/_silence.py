"""Hiding the libraries' warnings and log lines while a verb of `larq-ber` runs."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["CHATTY_LOGGERS", "quiet"]

#: Loggers of the libraries that `larq-ber` silences unless `--verbose`.
CHATTY_LOGGERS = ("tensorflow", "absl", "h5py", "larq_compute_engine")


@contextlib.contextmanager
def quiet(verbose: bool) -> Iterator[None]:
    """Hides the libraries' warnings and log lines while a command runs.

    `TF_CPP_MIN_LOG_LEVEL=3` (set before TensorFlow is imported; a value the
    user set is kept) hides the C++ messages: level 2 still lets the `Unable to
    register cuDNN factory` errors through. The `CHATTY_LOGGERS` and absl keep
    errors only, and Python warnings are ignored. The settings are restored
    afterwards.

    Args:
        verbose: Hide nothing.

    Yields:
        Nothing; the block runs with the messages hidden.

    Example:
        >>> with quiet(verbose=False):
        ...     logging.getLogger("tensorflow").level == logging.ERROR
        True
    """
    if verbose:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    # Typed (absl-py >= 2) or not (1.x): either way a module or None here.
    absl_logging: Any
    try:
        absl_logging = importlib.import_module("absl.logging")
    except ImportError:  # pragma: no cover - absl comes with TensorFlow
        absl_logging = None
    absl_level = absl_logging.get_verbosity() if absl_logging else None
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        if absl_logging:
            absl_logging.set_verbosity(absl_logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        if absl_logging:
            absl_logging.set_verbosity(absl_level)
