r"""Presets: named MTJ devices with their sources.

`preset(name)` returns a named device and `PRESETS` maps each name to its factory
and the text of its source. Only devices whose parameters come from a citable
source are presets; for any other device build an `MTJ` with your own parameters
(`MTJ.describe()` lists them with their units), or start from a preset with
`dataclasses.replace`.

- `"tzoufras2019"`: the device of M. Tzoufras, M. Gajek and A. Walker,
  arXiv:1905.10927 (the paper this package reproduces), equal to `MTJ.paper()`:
  $\Delta = 40$, $\tau_D = 2$ ns, $V_{c0} = 0.3$ V, $V_{bd} = 1.2$ V at 300 K.

It imports only `larq_ber.mtj.device`.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

from larq_ber.mtj.device import MTJ

__all__ = ["PRESETS", "preset"]

#: Name -> (factory, source text) of every preset (read-only).
PRESETS: Mapping[str, tuple[Callable[[], MTJ], str]] = types.MappingProxyType(
    {
        "tzoufras2019": (
            MTJ.paper,
            "M. Tzoufras, M. Gajek, A. Walker, arXiv:1905.10927: Delta = 40, "
            "tau_D = 2 ns, V_c0 = 0.3 V, V_bd = 1.2 V at 300 K. The temperature "
            "laws' parameters (curie_temperature, exponents) are assumed typical "
            "values, not the paper's (see larq_ber.mtj.temperature).",
        ),
    }
)


def preset(name: Any) -> MTJ:
    """The named device.

    Args:
        name: A key of `PRESETS` (e.g. `"tzoufras2019"`).

    Returns:
        A new `MTJ`.

    Raises:
        ValueError: If `name` is not a preset (the message lists the known ones).

    Example:
        >>> preset("tzoufras2019") == MTJ.paper()
        True
    """
    if not isinstance(name, str) or name not in PRESETS:
        known = ", ".join(repr(key) for key in PRESETS)
        raise ValueError(f"unknown MTJ preset {name!r}: the presets are {known}.")
    factory, _ = PRESETS[name]
    return factory()
