r"""`BerMagnitudeAwareSign`: larq's `magnitude_aware_sign` with weight sign flips.

The kernel quantizer for weight-error-aware training: a fresh draw of weight read
errors in every training step, none at inference.
"""

from __future__ import annotations

import random
from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber.flips import ber_ste_sign
from larq_ber.quantizers.seeds import check_seed
from larq_ber.rates import ErrorRates, weight_rate

__all__ = ["BerMagnitudeAwareSign"]


@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
@lq.utils.register_alias("ber_magnitude_aware_sign")
class BerMagnitudeAwareSign(lq.quantizers.MagnitudeAwareSign):
    r"""Kernel quantizer that flips weight signs at a bit error rate while training.

    larq's `magnitude_aware_sign`, $q(W) = \alpha \operatorname{sign}(W)$ with
    $\alpha$ the mean $|W|$ of each output channel, whose signs flip independently
    with probability `ber` in every training step: a fresh draw of weight read
    errors per step, for weight-error-aware training. The scale $\alpha$ is
    unchanged (it does not depend on the signs) and the gradient is the clipped
    straight-through one of the un-flipped sign. At inference (and in exported
    models) it is exactly `magnitude_aware_sign`; evaluate under weight errors with
    `larq_ber.errors.weight_errors`.

    Args:
        ber: Probability in $[0, 1]$ that a weight's sign flips in a training step,
            or an `ErrorRates`, whose `weight_ber` is used.
        clip_value: Threshold for clipping gradients; `None` disables clipping.
        seed: Optional seed (integer $\ge 0$) of the draws; `None`: from Python's
            `random`, which `tf.keras.utils.set_random_seed` seeds.
        **kwargs: Keyword arguments of larq's quantizers (`metrics`, `name`, ...).

    Call arguments:
        inputs: The latent kernel.
        training: Python boolean or boolean tensor; flips happen only when it is
            true (Keras passes the value of `fit` down to the kernel quantizer).

    Raises:
        ValueError: If `ber` is not in $[0, 1]$ or `seed` is not an integer $\ge 0$.

    Example:
        >>> layer = lq.layers.QuantDense(
        ...     4, kernel_quantizer="ber_magnitude_aware_sign",
        ...     kernel_constraint="weight_clip")
        >>> type(layer.kernel_quantizer).__name__
        'BerMagnitudeAwareSign'
    """

    precision = 1

    def __init__(
        self,
        ber: float | ErrorRates = 0.0,
        *,
        clip_value: float | None = 1.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.ber = weight_rate(ber)
        self.seed = check_seed(seed)
        self._rate: tf.Variable | None = None
        self._generator: tf.random.Generator | None = None
        super().__init__(clip_value=clip_value, **kwargs)

    def build(self, input_shape: tf.TensorShape) -> None:
        """Creates the rate variable and the generator of the flips."""
        self._rate = self.add_weight(
            name="weight_ber",
            shape=(),
            dtype=tf.float32,
            initializer=tf.keras.initializers.Constant(self.ber),
            trainable=False,
        )
        seed = self.seed if self.seed is not None else random.getrandbits(62)
        with tf.init_scope():
            self._generator = tf.random.Generator.from_seed(seed)
        super().build(input_shape)

    def set_ber(self, ber: float | ErrorRates) -> None:
        """Changes the weight error rate; takes effect at the next training step.

        Args:
            ber: New probability in $[0, 1]$, or an `ErrorRates` (its
                `weight_ber`).

        Raises:
            ValueError: If `ber` is not in $[0, 1]$.
        """
        self.ber = weight_rate(ber)
        if self._rate is not None:
            self._rate.assign(self.ber)

    def call(self, inputs: tf.Tensor, training: Any = None) -> tf.Tensor:
        """Quantizes the kernel; flips signs only if `training` is true."""
        if training is None:
            training = False
        axes = list(range(len(inputs.shape) - 1))
        scale = tf.stop_gradient(tf.reduce_mean(tf.abs(inputs), axis=axes))

        def with_errors() -> tf.Tensor:
            assert self._rate is not None
            return ber_ste_sign(
                inputs,
                self._rate,
                self._rate,
                clip_value=self.clip_value,
                generator=self._generator,
            )

        def without_errors() -> tf.Tensor:
            return lq.quantizers.ste_sign(inputs, clip_value=self.clip_value)

        static = tf.get_static_value(training)
        if static is not None:
            signs = with_errors() if static else without_errors()
        else:
            signs = tf.cond(training, with_errors, without_errors)
        outputs = scale * signs
        flip_ratio = getattr(self, "flip_ratio", None)
        if flip_ratio is not None:
            self.add_metric(flip_ratio(outputs))
        return outputs

    def __repr__(self) -> str:
        seed = "" if self.seed is None else f", seed={self.seed}"
        return (
            f"BerMagnitudeAwareSign(ber={self.ber:g}, clip_value={self.clip_value}"
            f"{seed}, name={self.name!r})"
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with the current rate."""
        return {**super().get_config(), "ber": self.ber, "seed": self.seed}
