"""Cost of evaluating under errors at deployment versus a plain `evaluate`.

For LeNet-4 and NiN (`larq_ber.models`, random weights, random inputs), times:

* `plain`: `model.evaluate(data)`;
* `draw`: one draw of a robustness table as `larq_ber.study.sweeps.robustness` makes it
  — activation errors at inference (BER 0.04) and weight errors (BER 0.01): the
  quantizers' generators reseeded, the weights flipped and restored, `evaluate`;
  the `activation_errors` context is entered once per test BER, so its retrace is
  shared by all the draws of that BER;
* `draw+enter`: one draw that also enters and leaves `activation_errors` (the
  cost when each draw is its own `with` block).

The variants alternate within each round so drifts of the machine hit all alike;
it prints the median time of each, the median of the per-round ratios to
`plain`, and the minimum of each with its ratio to the minimum of `plain`.
Goal: `draw` <= 1.2x `plain`.

The data are read from memory with tf.data's autotuning off, as
`larq_ber.study.sweeps.robustness` reads a test set. With `--autotune` they are not:
then destroying each `evaluate`'s iterator waits for tf.data's optimisation
thread, and single evaluations fall into two speeds (on the 2-core machine,
LeNet-4: about 0.3 s or exactly 0.63 s, the wait coming after `on_test_end`).

    python benchmarks/errors_overhead.py [--rounds 7] [--models lenet4,nin] [--autotune]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from larq_ber.errors import activation_errors, weight_errors
from larq_ber.models import LeNet4, NiN

MODELS: dict[str, tuple[Callable[..., tf.keras.Model], int, int]] = {
    # name: (function, samples, batch size)
    "lenet4": (LeNet4, 4096, 128),
    "nin": (NiN, 512, 64),
}


def _setup(name: str, autotune: bool) -> tuple[tf.keras.Model, tf.data.Dataset]:
    function, samples, batch = MODELS[name]
    tf.keras.utils.set_random_seed(0)
    model = function()
    model.compile(
        loss="sparse_categorical_crossentropy",
        metrics=[tf.keras.metrics.SparseCategoricalAccuracy("top1")],
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, 10, samples)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).cache()
    if not autotune:
        options = tf.data.Options()
        options.autotune.enabled = False
        data = data.with_options(options)
    model.evaluate(data, verbose=0)  # trace, fill the cache
    return model, data


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(name: str, rounds: int, autotune: bool) -> dict[str, list[float]]:
    """Seconds per variant and round; the order of the variants alternates.

    Leaving `activation_errors` retraces the inference function, so each timed
    `plain` and `draw` follows an untimed warm-up call of the same function.
    """
    model, data = _setup(name, autotune)
    times: dict[str, list[float]] = {"plain": [], "draw": [], "draw+enter": []}

    def plain() -> None:
        model.evaluate(data, verbose=0)

    def draws(seed: int) -> float:
        with activation_errors(model, 0.04, seed=0) as quantizers:

            def draw(seed: int) -> None:
                for k, quantizer in enumerate(quantizers):
                    quantizer.reseed_inference_errors(seed + k)
                with weight_errors(model, 0.01, seed=seed):
                    model.evaluate(data, verbose=0)

            draw(seed + 1)  # warm up the erring function
            return _timed(lambda: draw(seed))

    def draw_and_enter(seed: int) -> None:
        with activation_errors(model, 0.04, seed=seed):
            with weight_errors(model, 0.01, seed=seed):
                model.evaluate(data, verbose=0)

    variants = ["plain", "draw", "draw+enter"]
    for r in range(rounds):
        for variant in variants if r % 2 == 0 else variants[::-1]:
            if variant == "plain":
                plain()  # warm up after the last context's retrace
                times[variant].append(_timed(plain))
            elif variant == "draw":
                times[variant].append(draws(10 * r))
            else:
                times[variant].append(_timed(partial(draw_and_enter, 10 * r + 5)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7)")
    parser.add_argument(
        "--models", default="lenet4,nin", help="models to time (default lenet4,nin)"
    )
    parser.add_argument(
        "--autotune",
        action="store_true",
        help="keep tf.data's autotuning of the data (shows the two speeds)",
    )
    args = parser.parse_args()
    print(
        f"{'model':<8} {'variant':<11} {'median s':>9} {'ratio':>6} "
        f"{'min s':>7} {'min ratio':>9}"
    )
    for name in args.models.split(","):
        times = measure(name, args.rounds, args.autotune)
        base = statistics.median(times["plain"])
        fastest = min(times["plain"])
        for variant, values in times.items():
            ratio = statistics.median(v / base for v in values)
            print(f"{name:<8} {variant:<11} {statistics.median(values):9.3f} "
                  f"{ratio:6.3f} {min(values):7.3f} "
                  f"{min(values) / fastest:9.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
