"""Inference time of an exported model on this machine: `latency_ms`."""

from __future__ import annotations

import os
import statistics
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from larq_ber.export.capture import captured_native_output

__all__ = ["INTERPRETERS", "latency_ms"]

#: Interpreters of `latency_ms`.
INTERPRETERS = ("lce", "tflite")


def _lce_call(
    flatbuffer: bytes, inputs: np.ndarray, threads: int
) -> Callable[[], None]:
    """One inference in Larq Compute Engine's interpreter."""
    import larq_compute_engine as lce

    runner = lce.testing.Interpreter(flatbuffer, num_threads=threads)

    def run() -> None:
        runner.predict(inputs)

    return run


def _tflite_call(
    flatbuffer: bytes, inputs: np.ndarray, threads: int
) -> Callable[[], None]:
    """One inference in TensorFlow Lite's interpreter (with XNNPACK)."""
    lite = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
    index = lite.get_input_details()[0]["index"]
    # A static input shape lets XNNPACK take the whole graph.
    lite.resize_tensor_input(index, inputs.shape, strict=False)
    lite.allocate_tensors()

    def run() -> None:
        lite.set_tensor(index, inputs)
        lite.invoke()

    return run


def latency_ms(
    model: bytes | str | os.PathLike[str],
    inputs: np.ndarray,
    *,
    interpreter: str = "lce",
    num_threads: int = 1,
    repeats: int = 50,
) -> float:
    """Median wall time (ms) of one inference of a `.tflite` model on this machine.

    One warm-up call, then `repeats` timed calls on the same `inputs`; the median
    resists the machine's other work better than the mean.

    Args:
        model: The flatbuffer, or the path of a `.tflite` file.
        inputs: One batch, shape `(n, *input_shape)` (usually `n = 1`).
        interpreter: `"lce"` (Larq Compute Engine's interpreter, needed for the
            binary ops) or `"tflite"` (TensorFlow Lite's, with XNNPACK, for float
            models).
        num_threads: Interpreter threads (>= 1).
        repeats: Timed calls (>= 1).

    Returns:
        The median time of one call, in milliseconds.

    Raises:
        ValueError: If `interpreter` is unknown or `num_threads`/`repeats` < 1.

    Example:
        >>> import larq_compute_engine as lce
        >>> from larq_ber.models import LeNet4
        >>> flatbuffer = lce.convert_keras_model(LeNet4())
        >>> x = np.zeros((1, 28, 28, 1), np.float32)
        >>> 0 < latency_ms(flatbuffer, x, repeats=3) < 1000
        True
    """
    if interpreter not in INTERPRETERS:
        raise ValueError(
            f"`interpreter` must be one of {list(INTERPRETERS)}, got {interpreter!r}."
        )
    for name, value in (("num_threads", num_threads), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}.")
    flatbuffer = model if isinstance(model, bytes) else Path(model).read_bytes()
    make = _lce_call if interpreter == "lce" else _tflite_call
    # The interpreters announce their delegates on stderr from C++: kept quiet.
    with captured_native_output():
        run = make(flatbuffer, np.asarray(inputs), num_threads)
        run()
    return 1000 * statistics.median(timeit.repeat(run, number=1, repeat=repeats))
