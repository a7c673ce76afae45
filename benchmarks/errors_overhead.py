"""Cost of evaluating under errors at deployment versus a plain `evaluate`.

For LeNet-4 and NiN (`larq_ber.models`, random weights, random inputs), times:

* `plain`: `model.evaluate(data)`;
* `draw`: one draw of a robustness table as `larq_ber.study.sweeps.robustness` makes it
  — activation errors at inference (BER 0.04) and weight errors (BER 0.01): the
  quantizers' generators reseeded inside an `activation_errors` block entered
  beforehand, the weights flipped and restored, `evaluate`;
* `draw+enter`: one draw that also enters and leaves `activation_errors` (the
  cost when each draw is its own `with` block, as a user writes it);
* `enter+leave`: entering and leaving `activation_errors` alone (no evaluate).

The variants alternate within each round (the order reverses every round) so that
drifts of the machine hit all alike; it prints the median time of each and the
median of the per-round ratios to `plain` with its 95 % distribution-free interval.
Goals: `draw` <= 1.05x `plain`, `enter+leave` <= 0.10x `plain`. The first lines say
whether the compiled kernel of the flips (`larq-ber kernel build`) is in use; run it
with `LARQ_BER_KERNEL=0` for TensorFlow's own ops.

The data are read from memory with tf.data's autotuning off, as
`larq_ber.study.sweeps.robustness` reads a test set. With `--autotune` they are not:
then destroying each `evaluate`'s iterator waits for tf.data's optimisation
thread, and single evaluations fall into two speeds (on the 2-core machine,
LeNet-4: about 0.3 s or exactly 0.63 s, the wait coming after `on_test_end`).

    python benchmarks/errors_overhead.py [--rounds 9] [--models lenet4,nin] [--autotune]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf
from _data import in_memory, random_images
from _stats import median_interval

from larq_ber import kernel
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
    x, y = random_images(model.input_shape[1:], samples)
    data = in_memory(x, y, batch, train=False, autotune=autotune)
    model.evaluate(data, verbose=0)  # trace, fill the cache
    return model, data


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(name: str, rounds: int, autotune: bool) -> dict[str, list[float]]:
    """Seconds per variant and round; the order of the variants alternates.

    Each variant is called once untimed first (traces, caches).
    """
    model, data = _setup(name, autotune)

    def plain() -> None:
        model.evaluate(data, verbose=0)

    def draw(seed: int, quantizers: list) -> None:
        for k, quantizer in enumerate(quantizers):
            quantizer.reseed_inference_errors(seed + k)
        with weight_errors(model, 0.01, seed=seed):
            model.evaluate(data, verbose=0)

    def draw_and_enter(seed: int) -> None:
        with activation_errors(model, 0.04, seed=seed):
            with weight_errors(model, 0.01, seed=seed):
                model.evaluate(data, verbose=0)

    def enter_and_leave(seed: int) -> None:
        with activation_errors(model, 0.04, seed=seed):
            pass

    times: dict[str, list[float]] = {
        "plain": [], "draw": [], "draw+enter": [], "enter+leave": []
    }  # fmt: skip
    with activation_errors(model, 0.04, seed=0) as quantizers:
        draw(1, quantizers)  # warm up the erring functions
    plain(), draw_and_enter(2), enter_and_leave(3)
    variants = list(times)
    for r in range(rounds):
        seed = 10 * r
        for variant in variants if r % 2 == 0 else variants[::-1]:
            if variant == "plain":
                times[variant].append(_timed(plain))
            elif variant == "draw":
                with activation_errors(model, 0.04, seed=seed) as quantizers:
                    times[variant].append(_timed(partial(draw, seed, quantizers)))
            elif variant == "draw+enter":
                times[variant].append(_timed(partial(draw_and_enter, seed + 5)))
            else:
                times[variant].append(_timed(partial(enter_and_leave, seed + 7)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=9, help="rounds (default 9)")
    parser.add_argument(
        "--models", default="lenet4,nin", help="models to time (default lenet4,nin)"
    )
    parser.add_argument(
        "--autotune",
        action="store_true",
        help="keep tf.data's autotuning of the data (shows the two speeds)",
    )
    args = parser.parse_args()
    print(f"flips drawn by: {'the compiled kernel' if kernel.load() else 'TF ops'}")
    header = f"{'model':<8} {'variant':<11} {'median s':>9}"
    print(f"{header} {'ratio to plain [95 % CI]':>27}")
    for name in args.models.split(","):
        times = measure(name, args.rounds, args.autotune)
        for variant, values in times.items():
            ratios = [v / p for v, p in zip(values, times["plain"], strict=True)]
            low, high = median_interval(ratios)
            median = statistics.median(ratios)
            print(f"{name:<8} {variant:<11} {statistics.median(values):9.3f} "
                  f"{median:10.3f} [{low:.3f}, {high:.3f}]")  # fmt: skip
    print(f"(n = {args.rounds} rounds per ratio)")


if __name__ == "__main__":
    main()
