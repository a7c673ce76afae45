"""Does the converted model compute what Keras computes? LCE's interpreter vs Keras.

`parity` runs the flatbuffer in Larq Compute Engine's interpreter and Keras's
`model.predict` (`training=False`, so without bit errors) on the same inputs and
measures how far they agree; `check_parity` raises `ExportError` when they agree on
too few inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.export.report import ExportError

__all__ = ["check_parity", "default_samples", "interpreter_outputs", "parity"]

#: The agreements `check_parity` holds to `min_agreement`.
_AGREEMENTS = ("within_tolerance", "top1_agreement")


def default_samples(shape: tuple[int, ...], n: int = 64) -> np.ndarray:
    """`n` standard-normal float32 inputs of one sample `shape`, seeded (seed 0).

    Args:
        shape: The input shape without the batch axis.
        n: Number of inputs.

    Returns:
        An array of shape `(n, *shape)`.
    """
    return np.random.default_rng(0).standard_normal((n, *shape), np.float32)


def interpreter_outputs(flatbuffer: bytes, inputs: np.ndarray) -> np.ndarray:
    """The outputs of LCE's interpreter (one thread), dequantized if int8.

    Args:
        flatbuffer: A Larq Compute Engine flatbuffer.
        inputs: Float inputs, quantized here if the model takes int8.

    Returns:
        The float outputs.
    """
    import larq_compute_engine as lce

    interpreter = lce.testing.Interpreter(flatbuffer, num_threads=1)
    x = inputs
    if interpreter.input_types[0] == np.int8:
        scale, zero = interpreter.input_scales[0], interpreter.input_zero_points[0]
        x = np.clip(np.round(inputs / scale + zero), -128, 127).astype(np.int8)
    y = np.asarray(interpreter.predict(x))
    if interpreter.output_types[0] == np.int8:
        scale, zero = interpreter.output_scales[0], interpreter.output_zero_points[0]
        y = (y.astype(np.float32) - zero) * scale
    return y


def parity(
    model: tf.keras.Model, flatbuffer: bytes, x: np.ndarray, atol: float
) -> dict[str, Any]:
    """Compares LCE's interpreter with Keras's `model.predict` on the inputs `x`.

    Args:
        model: The Keras model that was converted.
        flatbuffer: Its Larq Compute Engine flatbuffer.
        x: The inputs, shape `(n, *model.input_shape[1:])`.
        atol: Absolute tolerance on the outputs.

    Returns:
        The parity fields of `ExportReport`: `verified` (True), `samples`,
        `max_abs_diff`, `within_tolerance` (fraction of inputs whose outputs all
        agree within `atol`) and `top1_agreement` (fraction with the same
        arg-max).
    """
    expected = np.asarray(model.predict(x, verbose=0, batch_size=32))
    got = interpreter_outputs(flatbuffer, x).reshape(expected.shape)
    n = len(x)
    diff = np.abs(got - expected).reshape(n, -1)
    same_top1 = got.reshape(n, -1).argmax(-1) == expected.reshape(n, -1).argmax(-1)
    return {
        "verified": True,
        "samples": n,
        "max_abs_diff": float(diff.max()),
        "within_tolerance": float(np.mean(diff.max(axis=1) <= atol)),
        "top1_agreement": float(np.mean(same_top1)),
    }


def check_parity(result: dict[str, Any], min_agreement: float, atol: float) -> None:
    """Raises unless both agreements of a `parity` result reach `min_agreement`.

    Args:
        result: What `parity` returned.
        min_agreement: The fraction of inputs that must agree, in (0, 1].
        atol: The tolerance `parity` used (for the message).

    Raises:
        ExportError: If `within_tolerance` or `top1_agreement` is below
            `min_agreement`; the message gives both and says nothing was written.
    """
    failing = [
        f"{key} {100 * result[key]:.1f} %"
        for key in _AGREEMENTS
        if result[key] < min_agreement
    ]
    if failing:
        raise ExportError(
            f"LCE's interpreter disagrees with Keras: {', '.join(failing)} of "
            f"{result['samples']} inputs (need {100 * min_agreement:.0f} %; atol "
            f"{atol:g}, max |diff| {result['max_abs_diff']:.3g}). Nothing was written."
        )
