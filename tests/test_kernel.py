"""The optional compiled kernel: building, loading, exactness against a numpy
reference of its definition, flip statistics through the quantizer, and where it is
(not) used.

The session's other tests run with the kernel disabled (`LARQ_BER_KERNEL=0`, set in
conftest), so they test the TensorFlow operations; these build it into a temporary
cache and enable it. Statistical tolerances as in test_quantizers (4 sigma). The
loader's refusals are shown with a planted library whose constructor writes a
marker file: it must never run unless it passes every check."""

import hashlib
import os
import shutil
import stat
import subprocess
import sys

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from larq_ber import flips, kernel
from larq_ber.quantizers import BerSteSign, ber_sign, ber_ste_sign
from larq_ber.study.cli.kernel import _USERS as USERS
from tests.test_flips import (
    N_PER_SIGN,
    RATE_PAIRS,
    _assert_binomial,
    _check_independent_and_uniform,
    _inputs,
    _op_types,
)

pytestmark = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX", "c++")) is None and shutil.which("g++") is None,
    reason="no C++ compiler to build the kernel",
)


# A numpy reference of the kernel's definition (see kernel.cc).

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_LOW = np.uint64(0xFFFFFFFF)


def _philox(counter, key):
    """Philox4x32-10 of counters `[m, 4]` (uint32) under `key` (2 x uint32)."""
    c = [counter[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = int(key[0]), int(key[1])
    for _ in range(10):
        p0, p1 = _M0 * c[0], _M1 * c[2]
        c = [
            (p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0),
            p1 & _LOW,
            (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1),
            p0 & _LOW,
        ]
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    return np.stack(c, axis=1).astype(np.uint32)


def _counters(index, stream):
    index = np.asarray(index, np.uint64)
    stream = np.uint64(stream)
    return np.stack(
        [index & _LOW, index >> np.uint64(32), np.full_like(index, stream & _LOW),
         np.full_like(index, stream >> np.uint64(32))],
        axis=1,
    ).astype(np.uint32)  # fmt: skip


def _reference(x, ber_neg, ber_pos, key):
    """What the kernel computes, element by element."""
    x = np.asarray(x, np.float32).ravel()
    n = x.size
    with np.errstate(over="ignore"):
        k0 = np.uint64(key[0])
        stream = np.uint64(key[1]) * np.uint64(2)
        keys = (int(k0 & _LOW), int(k0 >> np.uint64(32)))
        blocks = _philox(_counters(np.arange((n + 15) // 16), stream), keys)
        rest_stream = stream + np.uint64(1)
    data = blocks.view(np.uint8).ravel()[:n]
    negative = x < 0
    nan = np.isnan(x)
    q = np.where(
        negative, np.float64(np.float32(ber_neg)), np.float64(np.float32(ber_pos))
    )
    q = np.clip(q, 0.0, 1.0) * 256.0
    level = np.minimum(np.floor(q), 255.0)
    flip = data < level
    tie = np.flatnonzero((data == level) & (q > level) & ~nan)
    if tie.size:
        words = _philox(_counters(tie, rest_stream), keys).astype(np.uint64)
        bits53 = ((words[:, 0] << np.uint64(32)) | words[:, 1]) >> np.uint64(11)
        flip[tie] = bits53.astype(np.float64) < (q[tie] - level[tie]) * 2.0**53
    return np.where(nan, x, np.where(negative != flip, -1.0, 1.0)).astype(np.float32)


def test_numpy_philox_is_tensorflows():
    """The reference generator is the one TensorFlow's stateless ops use."""
    key, counter = np.uint64(0x0123456789ABCDEF), (np.uint64(7), np.uint64(0x42))
    words = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=[64], key=tf.constant([key], tf.uint64),
        counter=tf.constant(counter, tf.uint64),
        alg=1, dtype=tf.uint32,
    ).numpy()  # fmt: skip
    index = np.arange(7, 7 + 16, dtype=np.uint64)
    ours = _philox(_counters(index, 0x42), (int(key & _LOW), int(key >> np.uint64(32))))
    np.testing.assert_array_equal(ours.ravel(), words)


@pytest.mark.parametrize(
    ("ber_neg", "ber_pos"),
    [(0.3, 0.07), (0.04, 0.04), (1e-3, 0.5), (0.25, 0.25), (1.0, 0.999), (0.0, 1e-6)],
)
def test_kernel_computes_its_definition_exactly(with_kernel, ber_neg, ber_pos):
    """Bit for bit, including the finer draws where a byte ties with its level
    (about 1 in 256 elements), zeros (sign +1), NaNs (NaN, as larq's sign) and a
    length not a multiple of 16."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(300_007).astype(np.float32)
    x[:100] = 0.0
    x[100:5000:7] = np.nan
    key = [int(v) for v in rng.integers(-(2**62), 2**62, 2)]
    y = with_kernel.larq_ber_sign(
        x, tf.constant([ber_neg, ber_pos]), tf.constant(key, tf.int64)
    ).numpy()
    np.testing.assert_array_equal(y, _reference(x, ber_neg, ber_pos, key))


def test_kernel_output_does_not_depend_on_threads(with_kernel):
    x = tf.random.normal([3, 1000, 1001])
    rates, key = tf.constant([0.3, 0.2]), tf.constant([11, 12], tf.int64)
    first = with_kernel.larq_ber_sign(x, rates, key).numpy()
    assert first.shape == (3, 1000, 1001)
    np.testing.assert_array_equal(
        first, _reference(x.numpy(), 0.3, 0.2, [11, 12]).reshape(first.shape)
    )
    other = with_kernel.larq_ber_sign(x, rates, tf.constant([11, 13], tf.int64))
    assert np.mean(first != other.numpy()) > 0.3  # another key, other flips


def test_kernel_treats_invalid_rates_as_zero_and_checks_its_inputs(with_kernel):
    """The quantizers validate rates; the operation itself flips nothing for NaN or
    negative rates and refuses rates or keys of the wrong size."""
    x = tf.random.normal([10_000])
    key = tf.constant([1, 2], tf.int64)
    y = with_kernel.larq_ber_sign(x, tf.constant([np.nan, -0.5]), key)
    np.testing.assert_array_equal(y.numpy(), lq.math.sign(x).numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match="rates"):
        with_kernel.larq_ber_sign(x, tf.constant([0.1]), key)
    with pytest.raises(tf.errors.InvalidArgumentError, match="key"):
        with_kernel.larq_ber_sign(
            x, tf.constant([0.1, 0.1]), tf.constant([1], tf.int64)
        )


@pytest.mark.parametrize(("ber_neg", "ber_pos"), RATE_PAIRS)
@pytest.mark.parametrize("training", [True, "graph"])
def test_flip_rates_per_sign_with_the_kernel(with_kernel, ber_neg, ber_pos, training):
    x = _inputs()
    q = BerSteSign(ber_neg=ber_neg, ber_pos=ber_pos)
    call = tf.function(lambda x: q(x, training=True))
    y = (call(x) if training == "graph" else q(x, training=True)).numpy()
    if training == "graph" and max(ber_neg, ber_pos) > 0:
        assert "LarqBerSign" in _op_types(call, x)
    signs = lq.math.sign(x).numpy()
    flipped = y != signs
    _assert_binomial(flipped[signs < 0].sum(), N_PER_SIGN, ber_neg, "-1 -> +1")
    _assert_binomial(flipped[signs > 0].sum(), N_PER_SIGN, ber_pos, "+1 -> -1")


@pytest.mark.parametrize("ber", [1e-3, 0.04, 0.3])
def test_kernel_flips_are_independent_and_uniform(with_kernel, ber):
    n = 4_000_000
    x = tf.ones([n])
    rates = tf.Variable([ber, ber])
    generator = tf.random.Generator.from_seed(3)
    draw = tf.function(lambda x: ber_sign(x, rates[0], rates[1], generator=generator))
    _check_independent_and_uniform(lambda: draw(x).numpy() < 0, n, ber)


def test_gradient_with_the_kernel_is_the_straight_through_one(with_kernel):
    x = tf.Variable(np.linspace(-2, 2, 4001, dtype=np.float32))
    with tf.GradientTape() as tape:
        y = ber_ste_sign(x, 0.3, 0.3, seed=1)
        loss = tf.reduce_sum(y * tf.range(4001, dtype=tf.float32))
    grad = tape.gradient(loss, x).numpy()
    expected = np.where(np.abs(x.numpy()) <= 1, np.arange(4001), 0)
    np.testing.assert_array_equal(grad, expected)
    assert 0.25 < np.mean(y.numpy() != lq.math.sign(x).numpy()) < 0.35


def test_generator_seed_makes_kernel_flips_reproducible(with_kernel):
    x = tf.random.stateless_normal([100_000], [1, 2])

    def draws(seed):
        generator = tf.random.Generator.from_seed(seed)
        return [ber_sign(x, 0.2, 0.2, generator=generator).numpy() for _ in range(2)]

    first, second = draws(7), draws(7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert np.mean(first[0] != first[1]) > 0.2  # successive calls draw anew
    assert np.mean(first[0] != draws(8)[0]) > 0.2


def test_kernel_is_not_used_where_it_does_not_apply(with_kernel, monkeypatch):
    """Not under XLA (which compiles its own draws), not for float64, not when a
    GPU is visible or the kernel is disabled; rate 0 is the plain sign."""
    x = tf.ones([1000])
    rates = tf.Variable([0.2, 0.2])

    def sampled(**kwargs):
        return tf.function(lambda x: ber_sign(x, rates[0], rates[1]), **kwargs)

    assert "LarqBerSign" in _op_types(sampled(), x)
    assert "LarqBerSign" not in _op_types(sampled(jit_compile=True), x)
    assert "LarqBerSign" not in _op_types(sampled(), tf.ones([10], tf.float64))
    xla = sampled(jit_compile=True)(x).numpy()
    assert 100 < np.sum(xla < 0) < 300
    assert "LarqBerSign" not in _op_types(
        tf.function(lambda x: ber_sign(x, 0.0, 0.0)), x
    )
    monkeypatch.setattr(flips, "_gpu_visible", lambda: True)
    assert "LarqBerSign" not in _op_types(sampled(), x)
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "0")
    assert kernel.load() is None
    assert "LarqBerSign" not in _op_types(sampled(), x)


def test_training_with_the_kernel_and_the_metric(with_kernel, monkeypatch):
    """A model trains with the kernel; the measured bit error rate follows the rate
    and inference has no flips."""
    chosen = []
    choose = flips._cpu_kernel
    monkeypatch.setattr(
        flips, "_cpu_kernel", lambda d: chosen.append(choose(d)) or chosen[-1]
    )
    inp = tf.keras.Input((256,))
    out = lq.layers.QuantDense(
        4,
        input_quantizer=BerSteSign(0.1, metrics=["bit_error_rate"]),
        kernel_quantizer="ste_sign",
        use_bias=False,
    )(inp)
    model = tf.keras.Model(inp, out)
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).standard_normal((512, 256)).astype(np.float32)
    history = model.fit(x, np.zeros((512, 4)), batch_size=512, verbose=0).history
    assert chosen and all(op is not None for op in chosen)
    (name,) = [k for k in history if k.startswith("bit_error_rate/")]
    n = 512 * 256
    assert abs(history[name][0] - 0.1) <= 4 * np.sqrt(0.09 / n)
    # A flip would change an output by far more than float rounding.
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), atol=1e-4)


def test_build_errors_name_the_compiler(kernel_cache, monkeypatch, tmp_path):
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(tmp_path))
    with pytest.raises(kernel.KernelBuildError, match="nonexistent-c"):
        kernel.build(compiler="nonexistent-c++")
    with pytest.raises(kernel.KernelBuildError, match=r"failed \(exit 1\)"):
        kernel.build(compiler="false")
    assert not any(tmp_path.iterdir())  # nothing half-written is left


def test_build_is_a_no_op_once_built_and_force_rebuilds(kernel_cache, monkeypatch):
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(kernel_cache))
    path = kernel.build()
    assert path.parent == kernel_cache and path.exists()
    stamp = path.stat().st_mtime_ns
    assert kernel.build() == path and path.stat().st_mtime_ns == stamp
    assert kernel.build(compiler="false") == path  # built: the compiler is not run


_LOAD_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
import larq_ber.quantizers  # registers the alias and a built kernel's operation
model = tf.keras.models.load_model(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], model.predict(x, verbose=0))
"""


@pytest.mark.slow
def test_savedmodel_trained_with_the_kernel_loads_in_a_fresh_process(
    with_kernel, kernel_cache, tmp_path
):
    inp = tf.keras.Input((64,))
    out = lq.layers.QuantDense(4, input_quantizer=BerSteSign(0.1))(inp)
    model = tf.keras.Model(inp, out)
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).standard_normal((32, 64)).astype(np.float32)
    model.fit(x, np.zeros((32, 4)), verbose=0)
    model.save(tmp_path / "saved", save_format="tf")
    graphs = (tmp_path / "saved" / "saved_model.pb").read_bytes()
    assert b"LarqBerSign" in graphs  # the training graph holds the kernel's op
    np.save(tmp_path / "x.npy", x)
    env = {**os.environ, kernel.CACHE_VARIABLE: str(kernel_cache)}
    env[kernel.DISABLE_VARIABLE] = "1"
    subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT, str(tmp_path / "saved"),
         str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
        check=True, env=env, capture_output=True, timeout=300,
    )  # fmt: skip
    np.testing.assert_allclose(
        np.load(tmp_path / "y.npy"), model.predict(x, verbose=0), atol=1e-5
    )


def test_command_line_builds_and_reports_the_kernel(
    kernel_cache, monkeypatch, capsys, tmp_path
):
    from larq_ber.study.cli import main

    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(tmp_path))
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "1")
    assert main(["kernel", "status"]) == 0
    out = capsys.readouterr().out
    assert "not built" in out and "larq-ber kernel build" in out
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(kernel_cache))
    assert main(["kernel", "build"]) == 0
    assert f"kernel already built: {kernel.library_path()}" in capsys.readouterr().out
    assert main(["kernel", "status"]) == 0
    assert f"{USERS}: the kernel on CPUs" in capsys.readouterr().out
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "0")
    assert main(["kernel", "status"]) == 0
    assert "LARQ_BER_KERNEL=0 is set" in capsys.readouterr().out
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(tmp_path / "elsewhere"))
    monkeypatch.setenv("CXX", "nonexistent-c++")
    assert main(["kernel", "build"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nonexistent-c++'" in err


# NaN: larq's sign of NaN on every path.


def test_nan_signs_the_same_with_and_without_the_kernel(with_kernel, monkeypatch):
    """larq's sign (and `ste_sign`) of NaN is NaN; so is `ber_sign`'s, with the
    kernel, with TensorFlow's operations at low and high rates, and under XLA."""
    x = tf.constant([np.nan, -1.0, 2.0, 0.0, -np.nan] * 2000)
    nan = np.isnan(x.numpy())
    assert np.isnan(lq.math.sign(x).numpy()[nan]).all()
    assert np.isnan(lq.quantizers.ste_sign(x).numpy()[nan]).all()
    rates = tf.Variable([0.3, 0.3])
    call = tf.function(lambda x: ber_sign(x, rates[0], rates[1], seed=3))
    xla = tf.function(lambda x: ber_sign(x, rates[0], rates[1]), jit_compile=True)
    outputs = {"kernel": call(x).numpy(), "xla": xla(x).numpy()}
    monkeypatch.setattr(flips, "_cpu_kernel", lambda dtype: None)
    for ber in (0.0, 0.01, 0.3):  # plain sign, gap sampler, random bytes
        outputs[f"tf {ber}"] = ber_sign(x, ber, ber, seed=1).numpy()
    outputs["quantizer"] = BerSteSign(0.3)(x, training=True).numpy()
    for name, y in outputs.items():
        assert np.isnan(y[nan]).all(), name
        assert set(np.unique(y[~nan])) <= {-1.0, 1.0}, name


# The loader: what it refuses to load. A planted library whose constructor writes a
# marker file shows whether it ran.

_PLANTED = r"""
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
  FILE* marker = fopen(MARKER, "w");
  if (marker) { fputs("ran", marker); fclose(marker); }
}
"""


def _plant(cache, marker, tmp_path, monkeypatch):
    """A library without the operation at the kernel's path in `cache` (0700), with
    its digest recorded: it passes every check. Returns its path."""
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(cache))
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = kernel.library_path()
    source = tmp_path / "planted.c"
    source.write_text(_PLANTED)
    compiler = shutil.which("cc") or shutil.which("gcc") or "c++"
    subprocess.run(
        [compiler, "-shared", "-fPIC", f'-DMARKER="{marker}"', str(source), "-o",
         str(target)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    kernel.digest_path().write_text(f"{digest}  {target.name}\n")
    return target


@pytest.fixture
def fresh_loader(monkeypatch):
    """The loader's state as in a process that has loaded no library yet."""
    monkeypatch.setattr(kernel, "_module", None)
    monkeypatch.setattr(kernel, "_unusable", "")
    monkeypatch.setattr(kernel, "_problem", "")
    monkeypatch.setattr(kernel, "_warned", set())
    monkeypatch.setenv(kernel.DISABLE_VARIABLE, "1")


def _other_writable(target):
    target.chmod(0o666)


def _group_writable_folder(target):
    target.parent.chmod(0o770)


def _wrong_digest(target):
    kernel.digest_path().write_text("0" * 64 + "\n")


def _no_digest(target):
    kernel.digest_path().unlink()


def _changed_after_build(target):
    target.write_bytes(target.read_bytes() + b"\0")


def _folder_of_another_user(target, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: target.stat().st_uid + 1)


def _file_of_another_user(target, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    os.chown(target, 65534, 65534)


def _symlink(target):
    elsewhere = target.parent.parent / "elsewhere.so"
    target.rename(elsewhere)
    target.symlink_to(elsewhere)


def _symlinked_folder(target, monkeypatch):
    link = target.parent.parent / "link"
    link.symlink_to(target.parent)
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(link))


def _fifo(target):
    target.unlink()
    os.mkfifo(target)


REFUSALS = {
    _other_writable: "the file is writable by group or others (mode 0o666)",
    _group_writable_folder: "is writable by group or others (mode 0o770)",
    _wrong_digest: "is not the one recorded when it was built",
    _no_digest: "no digest was recorded when it was built",
    _changed_after_build: "is not the one recorded when it was built",
    _folder_of_another_user: "is owned by uid",
    _file_of_another_user: "the file is owned by uid 65534, not by you",
    _symlink: "the file is a symbolic link",
    _symlinked_folder: "is a symbolic link",
    _fifo: "the file is not a regular file",
}


@pytest.mark.parametrize("spoil", list(REFUSALS), ids=lambda f: f.__name__[1:])
def test_a_library_that_fails_a_check_is_never_loaded(
    spoil, fresh_loader, tmp_path, monkeypatch, capsys
):
    """One warning line naming the file and the reason, the TensorFlow operations,
    the planted constructor never run; `check` and `kernel status` say why."""
    from larq_ber.study.cli import main

    marker = tmp_path / "marker"
    target = _plant(tmp_path / "cache", marker, tmp_path, monkeypatch)
    args = (monkeypatch,) if spoil.__code__.co_argcount == 2 else ()
    spoil(target, *args)
    with pytest.warns(RuntimeWarning) as record:
        assert kernel.load() is None
    (warning,) = record
    message = str(warning.message)
    assert "\n" not in message and str(kernel.library_path()) in message
    assert REFUSALS[spoil] in message and "TensorFlow operations" in message
    assert REFUSALS[spoil] in kernel.check().problem
    assert kernel.load() is None and flips._cpu_kernel(tf.float32) is None
    y = BerSteSign(0.2)(tf.ones([1000]), training=True).numpy()
    assert 100 < np.sum(y < 0) < 300
    assert main(["kernel", "status"]) == 0
    out = capsys.readouterr().out
    assert REFUSALS[spoil] in out and f"{USERS}: TensorFlow operations" in out
    assert not marker.exists()


def _run_python(script, cache, **env):
    """Runs `script` in a fresh process with the cache and `env`; its result."""
    environment = {**os.environ, kernel.CACHE_VARIABLE: str(cache), **env}
    return subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip


_TOUCHED_SCRIPT = """
import builtins, os, sys
cache = os.environ["LARQ_BER_CACHE"]
touched = []
def spy(function):
    def call(*args, **kwargs):
        if args and cache in str(args[0]):
            touched.append(str(args[0]))
        return function(*args, **kwargs)
    return call
for name in ("open", "stat", "lstat", "listdir", "scandir"):
    setattr(os, name, spy(getattr(os, name)))
builtins.open = spy(builtins.open)
import tensorflow as tf
import larq_ber.quantizers
from larq_ber import kernel
y = larq_ber.quantizers.BerSteSign(0.2)(tf.ones([1000]), training=True).numpy()
assert kernel.load() is None and 100 < (y < 0).sum() < 300
print("touched:", touched)
"""


def test_disabled_the_kernel_is_never_opened(tmp_path, monkeypatch):
    """With LARQ_BER_KERNEL=0, importing the quantizers and using them opens no
    file of the cache, though it holds a library that passes every check."""
    marker = tmp_path / "marker"
    _plant(tmp_path / "cache", marker, tmp_path, monkeypatch)
    done = _run_python(_TOUCHED_SCRIPT, tmp_path / "cache", LARQ_BER_KERNEL="0")
    assert done.returncode == 0, done.stderr
    assert "touched: []" in done.stdout
    assert not marker.exists()


_IMPORT_SCRIPT = """
import tensorflow as tf
import larq_ber.quantizers
from larq_ber import kernel
y = larq_ber.quantizers.BerSteSign(0.2)(tf.ones([1000]), training=True).numpy()
z = larq_ber.quantizers.BerSteSign(0.2)(tf.ones([1000]), training=True).numpy()
assert kernel.load() is None and 100 < (y < 0).sum() < 300
print("problem:", kernel.last_problem())
"""


def _warnings(stderr):
    return [line for line in stderr.splitlines() if "RuntimeWarning" in line]


def test_a_library_without_the_operation_falls_back_with_a_warning(
    tmp_path, monkeypatch
):
    """The planted library passes the checks and loads (its constructor runs: the
    checks let the user's own build through), but has none of larq-ber's operations:
    one warning,
    and `BerSteSign` works on TensorFlow's operations."""
    marker = tmp_path / "marker"
    target = _plant(tmp_path / "cache", marker, tmp_path, monkeypatch)
    done = _run_python(_IMPORT_SCRIPT, tmp_path / "cache", LARQ_BER_KERNEL="1")
    assert done.returncode == 0, done.stderr
    assert marker.exists()
    (warning,) = _warnings(done.stderr)
    assert str(target) in warning and "lacks larq-ber's operations" in warning
    assert "lacks larq-ber's operations" in done.stdout


def test_at_import_a_foreign_library_in_a_world_writable_folder_is_not_loaded(
    tmp_path, monkeypatch
):
    """The issue's case: mode 666 (owned by nobody when the tests run as root) in a
    world-writable cache folder. `import larq_ber.quantizers` warns once and does
    not run it."""
    marker = tmp_path / "marker"
    target = _plant(tmp_path / "cache", marker, tmp_path, monkeypatch)
    target.chmod(0o666)
    target.parent.chmod(0o777)
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)
    done = _run_python(_IMPORT_SCRIPT, tmp_path / "cache", LARQ_BER_KERNEL="1")
    assert done.returncode == 0, done.stderr
    (warning,) = _warnings(done.stderr)
    assert str(target) in warning and "is writable by group or others" in warning
    assert not marker.exists()


# Building: the compiler's command line, the time limit, the cache folder.


def test_cxx_with_flags_is_split_like_make_does(kernel_cache, monkeypatch, tmp_path):
    commands = []
    run = kernel._compile
    monkeypatch.setattr(
        kernel, "_compile", lambda c, t: commands.append(c) or run(c, t)
    )
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setenv("CXX", "g++ -DLARQ_BER_FOO=1")
    path = kernel.build()
    assert kernel.check().verified and path.exists()
    (command,) = commands
    assert command[0] == shutil.which("g++") and command[1] == "-DLARQ_BER_FOO=1"
    with pytest.raises(kernel.KernelBuildError, match="is not a command"):
        kernel.build(force=True, compiler="g++ 'unclosed")


def test_a_build_past_the_time_limit_is_stopped(monkeypatch, tmp_path):
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(tmp_path))
    monkeypatch.setattr(kernel, "BUILD_TIMEOUT_S", 0.05)
    with pytest.raises(kernel.KernelBuildError, match=r"longer than 0.05 s"):
        kernel.build()
    assert not any(tmp_path.iterdir())  # nothing half-written is left
    with pytest.raises(kernel.KernelBuildError, match=r"longer than 0.01 s"):
        kernel.build(timeout_s=0.01)


def test_build_creates_the_cache_folder_private_and_refuses_a_shared_one(
    monkeypatch, tmp_path
):
    cache = tmp_path / "new" / "cache"
    monkeypatch.setenv(kernel.CACHE_VARIABLE, str(cache))
    with pytest.raises(kernel.KernelBuildError, match="nonexistent-c"):
        kernel.build(compiler="nonexistent-c++")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    cache.chmod(0o777)
    with pytest.raises(kernel.KernelBuildError, match="writable by group or others"):
        kernel.build(compiler="nonexistent-c++")


def test_build_replaces_a_library_that_fails_the_checks(monkeypatch, tmp_path):
    """A file without a recorded digest (or another's) is not "already built":
    `build()` compiles (here with a failing compiler, to show it ran)."""
    marker = tmp_path / "marker"
    _plant(tmp_path / "cache", marker, tmp_path, monkeypatch)
    kernel.digest_path().unlink()
    with pytest.raises(kernel.KernelBuildError, match=r"failed \(exit 1\)"):
        kernel.build(compiler="false")


def test_rates_known_positive_call_the_kernel_without_a_branch(with_kernel):
    """`nonzero=True` (errors at inference) calls the kernel directly; at rate 0
    it flips nothing all the same."""
    rates = tf.Variable([0.0, 0.0])
    x = tf.constant(np.linspace(-1.0, 1.0, 4001), tf.float32)
    for nonzero in (False, True):
        sampled = tf.function(
            lambda x, n=nonzero: flips.ber_sign(x, rates[0], rates[1], nonzero=n)
        )
        graph = sampled.get_concrete_function(x).graph
        top = {op.type for op in graph.get_operations()}
        assert ("LarqBerSign" in top) is nonzero, top
        assert bool(top & {"If", "StatelessIf"}) is not nonzero, top
        np.testing.assert_array_equal(sampled(x), lq.math.sign(x))
