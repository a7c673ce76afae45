"""Inspection of models converted to TFLite / Larq Compute Engine flatbuffers."""

from __future__ import annotations

from collections import Counter

from tensorflow.lite.python import schema_py_generated as schema

__all__ = ["RANDOM_OPS", "op_census"]

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
