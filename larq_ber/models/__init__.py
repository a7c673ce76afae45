"""The paper's binarized networks: LeNet-4, Network-in-Network and binary AlexNet.

- `larq_ber.models.zoo`: the model functions with the `keras.applications`
  signature (`LeNet4`, `NiN`, `BinaryAlexNet`), `MODELS` by name and
  `binarized_layers`;
- `larq_ber.models.specs`: the architectures as data (TF-free);
- `larq_ber.models.builder`: turns an architecture into a Keras model;
- `larq_ber.models.profile`: size and compute (`model_stats`, `stats_table`).
"""

from larq_ber.models.profile import STATS_HEADER, ModelStats, model_stats, stats_table
from larq_ber.models.zoo import MODELS, BinaryAlexNet, LeNet4, NiN, binarized_layers

__all__ = [
    "MODELS",
    "STATS_HEADER",
    "BinaryAlexNet",
    "LeNet4",
    "ModelStats",
    "NiN",
    "binarized_layers",
    "model_stats",
    "stats_table",
]
