"""larq-ber against PyTorch: training with flips and a robustness draw, side by side.

The paper's LeNet-4 and Network-in-Network with Bernoulli sign flips in their binary
activations (BER 4 %), written twice: with larq-ber (`LeNet4(ber=0.04)` and
`model.fit`; a draw is `with activation_errors(model, 0.04, seed=k):
model.evaluate(...)`), and in PyTorch as its users write it (`peers_torch.py`: a
custom autograd function flipping signs on a `torch.rand_like` mask, Adam, the
weights clipped after each step; a draw is `torch.manual_seed(k)` and an
evaluation in `inference_mode` with the flips on). Both read the same random
images from memory in batches (LeNet-4: 4,096 images of 28x28x1, batch 128; NiN:
512 of 32x32x3, batch 64).

Each configuration runs in its own process, started once and warmed up (one epoch
and one draw, untimed: the traces, `torch.compile`'s compilation); the processes
then take turns, one at a time, in an order that reverses every round, so that the
machine's drifts hit all alike. PyTorch's configurations: `eager` with `--threads`
(default: the cores) and with 1 thread, `channels_last` and `torch.compile` with
`--threads`; larq-ber (TensorFlow with `--threads` threads) with the
compiled kernel (`larq-ber kernel build`, if built), with TensorFlow's own ops
(`LARQ_BER_KERNEL=0`), and with the kernel and grappler's remapper off
(`tf.config.optimizer.set_experimental_options({"remapping": False})`: on CPUs its
oneDNN fusion of a batch normalization with its ReLU made LeNet-4's first one 7x
slower until the models pooled before that ReLU). For each model and task it prints
each configuration's
median seconds and, per round, the time of the fastest PyTorch configuration
(by median) over larq-ber's: the median of those ratios with its 95 %
distribution-free interval (`_stats.median_interval`). `--load N` keeps N busy
processes running meanwhile (what sweep workers sharing the cores do).

PyTorch is not a dependency of larq-ber: install it in a virtual environment
outside the repository (its Linux wheel brings about 5 GB of CUDA libraries), e.g.
`python3.11 -m venv ~/torchvenv && ~/torchvenv/bin/pip install torch numpy`, or
`pip install -e ".[peers]"` into a separate environment, and pass its Python:

    python benchmarks/peers.py --torch-python ~/torchvenv/bin/python \
        [--models lenet4,nin] [--rounds 7] [--load 0] [--configs ...] \
        [--torch-device cuda]

On a machine with a GPU, TensorFlow uses it by itself (larq-ber's kernel is for
CPUs: only the TF-ops row remains) and `--torch-device cuda` puts PyTorch's side
there too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _stats import median_interval, ratio_summary

HERE = Path(__file__).resolve().parent
#: model: (images, batch)
SIZES = {"lenet4": (4096, 128), "nin": (512, 64)}
TORCH = {  # configuration: (--config, threads; None: --threads)
    "torch eager": ("eager", None),
    "torch eager 1 thread": ("eager", 1),
    "torch channels_last": ("channels_last", None),
    "torch.compile": ("compile", None),
}
#: configuration: (LARQ_BER_KERNEL, extra worker arguments)
LARQ = {
    "larq-ber": ("1", []),
    "larq-ber TF ops": ("0", []),
    "larq-ber no remapper": ("1", ["--no-remapper"]),
}
TASKS = ("train", "draw")


def larq_worker(args: argparse.Namespace) -> None:
    """larq-ber's side: answers the commands of `peers_torch.py` on stdin."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from _data import in_memory, random_images

    # As many threads as PyTorch's side gets (TensorFlow's default: every core).
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    if args.no_remapper:  # grappler's fusions off (oneDNN's BN+ReLU, conv+bias+ReLU)
        tf.config.optimizer.set_experimental_options({"remapping": False})
    model, images, batch, ber = args.worker, args.images, args.batch, args.ber
    steps = args.steps_per_execution

    from larq_ber import kernel
    from larq_ber.errors import activation_errors
    from larq_ber.models import LeNet4, NiN

    tf.keras.utils.set_random_seed(0)
    net = (LeNet4 if model == "lenet4" else NiN)(ber=ber)
    net.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                steps_per_execution=steps)  # fmt: skip
    # Without tf.data's autotuning (see _data.in_memory).
    x, y = random_images(net.input_shape[1:], images)
    train = in_memory(x, y, batch, train=True)
    test = in_memory(x, y, batch, train=False)

    def run(command: dict) -> dict:
        if command["task"] == "train":
            net.fit(train, epochs=1, verbose=0)
            return {}
        if command["task"] == "plain":
            return {"accuracy": net.evaluate(test, verbose=0)[1]}
        with activation_errors(net, ber, seed=command.get("seed", 0)):
            return {"accuracy": net.evaluate(test, verbose=0)[1]}

    ready = {"ready": True, "tensorflow": tf.__version__,
             "kernel": kernel.load() is not None}  # fmt: skip
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        start = time.perf_counter()
        result = run(command)
        result["seconds"] = time.perf_counter() - start
        print(json.dumps(result), flush=True)


