r"""The optional compiled CPU kernel that draws the flips and the sign in one pass.

Without it, `larq_ber.flips.ber_sign` builds the flips from TensorFlow operations:
on a CPU each operation is its own pass over the tensor and TensorFlow's random
number generator runs one Philox stream at a time, so the flips cost 1-10 % of a
training step. `build()` compiles `kernel.cc` (shipped with the package) against the
installed TensorFlow with the machine's C++ compiler, once, into a cache folder;
from then on every process that uses `BerSteSign` on a CPU loads it and computes
$\operatorname{sign}(x)$ with its bit errors in a single pass, drawing the random
bytes with a vectorized Philox4x32-10 (AVX2 where the CPU has it).

The kernel draws exactly the same distribution as the TensorFlow operations (an
independent Bernoulli flip per element at the rate of its sign, exact up to
$2^{-61}$; see `kernel.cc`), but a different stream of random numbers: a model
trained with the kernel is reproducible with the kernel (its output depends only
on the input, the rates and the generator's key, not on threads), not bit for bit
against a process without it.

Where it is not used: under XLA (`jit_compile=True`), for dtypes other than
float32, when a GPU is visible (the kernel runs on CPUs only), and when the
environment variable `LARQ_BER_KERNEL=0` is set. Nothing is compiled unless you
ask: `larq-ber kernel build`, or

```python
import larq_ber.kernel

path = larq_ber.kernel.build()  # about 10 s; a no-op once built
assert larq_ber.kernel.load() is not None
```

A SavedModel (`model.save(..., save_format="tf")`) saved while the kernel was in
use records the kernel's operation in its training graph; `import larq_ber` (which
loads a built kernel with the quantizers) before loading it in another process.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_VARIABLE",
    "DISABLE_VARIABLE",
    "KernelBuildError",
    "build",
    "cache_dir",
    "is_available",
    "is_enabled",
    "library_path",
    "load",
    "register",
]

#: Set to "0" to keep larq-ber from using a built kernel in this process.
DISABLE_VARIABLE = "LARQ_BER_KERNEL"
#: Folder of built kernels (default `$XDG_CACHE_HOME/larq_ber` or `~/.cache/larq_ber`).
CACHE_VARIABLE = "LARQ_BER_CACHE"

_SOURCE = Path(__file__).with_name("kernel.cc")
# The loaded library: its operation is registered once per process, so the first
# one loaded serves for the rest of the process.
_module: Any = None


class KernelBuildError(RuntimeError):
    """The kernel could not be compiled (no compiler, or the compiler failed)."""


def cache_dir() -> Path:
    """The folder that holds built kernels.

    Returns:
        `$LARQ_BER_CACHE` if set, else `$XDG_CACHE_HOME/larq_ber`, else
        `~/.cache/larq_ber`.

    Example:
        >>> configured = os.environ.get("LARQ_BER_CACHE")
        >>> cache_dir() == Path(configured) if configured else cache_dir().name
        'larq_ber'
    """
    configured = os.environ.get(CACHE_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "larq_ber"


def _cpu_flags() -> str:
    """The CPU's feature flags on Linux (the kernel is built for this CPU)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return platform.processor()


def _flags() -> tuple[list[str], list[str]]:
    """Compile and link flags: TensorFlow's, optimisation for this machine."""
    import tensorflow as tf

    # -w: TensorFlow's headers warn by the hundred; a failure shows only errors.
    compile_flags = ["-O3", "-fPIC", "-shared", "-w", *tf.sysconfig.get_compile_flags()]
    # AVX2 for the vectorized Philox where the CPU has it. Not -march=native: with
    # AVX-512, TensorFlow 2.21's Eigen headers need a newer compiler than GCC 12.
    if "avx2" in _cpu_flags().split():
        compile_flags.append("-mavx2")
    link_flags = list(tf.sysconfig.get_link_flags())
    if sys.platform == "darwin":
        link_flags += ["-undefined", "dynamic_lookup"]
    return compile_flags, link_flags


