"""What an export produced: `ExportReport`, one `LayerExport` per layer, `ExportError`.

`layer_reports` tells, for every Keras layer with weights, which operators it became
in the flatbuffer and, for a layer that stayed float, why (where that can be told).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import tensorflow as tf

from larq_ber.errors.binary import binary_kernel, is_binarized, is_one_bit
from larq_ber.export.flatbuffer import layer_ops
from larq_ber.layers import input_quantizer_of

__all__ = ["ExportError", "ExportReport", "LayerExport", "layer_reports"]


class ExportError(RuntimeError):
    """The converted model is not safe to ship; the message says why."""


@dataclasses.dataclass(frozen=True)
class LayerExport:
    """What one Keras layer with weights became in the flatbuffer.

    Attributes:
        name: The Keras layer name.
        kind: The layer class name.
        binarized: Whether both its input and its kernel are quantized to 1 bit.
        ops: Operators attributed to it (`layer_ops`).
        binary: Whether it became a binary operator (`LceBconv2d`).
        reason: Why it stayed float, or a note (empty when there is nothing to
            say).
    """

    name: str
    kind: str
    binarized: bool
    ops: tuple[str, ...]
    binary: bool
    reason: str = ""


def _why_float(layer: tf.keras.layers.Layer) -> str:
    """Why a layer with weights did not become a binary operator."""
    input_q = input_quantizer_of(layer)
    if not hasattr(layer, "input_quantizer"):
        return "a float Keras layer (not a larq quantized layer)"
    if input_q is None:
        return "real-valued input (input_quantizer=None), e.g. the first layer"
    if not is_one_bit(input_q):
        return f"input quantizer {type(input_q).__name__} is not 1-bit"
    if binary_kernel(layer) is None:
        return "kernel not binarized (kernel_quantizer is not 1-bit)"
    if isinstance(layer, tf.keras.layers.Dense):
        return (
            "LCE has no binary fully-connected kernel: a binary QuantDense runs "
            "as float FULLY_CONNECTED on dequantized ±1 inputs; build it as a 1×1 "
            "QuantConv2D on a 1×1 map, as larq_ber.models does"
        )
    config = layer.get_config()
    return (
        "not converted to LceBconv2d (padding="
        f"{config.get('padding')!r}, pad_values={config.get('pad_values')!r},"
        f" {layer.input_shape[-1]} input channels)"
    )


def layer_reports(model: tf.keras.Model, flatbuffer: bytes) -> list[LayerExport]:
    """What each Keras layer with weights became in `flatbuffer`.

    Args:
        model: The Keras model that was converted.
        flatbuffer: Its Larq Compute Engine flatbuffer.

    Returns:
        One `LayerExport` per layer with a kernel, in the order of `model.layers`.
    """
    ops = layer_ops(model, flatbuffer)
    reports = []
    for layer in model.layers:
        if getattr(layer, "kernel", None) is None:
            continue
        found = ops.get(layer.name, Counter())
        binary = found["LceBconv2d"] > 0
        reports.append(
            LayerExport(
                name=layer.name,
                kind=type(layer).__name__,
                binarized=is_binarized(layer),
                ops=tuple(sorted(found)),
                binary=binary,
                reason="" if binary else _why_float(layer),
            )
        )
    return reports


@dataclasses.dataclass(frozen=True)
class ExportReport:
    """The outcome of `to_tflite`.

    Attributes:
        path: The file written.
        target: `"arm"` or `"xcore"`.
        size_bytes: Size of the LCE flatbuffer (bytes).
        float_size_bytes: Size of the same model converted by the plain TFLite
            converter, float32 weights (bytes); `None` if `to_tflite` was asked
            not to convert it (`float_reference=False`).
        census: Operator counts (`op_census`; 0 for absent operators).
        layers: What each Keras layer with weights became.
        verified: Whether the interpreter was compared with Keras.
        samples: Number of inputs compared.
        max_abs_diff: Largest |LCE − Keras| over all outputs (`None` unverified).
        within_tolerance: Fraction of inputs whose outputs all agree within
            `atol`.
        top1_agreement: Fraction of inputs with the same arg-max.
        atol: The absolute tolerance of the comparison.
        min_agreement: The fraction both agreements had to reach.
        converter_summary: What the MLIR converter printed about the operations it
            left outside the TFLite dialect, in one line (e.g. "18 of 43 ops not
            converted: 18 ARITH"); the converters' own output is captured, not
            shown, unless the conversion fails.
    """

    path: str
    target: str
    size_bytes: int
    float_size_bytes: int | None
    census: Counter[str]
    layers: tuple[LayerExport, ...]
    verified: bool
    samples: int = 0
    max_abs_diff: float | None = None
    within_tolerance: float | None = None
    top1_agreement: float | None = None
    atol: float = 1e-4
    min_agreement: float = 0.97
    converter_summary: str = ""

    @property
    def size_ratio(self) -> float | None:
        """Float32 TFLite size / LCE size (`None` without the float reference)."""
        if self.float_size_bytes is None:
            return None
        return self.float_size_bytes / self.size_bytes

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data.

        Returns:
            A dictionary (layers as a list of dictionaries).
        """
        data = dataclasses.asdict(self)
        data["census"] = dict(sorted(self.census.items()))
        ratio = self.size_ratio
        data["size_ratio"] = None if ratio is None else round(ratio, 3)
        return data

    def to_json(self) -> str:
        """The report as indented JSON.

        Returns:
            The JSON text.
        """
        return json.dumps(self.to_dict(), indent=2)

    def _size_line(self) -> str:
        size = f"{self.path} ({self.target}): {self.size_bytes / 1024:.1f} KiB"
        if self.float_size_bytes is not None:
            size += (
                f", float32 TFLite {self.float_size_bytes / 1024:.1f} KiB "
                f"({self.float_size_bytes / self.size_bytes:.1f}x)"
            )
        return size

    def _parity_line(self) -> str:
        if not self.verified:
            return "not verified"
        return (
            f"parity on {self.samples} inputs: max |LCE - Keras| "
            f"{self.max_abs_diff:.2e}, within {self.atol:g}: "
            f"{100 * (self.within_tolerance or 0):.1f} %, same top-1: "
            f"{100 * (self.top1_agreement or 0):.1f} %"
        )

    def __str__(self) -> str:
        lines = [
            self._size_line(),
            "ops: " + ", ".join(f"{k} {v}" for k, v in sorted(self.census.items())),
            "layers:",
        ]
        for layer in self.layers:
            became = "binary" if layer.binary else "float "
            note = f" — {layer.reason}" if layer.reason else ""
            ops = ", ".join(layer.ops)
            lines.append(f"  {became} {layer.name} ({layer.kind}): {ops}{note}")
        lines.append(self._parity_line())
        if self.converter_summary:
            lines.append(f"converter: {self.converter_summary}")
        return "\n".join(lines)
