"""Reading TFLite / Larq Compute Engine flatbuffers: which operators, for which layer.

`op_census` counts the operators of a converted model; `layer_ops` attributes them
to the Keras layers they came from, through the TensorFlow name scopes the
converter keeps in tensor names. `larq_ber.export.to_tflite` builds its report
from both. The flatbuffer is read with the classes that the `tflite` package
generates from TensorFlow Lite's public schema (`schema.fbs`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import tensorflow as tf
import tflite

__all__ = ["layer_ops", "op_census"]


def _operator_name(model: tflite.Model, index: int) -> str:
    """The builtin name (`CONV_2D`) or custom code (`LceBconv2d`) of an opcode."""
    code = model.OperatorCodes(index)
    # Codes below 127 are stored in both fields, later ones only in the new one.
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    if builtin == tflite.BuiltinOperator.CUSTOM:
        return code.CustomCode().decode()
    # An operator newer than the `tflite` package's schema keeps its number.
    return tflite.BUILTIN_OPCODE2NAME.get(builtin, f"BUILTIN_{builtin}")


def _operators(flatbuffer: bytes) -> Iterator[tuple[str, list[str]]]:
    """(operator name, names of its input and output tensors) for every operator."""
    model = tflite.Model.GetRootAs(flatbuffer, 0)
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for o in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(o)
            indices = [
                *(op.Inputs(i) for i in range(op.InputsLength())),
                *(op.Outputs(i) for i in range(op.OutputsLength())),
            ]
            tensors = [subgraph.Tensors(i).Name().decode() for i in indices if i >= 0]
            yield _operator_name(model, op.OpcodeIndex()), tensors


def op_census(flatbuffer: bytes) -> Counter[str]:
    """Counts the operators of every subgraph of a TFLite flatbuffer.

    Builtin operators are named as in the TFLite schema (`CONV_2D`,
    `FULLY_CONNECTED`, ...); custom operators by their custom code (`LceBconv2d`,
    `LceQuantize`, `LceDequantize`, `LceBMaxPool2d`, ...).

    Args:
        flatbuffer: The serialized model, e.g. from
            `larq_compute_engine.convert_keras_model`.

    Returns:
        A `collections.Counter` from operator name to number of occurrences.

    Example:
        >>> import larq_compute_engine as lce
        >>> from larq_ber.models import LeNet4
        >>> from larq_ber.layers import export_copy
        >>> census = op_census(lce.convert_keras_model(export_copy(LeNet4())))
        >>> census["LceBconv2d"]
        2
    """
    return Counter(name for name, _ in _operators(flatbuffer))


def layer_ops(model: tf.keras.Model, flatbuffer: bytes) -> dict[str, Counter[str]]:
    """Attributes the operators of a converted model to the Keras layers.

    The converter names tensors after the TensorFlow name scopes they come from
    (`model/binary_conv_2/ste_sign/Sign;…`), so an operator belongs to every layer
    whose name is a component of one of its input or output tensor names. Fused
    operators can belong to several layers.

    Args:
        model: The Keras model that was converted.
        flatbuffer: Its TFLite / LCE flatbuffer.

    Returns:
        For each layer name, a `Counter` of the operators attributed to it.

    Example:
        >>> import larq_compute_engine as lce
        >>> from larq_ber.models import LeNet4
        >>> model = LeNet4()
        >>> ops = layer_ops(model, lce.convert_keras_model(model))
        >>> ops["binary_conv_2"]["LceBconv2d"]
        1
    """
    names = {layer.name for layer in model.layers}
    found: dict[str, Counter[str]] = {name: Counter() for name in names}
    for op, tensors in _operators(flatbuffer):
        owners = {
            component
            for tensor in tensors
            for part in tensor.split(";")
            for component in part.split("/")
            if component in names
        }
        for owner in owners:
            found[owner][op] += 1
    return found
