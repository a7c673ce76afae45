r"""`BerSteSign`: larq's `SteSign` with sign flips (bit errors) while training.

See `larq_ber.quantizers` for the error model.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber.flips import ber_ste_sign
from larq_ber.quantizers.inference import InferenceErrors
from larq_ber.quantizers.seeds import check_seed
from larq_ber.rates import ErrorRates, check_rate, split_rates

__all__ = ["BerSteSign"]

_METRICS = ("flip_ratio", "bit_error_rate")


# Registered as "larq_ber>BerSteSign" (Keras's package-qualified name, used by the
# `.keras` and SavedModel formats), as the bare class name (larq's convention, which
# the legacy `.h5` loader looks up) and under the snake_case alias.
@tf.keras.saving.register_keras_serializable(package="larq_ber")
@lq.utils.register_keras_custom_object
@lq.utils.register_alias("ber_ste_sign")
class BerSteSign(lq.quantizers.SteSign):
    r"""Binary quantizer that flips signs at a bit error rate while training.

    The forward pass is larq's `SteSign` followed by independent sign flips: each
    element that is $-1$ becomes $+1$ with probability `ber_neg`, each $+1$ becomes
    $-1$ with probability `ber_pos` (both default to `ber`). The flips model write
    errors of a memory holding the binary activations. Like Keras's
    `GaussianNoise`, the quantizer is stochastic only while training; at
    inference, in `evaluate`/`predict` and in exported models it is exactly
    `SteSign`, so Larq Compute Engine converts it to the same binary ops.

    The gradient ignores the flips (the straight-through gradient of the
    un-flipped sign, clipped at `clip_value`), as in the paper's reference code.
    `flip_gradient=True` multiplies the gradient by the same $\pm 1$ mask instead.

    The rates live in a non-trainable variable, so `set_ber` (or a schedule
    callback) can change them between steps without retracing the training
    function. On CPUs, the compiled kernel of `larq_ber.kernel` (`larq-ber kernel
    build`, once) draws the flips and the sign in one pass, at the cost of a
    plain sign.

    Args:
        ber: Symmetric bit error rate, a probability in $[0, 1]$, or the
            `larq_ber.rates.ErrorRates` of a deployment condition (e.g. from
            `larq_ber.mtj.error_rates`), whose two write directions become
            `ber_neg` and `ber_pos` (and their mean `ber`).
        ber_neg: Probability in $[0, 1]$ that a $-1$ is stored as $+1$;
            defaults to `ber`.
        ber_pos: Probability in $[0, 1]$ that a $+1$ is stored as $-1$;
            defaults to `ber`.
        clip_value: Threshold for clipping gradients; `None` disables clipping.
        flip_gradient: Whether the gradient is negated where the sign flipped.
        seed: Optional op-level seed (integer $\ge 0$) of the random draws.
        metrics: Training metrics to add: `"bit_error_rate"` (the measured fraction
            of flipped elements, logged as `bit_error_rate/<name>`; 0 at
            inference) and/or larq's `"flip_ratio"` (which counts sign changes
            between steps, not bit errors).
        surrogate: Optional 1-bit larq sign quantizer (`"approx_sign"`,
            `SwishSign(beta)`, …) whose gradient of the un-flipped input is used
            instead of the clipped straight-through one, so a model converted by
            `larq_ber.errors.with_bit_errors` trains exactly as before at rate 0.
        **kwargs: Keyword arguments of `tf.keras.layers.Layer` (`name`, ...).

    Call arguments:
        inputs: Input tensor.
        training: Python boolean or boolean tensor; flips happen only when it is
            true. `None` (a bare `model(x)`) means inference: no flips. Keras
            passes the value of `fit`/`evaluate`/`predict` down to the quantizer
            even when a larq layer calls it without the flag.

    Raises:
        ValueError: If a rate is not a number in $[0, 1]$, `seed` is not a
            non-negative integer, or a metric name is unknown.

    Example:
        >>> q = BerSteSign(0.5, seed=1)
        >>> x = tf.ones([4, 4])
        >>> bool(tf.reduce_all(q(x, training=False) == 1.0))
        True
    """

    precision = 1

    def __init__(
        self,
        ber: float | ErrorRates = 0.0,
        *,
        ber_neg: float | None = None,
        ber_pos: float | None = None,
        clip_value: float | None = 1.0,
        flip_gradient: bool = False,
        seed: int | None = None,
        metrics: Sequence[str] | None = None,
        surrogate: Any = None,
        **kwargs: Any,
    ) -> None:
        ber, ber_neg, ber_pos = split_rates(ber, ber_neg, ber_pos)
        self.ber = check_rate("ber", ber)
        self.ber_neg = check_rate("ber_neg", self.ber if ber_neg is None else ber_neg)
        self.ber_pos = check_rate("ber_pos", self.ber if ber_pos is None else ber_pos)
        if not isinstance(flip_gradient, bool):
            raise ValueError(
                f"`flip_gradient` must be True or False, got {flip_gradient!r}."
            )
        self.flip_gradient = flip_gradient
        self.seed = check_seed(seed)
        metrics = list(metrics) if metrics is not None else None
        for metric in metrics or ():
            if metric not in _METRICS:
                raise ValueError(
                    f"`metrics` may contain {list(_METRICS)}, got {metric!r}."
                )
        self._rates: tf.Variable | None = None
        self._generator: tf.random.Generator | None = None
        # The errors at inference that `larq_ber.errors.activation_errors` sets;
        # past Keras's attribute tracking (they are not part of the layer's state).
        object.__setattr__(self, "_inference", InferenceErrors())
        self._bit_error_rate: tf.keras.metrics.Mean | None = None
        if clip_value is not None and not (
            isinstance(clip_value, int | float)
            and not isinstance(clip_value, bool)
            and math.isfinite(clip_value)
            and clip_value > 0
        ):
            raise ValueError(
                f"`clip_value` must be None or a finite number > 0, got {clip_value!r}."
            )
        resolved = None if surrogate is None else lq.quantizers.get(surrogate)
        if resolved is not None and (
            getattr(resolved, "precision", None) != 1
            or isinstance(resolved, BerSteSign)
        ):
            raise ValueError(
                "`surrogate` must be a 1-bit larq sign quantizer (e.g. 'approx_sign', "
                f"SwishSign(beta=5)), got {surrogate!r}."
            )
        super().__init__(clip_value=clip_value, metrics=metrics, **kwargs)
        #: The larq sign quantizer whose gradient replaces the clipped STE, if any.
        self.surrogate = resolved

    def build(self, input_shape: tf.TensorShape) -> None:
        """Creates the rate variable and the optional metric."""
        self._rates = self.add_weight(
            name="ber_rates",
            shape=(2,),
            dtype=tf.float32,
            initializer=tf.keras.initializers.Constant([self.ber_neg, self.ber_pos]),
            trainable=False,
        )
        if self._custom_metrics and "bit_error_rate" in self._custom_metrics:
            self._bit_error_rate = tf.keras.metrics.Mean(
                name=f"bit_error_rate/{self.name}"
            )
        # The flips are drawn from a generator whose state is a variable the
        # layer tracks, so a checkpoint of the model (BackupAndRestore,
        # tf.train.Checkpoint) restores the stream exactly. Its seed comes from
        # `seed` or Python's `random`, which `tf.keras.utils.set_random_seed` seeds.
        seed = self.seed if self.seed is not None else random.getrandbits(62)
        with tf.init_scope():
            self._generator = tf.random.Generator.from_seed(seed)
        super().build(input_shape)

    def set_ber(
        self,
        ber: float | ErrorRates | None = None,
        *,
        ber_neg: float | None = None,
        ber_pos: float | None = None,
    ) -> None:
        """Changes the bit error rates; takes effect at the next training step.

        Args:
            ber: New symmetric rate in $[0, 1]$; sets both directions unless they
                are given. An `ErrorRates` sets both directions from it.
            ber_neg: New probability in $[0, 1]$ that a $-1$ is stored as $+1$.
            ber_pos: New probability in $[0, 1]$ that a $+1$ is stored as $-1$.

        Raises:
            ValueError: If a rate is not a number in $[0, 1]$ or none is given.

        Example:
            >>> q = BerSteSign(0.0)
            >>> q.set_ber(0.04)
            >>> q.ber_neg, q.ber_pos
            (0.04, 0.04)
        """
        if ber is None and ber_neg is None and ber_pos is None:
            raise ValueError("Give `ber`, `ber_neg` or `ber_pos`.")
        ber, ber_neg, ber_pos = split_rates(ber, ber_neg, ber_pos)
        base = None if ber is None else check_rate("ber", ber)
        neg = self.ber_neg if base is None else base
        pos = self.ber_pos if base is None else base
        neg = neg if ber_neg is None else check_rate("ber_neg", ber_neg)
        pos = pos if ber_pos is None else check_rate("ber_pos", ber_pos)
        if base is not None:
            self.ber = base
        self.ber_neg, self.ber_pos = neg, pos
        if self._rates is not None:
            self._rates.assign([neg, pos])

    def set_inference_errors(
        self, rates: tuple[Any, Any] | None, seed: int | None = None
    ) -> None:
        r"""Makes the quantizer flip at inference too (or stop, with `None`).

        `larq_ber.errors.activation_errors` is the way to use this: it also keeps
        Keras's predict and test functions per kind of errors. The rates and the
        random stream are read when a function runs, so changing them (or
        reseeding) needs no retrace; going from no errors to errors, or from
        rates to rate maps, does.

        Args:
            rates: `(ber_neg, ber_pos)` at inference, each a rate in $[0, 1]$ or
                both arrays of the input's shape without the batch axis (a rate
                per position, the same for every example), or `None` for
                error-free inference (the default).
            seed: Integer $\ge 0$ the draws restart from; `None` continues them.

        Raises:
            ValueError: If a rate is not in $[0, 1]$ or `seed` is invalid.
        """
        self._inference.set(rates, seed)

    @property
    def inference_errors(self) -> tuple[Any, Any] | None:
        """The rates at inference in force: `(ber_neg, ber_pos)` or `None`.

        Two floats, or two float64 arrays for a rate per position; `None` outside
        `larq_ber.errors.activation_errors`.
        """
        return self._inference.rates()

    def reseed_inference_errors(self, seed: int) -> None:
        r"""Restarts the draws of the errors at inference from `seed`.

        Lets a caller make draw number $k$ of an evaluation under
        `larq_ber.errors.activation_errors` reproducible without retracing.

        Args:
            seed: An integer $\ge 0$.

        Raises:
            ValueError: If no errors at inference are set or `seed` is invalid.
        """
        checked = check_seed(seed)
        if self._inference.rates() is None or checked is None:
            raise ValueError(
                "No errors at inference to reseed: use larq_ber.errors."
                "activation_errors and give an integer seed >= 0."
            )
        self._inference.generator.reset_from_seed(checked)

    def _flipped(
        self, inputs: tf.Tensor, rates: Any, generator: Any, *, nonzero: bool = False
    ) -> tf.Tensor:
        """The sign of `inputs` with flips at `rates` (`ber_neg`, `ber_pos`)."""
        return ber_ste_sign(
            inputs,
            rates[0],
            rates[1],
            clip_value=self.clip_value,
            flip_gradient=self.flip_gradient,
            generator=generator,
            surrogate=None if self.surrogate is None else self.surrogate.call,
            nonzero=nonzero,
        )

    def _mapped(self, inputs: tf.Tensor) -> tf.Tensor:
        r"""The sign of `inputs` with flips at a rate per position (inference).

        The uniform draws are float64, so rates down to about $10^{-15}$ keep
        their value (float32 draws would turn every rate below $2^{-24}$ into
        about $6 \times 10^{-8}$).
        """
        if self.surrogate is not None:
            signs = self.surrogate.call(inputs)
        else:
            signs = lq.quantizers.ste_sign(inputs, clip_value=self.clip_value)
        neg, pos = self._inference.maps_variables(tuple(inputs.shape[1:]))
        draws = self._inference.generator.uniform(tf.shape(signs), dtype=tf.float64)
        flip = draws < tf.where(signs < 0, neg, pos)
        return tf.where(flip, -signs, signs)

    def call(self, inputs: tf.Tensor, training: Any = None) -> tf.Tensor:
        """Quantizes `inputs`; flips signs only if `training` is true."""
        if training is None:
            training = False
        # The metric is updated only where errors can happen, so inference graphs
        # (and exported models) stay free of its state-changing ops.
        measure = self._bit_error_rate is not None and (
            tf.get_static_value(training) is not False
        )

        def with_errors() -> Any:
            assert self._rates is not None
            outputs = self._flipped(inputs, self._rates, self._generator)
            if measure:
                flipped = tf.not_equal(outputs, lq.math.sign(inputs))
                return outputs, tf.reduce_mean(tf.cast(flipped, tf.float32))
            return outputs

        def without_errors() -> Any:
            if self.surrogate is not None:
                outputs = self.surrogate.call(inputs)
            else:
                outputs = lq.quantizers.ste_sign(inputs, clip_value=self.clip_value)
            return (outputs, tf.constant(0.0)) if measure else outputs

        # Under `larq_ber.errors.activation_errors` inference flips too: the kind
        # of errors is read when tracing, the rates and draws when running.
        kind = self._inference.kind
        if kind is not None:

            def without_errors() -> Any:
                if kind == "map":
                    outputs = self._mapped(inputs)
                else:
                    # kind "rates" means a rate above 0 (zero rates: kind None).
                    rates = self._inference.rates_variable()
                    generator = self._inference.generator
                    outputs = self._flipped(inputs, rates, generator, nonzero=True)
                return (outputs, tf.constant(0.0)) if measure else outputs

        static = tf.get_static_value(training)
        # Signs (+-1) in training, flipped signs at inference in an error block: the
        # calling layer may convolve them bit-packed (`larq_ber.binary_conv`).
        packable = None if static is None else "training" if static else "inference"
        self._packable = None if kind is None and packable == "inference" else packable
        if static is not None:  # a Python bool or constant: trace one branch only
            result = with_errors() if static else without_errors()
        else:
            result = tf.cond(training, with_errors, without_errors)
        if measure:
            assert self._bit_error_rate is not None
            outputs, fraction = result
            weight = tf.cast(tf.size(inputs), tf.float32)
            self.add_metric(self._bit_error_rate(fraction, sample_weight=weight))
        else:
            outputs = result
        # `SteSign.call` would quantize again; its optional `flip_ratio` metric
        # (created by larq's `build` when asked for) is recorded here instead.
        flip_ratio = getattr(self, "flip_ratio", None)
        if flip_ratio is not None:
            self.add_metric(flip_ratio(outputs))
        return outputs

    def __repr__(self) -> str:
        extra = ""
        if self.surrogate is not None:
            extra = f", surrogate={type(self.surrogate).__name__}"
        if self.flip_gradient:
            extra += ", flip_gradient=True"
        if self.seed is not None:
            extra += f", seed={self.seed}"
        return (
            f"BerSteSign(ber={self.ber:g}, ber_neg={self.ber_neg:g}, "
            f"ber_pos={self.ber_pos:g}, clip_value={self.clip_value}{extra}, "
            f"name={self.name!r})"
        )

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with the current rates."""
        return {
            **super().get_config(),
            "ber": self.ber,
            "ber_neg": self.ber_neg,
            "ber_pos": self.ber_pos,
            "flip_gradient": self.flip_gradient,
            "seed": self.seed,
            "metrics": self._custom_metrics,
            "surrogate": None
            if self.surrogate is None
            else lq.quantizers.serialize(self.surrogate),
        }
