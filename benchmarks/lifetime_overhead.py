"""Cost of a lifetime point versus a robustness cell of the same number of draws.

A robustness cell evaluates `--draws` draws of weight errors at one scalar BER; a
lifetime point (`larq_ber.lifetime`) first builds the error map of one chip from the
device physics (`larq_ber.errors.device_error_map`: every weight cell's probability
of reading wrong after the storage time, for the value it holds), then evaluates
`--draws` draws under it. For LeNet-4 and NiN (random weights and inputs), times per
round, in alternating order:

* `cell`: `draws` x (`weight_errors(model, 0.01)` + `evaluate`);
* `point`: `device_error_map` (identical cells, one day at 85 °C) + `draws` x
  (`weight_errors(model, map)` + `evaluate`);
* `point+spread`: the same with a 10 % spread of Δ (a chip of drawn cells);
* `map+spread`: building that map alone (weights and, with a write point,
  activations: the population of every binary position).

It prints the median of each, the median of the per-round ratios to `cell` with a
95 % distribution-free interval, and the memory of the NiN map (its arrays and the
peak traced by `tracemalloc` while building it). Goal (issue 29): a lifetime sweep
over 10 storage times costs no more than 10 robustness cells, i.e. `point` and
`point+spread` <= 1.0x `cell` up to noise.

    python benchmarks/lifetime_overhead.py [--rounds 5] [--draws 10] \
        [--models lenet4,nin]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
from _stats import median_interval

from larq_ber.errors import device_error_map, weight_errors
from larq_ber.models import LeNet4, NiN
from larq_ber.mtj import MTJ, CellVariation, celsius

MODELS: dict[str, tuple[Callable[..., tf.keras.Model], int, int]] = {
    # name: (function, samples, batch size)
    "lenet4": (LeNet4, 4096, 128),
    "nin": (NiN, 512, 64),
}
DAY = 86400.0


def _setup(name: str) -> tuple[tf.keras.Model, tf.data.Dataset]:
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
    options = tf.data.Options()
    options.autotune.enabled = False
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).cache()
    data = data.with_options(options)
    model.evaluate(data, verbose=0)  # trace, fill the cache
    return model, data


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(name: str, rounds: int, draws: int) -> dict[str, list[float]]:
    """Seconds per variant and round; the order of the variants alternates."""
    model, data = _setup(name)
    hot = MTJ.paper().at(celsius(85))
    spread = CellVariation(delta_spread=0.1)

    def evaluate_under(errors: object) -> None:
        for seed in range(draws):
            with weight_errors(model, errors, seed=seed):  # type: ignore[arg-type]
                model.evaluate(data, verbose=0)

    variants: dict[str, Callable[[], None]] = {
        "cell": lambda: evaluate_under(0.01),
        "point": lambda: evaluate_under(device_error_map(model, hot, storage_time=DAY)),
        "point+spread": lambda: evaluate_under(
            device_error_map(model, hot, storage_time=DAY, variation=spread, chip=0)
        ),
        "map+spread": lambda: device_error_map(
            model,
            hot,
            voltage=0.6,
            pulse=10e-9,
            storage_time=DAY,
            variation=spread,
            chip=0,
        ),
    }
    variants["map+spread"]()  # build the WER tables once (cached), as a sweep does
    times: dict[str, list[float]] = {key: [] for key in variants}
    order = list(variants)
    for r in range(rounds):
        for key in order if r % 2 == 0 else order[::-1]:
            times[key].append(_timed(variants[key]))
    return times


def memory(name: str) -> tuple[int, int, int]:
    """(binary positions, bytes of the map's arrays, traced peak bytes) of one map."""
    model, _ = _setup(name)
    tracemalloc.start()
    errors = device_error_map(
        model, voltage=0.6, pulse=10e-9, storage_time=DAY,
        variation=CellVariation(delta_spread=0.1, v_c0_spread=0.05), chip=1,
    )  # fmt: skip
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    arrays = [a for pair in errors.activations.values() for a in pair]
    arrays += list(errors.weights.values())
    positions = sum(a.size for a in errors.activations.values() for a in a[:1])
    positions += sum(a.size for a in errors.weights.values())
    return positions, sum(a.nbytes for a in arrays), peak


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--draws", type=int, default=10, help="draws (default 10)")
    parser.add_argument("--models", default="lenet4,nin", help="models to time")
    args = parser.parse_args()
    print(f"{'model':<8} {'variant':<13} {'median s':>9} {'ratio':>6}  95 % interval")
    for name in args.models.split(","):
        times = measure(name, args.rounds, args.draws)
        for variant, values in times.items():
            ratios = [v / c for v, c in zip(values, times["cell"], strict=True)]
            low, high = median_interval(ratios)
            middle = statistics.median(ratios)
            print(f"{name:<8} {variant:<13} {statistics.median(values):9.3f} "
                  f"{middle:6.3f}  [{low:.3f}, {high:.3f}]")  # fmt: skip
    if "nin" in args.models.split(","):
        positions, size, peak = memory("nin")
        print(
            f"NiN map with spreads of Δ and V_c0: {positions:,} binary positions, "
            f"arrays {size / 2**20:.1f} MiB, traced peak {peak / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    main()
