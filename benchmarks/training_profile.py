"""Where a training step's time goes: TensorFlow's profiler over one epoch, by op.

Trains a model of `larq_ber.models` (random weights, random images read from memory
without tf.data's autotuning, batch 128, Adam, BER 0.04) for a warm-up epoch, times
`--epochs` epochs, then records one epoch with `tf.profiler.experimental` and prints
the operations that took longest: milliseconds per training step, summed over
TensorFlow's compute threads (so the total can exceed the wall time when operations
run side by side), with each operation's share of that sum.

    python benchmarks/training_profile.py [--model lenet4] [--top 15] [--epochs 5]
        [--no-remapper] [--relu-first] [--three-operations]
        [--draw] [--float-convolutions] [--compare-relu-first ROUNDS]
        [--compare-kernel ROUNDS] [--compare-packing ROUNDS] [--steps-per-execution 1]

`--no-remapper` turns grappler's remapper off
(`tf.config.optimizer.set_experimental_options({"remapping": False})`), and with it
oneDNN's fusion of a batch normalization with the ReLU after it. `--relu-first`
profiles the model in larq-ber 0.1's order: BatchNormalization → ReLU → MaxPool2D,
three Keras layers, where the models now have one `BatchNormMaxPoolReLU` (the same
function; pooling first keeps the remapper from fusing the batch normalization
with the ReLU). `--three-operations` profiles the models' layer computing its
three operations rather than with the compiled kernel (what it does without
`larq-ber kernel build`). `--draw` profiles a robustness draw of the same images
(`activation_errors` at BER 0.04, `evaluate`) instead of an epoch.
`--float-convolutions` profiles the model with larq's float binary convolutions
(`larq_ber.binary_conv.unpack`, and none packed in the draws) instead of packed ones.
`--compare-relu-first N`, `--compare-kernel N` and `--compare-packing N` instead
train the model as installed and 0.1's order, with three operations, or with float
convolutions, in this process, one epoch each in turn for N rounds (the order
reversing every round), and print their medians and the median ratio with its 95 %
distribution-free interval.

It explains why a small network trains no faster than PyTorch does
(docs/benchmarks.md, "Against PyTorch").
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import statistics
import tempfile
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf
from _data import in_memory, random_images
from _stats import ratio_summary
from tensorflow.tsl.profiler.protobuf import xplane_pb2

from larq_ber import binary_conv
from larq_ber.batch_norm_pool import BatchNormMaxPoolReLU
from larq_ber.errors import activation_errors
from larq_ber.models import MODELS


def _op_times(folder: str) -> collections.Counter:
    """Milliseconds per operation name in the compute threads of a trace."""
    (path,) = glob.glob(f"{folder}/**/*.xplane.pb", recursive=True)
    space = xplane_pb2.XSpace()
    with open(path, "rb") as file:
        space.ParseFromString(file.read())
    totals: collections.Counter = collections.Counter()
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "?")
                if name.startswith("ExecutorState::") or name == "ParallelFor":
                    continue  # containers and shards of the operations below
                totals[name] += event.duration_ps / 1e9
    return totals


def relu_first(model: tf.keras.Model) -> tf.keras.Model:
    """The model in 0.1's order, BatchNorm → ReLU → max pool as three layers.

    The BatchNormalization holds a copy of the `BatchNormMaxPoolReLU`'s weights
    (`BatchNormMaxPoolReLU.unfused`); the other layers are shared.
    """
    if not any(isinstance(layer, BatchNormMaxPoolReLU) for layer in model.layers):
        raise ValueError(f"{model.name} has no BatchNormMaxPoolReLU layer")
    inputs = tf.keras.Input(model.input_shape[1:])
    x = inputs
    for layer in model.layers[1:]:
        fused = isinstance(layer, BatchNormMaxPoolReLU)
        for part in layer.unfused(relu_first=True) if fused else [layer]:
            x = part(x)
    return tf.keras.Model(inputs, x, name=model.name)


def _compiled(
    name: str, variant: str, steps: int = 1, draws: bool = False
) -> tf.keras.Model:
    """The model as installed, in 0.1's order or computing three operations.

    `variant` is "as installed", "relu first" (0.1's order), "three operations"
    (the fused layer as without the compiled kernel) or "float convolutions"
    (larq's, not bit-packed; with `draws`, not in error blocks either); `steps`
    is Keras's `steps_per_execution`.
    """
    tf.keras.utils.set_random_seed(0)
    model = MODELS[name](ber=0.04)
    if variant == "relu first":
        model = relu_first(model)
    if variant == "float convolutions":
        binary_conv.unpack(model)
        if draws:  # blocks pack again: none packs in this process
            binary_conv.packs = lambda *args: None
    for layer in model.layers:
        if variant == "three operations" and isinstance(layer, BatchNormMaxPoolReLU):
            layer._kernel = lambda inputs: None  # as without the compiled kernel
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps)  # fmt: skip
    return model


def compare(
    name: str, data: tf.data.Dataset, rounds: int, other: str, steps: int
) -> None:
    """Epochs as installed and as `other` in turn; their medians and the ratio."""
    models = {v: _compiled(name, v, steps) for v in ("as installed", other)}
    for model in models.values():
        model.fit(data, epochs=1, verbose=0)  # trace and warm up
    seconds: dict[str, list[float]] = {variant: [] for variant in models}
    for number in range(rounds):
        for variant in sorted(models, reverse=number % 2 == 1):
            start = time.perf_counter()
            models[variant].fit(data, epochs=1, verbose=0)
            seconds[variant].append(time.perf_counter() - start)
    for variant, values in seconds.items():
        print(f"{name}, {variant}: median epoch {statistics.median(values):.3f} s")
    ratios = [b / a for a, b in zip(*seconds.values(), strict=True)]
    print(f"{other} / as installed: {ratio_summary(ratios)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="lenet4", choices=sorted(MODELS))
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--top", type=int, default=15, help="operations listed")
    parser.add_argument("--epochs", type=int, default=5, help="epochs timed")
    parser.add_argument("--no-remapper", action="store_true",
                        help="grappler's remapper (its fusions) off")  # fmt: skip
    parser.add_argument("--relu-first", action="store_true",
                        help="0.1's order: ReLU, then max pool")  # fmt: skip
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="Keras's steps_per_execution")  # fmt: skip
    parser.add_argument("--three-operations", action="store_true",
                        help="the fused layer without the compiled kernel")  # fmt: skip
    parser.add_argument("--compare-relu-first", type=int, metavar="ROUNDS",
                        help="time as installed and 0.1's order in turn")  # fmt: skip
    parser.add_argument("--compare-kernel", type=int, metavar="ROUNDS",
                        help="time as installed and unfused in turn")  # fmt: skip
    parser.add_argument("--draw", action="store_true",
                        help="profile a robustness draw, not an epoch")  # fmt: skip
    parser.add_argument("--float-convolutions", action="store_true",
                        help="larq's float binary convolutions")  # fmt: skip
    parser.add_argument("--compare-packing", type=int, metavar="ROUNDS",
                        help="time as installed and unpacked in turn")  # fmt: skip
    args = parser.parse_args()
    if args.no_remapper:
        tf.config.optimizer.set_experimental_options({"remapping": False})
    flags = {"relu first": args.relu_first, "three operations": args.three_operations,
             "float convolutions": args.float_convolutions}  # fmt: skip
    variant = next((name for name, on in flags.items() if on), "as installed")
    model = _compiled(args.model, variant, args.steps_per_execution, args.draw)
    x, y = random_images(model.input_shape[1:], args.images)
    data = in_memory(x, y, 128, train=True)
    for rounds, other in ((args.compare_relu_first, "relu first"),
                          (args.compare_kernel, "three operations"),
                          (args.compare_packing, "float convolutions")):  # fmt: skip
        if rounds:
            compare(args.model, data, rounds, other, args.steps_per_execution)
            return
    steps = -(-args.images // 128)
    run = _task(model, x, y, data, args.draw)
    run()  # trace and warm up
    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    epoch = statistics.median(seconds)
    remapper = "off" if args.no_remapper else "on"
    labels = {"relu first": ", 0.1's order (ReLU first)",
              "three operations": ", three operations (no kernel)",
              "float convolutions": ", float binary convolutions"}  # fmt: skip
    order = labels.get(variant, "")
    task = "draw" if args.draw else "epoch"
    print(f"{args.model}{order}, remapper {remapper}: {steps} steps per {task}, "
          f"median {task} {epoch:.3f} s ({1e3 * epoch / steps:.1f} ms per step, "
          f"{args.epochs} {task}s)")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        tf.profiler.experimental.start(folder)
        run()
        tf.profiler.experimental.stop()
        totals = _op_times(folder)
    total = sum(totals.values())
    print(f"profiled {task}: {total / steps:.1f} ms of operations per step "
          "(all compute threads)")  # fmt: skip
    print(f"{'ms/step':>8} {'share':>6}  operation")
    for name, ms in totals.most_common(args.top):
        print(f"{ms / steps:8.2f} {ms / total:6.1%}  {name}")


def _task(model: tf.keras.Model, x: Any, y: Any, data: Any, draw: bool) -> Any:
    """One epoch of training, or with `draw` one robustness draw of the same images.

    A draw as `peers.py` times it: `activation_errors` at BER 0.04, `evaluate`.
    """
    if not draw:
        return lambda: model.fit(data, epochs=1, verbose=0)
    test = in_memory(x, y, 128, train=False)
    seeds = iter(range(10**6))

    def one_draw() -> None:
        with activation_errors(model, 0.04, seed=next(seeds)):
            model.evaluate(test, verbose=0)

    return one_draw


if __name__ == "__main__":
    main()
