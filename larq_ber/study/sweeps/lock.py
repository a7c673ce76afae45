"""One writer per sweep folder: an OS-level lock held for the life of a sweep.

`SweepLock(folder)` takes an exclusive `flock` on `OUT/.lock` and writes who holds
it (pid, host, start time) into the file. The kernel releases the lock when the
process ends, however it ends, so a killed sweep never leaves a stale lock; the
file itself stays and only says who held it last. The process that plans a sweep
(a single process, or the chief of a distributed one) holds it; workers of a
distributed sweep and the readers (`larq-ber results`, `plot`, `export`) do not
need it. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType

__all__ = ["SweepLock", "SweepLockedError"]

_NAME = ".lock"


class SweepLockedError(RuntimeError):
    """Another process holds the sweep folder; the message says which and what to do.

    Attributes:
        holder: What the lock file says about the holder (`pid`, `host`,
            `started`), empty if it could not be read.
    """

    def __init__(self, folder: Path, holder: dict[str, object]) -> None:
        self.holder = holder
        who = (
            f"process {holder.get('pid')} on {holder.get('host')} (started "
            f"{holder.get('started')})"
            if holder
            else "another process"
        )
        super().__init__(
            f"{str(folder)!r} is being written by {who}. Wait for it to finish, or "
            "stop it; to help it instead, run it as the chief of a distributed sweep "
            "and add workers (KERASTUNER_TUNER_ID=chief / worker0 …, see "
            "`larq-ber sweep --help`)."
        )


class SweepLock:
    """An exclusive, kernel-released lock on a sweep folder.

    Use as a context manager; `acquire` raises `SweepLockedError` at once if
    another process holds the folder.

    Args:
        folder: The sweep's output folder (created if missing).

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with SweepLock(folder):  # plan and train; a second sweep is refused
        ...     try:
        ...         SweepLock(folder).acquire()
        ...     except SweepLockedError:
        ...         print("refused")
        refused
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / _NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Takes the lock and records this process in the lock file.

        Raises:
            SweepLockedError: If another process holds it.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise SweepLockedError(self.folder, holder) from None
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now()
            .astimezone()
            .isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Releases the lock (the kernel also does when the process ends)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SweepLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, object]:
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, OSError):
        return {}
    return holder if isinstance(holder, dict) else {}
