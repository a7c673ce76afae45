r"""Checking a stuck-at fault map, and reading one from a `.npz` file.

A map comes from `stuck_at`, from its constructor or from a file that may be
anything: each part is checked (fraction in $[0, 1]$, value $\pm 1$ or none, seed
an integer $\ge 0$, every mask boolean with $\pm 1$ values of its shape), and a
file is read without pickle, so that a bad map is refused in one line before it
reaches a model.
"""

from __future__ import annotations

import numbers
import os
import zipfile
from typing import Any

import numpy as np

from larq_ber.quantizers.seeds import check_seed
from larq_ber.rates import check_rate

__all__ = ["check_map", "check_value", "read_map"]

#: One fault map entry: the stuck positions and the value each reads as.
Entry = tuple[np.ndarray, np.ndarray]


def check_value(value: Any) -> int | None:
    """`value` checked: the stuck value $+1$, $-1$ or `None` (a random sign).

    Args:
        value: The `value` argument of `stuck_at` or of a fault map.

    Returns:
        `None`, 1 or -1.

    Raises:
        ValueError: If `value` is anything else.

    Example:
        >>> check_value(-1)
        -1
    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or value not in (-1, 1)
    ):
        raise ValueError(
            f"`value` must be +1, -1 or None (a random sign), got {value!r}."
        )
    return 1 if value == 1 else -1


def _check_entry(key: Any, entry: Any) -> Entry:
    """One `key: (mask, values)` entry checked; the arrays as bool and float32."""
    if not isinstance(key, str) or not key.endswith(("/kernel", "/input")):
        raise ValueError(
            f"fault map key {key!r} is not '<layer>/kernel' or '<layer>/input'."
        )
    try:
        mask, values = (np.asarray(part) for part in entry)
    except (TypeError, ValueError):
        raise ValueError(
            f"fault map entry {key!r} is not a (mask, values) pair."
        ) from None
    if mask.dtype != np.bool_:
        raise ValueError(
            f"fault map entry {key!r}: the mask is {mask.dtype}, not bool."
        )
    if values.shape != mask.shape:
        raise ValueError(
            f"fault map entry {key!r}: values of shape {values.shape} for a mask of "
            f"shape {mask.shape}."
        )
    if values.dtype.kind not in "fiu" or not np.isin(values, (-1, 1)).all():
        raise ValueError(f"fault map entry {key!r}: the values must all be +1 or -1.")
    return mask, values.astype(np.float32)


def check_map(
    fraction: Any, value: Any, seed: Any, faults: Any
) -> tuple[float, int | None, int, dict[str, Entry]]:
    r"""The parts of a `StuckAtFaults` checked.

    Args:
        fraction: Probability in $[0, 1]$ that a position is stuck.
        value: $+1$, $-1$ or `None`.
        seed: An integer $\ge 0$.
        faults: `{"<layer>/kernel" or "<layer>/input": (mask, values)}`.

    Returns:
        `(fraction, value, seed, faults)`, the arrays as bool and float32.

    Raises:
        ValueError: Naming the part that is wrong.
    """
    rate = check_rate("fraction", fraction)
    value = check_value(value)
    checked = check_seed(seed)
    if checked is None:
        raise ValueError("`seed` must be an integer >= 0, got None.")
    if not isinstance(faults, dict):
        raise ValueError(f"`faults` must be a dict, got {type(faults).__name__}.")
    entries = {key: _check_entry(key, entry) for key, entry in faults.items()}
    return rate, value, checked, entries


def _scalar(data: Any, name: str) -> Any:
    """The scalar `name` of an opened `.npz` file, as a Python number."""
    array = data[name]
    if array.shape != () or array.dtype.kind not in "fiu":
        raise ValueError(f"{name!r} is not a number")
    return array.item()


def _entries(data: Any) -> dict[str, Entry]:
    """The `(mask, values)` entries of an opened `.npz` file, keys matched up."""
    masks = {n.removeprefix("mask:") for n in data.files if n.startswith("mask:")}
    values = {n.removeprefix("values:") for n in data.files if n.startswith("values:")}
    if masks != values:
        odd = sorted(masks ^ values)[0]
        raise ValueError(
            f"entry {odd!r} has a mask without values or values without a mask"
        )
    return {key: (data[f"mask:{key}"], data[f"values:{key}"]) for key in sorted(masks)}


def read_map(
    path: str | os.PathLike[str],
) -> tuple[float, int | None, int, dict[str, Entry]]:
    """Reads and checks the fault map that `StuckAtFaults.save` wrote to `path`.

    Args:
        path: The `.npz` file.

    Returns:
        `(fraction, value, seed, faults)`, checked by `check_map`.

    Raises:
        ValueError: If the file cannot be read or is not a valid fault map; one
            line naming the file.
    """
    name = os.fspath(path)
    try:
        data = np.load(name, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not a fault map's arrays")
        with data:
            if not {"fraction", "value", "seed"} <= set(data.files):
                raise ValueError("it lacks the arrays 'fraction', 'value' and 'seed'")
            value = _scalar(data, "value")
            parts = (_scalar(data, "fraction"), None if value == 0 else value,
                     _scalar(data, "seed"), _entries(data))  # fmt: skip
            return check_map(*parts)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError, KeyError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"{name!r} is not a saved fault map (StuckAtFaults.save): {reason}."
        ) from None
