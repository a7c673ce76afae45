"""A network whose accuracy under per-layer errors is known exactly.

`vote_model()`: 65 copies of the label's sign are written into a *tolerant* layer
(65 binary activations; a dense layer sums them: a majority vote), the vote is
copied into a *fragile* layer (32 binary activations, of which only the first
reaches the two logits). With flip rates $b_1$ (tolerant) and $b_2$ (fragile) an
example is classified right with probability
$p = (1 - b_2) M + b_2 (1 - M)$, $M = P(\\mathrm{Bin}(65, b_1) \\le 32)$.
"""

import larq as lq
import numpy as np
import tensorflow as tf
from scipy import stats

from larq_ber.quantizers import BerSteSign

TOLERANT, FRAGILE = "tolerant", "fragile"
WRITES = {TOLERANT: 65, FRAGILE: 32}


def vote_model() -> tf.keras.Model:
    """The compiled majority-vote network (no training: its weights are fixed)."""
    inputs = tf.keras.Input((65,))
    votes = lq.layers.QuantDense(
        1, input_quantizer=BerSteSign(), kernel_initializer="ones", use_bias=False,
        name=TOLERANT,
    )(inputs)  # fmt: skip
    copies = tf.keras.layers.Dense(
        32, kernel_initializer="ones", use_bias=False, name="copies"
    )(votes)
    kernel = np.zeros((32, 2), np.float32)
    kernel[0] = [-1.0, 1.0]
    logits = lq.layers.QuantDense(
        2, input_quantizer=BerSteSign(), use_bias=False, name=FRAGILE,
        kernel_initializer=tf.keras.initializers.Constant(kernel),
    )(copies)  # fmt: skip
    model = tf.keras.Model(inputs, logits)
    model.compile(
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def vote_data(n: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` examples: labels 0/1 and their sign copied 65 times."""
    y = np.random.default_rng(seed).integers(0, 2, n)
    x = np.repeat((2.0 * y - 1.0)[:, None], 65, axis=1).astype(np.float32)
    return x, y


def vote_accuracy(tolerant: float, fragile: float) -> float:
    """The expected accuracy (points) at the two layers' flip rates."""
    majority = stats.binom.cdf(32, 65, tolerant)
    return 100.0 * ((1 - fragile) * majority + fragile * (1 - majority))
