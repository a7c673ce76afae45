"""Progress of long work: a live bar on a terminal, plain lines in a log.

`progress_bar` returns a tqdm bar when the stream is a terminal and a `LineProgress`
otherwise, which prints one complete line (count, elapsed time, ETA) each time the
count reaches a multiple of `every` and at the end — no carriage returns, no
repeated final line — so a sweep's log reads line by line. Both have the small part
of tqdm's API the sweeps use (`n`, `total`, `update`, `refresh`,
`set_postfix_str`, use as a context manager). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

__all__ = ["LineProgress", "progress_bar"]


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class LineProgress:
    r"""A progress display for logs: one line per `every` steps and one at the end.

    Args:
        total: Steps in all.
        initial: Steps already done (e.g. runs finished before a resume).
        desc: What is counted, printed first.
        unit: The unit of a step (`"run"`, `"draw"`).
        every: Print when the count reaches a multiple of this (>= 1).
        stream: Where to write (standard error by default).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> with LineProgress(2, desc="quickstart", unit="run", stream=out) as bar:
        ...     bar.update(1)
        ...     bar.update(1)
        >>> out.getvalue().count("\n"), "2/2 runs" in out.getvalue()
        (2, True)
    """

    def __init__(
        self,
        total: int,
        *,
        initial: int = 0,
        desc: str = "",
        unit: str = "it",
        every: int = 1,
        stream: IO[str] | None = None,
    ) -> None:
        self.total, self.n, self.desc, self.unit = total, initial, desc, unit
        self.every = max(1, int(every))
        self.stream = stream if stream is not None else sys.stderr
        self.postfix = ""
        self._start, self._initial = time.monotonic(), initial
        self._printed = initial

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        """Remembers `text` for the next line (e.g. the run and its accuracy)."""
        self.postfix = text

    def update(self, steps: int = 1) -> None:
        """Counts `steps` more and prints a line if a multiple of `every` passed."""
        self.n += steps
        self.refresh()

    def refresh(self) -> None:
        """Prints a line if the count moved past a multiple of `every` or ended."""
        crossed = self.n // self.every > self._printed // self.every
        if self.n != self._printed and (crossed or self.n >= self.total):
            self._print()

    def _print(self) -> None:
        elapsed = time.monotonic() - self._start
        done = self.n - self._initial
        left = self.total - self.n
        eta = _clock(elapsed / done * left) if done > 0 else "?"
        percent = 100 * self.n / self.total if self.total else 100.0
        line = (
            f"{self.desc}: {self.n}/{self.total} {self.unit}s ({percent:.0f} %), "
            f"{_clock(elapsed)} elapsed, ETA {eta}"
        )
        if self.postfix:
            line += f" — {self.postfix}"
        print(line, file=self.stream, flush=True)
        self._printed = self.n

    def close(self) -> None:
        """Nothing to clean up (the last line was printed when the count ended)."""

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress_bar(
    total: int,
    *,
    initial: int = 0,
    desc: str = "",
    unit: str = "it",
    every: int = 1,
    stream: IO[str] | None = None,
) -> Any:
    """A tqdm bar on a terminal, a `LineProgress` (one line per `every`) elsewhere.

    Args:
        total: Steps in all.
        initial: Steps already done.
        desc: What is counted.
        unit: The unit of a step.
        every: For logs: print a line each time the count reaches a multiple of
            this.
        stream: Where to write (standard error by default).

    Returns:
        The bar: use it as a context manager.

    Example:
        >>> import io
        >>> type(progress_bar(3, stream=io.StringIO())).__name__
        'LineProgress'
    """
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=stream)
    return LineProgress(
        total, initial=initial, desc=desc, unit=unit, every=every, stream=stream
    )
