r"""Training-step overhead of `BerSteSign(0.04)` versus larq's plain `"ste_sign"`.

Builds a LeNet-4 and a Network-in-Network shaped model with each input
quantizer (the same seed, so the same initial weights) and times training steps,
alternating the order of the variants from round to round so that drifts of the
machine hit all alike. Prints the median and the minimum over processes of each
variant's step time and their ratios to `ste_sign`; a second `ste_sign` run (A/A)
shows the noise floor. The minimum is the better estimate of the cost itself: on
the 2-core CI machine some processes run up to 2x slower for reasons outside the
code measured (seen in A/A runs too). Goal: <= 1.01.

    python benchmarks/quantizer_overhead.py [--rounds 5] [--rates 0.001,0.04] [--jit]

With `--jit` the models are compiled with XLA (`jit_compile=True`) and `ste_sign`
also runs without it, so the table shows XLA's own effect next to the flips'.

With `--per-call` it times the quantizer alone instead, forward and backward in one
`tf.function`, on LeNet-4's binary-conv input (128 x 12 x 12 x 20 = 369 k elements)
and NiN's largest (64 x 32 x 32 x 192 = 12.6 M), and prints what the flips add to
`ste_sign` per call (ms), for the gap sampler and the byte sampler at each rate.

With `--kernel` the flips use the compiled CPU kernel (`larq_ber.kernel`, built
first if needed; `--per-call` adds its column); without it a built kernel is
disabled (`LARQ_BER_KERNEL=0`), so the flips are TensorFlow operations.

Each (round, variant) runs in a fresh process: in one process, two models of the
same architecture differed in speed by up to 40 % depending on which was built
second (seen on the 2-core CI machine), which would swamp the effect measured.

With `--paired` it measures within one model instead: each model (one fresh process
per model) is built once with `BerSteSign(0)` inputs and trained in short blocks
whose rate `set_ber` switches between 0 and each rate (no retracing: the rate is a
variable), the order alternating from round to round. At rate 0 the quantizer runs
larq's plain sign (`model_speed.py` times BER 0 against plain larq), so each round's
block time at a rate divided by that round's block time at 0 is the flips' cost,
paired against the machine's drifts. It prints the median over rounds with its 95 %
confidence interval; a second rate-0 block (A/A) shows the noise. One-step blocks
and a few hundred rounds pair best (the machine's speed changes within seconds):

    python benchmarks/quantizer_overhead.py --paired --rounds 600 --lenet-steps 1 \
        --nin-steps 1 --rates 0.001,0.04,0.25
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import larq as lq
import numpy as np
import tensorflow as tf
from _stats import median_interval

from larq_ber.kernel import DISABLE_VARIABLE
from larq_ber.quantizers import BerSteSign

QuantizerFactory = Callable[[], object]


def _binary_conv(
    x: tf.Tensor, filters: int, size: int, q: QuantizerFactory, **kw: object
) -> tf.Tensor:
    x = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-4)(x)
    x = lq.layers.QuantConv2D(
        filters,
        size,
        input_quantizer=q(),
        kernel_quantizer="magnitude_aware_sign",
        kernel_constraint="weight_clip",
        use_bias=False,
        **kw,
    )(x)
    return x


def lenet4(q: QuantizerFactory) -> tf.keras.Model:
    inp = tf.keras.Input((28, 28, 1))
    x = tf.keras.layers.Conv2D(20, 5)(inp)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.ReLU()(x)
    x = tf.keras.layers.MaxPool2D()(x)
    x = _binary_conv(x, 50, 5, q)
    x = tf.keras.layers.MaxPool2D()(x)
    x = tf.keras.layers.ReLU()(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = lq.layers.QuantDense(
        500,
        input_quantizer=q(),
        kernel_quantizer="magnitude_aware_sign",
        kernel_constraint="weight_clip",
    )(x)
    x = tf.keras.layers.ReLU()(x)
    out = tf.keras.layers.Dense(10, activation="softmax")(x)
    return tf.keras.Model(inp, out, name="lenet4")


def nin(q: QuantizerFactory) -> tf.keras.Model:
    inp = tf.keras.Input((32, 32, 3))
    x = tf.keras.layers.Conv2D(192, 5, padding="same")(inp)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.ReLU()(x)
    for filters in (160, 96):
        x = tf.keras.layers.ReLU()(_binary_conv(x, filters, 1, q))
    x = tf.keras.layers.MaxPool2D(3, 2, padding="same")(x)
    x = tf.keras.layers.Dropout(0.5)(x)
    x = tf.keras.layers.ReLU()(
        _binary_conv(x, 192, 5, q, padding="same", pad_values=1.0)
    )
    for _ in range(2):
        x = tf.keras.layers.ReLU()(_binary_conv(x, 192, 1, q))
    x = tf.keras.layers.AveragePooling2D(3, 2, padding="same")(x)
    x = tf.keras.layers.Dropout(0.5)(x)
    x = tf.keras.layers.ReLU()(
        _binary_conv(x, 192, 3, q, padding="same", pad_values=1.0)
    )
    x = tf.keras.layers.ReLU()(_binary_conv(x, 192, 1, q))
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.Conv2D(10, 1)(x)
    x = tf.keras.layers.ReLU()(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    out = tf.keras.layers.Softmax()(x)
    return tf.keras.Model(inp, out, name="nin")


PER_CALL_SHAPES = {"lenet4": (128, 12, 12, 20), "nin": (64, 32, 32, 192)}


def per_call(
    rates: list[float], kernel: bool = False, reps: int = 20, rounds: int = 9
) -> None:
    """Prints the ms per forward + backward call the flips add to `ste_sign`.

    For the gap and byte samplers of TensorFlow operations and, with `kernel`, the
    compiled kernel.
    """
    from larq_ber import flips

    generator = tf.random.Generator.from_seed(0)

    def step_of(quantize: Callable[[tf.Tensor], tf.Tensor]) -> Callable[..., object]:
        @tf.function
        def step(x: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(quantize(x) * x)
            return tape.gradient(loss, x)

        return step

    def sampler(rate: float, which: str, x: tf.Tensor) -> Callable[..., object]:
        # The rate is a constant, so tracing picks the sampler from the threshold
        # (patched for the trace, which happens here, with the timed shape) and
        # uses the compiled kernel if it is enabled then.
        saved = flips.SPARSE_MAX_RATE, os.environ[DISABLE_VARIABLE]
        flips.SPARSE_MAX_RATE = 1.0 if which == "gaps" else -1.0
        os.environ[DISABLE_VARIABLE] = "1" if which == "kernel" else "0"
        try:
            step = step_of(
                lambda t: flips.ber_ste_sign(t, rate, rate, generator=generator)
            )
            step(x)
        finally:
            flips.SPARSE_MAX_RATE, os.environ[DISABLE_VARIABLE] = saved
        return step

    samplers = ["gaps", "bytes", *(["kernel"] if kernel else [])]
    forward: dict[str, dict[str, float]] = {}
    print(f"{'input':7s} {'elements':>10s} {'rate':>7s} "
          + " ".join(f"{f'{s} ms':>9s}" for s in samplers)
          + f" {'ste_sign ms':>12s}")  # fmt: skip
    for name, shape in PER_CALL_SHAPES.items():
        x = tf.random.normal(shape)
        base = step_of(lq.quantizers.ste_sign)
        steps = {"ste": base}
        for rate in rates:
            for which in samplers:
                steps[f"{rate} {which}"] = sampler(rate, which, x)
        times: dict[str, list[float]] = {k: [] for k in steps}
        for step in steps.values():
            step(x)
        for _ in range(rounds):  # interleaved, so drifts of the machine hit all
            for key, step in steps.items():
                start = time.perf_counter()
                for _ in range(reps):
                    out = step(x)
                np.asarray(out)
                times[key].append((time.perf_counter() - start) / reps * 1e3)
        ste = statistics.median(times["ste"])
        forward[name] = _forward_times(x, kernel, reps, rounds)
        for rate in rates:
            added = [statistics.median(times[f"{rate} {s}"]) - ste for s in samplers]
            print(f"{name:7s} {int(np.prod(shape)):10d} {rate:7g} "
                  + " ".join(f"{a:9.2f}" for a in added)
                  + f" {ste:12.2f}", flush=True)  # fmt: skip
    print("\nforward only, ms per call (median):")
    for name, row in forward.items():
        print(f"{name:7s} " + "  ".join(f"{k} {v:.2f}" for k, v in row.items()))


def _forward_times(
    x: tf.Tensor, kernel: bool, reps: int, rounds: int
) -> dict[str, float]:
    """Forward-only times: larq's sign, TensorFlow's random bytes, the kernel."""
    n = int(np.prod(x.shape))
    key = tf.constant([3, 4], tf.int64)
    calls = {
        "larq sign": tf.function(lambda t: lq.math.sign(t)),
        "TF random bytes (n/4 words)": tf.function(
            lambda t: tf.random.stateless_uniform([n // 4], key, None, None, tf.uint32)
        ),
    }
    if kernel:
        from larq_ber import kernel as compiled

        module = compiled.load()
        assert module is not None, "built above"
        op = module.larq_ber_sign
        rates = tf.constant([0.25, 0.25])
        calls["kernel at 25 %"] = tf.function(lambda t: op(t, rates, key))
    times: dict[str, list[float]] = {k: [] for k in calls}
    for call in calls.values():
        call(x)
    for _ in range(rounds):
        for label, call in calls.items():
            start = time.perf_counter()
            for _ in range(reps):
                out = call(x)
            np.asarray(out)
            times[label].append((time.perf_counter() - start) / reps * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def _time_steps(
    model: tf.keras.Model, x: np.ndarray, y: np.ndarray, steps: int
) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return (time.perf_counter() - start) / steps


def _factory(variant: str) -> QuantizerFactory:
    if variant.startswith("ste_sign"):
        return lambda: "ste_sign"
    return lambda: BerSteSign(float(variant))


# Variants that run without XLA under --jit (the reference for XLA's own effect).
NO_JIT = "ste_sign (no XLA)"


def child(model_name: str, variant: str, batch: int, steps: int, jit: bool) -> None:
    """Times `steps` training steps of one model in this process; prints seconds."""
    tf.keras.utils.set_random_seed(0)
    if variant == NO_JIT:
        variant, jit = "ste_sign", False
    model = MODELS[model_name](_factory(variant))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, 10, batch)
    model.compile(
        tf.keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        jit_compile=jit,
    )
    _time_steps(model, x, y, 2)  # trace and warm up
    times = [_time_steps(model, x, y, 1) for _ in range(steps)]
    print(f"STEP_SECONDS {statistics.median(times)!r}")


def _run_child(
    model_name: str, variant: str, batch: int, steps: int, jit: bool
) -> float:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        model_name,
        variant,
        str(batch),
        str(steps),
        str(int(jit)),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(out.split("STEP_SECONDS")[-1])


def measure(
    model_name: str,
    variants: list[str],
    batch: int,
    rounds: int,
    steps: int,
    jit: bool = False,
) -> dict[str, list[float]]:
    """Median step times, one fresh process per (round, variant), order alternating.

    Each model runs in its own process because two models in one process differ in
    speed by up to 40 % depending on which was built second (seen here), which
    would swamp the effect being measured.
    """
    times: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        for variant in order:
            times[variant].append(_run_child(model_name, variant, batch, steps, jit))
    return times


MODELS = {"lenet4": lenet4, "nin": nin}


def paired_child(model_name: str, rates: list[float], batch: int, steps: int,
                 rounds: int) -> None:  # fmt: skip
    """Prints `RATIOS {rate: [ratio per round]}` for one model in this process."""
    from larq_ber.quantizers import set_ber

    tf.keras.utils.set_random_seed(0)
    model = MODELS[model_name](lambda: BerSteSign(0.0))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, 10, batch)
    model.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    keys = ["0", "0#2", *map(str, rates)]
    for key in keys:  # trace once, then warm up every sampler
        set_ber(model, float(key.split("#")[0]))
        _time_steps(model, x, y, 2)
    ratios: dict[str, list[float]] = {k: [] for k in keys[1:]}
    for r in range(rounds):
        block = {}
        for key in keys if r % 2 == 0 else keys[::-1]:
            set_ber(model, float(key.split("#")[0]))
            block[key] = _time_steps(model, x, y, steps)
        for key in keys[1:]:
            ratios[key].append(block[key] / block["0"])
    print(f"STEP_SECONDS {block['0']!r} RATIOS {ratios!r}")


def paired(args: argparse.Namespace, batches: dict[str, int]) -> None:
    """Runs `paired_child` per model in a fresh process and prints the table."""
    import ast

    steps = {"lenet4": args.lenet_steps, "nin": args.nin_steps}
    flips = "the compiled kernel" if args.kernel else "TensorFlow operations"
    print(f"flips drawn by {flips}")
    print(f"{'model':7s} {'batch':>5s} {'quantizer':>17s} {'median ratio':>13s} "
          f"{'95% CI':>15s}  (rate-0 s/step)")  # fmt: skip
    for name in args.models.split(","):
        cmd = [sys.executable, __file__, "--paired-child", name, args.rates,
               str(batches[name]), str(steps[name]), str(args.rounds)]  # fmt: skip
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        seconds, text = out.split("STEP_SECONDS")[-1].split("RATIOS")
        ratios = ast.literal_eval(text.strip())
        for key, values in ratios.items():
            label = "BerSteSign(0) (A/A)" if key == "0#2" else f"BerSteSign({key})"
            low, high = median_interval(values)
            step = float(seconds)
            print(f"{name:7s} {batches[name]:5d} {label:>17s} "
                  f"{statistics.median(values):13.3f} {low:7.3f}-{high:.3f}  "
                  f"({step:.4f})")  # fmt: skip


LABELS = {"ste_sign": "ste_sign", "ste_sign#2": "ste_sign (A/A)"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds (default 5)"
    )
    parser.add_argument(
        "--lenet-steps",
        type=int,
        default=30,
        help="timed LeNet-4 steps per process (default 30)",
    )
    parser.add_argument(
        "--nin-steps",
        type=int,
        default=5,
        help="timed NiN steps per process (default 5)",
    )
    parser.add_argument(
        "--nin-batch", type=int, default=64, help="NiN batch size (default 64)"
    )
    parser.add_argument(
        "--lenet-batch", type=int, default=128, help="LeNet-4 batch size (default 128)"
    )
    parser.add_argument(
        "--rates", default="0.04", help="comma-separated BERs to compare (default 0.04)"
    )
    parser.add_argument(
        "--models", default="lenet4,nin", help="models to time (default lenet4,nin)"
    )
    parser.add_argument(
        "--jit",
        action="store_true",
        help="compile with XLA (and time ste_sign without it too)",
    )
    parser.add_argument(
        "--per-call",
        action="store_true",
        help="time the quantizer alone per call (gaps vs bytes), not training steps",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="one process per model, blocks alternating between rate 0 and each rate",
    )
    parser.add_argument(
        "--kernel",
        action="store_true",
        help="build (if needed) and use the compiled CPU kernel (larq_ber.kernel); "
        "without it any built kernel is disabled, so the flips are TensorFlow "
        "operations",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--paired-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (args.child or args.paired_child):  # children inherit the choice
        if args.kernel:
            from larq_ber import kernel

            print(f"kernel: {kernel.build()}", flush=True)
        os.environ[DISABLE_VARIABLE] = "1" if args.kernel else "0"
    if args.per_call:
        per_call([float(r) for r in args.rates.split(",")], kernel=args.kernel)
        return
    if args.paired_child:
        name, rates, batch, steps, rounds = args.paired_child
        paired_child(name, [float(r) for r in rates.split(",")], int(batch),
                     int(steps), int(rounds))  # fmt: skip
        return
    if args.paired:
        paired(args, {"lenet4": args.lenet_batch, "nin": args.nin_batch})
        return
    if args.child:
        model_name, variant, batch, steps, jit = args.child
        child(model_name, variant, int(batch), int(steps), bool(int(jit)))
        return
    rates = [r.strip() for r in args.rates.split(",")]
    # "ste_sign" twice: the A/A ratio shows the noise floor of this machine.
    variants = ["ste_sign", "ste_sign#2", *rates] + ([NO_JIT] if args.jit else [])
    batches = {"lenet4": args.lenet_batch, "nin": args.nin_batch}
    steps = {"lenet4": args.lenet_steps, "nin": args.nin_steps}
    header = (
        "model",
        "batch",
        "quantizer",
        "median s/step",
        "ratio",
        "min s/step",
        "ratio",
    )
    print("{:7s} {:>5s} {:>17s} {:>14s} {:>6s} {:>11s} {:>6s}".format(*header))
    for model_name in args.models.split(","):
        raw = measure(
            model_name,
            variants,
            batches[model_name],
            args.rounds,
            steps[model_name],
            args.jit,
        )
        base = statistics.median(raw["ste_sign"])
        fastest = min(raw["ste_sign"])
        for variant in variants:
            label = LABELS.get(
                variant, variant if variant == NO_JIT else f"BerSteSign({variant})"
            )
            median, low = statistics.median(raw[variant]), min(raw[variant])
            row = (model_name, batches[model_name], label, median, median / base,
                   low, low / fastest)  # fmt: skip
            print("{:7s} {:5d} {:>17s} {:14.4f} {:6.3f} {:11.4f} {:6.3f}".format(*row))


if __name__ == "__main__":
    main()
