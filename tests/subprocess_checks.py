"""Checks that need a fresh TensorFlow process (global determinism, logical devices).

Run by test_quantizers.py as `python tests/subprocess_checks.py MODE ARGS`;
prints one JSON line starting with RESULT.
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import larq as lq
import numpy as np
import tensorflow as tf


def _model(quantizer):
    inp = tf.keras.Input((8, 8, 4))
    x = tf.keras.layers.BatchNormalization()(inp)
    x = lq.layers.QuantConv2D(
        8,
        3,
        input_quantizer=quantizer(),
        kernel_quantizer="ste_sign",
        kernel_constraint="weight_clip",
        use_bias=False,
    )(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantDense(
        5,
        input_quantizer=quantizer(),
        kernel_quantizer="ste_sign",
        kernel_constraint="weight_clip",
    )(x)
    return tf.keras.Model(inp, tf.keras.layers.Softmax()(x))


def _data(n=256):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 8, 8, 4)).astype("float32"), rng.integers(0, 5, n)


def determinism(seed):
    from larq_ber.quantizers import BerSteSign

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    digest = hashlib.sha256()
    q = BerSteSign(0.1)
    x = tf.random.normal([1000, 100])
    for _ in range(2):  # eager draws
        digest.update(q(x, training=True).numpy().tobytes())
    sparse = BerSteSign(1e-3, ber_pos=0.04)
    traced = tf.function(lambda t: sparse(t, training=True))
    for _ in range(2):  # sparse sampler in a graph
        digest.update(traced(x).numpy().tobytes())
    model = _model(lambda: BerSteSign(0.1))
    model.compile(tf.keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    xs, ys = _data()
    model.fit(xs, ys, batch_size=32, epochs=2, verbose=0)
    for w in model.get_weights():
        digest.update(w.tobytes())
    return {"digest": digest.hexdigest()}


def mirrored():
    from larq_ber.quantizers import BerSteSign, set_ber

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    tf.keras.utils.set_random_seed(0)
    with strategy.scope():
        model = _model(lambda: BerSteSign(0.1, metrics=["bit_error_rate"]))
        model.compile(tf.keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    xs, ys = _data(1024)
    first = model.fit(
        xs, ys, batch_size=64, epochs=1, verbose=0, validation_data=(xs, ys)
    )
    set_ber(model, 0.3)
    second = model.fit(
        xs, ys, batch_size=64, epochs=1, verbose=0, validation_data=(xs, ys)
    )
    # Each replica keeps its own BatchNorm moving statistics (Keras's non-synced
    # BatchNorm); give all replicas the aggregated ones before comparing.
    model.set_weights(model.get_weights())
    plain = _model(lambda: "ste_sign")
    plain.set_weights(model.get_weights())
    # Both run error-free; replicas see half batches, so kernels may sum in
    # another order: compare up to float32 rounding.
    inference_diff = float(
        np.abs(model.predict(xs, verbose=0) - plain.predict(xs, verbose=0)).max()
    )
    return {
        "replicas": strategy.num_replicas_in_sync,
        "first": first.history,
        "second": second.history,
        "inference_diff": inference_diff,
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "determinism":  # one digest per seed, in order, in this process
        result = {"digests": [determinism(int(s))["digest"] for s in sys.argv[2:]]}
    else:
        result = mirrored()
    print("RESULT " + json.dumps(result), flush=True)
