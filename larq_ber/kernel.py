r"""The optional compiled CPU kernel: flips, BatchNorm with a pool, binary convolution.

`build()` compiles `kernel.cc`, `batch_norm_pool.cc` and `binary_conv.cc` (shipped
with the package) against the installed TensorFlow with the machine's C++ compiler,
once, into a cache folder. Then, on a CPU, `BerSteSign` computes
$\operatorname{sign}(x)$ with its bit errors in one pass (a vectorized Philox4x32-10,
AVX2 where the CPU has it) instead of the operations of `larq_ber.flips` (1-10 % of a
training step), `larq_ber.batch_norm_pool.BatchNormMaxPoolReLU` trains in one pass
each way, and binary convolutions run bit-packed in error blocks (`binary_conv`).
The flips have the same distribution (exact up to $2^{-61}$; see `kernel.cc`) from
another random stream: a run is reproducible with the kernel, or without it, not
across the two. Both give larq's sign of NaN, NaN. It is not used under XLA
(`jit_compile=True`), for dtypes other than float32, when a GPU is visible, and with
`LARQ_BER_KERNEL=0`. Nothing is compiled unless you ask: `larq-ber kernel build`, or

```python
import larq_ber.kernel

path = larq_ber.kernel.build()  # about 10 s; a no-op once built
assert larq_ber.kernel.load() is not None
```

What is loaded (a shared library runs code in your process as soon as it loads):

- With `LARQ_BER_KERNEL=0` no file of the cache is opened, not even at import.
- Otherwise `import larq_ber.quantizers` (and `load()`) loads `library_path()` only
  if the file and its folder are owned by you (the effective user) and writable by
  no one else (no group or other write bit), neither is a symbolic link, the file
  is a regular file, and its SHA-256 equals the digest `build()` recorded next to
  it (`digest_path()`, in `sha256sum` format). The file is checked and then loaded
  through the same open file descriptor on Linux, so it cannot be swapped between
  check and load.
- A file that fails any check is not loaded: one `RuntimeWarning` line names the
  file and the reason, and larq-ber uses TensorFlow operations. So does a library
  that loads but lacks an operation; `BerSteSign` never fails for it.
- `build()` creates the cache folder with mode 0700, refuses to build into a
  folder that fails the checks, compiles into a temporary file, records its digest
  and renames both into place atomically; the compiler is stopped after
  `BUILD_TIMEOUT_S` seconds.

A SavedModel (`model.save(..., save_format="tf")`) saved while the kernel was in
use records the kernel's operation in its training graph; `import larq_ber` (which
loads a built kernel with the quantizers) before loading it in another process,
without `LARQ_BER_KERNEL=0`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from larq_ber import _kernel_checks as checks

__all__ = [
    "BUILD_TIMEOUT_S",
    "CACHE_VARIABLE",
    "DISABLE_VARIABLE",
    "KernelBuildError",
    "KernelCheck",
    "build",
    "cache_dir",
    "check",
    "digest_path",
    "is_available",
    "is_enabled",
    "last_problem",
    "library_path",
    "load",
]

#: Set to "0" to keep larq-ber from using (or even opening) a built kernel.
DISABLE_VARIABLE = "LARQ_BER_KERNEL"
#: Folder of built kernels (default `$XDG_CACHE_HOME/larq_ber` or `~/.cache/larq_ber`).
CACHE_VARIABLE = "LARQ_BER_CACHE"
#: Seconds the compiler may run in `build()` before it is stopped.
BUILD_TIMEOUT_S = 300.0

_SOURCES = [Path(__file__).with_name(f"{n}.cc") for n in ("kernel", "batch_norm_pool")]
_SOURCES.append(Path(__file__).with_name("binary_conv.cc"))
_OPERATIONS: tuple[str, ...] = ("larq_ber_sign", "larq_ber_batch_norm_max_pool_relu")
_OPERATIONS += ("larq_ber_binary_conv2d",)
# The loaded library (TensorFlow registers an operation once per process); why a
# library loaded into this process has no kernel (TensorFlow caches it: not loaded
# again); why the last `load()` found a library but returned None.
_module: Any = None
_unusable = ""
_problem = ""
_warned: set[str] = set()
_lock = threading.Lock()  # one load at a time (TensorFlow registers an op once)


class KernelBuildError(RuntimeError):
    """Not compiled: no compiler, it failed or ran too long, or the cache is shared."""


@dataclass(frozen=True)
class KernelCheck:
    """What `check()` found at `library_path()`, without loading it.

    Attributes:
        path: The library's path.
        found: Whether there is a file (or link) at `path`.
        problem: Why it may not be loaded, or `None` if it passes every check.
        hint: What to do about `problem` ("" if none).
    """

    path: Path
    found: bool
    problem: str | None
    hint: str = ""

    @property
    def verified(self) -> bool:
        """Whether the file passes every check (and may be loaded)."""
        return self.problem is None


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
    # AVX2 (vectorized Philox) and popcnt where the CPU has them. Not -march=native:
    # with AVX-512, TF 2.21's Eigen headers need a newer compiler than GCC 12.
    cpu = _cpu_flags().split()
    compile_flags += [f"-m{f}" for f in ("avx2", "popcnt") if f in cpu]
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


def digest_path(library: Path | None = None) -> Path:
    """Where `build()` records the SHA-256 of a library it built.

    Args:
        library: The library; default `library_path()`.

    Returns:
        The library's path with `.sha256` appended (`sha256sum -c` checks it).

    Example:
        >>> digest_path(Path("/c/k.so"))
        PosixPath('/c/k.so.sha256')
    """
    library = library_path() if library is None else library
    return library.with_name(library.name + checks.DIGEST_SUFFIX)


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    import tensorflow as tf

    compile_flags, link_flags = _flags()
    digest = hashlib.sha256()
    for part in (
        *(source.read_bytes() for source in _SOURCES),
        tf.__version__.encode(),
        " ".join(compile_flags + link_flags).encode(),
        f"{sys.platform} {platform.machine()} {_cpu_flags()}".encode(),
    ):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def check() -> KernelCheck:
    """Checks the built kernel as `load()` would, without loading it.

    Returns:
        What was found at `library_path()` and why it may not be loaded, if so. The
        environment variable `LARQ_BER_KERNEL` is not consulted.

    Example:
        >>> found = check()
        >>> found.verified or found.problem is not None
        True
    """
    path = library_path()
    try:
        os.close(checks.verified_fd(path))
    except checks.Refusal as refusal:
        return KernelCheck(path, os.path.lexists(path), refusal.reason, refusal.hint)
    return KernelCheck(path, True, None)


# Building.


def _compiler(compiler: str | None) -> list[str]:
    """The compiler's command line: `compiler` or `$CXX` split as a shell would."""
    configured = compiler if compiler is not None else os.environ.get("CXX", "")
    source = "`compiler`" if compiler is not None else "$CXX"
    try:  # unset or empty: c++, else g++
        default = "c++" if shutil.which("c++") else "g++"
        words = shlex.split(configured) or [default]
    except ValueError as error:
        raise KernelBuildError(f"{source} is not a command: {error}") from None
    found = shutil.which(words[0])
    if found is None:
        raise KernelBuildError(
            f"no C++ compiler: {words[0]!r} is not on PATH ({source} is "
            f"{configured!r}); install g++ or clang++, or pass compiler='path/to/c++'"
        )
    return [found, *words[1:]]