def library_path() -> Path:
    """Where the kernel for this TensorFlow, source and CPU is (or will be) built.

    The file name holds a digest of the source, TensorFlow's version and flags,
    the platform and the CPU's features, so a changed installation builds anew.

    Returns:
        A path under `cache_dir()` ending in `.so`.

    Example:
        >>> library_path().suffix
        '.so'
    """
    import tensorflow as tf

    return cache_dir() / f"ber_sign-tf{tf.__version__}-{_digest()}.so"


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    import tensorflow as tf

    compile_flags, link_flags = _flags()
    digest = hashlib.sha256()
    for part in (
        _SOURCE.read_bytes(),
        tf.__version__.encode(),
        " ".join(compile_flags + link_flags).encode(),
        f"{sys.platform} {platform.machine()} {_cpu_flags()}".encode(),
    ):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def build(*, force: bool = False, compiler: str | None = None) -> Path:
    """Compiles the kernel for this machine if it is not built yet.

    Args:
        force: Compile even if the library exists.
        compiler: The C++ compiler to run; default `$CXX`, else `c++`, else `g++`.

    Returns:
        The path of the built library (see `library_path`).

    Raises:
        KernelBuildError: If no compiler is found or compiling fails (the message
            has the command and the compiler's last lines of output).

    Example:
        ```python
        path = build()  # compiles once, about 10 s
        assert load() is not None
        ```
    """
    target = library_path()
    if target.exists() and not force:
        return target
    chosen = compiler or os.environ.get("CXX") or "c++"
    executable = shutil.which(chosen) or (
        shutil.which("g++") if compiler is None and "CXX" not in os.environ else None
    )
    if executable is None:
        raise KernelBuildError(
            f"no C++ compiler: `compiler` (or $CXX) is {chosen!r}, which is not on "
            "PATH; install g++ or clang++, or pass compiler='path/to/c++'"
        )
    compile_flags, link_flags = _flags()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Compile next to the target and rename: concurrent builds never see half a file.
    handle, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(handle)
    command = [executable, str(_SOURCE), "-o", partial, *compile_flags, *link_flags]
    try:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise KernelBuildError(
                f"compiling the kernel failed (exit {done.returncode}): "
                f"{' '.join(command)}\n{tail}"
            )
        os.chmod(partial, 0o755)  # mkstemp's 0600 would hide it from other users
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def register() -> Any | None:
    """Loads a built kernel into TensorFlow, whether or not it is enabled.

    `import larq_ber.quantizers` calls it, so that a SavedModel whose training graph
    holds the kernel's operation loads in a process that imported larq-ber. The
    first library loaded serves the rest of the process (TensorFlow registers an
    operation once); one that fails to load is reported with a warning and treated
    as not built.

    Returns:
        The module of `tf.load_op_library`, or `None` if there is no kernel built
        for this installation.

    Example:
        >>> register() is None or hasattr(register(), "larq_ber_sign")
        True
    """
    global _module
    if _module is not None:  # operations are registered once per process
        return _module
    try:
        path = library_path()
    except (OSError, RuntimeError):  # no readable source or home folder
        return None
    if path.exists():
        import tensorflow as tf

        try:
            _module = tf.load_op_library(str(path))
        except (tf.errors.OpError, OSError) as error:
            warnings.warn(
                f"larq-ber's kernel {path} does not load ({error}); the flips use "
                "TensorFlow operations. Rebuild it: larq-ber kernel build --force",
                RuntimeWarning,
                stacklevel=2,
            )
    return _module


def load() -> Any | None:
    """The built kernel's operations, if built and enabled; else `None`.

    `LARQ_BER_KERNEL=0` in the environment disables it (see `is_enabled`).

    Returns:
        The module of `tf.load_op_library` (its operation is `larq_ber_sign`), or
        `None` if the kernel is not built for this installation or disabled.

    Example:
        >>> load() is None or hasattr(load(), "larq_ber_sign")
        True
    """
    return register() if is_enabled() else None


def is_enabled() -> bool:
    """Whether the environment allows using a built kernel.

    Returns:
        `False` if `LARQ_BER_KERNEL` is `0`, `false` or `off`, else `True`.

    Example:
        >>> is_enabled() == (os.environ.get("LARQ_BER_KERNEL", "1") != "0")
        True
    """
    return os.environ.get(DISABLE_VARIABLE, "1").strip().lower() not in {
        "0",
        "false",
        "off",
    }


def is_available() -> bool:
    """Whether a built kernel is loaded (or loads) in this process.

    Returns:
        `load() is not None`.

    Example:
        >>> isinstance(is_available(), bool)
        True
    """
    return load() is not None
