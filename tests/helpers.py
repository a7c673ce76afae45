"""Models shared by several test modules."""

import larq as lq
import tensorflow as tf


def binary_block_model(quantizer, input_shape=(16, 16, 3), classes=10):
    """Two binary convolutions (one 'same' padded with 1.0, one after a binary
    max-pool) and a binary dense layer, each behind `quantizer()`."""
    binary = {
        "kernel_quantizer": "magnitude_aware_sign",
        "kernel_constraint": "weight_clip",
        "use_bias": False,
    }
    inp = tf.keras.Input(input_shape)
    x = tf.keras.layers.Conv2D(32, 3, padding="same", use_bias=False)(inp)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(
        32, 3, input_quantizer=quantizer(), padding="same", pad_values=1.0, **binary
    )(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.MaxPool2D()(x)
    x = lq.layers.QuantConv2D(64, 3, input_quantizer=quantizer(), **binary)(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.Flatten()(x)
    x = lq.layers.QuantDense(classes, input_quantizer=quantizer(), **binary)(x)
    out = tf.keras.layers.Softmax()(x)
    return tf.keras.Model(inp, out)
