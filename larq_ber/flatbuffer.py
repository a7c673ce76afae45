"""Reading TFLite / Larq Compute Engine flatbuffers: which operators, for which layer.

`op_census` counts the operators of a converted model; `layer_ops` attributes them
to the Keras layers they came from, through the TensorFlow name scopes the
converter keeps in tensor names. `larq_ber.export` builds its report from both.
"""

from __future__ import annotations

from collections import Counter

import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

__all__ = ["layer_ops", "op_census"]

_BUILTIN_NAMES = {
    code: name
    for name, code in vars(schema.BuiltinOperator).items()
    if not name.startswith("_")
}


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
        >>> census = op_census(lce.convert_keras_model(model))  # doctest: +SKIP
        >>> census["LceBconv2d"]  # doctest: +SKIP
        2
    """
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(flatbuffer, 0))
    census: Counter[str] = Counter()
    for subgraph in model.subgraphs or ():
        for op in subgraph.operators or ():
            code = model.operatorCodes[op.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            if builtin == schema.BuiltinOperator.CUSTOM:
                census[code.customCode.decode()] += 1
            else:
                census[_BUILTIN_NAMES[builtin]] += 1
    return census


def _ops(flatbuffer: bytes) -> list[tuple[str, list[str]]]:
    """(operator name, names of its input and output tensors) for every operator."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(flatbuffer, 0))
    result = []
    for subgraph in model.subgraphs or ():
        for op in subgraph.operators or ():
            code = model.operatorCodes[op.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            name = (
                code.customCode.decode()
                if builtin == schema.BuiltinOperator.CUSTOM
                else _BUILTIN_NAMES[builtin]
            )
            tensors = [
                subgraph.tensors[i].name.decode()
                for i in [*(op.inputs if op.inputs is not None else ()),
                          *(op.outputs if op.outputs is not None else ())]
                if i >= 0
            ]  # fmt: skip
            result.append((name, tensors))
    return result


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
        >>> ops = layer_ops(model, lce.convert_keras_model(model))  # doctest: +SKIP
        >>> ops["binary_conv_2"]["LceBconv2d"]  # doctest: +SKIP
        1
    """
    names = {layer.name for layer in model.layers}
    found: dict[str, Counter[str]] = {name: Counter() for name in names}
    for op, tensors in _ops(flatbuffer):
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
