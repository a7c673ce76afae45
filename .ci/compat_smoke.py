#!/usr/bin/env python
"""Smoke test of larq-ber on whatever TensorFlow stack is installed.

Run from the repository root with larq_ber importable (e.g. in a fresh virtual
environment: `pip install -e . --no-deps` plus the stack under test):

    python .ci/compat_smoke.py            # every check
    python .ci/compat_smoke.py --no-sweep # skip the one-epoch sweep (the slowest)

It prints the versions of the stack, then one line per check, `PASS`, `FAIL` or
`SKIP` (a check whose prerequisite failed, or an optional one left out), and exits 1
if any check failed or was skipped for a failed prerequisite. On
TensorFlow >= 2.16, larq needs Keras 2 from `tf-keras` (the release matching
TensorFlow; setup.cfg requires it on Python 3.12): `import larq_ber` sets
`TF_USE_LEGACY_KERAS=1` unless it is set. The script does not set it itself, and it
imports TensorFlow before larq_ber, as the notebooks do.

Checks:

1. imports: larq_ber's TensorFlow modules (with larq), larq_compute_engine,
   keras_tuner;
2. `tf.keras` is Keras 2 (larq's layers subclass it);
3. `BerSteSign(0.5)` flips about half the signs of a ones tensor with
   `training=True` and none with `training=False`;
4. `LeNet4(ber=0.04)` compiles and trains one step on random data, its output with
   `training=True` changes from call to call (flips reach the model) and with
   `training=False` does not;
5. `tf.keras.utils.set_random_seed` then `LeNet4` builds (what `train_run` does;
   tf-keras 2.16-2.18 fail here on Python 3.12: `random.randint(1, 1e9)`);
6. `larq_ber.export.to_tflite` converts it with LCE, verified against Keras in
   LCE's interpreter, with both binary layers as `LceBconv2d`;
7. keras-tuner: `SweepTuner`/`SweepOracle` plan the quickstart grid with a stub
   trial (no training), every point completed;
8. keras-tuner: `run_sweep` trains one real grid point for one epoch on the
   offline digits data;
9. `tf.summary` writes (TensorBoard is installed: TensorFlow 2.21 no longer
   depends on it, and `larq-ber sweep --tensorboard` needs it);
10. if tensorflow-datasets and dill are installed: MNIST through
    `larq_ber.study.data.load` under `tfds.testing.mock_data` (no download);
11. if a C++ compiler is found: `larq_ber.kernel.build()` compiles the optional
    CPU kernel against this TensorFlow (into a temporary cache), it flips 30 %
    of a million signs at rate 0.3, its BatchNorm → max pool → ReLU matches
    TensorFlow's operations, and its binary convolution equals TensorFlow's on signs.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = "quickstart"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _version(*dists: str) -> str:
    for dist in dists:
        try:
            found = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        return found if dist == dists[0] else f"{found} ({dist})"
    return "not installed"


def print_versions() -> None:
    """Prints the versions of the stack (from the installed distributions)."""
    print(f"python               {platform.python_version()} ({sys.executable})")
    tensorflow = _version("tensorflow", "tensorflow-cpu", "tf-nightly")
    print(f"tensorflow           {tensorflow}")
    print(f"keras (package)      {_version('keras')}")
    print(f"tf-keras             {_version('tf-keras', 'tf_keras')}")
    print(f"TF_USE_LEGACY_KERAS  {os.environ.get('TF_USE_LEGACY_KERAS', '(unset)')}")
    print(f"larq                 {_version('larq')}")
    print(f"larq-compute-engine  {_version('larq-compute-engine')}")
    print(f"keras-tuner          {_version('keras-tuner')}")
    print(f"larq-zoo             {_version('larq-zoo')}")
    print(f"numpy                {_version('numpy')}")
    print(f"protobuf             {_version('protobuf')}")
    print(f"tensorboard          {_version('tensorboard')}")
    print(f"larq-ber             {_version('larq-ber')}")
    sys.stdout.flush()


def _tf_keras_flavour(tf: Any) -> tuple[str, str]:
    """The package behind `tf.keras` (`keras` or `tf_keras`) and its version."""
    package = tf.keras.Model.__module__.split(".")[0]
    try:
        version = metadata.version(package.replace("_", "-"))
    except metadata.PackageNotFoundError:
        version = getattr(tf.keras, "__version__", "?")
    return package, version


class Checks:
    """Runs checks, prints one line each, remembers the failures."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed: list[str] = []
        self.skipped: list[str] = []

    def run(
        self,
        name: str,
        check: Callable[[], str | None],
        *,
        needs: tuple[bool, ...] = (),
    ) -> bool:
        """Runs one check; `needs` are the outcomes of the checks it depends on."""
        if not all(needs):
            print(f"SKIP  {name}: a check it depends on failed", flush=True)
            self.skipped.append(name)
            return False
        start = time.perf_counter()
        try:
            detail = check()
        except Exception as error:  # any failure is one line
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            if len(reason) > 400:
                reason = reason[:400] + " ..."
            print(f"FAIL  {name}: {reason}", flush=True)
            if os.environ.get("COMPAT_SMOKE_TRACEBACK"):
                traceback.print_exc()
            self.failed.append(name)
            return False
        seconds = time.perf_counter() - start
        note = f" — {detail}" if detail else ""
        print(f"PASS  {name} ({seconds:.1f} s){note}", flush=True)
        self.passed.append(name)
        return True


