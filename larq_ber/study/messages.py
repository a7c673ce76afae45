"""Errors as the one line the command line prints. TF-free."""

from __future__ import annotations

import os

__all__ = ["one_line"]


def one_line(error: BaseException) -> str:
    """An error as one line that names the file where there is one.

    Args:
        error: Any exception.

    Returns:
        `"<file>: <reason>"` for an `OSError` with a file name; else the message
        with its whitespace collapsed (a message listing several problems keeps
        its lines), or the exception's type name when it has no message.

    Example:
        >>> one_line(OSError(28, "No space left on device", "runs/a/epochs.csv"))
        'runs/a/epochs.csv: No space left on device'
    """
    if isinstance(error, OSError) and error.filename is not None:
        return f"{os.fspath(error.filename)}: {error.strerror or error}"
    text = (
        " ".join(str(error).split()) if not hasattr(error, "problems") else str(error)
    )
    return text or type(error).__name__
