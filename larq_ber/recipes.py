"""Experiment recipes: one TOML file per figure of the paper, validated before training.

A recipe names a model, a dataset, a grid of bit error rates, a number of repeats
(seeds) and the training settings; the optimizer and schedule default to the model's
reference settings (`larq_ber.defaults.training_defaults`). For example
`models/fig1_lenet4_mnist.toml`:

```toml
model = "lenet4"
dataset = "mnist"
bers = [0.0, 0.01, 0.02, 0.04, 0.08, 0.16]
repeats = 10
```

`load_recipe(path, overrides)` reads and checks everything at once and raises a
single `RecipeError` that lists every problem, so no run starts from a bad recipe.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from larq_ber.data import info
from larq_ber.defaults import MODEL_NAMES, TrainingDefaults, training_defaults
from larq_ber.rates import check_rate

__all__ = [
    "MAX_RUNS",
    "MAX_SEED",
    "STRATEGIES",
    "Recipe",
    "RecipeError",
    "load_recipe",
    "parse_overrides",
]

#: Most runs (bers × repeats × subsets) one sweep may plan. Every run gets a folder
#: and keras-tuner keeps every trial in memory and in a file of its own, so a
#: larger study is better split into several sweeps (several output folders).
MAX_RUNS = 100_000

#: Largest seed of a run (`seed + repeats - 1`): numpy's and TensorFlow's global
#: seeds are 32-bit.
MAX_SEED = 2**32 - 1

_OPTIMIZERS = ("sgd", "adam")
#: The `tf.distribute` strategies a recipe's runs can use.
STRATEGIES = ("default", "mirrored")


class RecipeError(ValueError):
    """A recipe is invalid; `problems` lists every reason, one per entry.

    Args:
        source: The recipe file or other origin, for the message.
        problems: One sentence per problem.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A validated experiment: the grid BER × repeat (× subset) of one model/dataset.

    Attributes:
        name: Recipe name (the file name without `.toml`).
        model: `"lenet4"`, `"nin"` or `"binary_alexnet"`.
        dataset: A name `larq_ber.data.load` accepts.
        bers: Bit error rates of the grid, each in [0, 1].
        repeats: Runs per grid point, each with its own seed (>= 1).
        epochs: Training epochs per run (>= 1).
        batch_size: Training batch size (>= 1).
        optimizer: `"sgd"` or `"adam"`.
        learning_rate: Initial learning rate (> 0).
        momentum: SGD momentum in [0, 1).
        weight_decay: Weight decay (>= 0).
        decay_epochs: Epochs after which the learning rate is multiplied by
            `decay_factor`.
        decay_factor: Learning-rate factor in (0, 1].
        seed: Seed of the first repeat; repeat r uses `seed + r`.
        subsets: ImageNet class subsets to sweep over, each
            `"classes=K,subset_seed=S"` (empty: the dataset as named).
        input_shape: Input shape to build the model with (`None`: the dataset's);
            images are resized to it.
        strategy: `tf.distribute` strategy of each run: `"default"` (one device)
            or `"mirrored"` (all local GPUs, e.g. for ImageNet AlexNet).
        test_bers: Activation bit error rates at inference for the robustness
            table (`larq_ber.sweeps.robustness`); empty: none unless
            `weight_bers` is given, then `(0.0,)`.
        weight_bers: Weight bit error rates at inference for the robustness
            table; empty: none unless `test_bers` is given, then `(0.0,)`.
        test_repeats: Independent draws per (test BER, weight BER) pair (>= 1).
    """

    name: str
    model: str
    dataset: str
    bers: tuple[float, ...]
    repeats: int
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    momentum: float
    weight_decay: float
    decay_epochs: tuple[int, ...]
    decay_factor: float
    seed: int = 0
    subsets: tuple[str, ...] = ()
    input_shape: tuple[int, int, int] | None = None
    strategy: str = "default"
    test_bers: tuple[float, ...] = ()
    weight_bers: tuple[float, ...] = ()
    test_repeats: int = 10

    @property
    def robustness(self) -> bool:
        """Whether each run is also evaluated under deployment errors."""
        return bool(self.test_bers or self.weight_bers)

    def settings(self) -> TrainingDefaults:
        """The optimizer, schedule, epochs and batch size of each run.

        Returns:
            The recipe's training settings as `TrainingDefaults`.

        Example:
            >>> load_recipe("models/quickstart.toml").settings().optimizer
            'adam'
        """
        return TrainingDefaults(
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            decay_epochs=self.decay_epochs,
            decay_factor=self.decay_factor,
            epochs=self.epochs,
            batch_size=self.batch_size,
            source=f"recipe {self.name}",
        )

    def datasets(self) -> list[str]:
        """The dataset names of the grid: one per subset, or the dataset itself.

        Returns:
            Names for `larq_ber.data.load`.

        Example:
            >>> r = load_recipe("models/fig4b_alexnet_imagenet_2class.toml")
            >>> r.datasets()[0]
            'imagenet2012:classes=2,subset_seed=1'
        """
        if not self.subsets:
            return [self.dataset]
        return [f"{self.dataset}:{subset}" for subset in self.subsets]


_REQUIRED = ("model", "dataset", "bers", "repeats")
_KNOWN = {f.name for f in dataclasses.fields(Recipe)} - {"name"}


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """Parses `key=value` strings (the CLI's `--set`) with TOML value syntax.

    A value that is not valid TOML is taken as a string, so `dataset=digits` works
    as well as `dataset="digits"`.

    Args:
        pairs: Strings such as `"epochs=2"`, `"bers=[0, 0.04]"`.

    Returns:
        The overrides as a dictionary.

    Raises:
        RecipeError: If an entry has no `=`.

    Example:
        >>> parse_overrides(["epochs=2", "bers=[0, 0.04]", "dataset=digits"])
        {'epochs': 2, 'bers': [0, 0.04], 'dataset': 'digits'}
    """
    result: dict[str, Any] = {}
    bad = []
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            bad.append(f"override {pair!r} is not of the form key=value")
            continue
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        result[key.strip()] = value
    if bad:
        raise RecipeError("--set", bad)
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_rate(value: Any) -> bool:
    try:
        check_rate("bers", value)
    except ValueError:
        return False
    return True


def _is_number(value: Any) -> bool:
    """A finite real number (not a bool, not NaN or infinite)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _grid_size(values: dict[str, Any]) -> int:
    """Runs the values would plan (0 while they are invalid)."""
    bers, subsets = values.get("bers"), values.get("subsets")
    repeats: Any = values.get("repeats")
    if not (isinstance(bers, list) and _is_int(repeats) and repeats > 0):
        return 0
    count: int = len(bers) * repeats
    return count * max(1, len(subsets) if isinstance(subsets, list) else 1)


def load_recipe(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Recipe:
    """Reads a recipe file, applies overrides and validates everything.

    Args:
        path: A TOML recipe.
        overrides: Values replacing those of the file (e.g. from `--set`).

    Returns:
        The validated `Recipe`.

    Raises:
        RecipeError: Listing every problem: unreadable TOML, unknown or missing
            keys, values out of range, unknown model or dataset.

    Example:
        >>> recipe = load_recipe("models/quickstart.toml", {"epochs": 1})
        >>> recipe.model, recipe.epochs
        ('lenet4', 1)
    """
    path = Path(path)
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RecipeError(str(path), ["no such recipe file"]) from None
    except IsADirectoryError:
        raise RecipeError(str(path), ["is a directory, not a recipe file"]) from None
    except UnicodeDecodeError as error:
        raise RecipeError(str(path), [f"not UTF-8 text: {error}"]) from None
    except OSError as error:
        raise RecipeError(str(path), [f"cannot be read: {error.strerror}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise RecipeError(str(path), [f"not valid TOML: {error}"]) from None
    raw.update(overrides or {})

    problems = [
        f"unknown key {key!r} (known: {', '.join(sorted(_KNOWN))})"
        for key in sorted(set(raw) - _KNOWN)
    ]
    problems += [f"missing key {key!r}" for key in _REQUIRED if key not in raw]
    model = raw.get("model")
    if "model" in raw and model not in MODEL_NAMES:
        problems.append(f"model {model!r} is not one of {list(MODEL_NAMES)}")
        model = None
    defaults = training_defaults(model) if model else None
    values: dict[str, Any] = {}
    if defaults is not None:
        values = {
            "epochs": defaults.epochs,
            "batch_size": defaults.batch_size,
            "optimizer": defaults.optimizer,
            "learning_rate": defaults.learning_rate,
            "momentum": defaults.momentum or 0.0,
            "weight_decay": defaults.weight_decay,
            "decay_epochs": defaults.decay_epochs,
            "decay_factor": defaults.decay_factor,
        }
    values.update({k: v for k, v in raw.items() if k in _KNOWN})

    def check(key: str, ok: bool, expected: str) -> None:
        if key in values and not ok:
            problems.append(f"{key} = {values[key]!r}: expected {expected}")

    bers: Any = values.get("bers")
    check(
        "bers",
        isinstance(bers, list)
        and bool(bers)
        and all(_is_rate(b) for b in bers)
        and len(set(bers)) == len(bers),
        "a non-empty list of distinct rates in [0, 1]",
    )
    for key in ("test_bers", "weight_bers"):
        rates: Any = values.get(key, [])
        check(
            key,
            isinstance(rates, list)
            and all(_is_rate(b) for b in rates)
            and len(set(rates)) == len(rates),
            "a list of distinct rates in [0, 1]",
        )
    check(
        "test_repeats",
        _is_int(values.get("test_repeats", 10)) and values.get("test_repeats", 10) >= 1,
        "an integer >= 1",
    )
    check(
        "strategy",
        values.get("strategy", "default") in STRATEGIES,
        f"one of {list(STRATEGIES)}",
    )
    for key in ("repeats", "epochs", "batch_size"):
        check(key, _is_int(values.get(key)) and values[key] >= 1, "an integer >= 1")
    seed: Any = values.get("seed", 0)
    repeats: Any = values.get("repeats")
    last = seed + (repeats - 1 if _is_int(repeats) and repeats >= 1 else 0)
    check(
        "seed",
        _is_int(seed) and seed >= 0 and last <= MAX_SEED,
        f"an integer >= 0 with seed + repeats - 1 <= {MAX_SEED} (the seeds of the "
        "runs are seed, seed + 1, …; numpy and TensorFlow take 32-bit seeds)",
    )
    check(
        "optimizer",
        values.get("optimizer") in _OPTIMIZERS,
        f"one of {list(_OPTIMIZERS)}",
    )
    lr: Any = values.get("learning_rate")
    check("learning_rate", _is_number(lr) and lr > 0, "a finite number > 0")
    check(
        "momentum",
        _is_number(values.get("momentum")) and 0 <= values["momentum"] < 1,
        "a number in [0, 1)",
    )
    check(
        "weight_decay",
        _is_number(values.get("weight_decay")) and values["weight_decay"] >= 0,
        "a finite number >= 0",
    )
    factor: Any = values.get("decay_factor")
    check("decay_factor", _is_number(factor) and 0 < factor <= 1, "a number in (0, 1]")
    decay = values.get("decay_epochs")
    check(
        "decay_epochs",
        isinstance(decay, list | tuple) and all(_is_int(e) and e >= 1 for e in decay),
        "a list of epochs >= 1",
    )
    shape: Any = values.get("input_shape")
    check(
        "input_shape",
        shape is None
        or (
            isinstance(shape, list)
            and len(shape) == 3
            and all(_is_int(d) and d >= 1 for d in shape)
        ),
        "[height, width, channels]",
    )
    subsets = values.get("subsets", [])
    check(
        "subsets",
        isinstance(subsets, list) and all(isinstance(s, str) for s in subsets),
        "a list of 'classes=K,subset_seed=S' strings",
    )
    dataset: Any = values.get("dataset")
    if "dataset" in values:
        names = (
            [dataset]
            if not subsets
            else [f"{dataset}:{s}" for s in subsets if isinstance(s, str)]
        )
        for name in names:
            try:
                channels = info(name).input_shape[-1]
            except (ValueError, FileNotFoundError) as error:
                problems.append(f"dataset {name!r}: {error}")
                continue
            if isinstance(shape, list) and len(shape) == 3 and shape[-1] != channels:
                problems.append(
                    f"input_shape = {shape!r}: the dataset {name!r} has {channels} "
                    "channel(s); only the height and width can differ"
                )
    count = _grid_size(values)
    if count > MAX_RUNS:
        problems.append(
            f"the grid has {count:,} runs (bers × repeats × subsets); a sweep plans "
            f"at most {MAX_RUNS:,}: each run gets a folder and keras-tuner keeps "
            "every trial in memory and in a file, so split the study into several "
            "sweeps"
        )
    if problems:
        raise RecipeError(str(path), problems)
    return Recipe(
        name=path.stem,
        model=values["model"],
        dataset=dataset,
        bers=tuple(float(b) for b in bers),
        repeats=values["repeats"],
        epochs=values["epochs"],
        batch_size=values["batch_size"],
        optimizer=values["optimizer"],
        learning_rate=float(values["learning_rate"]),
        momentum=float(values["momentum"]),
        weight_decay=float(values["weight_decay"]),
        decay_epochs=tuple(values["decay_epochs"]),
        decay_factor=float(values["decay_factor"]),
        seed=values.get("seed", 0),
        subsets=tuple(subsets),
        input_shape=None if shape is None else tuple(shape),
        strategy=values.get("strategy", "default"),
        **_robustness_grid(values),
    )


def _robustness_grid(values: Mapping[str, Any]) -> dict[str, Any]:
    """`test_bers`, `weight_bers` (each `(0.0,)` when only the other is given)."""
    test = tuple(float(b) for b in values.get("test_bers", []))
    weight = tuple(float(b) for b in values.get("weight_bers", []))
    if test or weight:
        test, weight = test or (0.0,), weight or (0.0,)
    return {
        "test_bers": test,
        "weight_bers": weight,
        "test_repeats": values.get("test_repeats", 10),
    }
