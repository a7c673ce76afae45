"""A recipe's per-layer training rates, the key `layer_bers`. TF-free.

By default every binarized layer of a run trains at the grid's bit error rate (the
recipe's `bers`). `layer_bers` gives some or all of them a rate of their own, in
both write directions, e.g. the per-layer operating points that
`larq_ber.assignment` finds:

```toml
bers = [0.0]                       # the other binarized layers (here: none)
layer_bers = {binary_conv_2 = 0.16, binary_dense_3 = 0.04}
```

The names are those of the model's binarized layers
(`larq_ber.models.binarized_layers`); a quantizer path that
`larq_ber.errors.maps.activation_positions` prints for a quantizer no layer holds,
such as NiN's `binary_conv_4_sign`, names the layer `binary_conv_4`.

`BINARIZED_LAYERS` lists each model's binarized layers here, as data, because
recipes are read without TensorFlow and importing `larq_ber.models.specs` runs the
package `larq_ber.models`, which imports it; a test checks the list against
`larq_ber.models.specs.ARCHITECTURES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from larq_ber.rates import check_rate

__all__ = [
    "BINARIZED_LAYERS",
    "LayerRates",
    "layer_bers_problems",
    "layer_rates",
    "training_rates",
]

#: The binarized layers of each model, in order (with its classifier's):
#: `larq_ber.models.specs.ARCHITECTURES[model].binarized(include_top=True)`.
BINARIZED_LAYERS: dict[str, tuple[str, ...]] = {
    "lenet4": ("binary_conv_2", "binary_dense_3"),
    "nin": tuple(f"binary_conv_{i}" for i in range(2, 9)),
    "binary_alexnet": (
        *(f"binary_conv_{i}" for i in range(2, 6)),
        "binary_dense_6",
        "binary_dense_7",
    ),
}

#: How a quantizer no layer holds is named after its layer (`<layer>_sign`).
_SIGN = "_sign"


class LayerRates(dict[str, float]):
    """Rates by binarized layer name: a read-only, hashable `dict`.

    A `dict` so that `dataclasses.asdict` and `json` write it as a table; equal
    to any mapping with the same items, whatever their order.

    Example:
        >>> rates = LayerRates({"binary_conv_2": 0.16})
        >>> rates == {"binary_conv_2": 0.16}, hash(rates) == hash(LayerRates(rates))
        (True, True)
        >>> rates["binary_dense_3"] = 0.04
        Traceback (most recent call last):
        ...
        TypeError: LayerRates is read-only
    """

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[LayerRates], tuple[dict[str, float]]]:
        return type(self), (dict(self),)

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("LayerRates is read-only")

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = __ior__ = _read_only


def _checked(value: Any, model: str) -> tuple[LayerRates, list[str]]:
    """The rates of `value` by layer name, and one sentence per problem."""
    layers = BINARIZED_LAYERS[model]
    if not isinstance(value, Mapping):
        expected = f"a table {{layer = rate}} of the binarized layers of {model}"
        return LayerRates(), [f"layer_bers = {value!r}: expected {expected}"]
    keys: dict[str, list[Any]] = {}
    for key in value:
        base = str(key).removesuffix(_SIGN)
        keys.setdefault(base if base in layers else str(key), []).append(key)
    problems = []
    unknown = sorted(name for name in keys if name not in layers)
    if unknown:
        problems.append(
            f"layer_bers names {unknown}, not binarized layers of {model}; they are, "
            f"in order: {', '.join(layers)}"
        )
    problems += [
        f"layer_bers names the layer {name} twice: as {' and '.join(map(str, given))}"
        for name, given in keys.items()
        if len(given) > 1
    ]
    rates = {}
    for name in (layer for layer in layers if layer in keys):
        key = keys[name][0]
        try:
            rates[name] = check_rate(f"layer_bers.{key}", value[key])
        except ValueError as error:
            problems.append(str(error).replace("`", "").rstrip("."))
    return LayerRates(rates), problems


def layer_rates(value: Any, model: str) -> LayerRates:
    """A `layer_bers` table checked against the binarized layers of `model`.

    Args:
        value: The recipe's `layer_bers`: a mapping from layer name to rate.
        model: A name of `BINARIZED_LAYERS`.

    Returns:
        The rates as floats, by layer name (`X_sign` read as the layer `X`), in
        the model's layer order.

    Raises:
        ValueError: If `value` is not a mapping, names a layer the model does not
            have (the message lists its binarized layers in order) or the same
            layer twice, or a rate is not a number in [0, 1]; the message is the
            first problem, one line.

    Example:
        >>> layer_rates({"binary_conv_4_sign": 0.1}, "nin")
        {'binary_conv_4': 0.1}
        >>> layer_rates({"binary_conv_2": 1.5}, "lenet4")
        Traceback (most recent call last):
        ...
        ValueError: layer_bers.binary_conv_2 must be in the range [0, 1], got 1.5
    """
    rates, problems = _checked(value, model)
    if problems:
        raise ValueError(problems[0])
    return rates


def layer_bers_problems(values: Mapping[str, Any]) -> list[str]:
    """One sentence per problem of a recipe's `layer_bers` (empty: none).

    Args:
        values: The recipe's values.

    Returns:
        The problems: `layer_bers` not a table, names that are not binarized
        layers of the model (with its layers in order), a layer named twice, a
        rate not in [0, 1], or every binarized layer set while `bers` has several
        rates (they would all train the same network).

    Example:
        >>> layer_bers_problems({"model": "lenet4", "layer_bers": {"conv": 0.1}})[0]
        "layer_bers names ['conv'], not binarized layers of lenet4; they are, in order: binary_conv_2, binary_dense_3"
    """  # noqa: E501 - a doctest's output is one line
    if "layer_bers" not in values or values.get("model") not in BINARIZED_LAYERS:
        return []  # none, or no known model: said by the model's check
    model, bers = values["model"], values.get("bers")
    rates, problems = _checked(values["layer_bers"], model)
    full = len(rates) == len(BINARIZED_LAYERS[model])
    if not problems and full and isinstance(bers, list) and len(bers) > 1:
        problems.append(
            f"layer_bers sets every binarized layer of {model}, so the grid's "
            f"bers = {bers!r} would all train the same network: give one rate, "
            "e.g. bers = [0.0]"
        )
    return problems


def training_rates(
    model: str, layer_bers: Mapping[str, float], grid_ber: float
) -> float | dict[str, float]:
    """The training error model of a run: the grid's rate, or rates by layer.

    Args:
        model: A name of `BINARIZED_LAYERS`.
        layer_bers: Checked rates by layer name (`layer_rates`); may be empty.
        grid_ber: The run's grid rate, in [0, 1].

    Returns:
        `grid_ber` if `layer_bers` is empty, else a rate for every binarized layer
        of `model`, in order: its own if `layer_bers` names it, else `grid_ber`.

    Example:
        >>> training_rates("lenet4", {"binary_dense_3": 0.04}, 0.0)
        {'binary_conv_2': 0.0, 'binary_dense_3': 0.04}
    """
    if not layer_bers:
        return grid_ber
    return {name: layer_bers.get(name, grid_ber) for name in BINARIZED_LAYERS[model]}
