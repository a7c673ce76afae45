"""Size and compute of the paper's models, measured with larq's `ModelProfile`.

`model_stats(model)` counts parameters, 1-bit parameters, memory and MACs the way
`lq.models.summary` does; `stats_table()` measures the three models at their
default input shapes as the Markdown table of the README
(`python -m larq_ber.models.profile` prints it).
"""

from __future__ import annotations

import dataclasses

import larq as lq
import tensorflow as tf

from larq_ber.models.zoo import MODELS, binarized_layers

__all__ = ["STATS_HEADER", "ModelStats", "model_stats", "stats_table"]


@dataclasses.dataclass(frozen=True)
class ModelStats:
    """Size and compute of a model, as counted by larq's `ModelProfile`.

    Attributes:
        name: Model name.
        input_shape: Shape of one input.
        params: Number of parameters (weights, biases, BatchNorm statistics fused as
            larq counts them).
        binary_params: Parameters stored with 1 bit.
        binarized_layers: Number of layers with binary inputs and weights.
        memory_bits: Model size with binary weights in 1 bit, others in 32 bits.
        float_memory_bits: Size if every parameter took 32 bits.
        macs: Multiply-accumulate operations for one input.
        binary_macs: MACs with 1-bit inputs and weights.
    """

    name: str
    input_shape: tuple[int, ...]
    params: int
    binary_params: int
    binarized_layers: int
    memory_bits: int
    float_memory_bits: int
    macs: int
    binary_macs: int

    def markdown_row(self) -> str:
        """Formats the statistics as one row of the README's table.

        Returns:
            A Markdown table row.

        Example:
            >>> from larq_ber.models import LeNet4
            >>> model_stats(LeNet4()).markdown_row().startswith("| lenet4 |")
            True
        """
        memory = lq.models.memory_as_readable_str
        return (
            f"| {self.name} | {'×'.join(map(str, self.input_shape))} "
            f"| {self.params:,} | {self.binary_params:,} | {self.binarized_layers} "
            f"| {memory(self.memory_bits)} | {memory(self.float_memory_bits)} "
            f"| {self.macs / 1e6:,.1f} M | {self.binary_macs / max(self.macs, 1):.1%} |"
        )


#: Header of the table that `ModelStats.markdown_row` fills.
STATS_HEADER = (
    "| model | input | parameters | 1-bit parameters | binarized layers "
    "| memory (1-bit weights) | memory (32-bit) | MACs | binarized MACs |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def model_stats(model: tf.keras.Model) -> ModelStats:
    """Measures a model's parameters, memory and MACs with larq's `ModelProfile`.

    These are the numbers `lq.models.summary` prints.

    Args:
        model: A built Keras model.

    Returns:
        The `ModelStats` of `model`.

    Example:
        >>> from larq_ber.models import LeNet4
        >>> model_stats(LeNet4()).binarized_layers
        2
    """
    profile = lq.models.ModelProfile(model)
    return ModelStats(
        name=model.name,
        input_shape=tuple(int(d) for d in model.input_shape[1:]),
        params=profile.weight_count(),
        binary_params=profile.weight_count(bitwidth=1),
        binarized_layers=len(binarized_layers(model)),
        memory_bits=profile.memory,
        float_memory_bits=profile.fp_equivalent_memory,
        macs=profile.op_count("mac"),
        binary_macs=profile.op_count("mac", 1),
    )


def stats_table() -> str:
    """Measures the three models at their default input shapes as a Markdown table.

    Returns:
        The table, as in the README (`python -m larq_ber.models.profile` prints it).

    Example:
        ```python
        print(stats_table())  # builds the three models, BinaryAlexNet at 224×224
        ```
    """
    rows = [STATS_HEADER]
    for function in MODELS.values():
        rows.append(model_stats(function()).markdown_row())
        tf.keras.backend.clear_session()
    return "\n".join(rows)


if __name__ == "__main__":
    print(stats_table())
