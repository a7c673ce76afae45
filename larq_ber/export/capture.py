"""What the converters and interpreters print from C++, captured and summarised.

The MLIR converters print their diagnostics, and the interpreters announce their
delegates, straight to file descriptors 1 and 2, past Python's `sys.stdout`.
`captured_native_output` collects that text (and shows it again only if the block
fails); `summarise_converter` makes one line of the converter's summary of the
operations it left outside the TFLite dialect.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["captured_native_output", "summarise_converter"]


@contextlib.contextmanager
def captured_native_output() -> Iterator[list[str]]:
    r"""Captures what C++ code writes to the process's stdout and stderr.

    The text is appended to the yielded list (as one string, after the block) and
    written back to stderr if the block raises, so a failure still explains itself.

    Yields:
        A list that holds the captured text once the block is left.

    Example:
        >>> with captured_native_output() as captured:
        ...     _ = os.write(1, b"from C++\n")
        >>> captured
        ['from C++\n']
    """
    captured: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        failed = False
        try:
            yield captured
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            text = sink.read().decode(errors="replace")
            captured.append(text)
            if failed and text:
                sys.stderr.write(text)


def summarise_converter(text: str) -> str:
    r"""One line from the converter's "Summary on the non-converted ops" block.

    Args:
        text: What the converter printed.

    Returns:
        E.g. `"18 of 43 ops left outside the TFLite dialect (18 ARITH)"`; empty if
        `text` has no such summary.

    Example:
        >>> summarise_converter("Non-Converted Ops: 2, Total Ops 9\n * 2 ARITH ops")
        '2 of 9 ops left outside the TFLite dialect (2 ARITH)'
    """
    total = re.search(r"Non-Converted Ops: (\d+), Total Ops (\d+)", text)
    if total is None:
        return ""
    kinds = re.findall(r"\*\s+(\d+)\s+(\w+) ops", text)
    detail = ", ".join(f"{count} {kind}" for count, kind in kinds)
    return (
        f"{total.group(1)} of {total.group(2)} ops left outside the TFLite dialect"
        + (f" ({detail})" if detail else "")
    )
