"""Conversion to Larq Compute Engine / TFLite, checked before anything is written.

`to_tflite` takes five steps: check the arguments and that the model can ship
(no error model of `larq_ber.errors` active, at least one binarized layer), convert
`larq_ber.layers.export_copy(model)` with LCE, refuse random operators, compare
LCE's interpreter with Keras (`larq_ber.export.parity`), then write the file and
report. `to_float_tflite` converts the same copy with the plain TFLite converter,
the float32 model an edge device would run without LCE.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from larq_ber.errors.binary import is_binarized
from larq_ber.errors.registry import active_errors
from larq_ber.export.capture import captured_native_output, summarise_converter
from larq_ber.export.flatbuffer import op_census
from larq_ber.export.parity import check_parity, default_samples, parity
from larq_ber.export.report import ExportError, ExportReport, layer_reports
from larq_ber.layers import export_copy

__all__ = ["RANDOM_OPS", "TARGETS", "to_float_tflite", "to_tflite"]

#: Targets of `larq_compute_engine.convert_keras_model`.
TARGETS = ("arm", "xcore")

#: TFLite and TF ops that draw random numbers; none may survive in an export.
RANDOM_OPS = frozenset(
    {
        "RANDOM_UNIFORM",
        "RANDOM_STANDARD_NORMAL",
        "MULTINOMIAL",
        "FlexRandomUniform",
        "FlexRandomUniformInt",
        "FlexStatelessRandomUniformV2",
        "FlexStatelessRandomUniformFullIntV2",
        "FlexRandomStandardNormal",
    }
)


def _check_path(path: str | os.PathLike[str]) -> Path:
    """`path` as a `Path`, or FileNotFoundError if its folder does not exist."""
    path = Path(path)
    if not path.resolve().parent.is_dir():
        raise FileNotFoundError(
            f"`path` {str(path)!r}: the folder {str(path.resolve().parent)!r} does not "
            "exist."
        )
    return path


def _check_options(
    target: str, inference_input_type: tf.DType, atol: float, min_agreement: float
) -> None:
    """Raises ValueError for an option of `to_tflite` out of its range."""
    if target not in TARGETS:
        raise ValueError(f"`target` must be one of {list(TARGETS)}, got {target!r}.")
    if inference_input_type not in (tf.float32, tf.int8):
        raise ValueError(
            "`inference_input_type` must be tf.float32 or tf.int8, got "
            f"{inference_input_type!r}."
        )
    if not atol > 0:
        raise ValueError(f"`atol` must be > 0, got {atol!r}.")
    if not 0 < min_agreement <= 1:
        raise ValueError(f"`min_agreement` must be in (0, 1], got {min_agreement!r}.")


def _check_exportable(model: tf.keras.Model) -> None:
    """Raises unless `model` is error-free and has a binarized layer."""
    active = active_errors(model)
    if active:
        raise ExportError(
            f"{', '.join(active)} active on the model: leave the `with` block (or "
            "call `remove()` on the stuck-at faults) before exporting; deployment "
            "errors are for evaluation, not part of the model."
        )
    if not any(is_binarized(layer) for layer in model.layers):
        raise ValueError(
            f"`model` {model.name!r} has no binarized layer (a larq layer with 1-bit "
            "input_quantizer and kernel_quantizer): LCE would produce no binary op. "
            "Use to_float_tflite for a float model."
        )


def _check_samples(model: tf.keras.Model, samples: Any) -> np.ndarray | None:
    """`samples` as float32 of shape `(n, *model.input_shape[1:])`, or `None`."""
    if samples is None:
        return None
    shape = tuple(model.input_shape[1:])
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != len(shape) + 1 or samples.shape[1:] != shape:
        raise ValueError(
            f"`verify_samples` must have shape (n, {', '.join(map(str, shape))}), "
            f"got {samples.shape}."
        )
    return samples


def _lce_flatbuffer(
    exported: tf.keras.Model, target: str, inference_input_type: tf.DType
) -> tuple[bytes, str]:
    """LCE's flatbuffer of `exported` and one line of what the converter said."""
    import larq_compute_engine as lce

    with captured_native_output() as converter_output:
        flatbuffer = bytes(
            lce.convert_keras_model(
                exported, target=target, inference_input_type=inference_input_type
            )
        )
    return flatbuffer, summarise_converter("".join(converter_output))


def _float_flatbuffer(model: tf.keras.Model) -> bytes:
    """The plain TFLite converter's float32 flatbuffer of `model`, quietly."""
    with captured_native_output():
        return bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


def _check_deterministic(census: dict[str, int]) -> None:
    """Raises ExportError if an operator that draws random numbers survived."""
    random_ops = sorted(RANDOM_OPS & set(census))
    if random_ops:
        raise ExportError(
            f"random operators survived the conversion: {random_ops}; the exported "
            "model would not be deterministic. Nothing was written."
        )


