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
come. So the handlers also remember the signal, and the long loops call
`raise_if_stopped` at points where an exception travels normally (between
batches, epochs, runs and draws), which raises it again.
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


#: The exception a signal asked for while `stop_on_signals` is active, if any.
_requested: list[type[BaseException]] = []


def _stop(signum: int, frame: FrameType | None) -> None:
    stop = KeyboardInterrupt if signum == signal.SIGINT else Terminated
    _requested[:] = [stop]
    raise stop


def raise_if_stopped() -> None:
    """Raises the stop a signal asked for, if one did while the block runs.

    A no-op when no signal came, or outside `stop_on_signals`.

    Raises:
        KeyboardInterrupt: After a SIGINT (Ctrl-C).
        Terminated: After a SIGTERM.

    Example:
        >>> with stop_on_signals():
        ...     raise_if_stopped()  # nothing came
    """
    if _requested:
        raise _requested[0]


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turns SIGTERM into `Terminated` and Ctrl-C into `KeyboardInterrupt`.

    Only in the main thread. SIGINT is handled only where Python's own handler is
    installed: a shell's background job inherits SIGINT ignored, and stays so.

    Yields:
        Nothing; the previous handlers come back afterwards, and the signal seen
        is forgotten.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _stop)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _requested.clear()
