"""Which compiled kernel may be loaded: the checks `larq_ber.kernel` makes first.

A shared library's code runs in the process as soon as it loads, so
`larq_ber.kernel` loads only one that passes these checks.
A library passes if it and its folder are owned by the effective user and writable
by no one else, neither is a symbolic link, it is a regular file, and its SHA-256
equals the digest `larq_ber.kernel.build()` recorded next to it (`<name>.sha256`,
in `sha256sum` format). `verified_fd` returns a descriptor of the checked file, so
that the file loaded is the file checked.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

__all__ = ["DIGEST_SUFFIX", "NOT_BUILT", "REBUILD", "Refusal", "open_folder", "sha256",
           "verified_fd"]  # fmt: skip

#: Appended to a library's file name for the file of its recorded digest.
DIGEST_SUFFIX = ".sha256"
#: The reason of a `Refusal` where there is no library.
NOT_BUILT = "not built"
#: The hint for a library that fails a check.
REBUILD = "rebuild it: larq-ber kernel build --force"
_FOLDER_HINT = "make the folder yours alone (chmod 700) or set $LARQ_BER_CACHE"


class Refusal(Exception):  # noqa: N818 (not an error: a verdict)
    """A file that must not be loaded: `reason` (what is wrong) and `hint`.

    Args:
        reason: What is wrong, e.g. "the file is a symbolic link".
        hint: What to do about it.
    """

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def _owner_or_mode_problem(info: os.stat_result, what: str) -> str | None:
    """Why `what` (described by `info`) is not yours alone, or `None`."""
    uid = os.geteuid()
    if info.st_uid != uid:
        return f"{what} is owned by uid {info.st_uid}, not by you (uid {uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = stat.S_IMODE(info.st_mode)
        return f"{what} is writable by group or others (mode {mode:#o})"
    return None


def open_folder(folder: Path) -> int:
    """A descriptor of `folder` if it is a folder, not a link, and yours alone.

    Args:
        folder: The folder.

    Returns:
        A descriptor (the caller closes it).

    Raises:
        Refusal: Why `folder` is not trusted.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:  # created 0700
        ...     os.close(open_folder(Path(folder)))
    """
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(folder):
            reason = f"the folder {folder} is a symbolic link"
        else:
            reason = f"the folder {folder} cannot be opened ({error.strerror})"
        raise Refusal(reason, _FOLDER_HINT) from None
    problem = _owner_or_mode_problem(os.fstat(fd), f"the folder {folder}")
    if problem is not None:
        os.close(fd)
        raise Refusal(problem, _FOLDER_HINT)
    return fd


def _open_file(name: str, folder_fd: int, what: str, missing: str) -> int:
    """A descriptor of a regular file (not a link) in the folder, yours alone."""
    try:  # O_NONBLOCK: opening a FIFO planted in its place must not hang
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
        fd = os.open(name, flags, dir_fd=folder_fd)
    except FileNotFoundError:
        raise Refusal(missing, REBUILD) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Refusal(f"{what} is a symbolic link", REBUILD) from None
        raise Refusal(f"{what} cannot be opened ({error.strerror})", REBUILD) from None
    info = os.fstat(fd)
    problem = _owner_or_mode_problem(info, what)
    if not stat.S_ISREG(info.st_mode):
        problem = f"{what} is not a regular file"
    if problem is not None:
        os.close(fd)
        raise Refusal(problem, REBUILD)
    return fd


def sha256(fd: int) -> str:
    """The SHA-256 of the whole file open at `fd` (hexadecimal).

    Args:
        fd: A readable descriptor (its offset is not used or moved).

    Returns:
        64 lowercase hexadecimal digits.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryFile() as file:
        ...     sha256(file.fileno())[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def _recorded_digest(library: Path, folder_fd: int) -> str:
    """The SHA-256 recorded for `library`, read from its checked digest file."""
    name = library.name + DIGEST_SUFFIX
    what = f"its digest file {name}"
    missing = f"no digest was recorded when it was built ({name} is missing)"
    fd = _open_file(name, folder_fd, what, missing)
    try:
        words = os.pread(fd, 4096, 0).decode("ascii", "replace").split()
    finally:
        os.close(fd)
    recorded = words[0].lower() if words else ""
    if len(recorded) != 64 or set(recorded) - set("0123456789abcdef"):
        raise Refusal(f"{what} holds no SHA-256", REBUILD)
    return recorded


def verified_fd(path: Path) -> int:
    """A descriptor of the library at `path` if it passes every check.

    Args:
        path: The library.

    Returns:
        A descriptor of the checked file (the caller closes it).

    Raises:
        Refusal: Why it does not pass (the reason is `NOT_BUILT` if there is no
            file at `path`).

    Example:
        >>> verified_fd(Path("/nonexistent/k.so"))
        Traceback (most recent call last):
        ...
        larq_ber._kernel_checks.Refusal: not built
    """
    if not os.path.lexists(path):
        raise Refusal(NOT_BUILT, "larq-ber kernel build")
    if not hasattr(os, "O_NOFOLLOW") or not hasattr(os, "geteuid"):
        raise Refusal("its owner cannot be checked on this platform")
    folder_fd = open_folder(path.parent)
    try:
        fd = _open_file(path.name, folder_fd, "the file", NOT_BUILT)
        try:
            recorded = _recorded_digest(path, folder_fd)
            actual = sha256(fd)
            if actual != recorded:
                raise Refusal(
                    f"its SHA-256 ({actual[:16]}...) is not the one recorded when it "
                    f"was built ({recorded[:16]}...)",
                    REBUILD,
                )
        except BaseException:
            os.close(fd)
            raise
        return fd
    finally:
        os.close(folder_fd)
