"""Ctrl-C and SIGTERM stop a command cleanly, even where Python would lose them.

Batch systems and `kill` stop a process with SIGTERM. Without a handler Python dies
at once, skipping the message a Ctrl-C gets; with `stop_on_signals`, SIGTERM raises
`Terminated` and Ctrl-C `KeyboardInterrupt`, which unwind the command (every file is
written atomically or appended and synced, so a stop at any moment resumes to the
same tables) and the command line exits with 143 (128 + 15) or 130.

Python runs a signal's handler in the main thread at the next line of Python code
it executes. While TensorFlow computes, that line can be in a finalizer (a
`__del__` or a weak-reference callback), where Python prints "Exception ignored"
and drops the exception: the command would go on to its end as if no signal had
come. So the handlers also remember the signal; the long loops call
`raise_if_stopped` where an exception travels normally (between batches, draws and
runs), which raises it again, and so does the end of the block. A
`KeyboardInterrupt` that code inside the block catches on purpose is raised again
the same way.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "raise_if_stopped", "stop_on_signals"]


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


class _State:
    """What the handlers share: the stop asked for, and where the block is."""

    requested: type[BaseException] | None = None
    active = False
    restoring = False  # handlers being restored: remember a signal, raise nothing


def _stop(signum: int, frame: FrameType | None) -> None:
    stop = KeyboardInterrupt if signum == signal.SIGINT else Terminated
    _State.requested = stop
    if not _State.restoring:
        raise stop


def raise_if_stopped() -> None:
    """Raises the stop a signal asked for inside `stop_on_signals`, if one did.

    A no-op when no signal came, or outside the block.

    Raises:
        KeyboardInterrupt: After a SIGINT (Ctrl-C).
        Terminated: After a SIGTERM.

    Example:
        >>> with stop_on_signals():
        ...     raise_if_stopped()  # nothing came
    """
    if _State.requested is not None:
        raise _State.requested


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turns SIGTERM into `Terminated` and Ctrl-C into `KeyboardInterrupt`.

    Only in the main thread. SIGINT is handled only where Python's own handler is
    installed: a shell's background job inherits SIGINT ignored, and stays so. A
    block inside another leaves the signals to the outer one.

    Yields:
        Nothing. Afterwards the previous handlers come back, and a signal whose
        exception was lost is raised (if the block ended without another one).

    Raises:
        KeyboardInterrupt: At the end of a block in which a SIGINT was lost.
        Terminated: At the end of a block in which a SIGTERM was lost.
    """
    if threading.current_thread() is not threading.main_thread() or _State.active:
        yield
        return
    _State.requested = None
    _State.active = True
    previous = {}
    try:
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _stop)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, _stop)
        yield
    finally:
        _State.restoring = True
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop, _State.requested = _State.requested, None
        _State.active = _State.restoring = False
    if stop is not None:  # reached only when the block ended without an exception
        raise stop