class Worker:
    """One configuration's process, spoken to in JSON lines."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, **env},
        )  # fmt: skip
        self.info = self._read()

    def _read(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            status = self.process.wait()
            raise RuntimeError(f"{self.name}: the worker exited ({status})")
        return json.loads(line)

    def ask(self, task: str, seed: int = 0) -> float:
        """Runs `task` in the worker; returns the seconds it took there."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"task": task, "seed": seed}) + "\n")
        self.process.stdin.flush()
        return float(self._read()["seconds"])

    def close(self) -> None:
        """Ends the worker (its stdin closed)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def workers(model: str, args: argparse.Namespace) -> list[Worker]:
    images, batch = SIZES[model]
    common = ["--images", str(images), "--batch", str(batch), "--ber", str(args.ber)]
    started = []
    for name in args.configs.split(","):
        if name in LARQ:
            argv = [sys.executable, __file__, "--worker", model, *common,
                    "--steps-per-execution", str(args.steps_per_execution),
                    "--threads", str(args.threads), *LARQ[name][1]]  # fmt: skip
            env = {"LARQ_BER_KERNEL": LARQ[name][0]}
        elif name in TORCH:
            config, threads = TORCH[name]
            argv = [args.torch_python, str(HERE / "peers_torch.py"), "--model", model,
                    "--config", config, "--threads", str(threads or args.threads),
                    "--device", args.torch_device, *common]  # fmt: skip
            env = {}
        else:
            raise SystemExit(f"--configs: unknown {name!r}; known: {[*LARQ, *TORCH]}")
        worker = Worker(name, argv, env)
        if LARQ.get(name, ("0",))[0] == "1" and not worker.info.get("kernel"):
            worker.close()  # no compiled kernel here: the TF-ops row says it all
            print(f"{name}: skipped, no compiled kernel (larq-ber kernel build)")
            continue
        started.append(worker)
    return started


def measure(model: str, args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """Seconds per task, configuration and round."""
    running = workers(model, args)
    try:
        for worker in running:  # warm up: traces, compilation, caches
            worker.ask("train"), worker.ask("draw", seed=10**6)
        times = {task: {w.name: [] for w in running} for task in TASKS}
        for r in range(args.rounds):
            order = running if r % 2 == 0 else running[::-1]
            for task in TASKS:
                for worker in order:
                    times[task][worker.name].append(worker.ask(task, seed=r))
        return times
    finally:
        for worker in running:
            worker.close()


def report(model: str, times: dict[str, dict[str, list[float]]]) -> None:
    for task, table in times.items():
        medians = {name: statistics.median(v) for name, v in table.items()}
        print(f"\n{model}, {'one epoch' if task == 'train' else 'one draw'}:")
        for name, median in medians.items():
            low, high = median_interval(table[name])
            print(f"  {name:22s} {median:8.3f} s  [{low:.3f}, {high:.3f}]")
        torch_names = [n for n in medians if n in TORCH]
        if not torch_names:
            continue
        best = min(torch_names, key=medians.__getitem__)
        for name in (n for n in medians if n in LARQ):
            ratios = [t / s for t, s in zip(table[best], table[name], strict=True)]
            print(f"  {best} / {name}: {ratio_summary(ratios)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--torch-python",
        default=os.environ.get("TORCH_PYTHON"),
        help="a Python with PyTorch (default $TORCH_PYTHON)",
    )
    parser.add_argument("--torch-device", default="cpu",
                        help="PyTorch's device: cpu (default) or cuda")  # fmt: skip
    parser.add_argument("--models", default="lenet4,nin")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ber", type=float, default=0.04)
    parser.add_argument("--load", type=int, default=0,
                        help="busy processes kept running meanwhile")  # fmt: skip
    parser.add_argument("--configs", default=",".join([*LARQ, *TORCH]))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads of each side (default: the cores)")  # fmt: skip
    parser.add_argument("--steps-per-execution", type=int, default=1,
                        help="larq-ber's compile(steps_per_execution=...)")  # fmt: skip
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--no-remapper", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--images", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        larq_worker(args)
        return
    if not args.torch_python and any(n in TORCH for n in args.configs.split(",")):
        raise SystemExit("--torch-python: give a Python with PyTorch installed")
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.load)]  # fmt: skip
    try:
        print(f"cores {os.cpu_count()}, threads {args.threads}, "
              f"busy processes {args.load}, "
              f"BER {args.ber}, rounds {args.rounds}, larq-ber's "
              f"steps_per_execution {args.steps_per_execution}")  # fmt: skip
        for model in args.models.split(","):
            report(model, measure(model, args))
    finally:
        for hog in hogs:
            hog.kill()


if __name__ == "__main__":
    main()
