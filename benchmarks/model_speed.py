"""Training step of the paper's models versus the same network in plain larq.

For each model, times training steps (SGD, random data) of

* `larq_ber`: `larq_ber.models.<Model>(ber=0)`, as the sweeps train it;
* `plain larq`: the same layer stack built from larq's own layers — `QuantConv2D`
  and `QuantDense` with `"ste_sign"` inputs and `magnitude_aware_sign` kernels,
  the same BatchNorm, pooling, dropout and classifier;
* `plain larq (A/A)`: the plain stack again, which shows the noise.

Each (round, variant) runs in a fresh process, the order alternating from round to
round; it prints the median step time of each variant and its ratio to
`plain larq`. Goal: `larq_ber` <= 1.05x `plain larq`. It also prints the median
time of each process's first training step (tracing the training function,
optimising its graph, one step): what every new model pays once, e.g. once per run
of a sweep.

    python benchmarks/model_speed.py [--rounds 5] [--models lenet4,nin,alexnet]

With `--paired` the three models of each architecture live in one process (one
fresh process per architecture) and single training steps alternate between them
(order reversed every other round); it prints the median over rounds of the step
time of `larq_ber` and of the second plain stack, each divided by the plain stack's
step in the same round, with a distribution-free 95 % interval. Pairing steps
within seconds of each other removes the machine's drifts, which the
fresh-process comparison cannot (its A/A ratios ranged 0.93-1.10):

    python benchmarks/model_speed.py --paired --rounds 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import larq as lq
import numpy as np
import tensorflow as tf
from _stats import median_interval

from larq_ber.models import BinaryAlexNet, LeNet4, NiN

# name: (larq_ber model, input shape, batch size, timed steps)
SETUPS: dict[str, tuple[Any, tuple[int, int, int], int, int]] = {
    "lenet4": (LeNet4, (28, 28, 1), 128, 20),
    "nin": (NiN, (32, 32, 3), 64, 4),
    "alexnet": (BinaryAlexNet, (64, 64, 3), 32, 4),
}


def _bn(x: tf.Tensor, epsilon: float = 1e-4) -> tf.Tensor:
    return tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=epsilon)(x)


def _bconv(x: tf.Tensor, filters: int, size: int, *, same: bool = False) -> tf.Tensor:
    x = lq.layers.QuantConv2D(
        filters,
        size,
        padding="same" if same else "valid",
        pad_values=1.0 if same else 0.0,
        input_quantizer="ste_sign",
        kernel_quantizer="magnitude_aware_sign",
        kernel_constraint="weight_clip",
    )(_bn(x))
    return tf.keras.layers.ReLU()(x)


def _bdense(x: tf.Tensor, units: int, dropout: float = 0.0) -> tf.Tensor:
    x = _bn(tf.keras.layers.Flatten()(x))
    if dropout:  # on the binary input, as in larq_ber's models: sign -> dropout
        x = tf.keras.layers.Dropout(dropout)(lq.quantizers.SteSign()(x))
        quantizer = None
    else:
        quantizer = "ste_sign"
    x = lq.layers.QuantDense(
        units,
        input_quantizer=quantizer,
        kernel_quantizer="magnitude_aware_sign",
        kernel_constraint="weight_clip",
    )(x)
    return tf.keras.layers.ReLU()(x)


def _real_conv(x: tf.Tensor, filters: int, size: int, **kw: Any) -> tf.Tensor:
    x = tf.keras.layers.Conv2D(filters, size, **kw)(x)
    return tf.keras.layers.ReLU()(_bn(x))


def plain_lenet4(shape: tuple[int, int, int]) -> tf.keras.Model:
    inputs = tf.keras.Input(shape)
    x = tf.keras.layers.MaxPool2D(2)(_real_conv(inputs, 20, 5))
    x = tf.keras.layers.MaxPool2D(2)(_bconv(x, 50, 5))
    x = _bdense(x, 500)
    out = tf.keras.layers.Dense(10, activation="softmax")(x)
    return tf.keras.Model(inputs, out)


def _bconv_dropout(x: tf.Tensor, filters: int, size: int) -> tf.Tensor:
    x = tf.keras.layers.Dropout(0.5)(lq.quantizers.SteSign()(_bn(x)))
    x = lq.layers.QuantConv2D(
        filters,
        size,
        padding="same",
        pad_values=1.0,
        kernel_quantizer="magnitude_aware_sign",
        kernel_constraint="weight_clip",
    )(x)
    return tf.keras.layers.ReLU()(x)


def plain_nin(shape: tuple[int, int, int]) -> tf.keras.Model:
    inputs = tf.keras.Input(shape)
    x = _real_conv(inputs, 192, 5, padding="same")
    x = _bconv(_bconv(x, 160, 1), 96, 1)
    x = tf.keras.layers.MaxPool2D(3, 2, padding="same")(x)
    x = _bconv(_bconv(_bconv_dropout(x, 192, 5), 192, 1), 192, 1)
    x = tf.keras.layers.AveragePooling2D(3, 2, padding="same")(x)
    x = _bconv(_bconv_dropout(x, 192, 3), 192, 1)
    x = tf.keras.layers.Conv2D(10, 1)(_bn(x))
    x = tf.keras.layers.GlobalAveragePooling2D()(tf.keras.layers.ReLU()(x))
    return tf.keras.Model(inputs, tf.keras.layers.Softmax()(x))


def plain_alexnet(shape: tuple[int, int, int]) -> tf.keras.Model:
    inputs = tf.keras.Input(shape)
    x = tf.keras.layers.ZeroPadding2D(2)(inputs)
    x = tf.keras.layers.MaxPool2D(3, 2)(_real_conv(x, 96, 11, strides=4))
    x = tf.keras.layers.MaxPool2D(3, 2)(_bconv(x, 256, 5, same=True))
    x = _bconv(
        _bconv(_bconv(x, 384, 3, same=True), 384, 3, same=True), 256, 3, same=True
    )
    x = tf.keras.layers.MaxPool2D(3, 2)(x)
    x = _bdense(_bdense(x, 4096), 4096, dropout=0.5)
    x = tf.keras.layers.Dropout(0.5)(_bn(x, 1e-3))
    out = tf.keras.layers.Dense(1000, activation="softmax")(x)
    return tf.keras.Model(inputs, out)


PLAIN = {"lenet4": plain_lenet4, "nin": plain_nin, "alexnet": plain_alexnet}


def _model(name: str, variant: str) -> tf.keras.Model:
    """One variant ("larq_ber" or "plain"), seeded and compiled (SGD)."""
    function, shape, _, _ = SETUPS[name]
    tf.keras.utils.set_random_seed(0)
    if variant == "larq_ber":
        classes = 1000 if name == "alexnet" else 10
        model = function(input_shape=shape, num_classes=classes, ber=0.0)
    else:
        model = PLAIN[name](shape)
    model.compile(
        tf.keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy"
    )
    return model


def child(name: str, variant: str) -> None:
    """Times training steps of one variant in this process; prints seconds/step."""
    _, shape, batch, steps = SETUPS[name]
    model = _model(name, variant)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype("float32")
    y = rng.integers(0, model.output_shape[-1], batch)
    start = time.perf_counter()
    model.train_on_batch(x, y)  # trace
    first = time.perf_counter() - start
    model.train_on_batch(x, y)  # warm up
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    print(
        f"PARAMS {model.count_params()} FIRST_SECONDS {first!r} "
        f"STEP_SECONDS {statistics.median(times)!r}"
    )


def paired_child(name: str, rounds: int) -> None:
    """Alternates single training steps of the three variants in this process.

    Prints `RATIOS [[larq_ber / plain, plain again / plain] per round]`.
    """
    _, shape, batch, _ = SETUPS[name]
    rng = np.random.default_rng(0)
    models = [_model(name, variant) for variant in ("larq_ber", "plain", "plain")]
    x = rng.standard_normal((batch, *shape)).astype("float32")
    y = rng.integers(0, models[0].output_shape[-1], batch)
    for model in models:  # trace, warm up
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)
    ratios = []
    for r in range(rounds):
        seconds = [0.0, 0.0, 0.0]
        for i in (0, 1, 2) if r % 2 == 0 else (2, 1, 0):
            start = time.perf_counter()
            models[i].train_on_batch(x, y)
            seconds[i] = time.perf_counter() - start
        ratios.append([seconds[0] / seconds[1], seconds[2] / seconds[1]])
    print(f"RATIOS {ratios!r}")


def paired(names: list[str], rounds: int) -> None:
    """Runs `paired_child` per model in a fresh process and prints the table."""
    import ast

    print(f"{'model':8} {'variant':17} {'median ratio':>13} {'95% CI':>15}")
    for name in names:
        cmd = [sys.executable, __file__, "--paired-child", name, str(rounds)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        ratios = ast.literal_eval(out.split("RATIOS")[-1].strip())
        for column, label in ((0, "larq_ber"), (1, "plain larq (A/A)")):
            values = [row[column] for row in ratios]
            low, high = median_interval(values)
            print(f"{name:8} {label:17} {statistics.median(values):13.3f} "
                  f"{low:7.3f}-{high:.3f}")  # fmt: skip


def _run(name: str, variant: str) -> tuple[float, float, int]:
    cmd = [sys.executable, __file__, "--child", name, variant]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    params, rest = out.split("PARAMS")[-1].split("FIRST_SECONDS")
    first, seconds = rest.split("STEP_SECONDS")
    return float(seconds), float(first), int(params)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--models",
        default="lenet4,nin,alexnet",
        help="models to time (default lenet4,nin,alexnet)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="one process per model, single steps of the variants alternating "
        "(median of per-round ratios with a 95%% interval)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--paired-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.paired_child:
        paired_child(args.paired_child[0], int(args.paired_child[1]))
        return
    if args.paired:
        paired(args.models.split(","), args.rounds)
        return
    variants = ["larq_ber", "plain larq", "plain larq (A/A)"]
    header = (
        "model",
        "variant",
        "params",
        "median s/step",
        "ratio",
        "first s",
        "ratio",
    )
    print("{:<8} {:<17} {:>10} {:>14} {:>6} {:>8} {:>6}".format(*header))
    for name in args.models.split(","):
        times: dict[str, list[float]] = {v: [] for v in variants}
        firsts: dict[str, list[float]] = {v: [] for v in variants}
        params: dict[str, int] = {}
        for r in range(args.rounds):
            for variant in variants if r % 2 == 0 else variants[::-1]:
                kind = "larq_ber" if variant == "larq_ber" else "plain"
                seconds, first, params[variant] = _run(name, kind)
                times[variant].append(seconds)
                firsts[variant].append(first)
        base = statistics.median(times["plain larq"])
        first_base = statistics.median(firsts["plain larq"])
        for variant in variants:
            median = statistics.median(times[variant])
            first = statistics.median(firsts[variant])
            print(f"{name:<8} {variant:<17} {params[variant]:>10,d} "
                  f"{median:14.4f} {median / base:6.3f} "
                  f"{first:8.2f} {first / first_base:6.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
