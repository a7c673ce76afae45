"""Crash-safe files: JSON replaced atomically, CSV rows appended and synced.

A kill at any moment leaves either the old or the new version of a JSON file, never
half of one, and every appended CSV row is on disk before the call returns. Files
get the mode a plain `open` gives them (0644 under the usual umask). TF-free.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["append_row", "read_json", "read_rows", "rewrite_rows", "write_json"]


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Writes JSON atomically: a temporary file in the same folder, then a rename.

    The file gets the mode a plain `open` would give it (0644 under the usual
    umask), not `tempfile`'s 0600.

    Args:
        path: The file to write (its folder is created if missing).
        data: Anything `json.dump` takes (other objects are written as `str`).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "state.json"
        >>> write_json(path, {"a": 1})
        >>> read_json(path)
        {'a': 1}
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w") as file:
            json.dump(data, file, indent=1, default=str)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_json(path: str | os.PathLike[str]) -> Any:
    """Reads a JSON file.

    Args:
        path: The file.

    Returns:
        The decoded value.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not valid JSON; the message names the file.
    """
    with open(path) as file:
        try:
            return json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{os.fspath(path)!r} is not valid JSON: {error}"
            ) from None


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Reads the rows of a CSV table as strings (none if the file is missing).

    Args:
        path: The CSV file.

    Returns:
        One mapping per row, keyed by the header.
    """
    if not os.path.exists(path):
        return []
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def append_row(
    path: str | os.PathLike[str], row: Mapping[str, Any], columns: Sequence[str]
) -> None:
    """Appends a row, with the header `columns` if the file is new or empty.

    The row is flushed and synced to disk before this returns.

    Args:
        path: The CSV file.
        row: The row, keyed by `columns`.
        columns: The table's columns, in order.
    """
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        if new:
            writer.writeheader()
        writer.writerow(row)
        file.flush()
        os.fsync(file.fileno())


def rewrite_rows(
    path: str | os.PathLike[str],
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
) -> None:
    """Replaces a table atomically with `rows` under the header `columns`.

    Args:
        path: The CSV file.
        rows: The rows to keep.
        columns: The table's columns, in order.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    with os.fdopen(fd, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)