def to_tflite(
    model: tf.keras.Model,
    path: str | os.PathLike[str],
    *,
    target: str = "arm",
    inference_input_type: tf.DType = tf.float32,
    verify: bool = True,
    verify_samples: np.ndarray | None = None,
    atol: float = 1e-4,
    min_agreement: float = 0.97,
    float_reference: bool = True,
) -> ExportReport:
    r"""Converts a Larq model for Larq Compute Engine, checks it, then writes it.

    Nothing is written unless the checks pass: no operator that draws random
    numbers may survive (`RANDOM_OPS`), and with `verify` LCE's interpreter must
    agree with Keras's `model.predict` (which runs `training=False`, so without bit
    errors): on at least `min_agreement` of the inputs every output within
    `atol`, and the same top-1 class on at least `min_agreement` of them. A sign
    taken of a value within float rounding of 0 can legitimately differ between
    the two, which is why a small fraction of inputs may disagree.

    Args:
        model: A Keras model with binarized layers (e.g. `larq_ber.models.LeNet4`).
        path: The `.tflite` file to write (its folder must exist).
        target: `"arm"` or `"xcore"` (LCE's targets).
        inference_input_type: `tf.float32` or `tf.int8` (LCE's converter option).
        verify: Whether to compare the interpreter with Keras before writing.
        verify_samples: Inputs to compare on, shape `(n, *model.input_shape[1:])`;
            `None`: 64 standard-normal inputs (seeded).
        atol: Absolute tolerance on the outputs (> 0).
        min_agreement: Fraction of inputs that must agree, in (0, 1].
        float_reference: Whether to convert the model with the plain TFLite
            converter too, for `float_size_bytes`; that second conversion takes
            about as long as the first (29 s of 74 s for BinaryAlexNet at
            224 × 224 on 2 CPU cores), so `False` skips it when only the LCE file
            matters.

    Returns:
        The `ExportReport`.

    Raises:
        ValueError: If `target` or `inference_input_type` is unknown, the model
            has no binarized layer, or `verify_samples` has the wrong shape.
        FileNotFoundError: If the folder of `path` does not exist.
        ExportError: If a random operator survived, the interpreter disagrees
            with Keras beyond the tolerance, or an error model of
            `larq_ber.errors` is active on the model (the message says which; no
            file is written).

    Example:
        >>> import tempfile
        >>> from larq_ber.models import LeNet4
        >>> folder = tempfile.mkdtemp()
        >>> report = to_tflite(LeNet4(ber=0.04), f"{folder}/lenet4.tflite",
        ...                    float_reference=False)
        >>> report.census["LceBconv2d"], report.top1_agreement
        (2, 1.0)
    """
    _check_options(target, inference_input_type, atol, min_agreement)
    path = _check_path(path)
    _check_exportable(model)
    samples = _check_samples(model, verify_samples)
    # LCE converts a copy: dense layers trained as matmuls become the 1×1
    # convolutions it binarizes, and binary kernels constants ±α.
    exported = export_copy(model)
    flatbuffer, summary = _lce_flatbuffer(exported, target, inference_input_type)
    census = op_census(flatbuffer)
    _check_deterministic(census)
    checked: dict[str, Any] = {"verified": False}
    if verify:
        if samples is None:
            samples = default_samples(tuple(model.input_shape[1:]))
        checked = parity(model, flatbuffer, samples, atol)
        check_parity(checked, min_agreement, atol)
    path.write_bytes(flatbuffer)
    float_size = len(_float_flatbuffer(exported)) if float_reference else None
    return ExportReport(
        path=str(path),
        target=target,
        size_bytes=len(flatbuffer),
        float_size_bytes=float_size,
        census=census,
        layers=tuple(layer_reports(model, flatbuffer)),
        atol=atol,
        min_agreement=min_agreement,
        converter_summary=summary,
        **checked,
    )


def to_float_tflite(model: tf.keras.Model, path: str | os.PathLike[str]) -> int:
    r"""Converts with the plain TFLite converter (float32), for comparison.

    It converts `larq_ber.layers.export_copy(model)`, the copy `to_tflite` converts
    too: larq's input quantizers become float `SIGN` operations and the binary
    kernels float32 constants $\pm\alpha$; this is the model an edge device would
    run without LCE. (Converting `model` itself can store a kernel twice, latent and
    binarized: 382 MiB instead of 238 MiB for BinaryAlexNet at 224 × 224.)

    Args:
        model: A Keras model.
        path: The `.tflite` file to write (its folder must exist).

    Returns:
        The size of the file (bytes).

    Raises:
        FileNotFoundError: If the folder of `path` does not exist.

    Example:
        >>> import tempfile
        >>> from larq_ber.models import LeNet4
        >>> path = f"{tempfile.mkdtemp()}/lenet4_float.tflite"
        >>> to_float_tflite(LeNet4(), path) > 1_000_000  # float32 weights
        True
    """
    path = _check_path(path)
    flatbuffer = _float_flatbuffer(export_copy(model))
    path.write_bytes(flatbuffer)
    return len(flatbuffer)
