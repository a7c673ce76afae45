"""Bit errors in an ordinary `model.fit`: the `"ber_ste_sign"` quantizer end to end.

Builds a small binarized network with `input_quantizer="ber_ste_sign"`, shows the
flip rate measured during training and that inference flips nothing, trains it at
two bit error rates on the offline `digits` data, compares the error-free test
accuracy, and saves and reloads the model.

    python examples/bit_errors_in_model_fit.py [--bers 0 0.1] [--epochs 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# larq_ber before larq: on TensorFlow >= 2.16 it makes tf.keras Keras 2 (tf-keras).
import larq_ber

# isort: split

import larq as lq
import numpy as np
import tensorflow as tf

from larq_ber.quantizers import ber_quantizers, set_ber
from larq_ber.study.data import digits_arrays


def small_bnn(ber: float) -> tf.keras.Model:
    """A small binarized CNN for 28×28 digits; every binary layer flips at `ber`."""
    binary = dict(
        # the object form can log the flips it makes as a training metric
        input_quantizer=larq_ber.BerSteSign(ber, metrics=["bit_error_rate"]),
        kernel_quantizer="ste_sign",
        kernel_constraint="weight_clip",
        use_bias=False,
    )
    inputs = tf.keras.Input((28, 28, 1))
    x = tf.keras.layers.Conv2D(16, 3, use_bias=False)(inputs)  # real-valued input
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.MaxPooling2D()(x)
    x = lq.layers.QuantConv2D(32, 3, **binary)(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.MaxPooling2D()(x)
    x = tf.keras.layers.Flatten()(x)
    x = lq.layers.QuantDense(64, **{**binary, "input_quantizer": "ber_ste_sign"})(x)
    x = tf.keras.layers.BatchNormalization()(x)
    outputs = tf.keras.layers.Dense(10, activation="softmax")(x)
    model = tf.keras.Model(inputs, outputs)
    set_ber(model, ber)  # the string alias starts at 0: set every BerSteSign
    return model


def main() -> None:
    """Runs the example with the command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bers",
        type=float,
        nargs=2,
        default=[0.0, 0.1],
        metavar="BER",
        help="the two bit error rates to compare, in [0, 1] (default: 0 0.1)",
    )
    parser.add_argument(
        "--epochs", type=int, default=5, help="training epochs (default: 5)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of data split and weights (default: 0)",
    )
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = digits_arrays(seed=args.seed)
    # 1. The quantizer flips only while training.
    quantizer = larq_ber.BerSteSign(0.1)
    x = tf.random.normal([100_000])
    flipped = lambda training: float(  # noqa: E731
        tf.reduce_mean(
            tf.cast(quantizer(x, training=training) != tf.sign(x), "float32")
        )
    )
    print(f"fraction flipped, training=True: {flipped(True):.4f} (rate 0.1)")
    print(f"fraction flipped, training=False: {flipped(False):.4f}")

    # 2. Train at two rates, measure error-free accuracy (validation: training=False).
    accuracy = {}
    for ber in args.bers:
        tf.keras.utils.set_random_seed(args.seed)
        model = small_bnn(ber)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            x_train, y_train, batch_size=32, epochs=args.epochs,
            validation_data=(x_test, y_test), verbose=0,
        )  # fmt: skip
        rates = {
            k: v[-1]
            for k, v in history.history.items()
            if k.startswith("bit_error_rate")
        }
        accuracy[ber] = history.history["val_accuracy"][-1]
        print(
            f"BER {ber:g}: measured flip rates in the last epoch "
            + ", ".join(f"{k.split('/')[-1]} {v:.4f}" for k, v in rates.items())
            + f"; error-free test accuracy {100 * accuracy[ber]:.2f} %"
        )
    # 3. Save and reload: the quantizer is serialisable, predictions are identical.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bnn.keras")
        model.save(path)
        again = tf.keras.models.load_model(path)
    same = np.array_equal(
        model.predict(x_test, verbose=0), again.predict(x_test, verbose=0)
    )
    print(
        f"reloaded: {len(ber_quantizers(again))} BerSteSign, rates "
        f"{[q.ber for q in ber_quantizers(again)]}, identical predictions: {same}"
    )


if __name__ == "__main__":
    main()
