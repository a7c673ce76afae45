"""SIGTERM handled like Ctrl-C: the command stops cleanly and says how to resume.

Batch systems and `kill` stop a process with SIGTERM. Without a handler Python dies
at once, skipping the message a Ctrl-C gets; with this one, `Terminated` unwinds
the command (every file is written atomically or appended and synced, so a stop at
any moment resumes to the same tables) and `main` exits with 143 (128 + 15).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "stopped_by_sigterm"]


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """Turns SIGTERM into `Terminated` while the block runs (main thread only).

    Yields:
        Nothing; the previous handler comes back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