def _stop(process: subprocess.Popen[str]) -> None:
    """Kills the compiler and what it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # it had exited
        pass
    process.communicate()


def _compile(command: list[str], timeout_s: float) -> None:
    """Runs the compiler for at most `timeout_s` seconds."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise KernelBuildError(
            f"compiling the kernel took longer than {timeout_s:g} s (the limit, "
            f"larq_ber.kernel.BUILD_TIMEOUT_S) and was stopped: {shlex.join(command)}"
        ) from None
    except BaseException:
        _stop(process)
        raise
    if process.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise KernelBuildError(
            f"compiling the kernel failed (exit {process.returncode}): "
            f"{shlex.join(command)}\n{tail}"
        )


def _prepare_folder(folder: Path) -> None:
    """Creates the cache folder (mode 0700) and checks that it is yours alone."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(checks.open_folder(folder))
    except OSError as error:
        raise KernelBuildError(f"cannot create {folder}: {error.strerror}") from None
    except checks.Refusal as refusal:
        raise KernelBuildError(
            f"not building the kernel: {refusal.reason}; {refusal.hint}"
        ) from None


def _record_digest(library: Path, digest: str) -> None:
    """Writes `digest_path(library)` atomically (a temporary file, renamed)."""
    handle, partial = tempfile.mkstemp(suffix=".sha256", dir=library.parent)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(f"{digest}  {library.name}\n")
        os.chmod(partial, 0o644)
        os.replace(partial, digest_path(library))
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def build(
    *, force: bool = False, compiler: str | None = None, timeout_s: float | None = None
) -> Path:
    """Compiles the kernel for this machine if it is not built yet.

    The cache folder is created with mode 0700 (and refused if it exists but is
    not yours alone); the library is compiled into a temporary file there, its
    SHA-256 recorded in `digest_path()`, and both renamed into place.

    Args:
        force: Compile even if a library that passes `check()` exists.
        compiler: The C++ compiler's command, split as a shell would (e.g.
            `"g++ -DFOO"`); default `$CXX`, else `c++`, else `g++`.
        timeout_s: Seconds the compiler may run; default `BUILD_TIMEOUT_S`.

    Returns:
        The path of the built library (see `library_path`).

    Raises:
        KernelBuildError: If no compiler is found, compiling fails or takes longer
            than the limit (the message has the command and the compiler's last
            lines of output), or the cache folder is not yours alone.

    Example:
        ```python
        path = build()  # compiles once, about 10 s
        assert load() is not None
        ```
    """
    target = library_path()
    _prepare_folder(target.parent)
    if not force and check().verified:
        return target
    command = _compiler(compiler)
    compile_flags, link_flags = _flags()
    # Compile next to the target and rename: concurrent builds never see half a file.
    handle, partial = tempfile.mkstemp(suffix=".so", dir=target.parent)
    try:
        os.close(handle)
        _compile(
            [*command, *map(str, _SOURCES), "-o", partial, *compile_flags, *link_flags],
            BUILD_TIMEOUT_S if timeout_s is None else timeout_s,
        )
        with open(partial, "rb") as file:
            digest = checks.sha256(file.fileno())
        os.chmod(partial, 0o755)
        os.replace(partial, target)
        _record_digest(target, digest)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


# Loading.


def _load_library(path: Path, fd: int) -> Any:
    """Loads the checked library open at `fd` (through `/proc/self/fd` on Linux)."""
    global _unusable
    import tensorflow as tf

    through_fd = f"/proc/self/fd/{fd}"
    name = through_fd if os.path.exists(through_fd) else str(path)
    try:
        module = tf.load_op_library(name)
    except (tf.errors.OpError, OSError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise checks.Refusal(f"it does not load ({first})", checks.REBUILD) from None
    if not all(hasattr(module, op) for op in _OPERATIONS):
        _unusable = "it loads but lacks larq-ber's operations"
        raise checks.Refusal(_unusable, checks.REBUILD)
    return module


def _refuse(path: Path, refusal: checks.Refusal) -> str:
    """Warns (once per message) that `path` is not used; returns the message."""
    message = (
        f"larq-ber's kernel {path} is not loaded: {refusal.reason}; larq-ber uses "
        f"TensorFlow operations ({refusal.hint})"
    )
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)
    return message


def load() -> Any | None:
    """The built kernel's operations, if enabled, built and verified; else `None`.

    With `LARQ_BER_KERNEL=0` (see `is_enabled`) it returns `None` without opening
    any file. Otherwise it loads `library_path()` if it passes `check()`; a file
    that fails a check, does not load or lacks one of larq-ber's operations is
    reported with one `RuntimeWarning` line (once per process) and `None` is
    returned, so larq-ber uses TensorFlow operations. The first library loaded
    serves the rest of the process (TensorFlow registers an operation once).
    `import larq_ber.quantizers` calls it, so that a SavedModel whose training
    graph holds the kernel's operation loads in a process that imported larq-ber.

    Returns:
        The module of `tf.load_op_library` (its operation is `larq_ber_sign`), or
        `None`.

    Example:
        >>> load() is None or hasattr(load(), "larq_ber_sign")
        True
    """
    if not is_enabled():
        return None
    with _lock:
        return _load()


def _load() -> Any | None:
    global _module, _problem
    if _module is not None or _unusable:
        return _module
    try:
        path = library_path()
        fd = checks.verified_fd(path)
    except (OSError, RuntimeError):  # no readable source, home or folder
        return None
    except checks.Refusal as refusal:
        _problem = "" if refusal.reason == checks.NOT_BUILT else _refuse(path, refusal)
        return None
    try:
        _module = _load_library(path, fd)
    except checks.Refusal as refusal:
        _problem = _refuse(path, refusal)
    finally:
        os.close(fd)
    return _module


def last_problem() -> str:
    """Why the last `load()` in this process found a kernel but did not load it.

    Returns:
        The warning's message, or "" if it loaded, nothing was built or `load()`
        was not called.

    Example:
        >>> load() is not None or isinstance(last_problem(), str)
        True
    """
    return "" if _module is not None else _problem


def is_enabled() -> bool:
    """Whether the environment allows using a built kernel.

    Returns:
        `False` if `LARQ_BER_KERNEL` is `0`, `false` or `off`, else `True`.

    Example:
        >>> is_enabled() == (os.environ.get("LARQ_BER_KERNEL", "1") != "0")
        True
    """
    value = os.environ.get(DISABLE_VARIABLE, "1").strip().lower()
    return value not in {"0", "false", "off"}


def is_available() -> bool:
    """Whether a built kernel is loaded (or loads) here: `load() is not None`."""
    return load() is not None
