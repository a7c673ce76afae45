"""Any larq model made able to flip bits: `with_bit_errors`.

The copy swaps each 1-bit sign input quantizer for a `BerSteSign` that computes the
same forward pass and, at rate 0, the same gradient; `activation_errors` and
training with bit errors then work on it as on the paper's models.
"""

from __future__ import annotations

from typing import Any

import larq as lq
import tensorflow as tf

from larq_ber.binary_conv import pack
from larq_ber.errors.binary import is_one_bit
from larq_ber.quantizers import BerSteSign
from larq_ber.quantizers.setting import walk_layers
from larq_ber.rates import check_rate

__all__ = ["with_bit_errors"]

#: Sign quantizers that become the `surrogate` of their `BerSteSign`.
_SURROGATES = (lq.quantizers.ApproxSign, lq.quantizers.SwishSign)


class _RefusedError(ValueError):
    """A refusal that names its layer or model already; passed on as it is."""


def _ber_quantizer(quantizer: Any, layer: str, rates: dict[str, Any]) -> BerSteSign:
    """The `BerSteSign` that replaces the 1-bit sign quantizer of `layer`."""
    if type(quantizer) is lq.quantizers.SteSign:
        return BerSteSign(**rates, clip_value=quantizer.clip_value)
    if type(quantizer) in _SURROGATES:
        return BerSteSign(**rates, surrogate=lq.quantizers.serialize(quantizer))
    raise _RefusedError(
        f"layer {layer!r}: its input quantizer {type(quantizer).__name__} is 1-bit "
        "but not a sign quantizer with_bit_errors can convert (SteSign, ApproxSign, "
        "SwishSign)."
    )


def with_bit_errors(
    model: tf.keras.Model,
    ber: float = 0.0,
    *,
    ber_neg: float | None = None,
    ber_pos: float | None = None,
) -> tf.keras.Model:
    """A copy of a larq model whose sign input quantizers can flip bits.

    Every 1-bit sign input quantizer (`"ste_sign"`/`SteSign` with its
    `clip_value`, `"approx_sign"`, `"swish_sign"`/`SwishSign`) becomes a
    `BerSteSign` with the same forward pass and, at rate 0, the same gradient (the
    original becomes its `surrogate`, or its `clip_value` is kept), so the copy
    infers and trains exactly like the original until a rate is set; the weights
    are copied. Use it to fine-tune any larq model (e.g. from larq-zoo) with errors
    or to evaluate it under `activation_errors`. The original is not changed.
    Nested functional and sequential models are converted too.

    Args:
        model: A functional or sequential Keras model built from larq layers.
        ber: Training bit error rate of the new quantizers, in [0, 1].
        ber_neg: Rate of −1 → +1 flips; defaults to `ber`.
        ber_pos: Rate of +1 → −1 flips; defaults to `ber`.

    Returns:
        The converted copy (its binary convolutions wrapped by
        `larq_ber.binary_conv.pack`).

    Raises:
        TypeError: If `model` is not a Keras model.
        ValueError: If a layer's input quantizer is 1-bit but not a sign quantizer
            this function knows or sits where it cannot be converted (in a
            subclassed model or layer; the message names the layer), or a rate is
            not in [0, 1].

    Example:
        >>> import larq as lq
        >>> inputs = tf.keras.Input((8,))
        >>> outputs = lq.layers.QuantDense(4, input_quantizer="approx_sign",
        ...                                kernel_quantizer="ste_sign")(inputs)
        >>> copy = with_bit_errors(tf.keras.Model(inputs, outputs), 0.01)
        >>> type(copy.layers[1].input_quantizer).__name__
        'BerSteSign'
    """
    if not isinstance(model, tf.keras.Model):
        raise TypeError(
            "`model` must be a functional or sequential Keras model, got "
            f"{type(model).__name__} {model!r}."
        )
    rates = {"ber": check_rate("ber", ber), "ber_neg": ber_neg, "ber_pos": ber_pos}

    def convert(layer: tf.keras.layers.Layer) -> tf.keras.layers.Layer:
        if isinstance(layer, tf.keras.Model):
            return _clone(layer, convert)
        config = layer.get_config()
        quantizer = getattr(layer, "input_quantizer", None)
        if is_one_bit(quantizer) and not isinstance(quantizer, BerSteSign):
            new = _ber_quantizer(quantizer, layer.name, rates)
            config["input_quantizer"] = lq.quantizers.serialize(new)
        return layer.__class__.from_config(config)

    copy = _clone(model, convert)
    copy.set_weights(model.get_weights())
    _check_converted(copy)
    pack(copy)  # binary convolutions bit-packed where the kernel applies
    return copy


def _clone(model: tf.keras.Model, convert: Any) -> tf.keras.Model:
    """`clone_model` of `model` (or of a model nested in it) through `convert`."""
    try:
        return tf.keras.models.clone_model(model, clone_function=convert)
    except _RefusedError:
        raise
    except (NotImplementedError, TypeError, ValueError) as error:
        raise _RefusedError(
            f"model {model.name!r}: with_bit_errors cannot copy it (only functional "
            f"and sequential models, nested ones too): {str(error).splitlines()[0]}"
        ) from None


def _check_converted(copy: tf.keras.Model) -> None:
    """Refuses a copy in which a 1-bit sign input quantizer was left unconverted."""
    for path, layer in walk_layers(copy):
        quantizer = getattr(layer, "input_quantizer", None)
        if is_one_bit(quantizer) and not isinstance(quantizer, BerSteSign):
            raise _RefusedError(
                f"layer {path!r}: with_bit_errors cannot convert its input quantizer "
                f"{type(quantizer).__name__}: it sits inside a layer that is not a "
                "functional or sequential model."
            )