def main(argv: list[str] | None = None) -> int:
    """Runs every check.

    Args:
        argv: Command-line arguments (`None`: `sys.argv[1:]`).

    Returns:
        The exit status: 0 if every check passed, 1 otherwise.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-sweep", action="store_true", help="skip the one-epoch run_sweep check"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    print_versions()
    checks = Checks()
    work = Path(tempfile.mkdtemp(prefix="larq_ber_compat_"))
    state: dict[str, Any] = {}

    # 1. imports -----------------------------------------------------------------
    def import_larq_ber() -> str:
        import tensorflow as tf

        import larq_ber
        import larq_ber.models  # imports TensorFlow and larq
        import larq_ber.quantizers

        state["tf"] = tf
        state["keras"] = _tf_keras_flavour(tf)
        return (
            f"larq_ber {larq_ber.__version__}, tf {tf.__version__}, tf.keras is "
            f"{state['keras'][0]} {state['keras'][1]}"
        )

    imported = checks.run("import larq_ber (TensorFlow, larq)", import_larq_ber)

    def import_lce() -> str:
        import larq_compute_engine as lce

        return f"convert_keras_model: {callable(lce.convert_keras_model)}"

    lce_ok = checks.run("import larq_compute_engine", import_lce)

    def import_kt() -> str:
        import keras_tuner as kt
        from keras_tuner.src.backend import config

        multi = config.multi_backend()
        backend = "Keras 3 (multi-backend)" if multi else "Keras 2"
        return f"keras_tuner {kt.__version__} on {backend}"

    kt_ok = checks.run("import keras_tuner", import_kt)

    # 2. Keras 2 as tf.keras ----------------------------------------------------
    def keras2() -> str:
        package, version = state["keras"]
        if not version.startswith("2."):
            raise RuntimeError(
                f"tf.keras is {package} {version}; larq needs Keras 2: install "
                "tf-keras matching TensorFlow (import larq_ber then sets "
                "TF_USE_LEGACY_KERAS=1)"
            )
        return f"tf.keras is {package} {version}"

    keras2_ok = checks.run("tf.keras is Keras 2", keras2, needs=(imported,))

    # 3. flips of the quantizer -------------------------------------------------
    def flips() -> str:
        tf = state["tf"]
        from larq_ber.quantizers import BerSteSign

        quantizer = BerSteSign(0.5, seed=7)
        ones = tf.ones([128, 128])
        signs = quantizer(ones, training=True)
        flipped = float(tf.reduce_mean(tf.cast(signs < 0, "float32")))
        if not 0.45 < flipped < 0.55:
            raise AssertionError(
                f"training=True flipped {flipped:.3f} of the signs, not ~0.5"
            )
        clean = quantizer(ones, training=False)
        if not bool(tf.reduce_all(clean == 1.0)):
            raise AssertionError("training=False flipped signs")
        return f"training=True flipped {flipped:.3f}, training=False none"

    checks.run("BerSteSign(0.5) flips ~half the signs", flips, needs=(imported,))

    # 4. LeNet-4: compile, one training step, flips in the model ------------------
    def train_step() -> str:
        import numpy as np

        from larq_ber.models import LeNet4

        model = LeNet4(ber=0.04)
        model.compile(
            optimizer="adam",
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        rng = np.random.default_rng(0)
        x = rng.standard_normal((32, 28, 28, 1)).astype("float32")
        y = rng.integers(0, 10, 32)
        kernel = model.get_layer("binary_conv_2").kernel
        before = np.array(kernel.numpy())
        history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise AssertionError(f"loss {loss}")
        if np.array_equal(before, kernel.numpy()):
            raise AssertionError("the step left binary_conv_2's kernel unchanged")
        a, b = model(x, training=True), model(x, training=True)
        if np.allclose(a.numpy(), b.numpy()):
            raise AssertionError(
                "training=True outputs are identical: no flips in the model"
            )
        c, d = model(x, training=False), model(x, training=False)
        if not np.allclose(c.numpy(), d.numpy()):
            raise AssertionError("training=False outputs differ: flips at inference")
        state["model"], state["x"] = model, x
        return f"loss {loss:.3f}; training=True outputs differ, training=False equal"

    trained = checks.run(
        "LeNet4(ber=0.04) compile + 1 train step with flips",
        train_step,
        needs=(imported, keras2_ok),
    )

    # 5. seeded build, as train_run does ------------------------------------------
    def seeded_build() -> str:
        tf = state["tf"]

        from larq_ber.models import LeNet4

        # What `larq_ber.study.sweeps.run.train_run` does before it builds its model.
        tf.keras.utils.set_random_seed(0)
        model = LeNet4(ber=0.04)
        return f"{model.count_params()} parameters"

    checks.run(
        "tf.keras.utils.set_random_seed, then LeNet4 (as train_run does)",
        seeded_build,
        needs=(imported, keras2_ok),
    )

    # 6. LCE export --------------------------------------------------------------
    def export() -> str:
        import numpy as np

        from larq_ber.export import to_tflite

        rng = np.random.default_rng(1)
        samples = rng.standard_normal((16, 28, 28, 1)).astype("float32")
        path = work / "lenet4.tflite"
        report = to_tflite(state["model"], path, verify_samples=samples)
        binary = report.census["LceBconv2d"]
        if binary != 2:
            census = dict(report.census)
            raise AssertionError(f"census LceBconv2d {binary}, expected 2: {census}")
        if not (report.verified and path.is_file()):
            raise AssertionError("not verified or no file written")
        return (
            f"LceBconv2d 2, {report.size_bytes / 1024:.1f} KiB, max |LCE-Keras| "
            f"{report.max_abs_diff:.2e}, top-1 agreement {report.top1_agreement:.2f}"
        )

    checks.run(
        "to_tflite (LCE convert_keras_model + interpreter parity)",
        export,
        needs=(trained, lce_ok),
    )

    # 7. keras-tuner Oracle + BaseTuner, stub trials ------------------------------
    def oracle_plan() -> str:
        from larq_ber.study.recipes import load_recipe
        from larq_ber.study.sweeps.oracle import OBJECTIVE, SweepOracle
        from larq_ber.study.sweeps.tuner import SweepTuner

        recipe = load_recipe(QUICKSTART)
        oracle = SweepOracle(recipe)
        first = oracle.populate_space("0")
        if first["values"] != {"point": 0}:
            raise AssertionError(f"first point {first}")

        class StubTuner(SweepTuner):
            def run_trial(self, trial: Any) -> dict[str, float]:
                return {OBJECTIVE: 0.5 + 0.01 * trial.hyperparameters.values["point"]}

        tuner = StubTuner(recipe, work / "stub_sweep", progress=False)
        tuner.search()
        done, total = tuner.oracle.done(), len(tuner.grid)
        if done != total:
            raise AssertionError(f"{done} of {total} trials completed")
        # Reload from disk: a second tuner finds every point done.
        again = StubTuner(recipe, work / "stub_sweep", progress=False)
        if again.oracle.done() != total:
            raise AssertionError(f"reloaded oracle has {again.oracle.done()} done")
        return f"{done}/{total} stub trials completed, state reloads"

    checks.run(
        "keras-tuner SweepOracle + SweepTuner (stub trials)",
        oracle_plan,
        needs=(imported, kt_ok),
    )

    # 8. keras-tuner sweep with one real run ---------------------------------------
    def sweep() -> str:
        from larq_ber.study.recipes import load_recipe
        from larq_ber.study.sweeps.runner import run_sweep

        recipe = load_recipe(QUICKSTART, {"bers": [0.04], "repeats": 1, "epochs": 1})
        summary = run_sweep(recipe, work / "sweep", progress=False)
        if summary.failed or summary.finished != 1:
            raise AssertionError(f"{summary}")
        from larq_ber.study.results import read_results

        rows = read_results(work / "sweep")
        return f"1 run, 1 epoch, test top-1 {rows[-1]['test_top1']:.3f}"

    if args.no_sweep:
        print("SKIP  run_sweep (1 point, 1 epoch, digits): --no-sweep", flush=True)
    else:
        checks.run(
            "run_sweep (1 point, 1 epoch, digits)",
            sweep,
            needs=(imported, kt_ok, keras2_ok),
        )

    # 9. TensorBoard summaries (`larq-ber sweep --tensorboard`) --------------------
    def summaries() -> str:
        tf = state["tf"]

        writer = tf.summary.create_file_writer(str(work / "tensorboard"))
        with writer.as_default():
            tf.summary.scalar("smoke", 1.0, step=0)
        writer.close()
        return f"tensorboard {_version('tensorboard')}"

    checks.run(
        "TensorBoard summaries (sweep --tensorboard)", summaries, needs=(imported,)
    )

    # 10. tensorflow-datasets, if installed (optional) ------------------------------
    def tfds_mock() -> str:
        import tensorflow_datasets as tfds

        from larq_ber.study.data import load, offline

        # mock_data serves MNIST without a download: no need to probe the network
        # (and CI machines may have none), as the tests do too.
        offline.reachable = lambda *args, **kwargs: True
        with tfds.testing.mock_data(num_examples=40):
            data = load(
                "mnist", split="train", batch_size=16, data_dir=str(work), seed=0
            )
            shapes = [tuple(batch[0].shape) for batch in data]
        if shapes != [(16, 28, 28, 1), (16, 28, 28, 1), (8, 28, 28, 1)]:
            raise AssertionError(f"batch shapes {shapes}")
        return f"tensorflow-datasets {tfds.__version__}, 3 batches"

    name = "tensorflow-datasets: mnist via larq_ber.study.data.load (mock_data)"
    missing = [
        dist
        for dist, module in (
            ("tensorflow-datasets", "tensorflow_datasets"),
            ("dill", "dill"),
        )
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        # tfds.testing.mock_data imports dill.
        print(f"SKIP  {name}: not installed: {', '.join(missing)}", flush=True)
    else:
        checks.run(name, tfds_mock, needs=(imported, keras2_ok))

    # 11. the optional compiled kernel -------------------------------------------
    def compiled_kernel() -> str:
        tf = state["tf"]
        from larq_ber import kernel

        os.environ[kernel.CACHE_VARIABLE] = str(work / "kernel_cache")
        os.environ[kernel.DISABLE_VARIABLE] = "1"
        start = time.perf_counter()
        kernel.build()
        took = time.perf_counter() - start
        module = kernel.load()
        if module is None:
            raise AssertionError("built, but load() found no kernel")
        x = tf.random.stateless_normal([1_000_000], [1, 2])
        rates, key = tf.constant([0.3, 0.3]), tf.constant([3, 4], tf.int64)
        signs = module.larq_ber_sign(x, rates, key)
        flipped = float(tf.reduce_mean(tf.cast(signs * tf.sign(x) < 0, "float64")))
        if abs(flipped - 0.3) > 0.003:  # 6.5 binomial standard deviations
            raise AssertionError(f"the kernel flipped {flipped:.4f}, not 0.3")
        images = tf.random.stateless_normal([4, 8, 8, 5], [5, 6])
        gamma, beta = tf.constant([1.0, -0.5, 2.0, 0.0, 0.7]), tf.fill([5], 0.1)
        pooled = module.larq_ber_batch_norm_max_pool_relu(
            images, gamma, beta, epsilon=1e-3, ksize=[2, 2], strides=[2, 2]
        )[0]
        normalized = tf.compat.v1.nn.fused_batch_norm(
            images, gamma, beta, epsilon=1e-3, is_training=True
        )[0]
        want = tf.nn.relu(tf.nn.max_pool2d(normalized, 2, 2, "VALID"))
        gap = float(tf.reduce_max(tf.abs(pooled - want)))
        if gap > 1e-5:
            raise AssertionError(f"BatchNorm-pool-ReLU is {gap:.2e} off TensorFlow's")
        signs = tf.sign(tf.random.stateless_normal([2, 9, 9, 70], [7, 8]))
        weights = tf.random.stateless_normal([3, 3, 70, 6], [9, 10])
        packed = module.larq_ber_binary_conv2d(signs, weights, strides=[2, 1])
        floats = tf.nn.conv2d(
            signs, tf.where(weights < 0, -1.0, 1.0), [1, 2, 1, 1], "VALID"
        )
        if not bool(tf.reduce_all(packed == floats)):  # integer sums: exact
            raise AssertionError("the binary convolution differs from TensorFlow's")
        return (
            f"built in {took:.1f} s, flipped {flipped:.4f} at 0.3, "
            f"BatchNorm-pool-ReLU within {gap:.1e} of TensorFlow's, "
            "binary convolution equal to it"
        )

    name = "larq_ber.kernel builds, flips at the rate, pools and convolves bits"
    if shutil.which(os.environ.get("CXX", "c++")) is None and not shutil.which("g++"):
        print(f"SKIP  {name}: no C++ compiler", flush=True)
    else:
        checks.run(name, compiled_kernel, needs=(imported,))

    print(
        f"smoke: {len(checks.passed)} passed, {len(checks.failed)} failed, "
        f"{len(checks.skipped)} skipped"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 1 if checks.failed or checks.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
