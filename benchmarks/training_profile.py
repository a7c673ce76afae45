"""Where a training step's time goes: TensorFlow's profiler over one epoch, by op.

Trains a model of `larq_ber.models` (random weights, random images read from memory
without tf.data's autotuning, batch 128, Adam, BER 0.04) for a warm-up epoch, times
`--epochs` epochs, then records one epoch with `tf.profiler.experimental` and prints
the operations that took longest: milliseconds per training step, summed over
TensorFlow's compute threads (so the total can exceed the wall time when operations
run side by side), with each operation's share of that sum.

    python benchmarks/training_profile.py [--model lenet4] [--top 15] [--epochs 5]
        [--no-remapper] [--relu-first] [--compare-relu-first ROUNDS]

`--no-remapper` turns grappler's remapper off
(`tf.config.optimizer.set_experimental_options({"remapping": False})`), and with it
oneDNN's fusion of a batch normalization with the ReLU after it. `--relu-first`
profiles the model in larq-ber 0.1's order, the first ReLU before its max pool
(the same function: the models now pool first, which keeps the remapper from fusing
the batch normalization with the ReLU). `--compare-relu-first N` instead trains
both orders in this process, one epoch each in turn for N rounds (the order
reversing every round), and prints their medians and the median ratio with its 95 %
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf
from _data import in_memory, random_images
from _stats import ratio_summary
from tensorflow.tsl.profiler.protobuf import xplane_pb2

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
    """The same layers (shared weights) in 0.1's order: ReLU, then max pool."""
    layers = model.layers[1:]
    kinds = [type(layer).__name__ for layer in layers]
    at = kinds.index("MaxPooling2D")
    if kinds[at + 1] != "ReLU":
        raise ValueError(f"{model.name} has no max pool before its first ReLU")
    layers[at], layers[at + 1] = layers[at + 1], layers[at]
    inputs = tf.keras.Input(model.input_shape[1:])
    x = inputs
    for layer in layers:
        x = layer(x)
    return tf.keras.Model(inputs, x, name=model.name)


def _compiled(name: str, *, relu_first_order: bool) -> tf.keras.Model:
    tf.keras.utils.set_random_seed(0)
    model = MODELS[name](ber=0.04)
    if relu_first_order:
        model = relu_first(model)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def compare(name: str, data: tf.data.Dataset, rounds: int) -> None:
    """Epochs of both orders in turn; their medians and the paired ratio."""
    models = {order: _compiled(name, relu_first_order=order == "relu first")
              for order in ("pool first", "relu first")}  # fmt: skip
    for model in models.values():
        model.fit(data, epochs=1, verbose=0)  # trace and warm up
    seconds: dict[str, list[float]] = {order: [] for order in models}
    for number in range(rounds):
        for order in sorted(models, reverse=number % 2 == 1):
            start = time.perf_counter()
            models[order].fit(data, epochs=1, verbose=0)
            seconds[order].append(time.perf_counter() - start)
    for order, values in seconds.items():
        print(f"{name}, {order}: median epoch {statistics.median(values):.3f} s")
    ratios = [b / a for a, b in zip(*seconds.values(), strict=True)]
    print(f"relu first / pool first: {ratio_summary(ratios)}")


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
    parser.add_argument("--compare-relu-first", type=int, metavar="ROUNDS",
                        help="time both orders in turn instead")  # fmt: skip
    args = parser.parse_args()
    if args.no_remapper:
        tf.config.optimizer.set_experimental_options({"remapping": False})
    model = _compiled(args.model, relu_first_order=args.relu_first)
    x, y = random_images(model.input_shape[1:], args.images)
    data = in_memory(x, y, 128, train=True)
    if args.compare_relu_first:
        compare(args.model, data, args.compare_relu_first)
        return
    steps = -(-args.images // 128)
    model.fit(data, epochs=1, verbose=0)  # trace and warm up
    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        seconds.append(time.perf_counter() - start)
    epoch = statistics.median(seconds)
    remapper = "off" if args.no_remapper else "on"
    order = ", 0.1's order (ReLU first)" if args.relu_first else ""
    print(f"{args.model}{order}, remapper {remapper}: {steps} steps per epoch, "
          f"median epoch {epoch:.3f} s ({1e3 * epoch / steps:.1f} ms per step, "
          f"{args.epochs} epochs)")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        tf.profiler.experimental.start(folder)
        model.fit(data, epochs=1, verbose=0)
        tf.profiler.experimental.stop()
        totals = _op_times(folder)
    total = sum(totals.values())
    print(f"profiled epoch: {total / steps:.1f} ms of operations per step "
          "(all compute threads)")  # fmt: skip
    print(f"{'ms/step':>8} {'share':>6}  operation")
    for name, ms in totals.most_common(args.top):
        print(f"{ms / steps:8.2f} {ms / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
