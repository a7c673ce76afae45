"""Reading and validating a recipe: `load_recipe`, `parse_overrides`, `RecipeError`.

`load_recipe(recipe, overrides)` reads a recipe file, or a bundled recipe by name
(`larq_ber.study.recipes.catalog`), and checks everything at once: a single
`RecipeError` lists every problem, so no run starts from a bad recipe.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from larq_ber.study.data import info
from larq_ber.study.defaults import MODEL_NAMES, TrainingDefaults, training_defaults
from larq_ber.study.recipes.catalog import RecipeNotFoundError, names, resolve
from larq_ber.study.recipes.checks import is_int, is_shape, value_problems
from larq_ber.study.recipes.layer_bers import (
    LayerRates,
    layer_bers_problems,
    layer_rates,
    training_rates,
)
from larq_ber.study.recipes.lifetime import KEYS as _LIFETIME
from larq_ber.study.recipes.lifetime import lifetime_plan, lifetime_problems
from larq_ber.study.recipes.limits import MAX_RUNS, run_count, size_problems
from larq_ber.study.sweeps.lifetime_plan import LifetimePlan
from larq_ber.study.sweeps.plan import AutoRepeats, draw_rule

__all__ = [
    "MAX_RUNS",
    "MAX_SEED",
    "Recipe",
    "RecipeError",
    "load_recipe",
    "parse_overrides",
]

#: Largest seed of a run (`seed + repeats - 1`): numpy's and TensorFlow's global
#: seeds are 32-bit.
MAX_SEED = 2**32 - 1


class RecipeError(ValueError):
    """A recipe is invalid; `problems` lists every reason, one per entry.

    The message is one line `source: problem` for a single problem, else the
    count and one indented line per problem.

    Args:
        source: The recipe file or other origin, for the message.
        problems: One sentence per problem.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            super().__init__(f"{source}: {self.problems[0]}")
            return
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A validated experiment: the grid BER × repeat (× subset) of one model/dataset.

    Attributes:
        name: Recipe name (the file name without `.toml`).
        model: `"lenet4"`, `"nin"` or `"binary_alexnet"`.
        dataset: A name `larq_ber.study.data.load` accepts.
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
            table (`larq_ber.study.sweeps.robustness`); empty: none unless
            `weight_bers` is given, then `(0.0,)`.
        weight_bers: Weight bit error rates at inference for the robustness
            table; empty: none unless `test_bers` is given, then `(0.0,)`.
        test_repeats: Independent draws per (test BER, weight BER) pair: an
            integer >= 1, or, for `test_repeats = "auto"` in the file, the
            `AutoRepeats` rule that plans them per cell to a margin (from the
            keys `margin`, accuracy points; `confidence`, default 0.95;
            `min_repeats`, the pilot, default 10; `max_repeats`, the cap,
            default 100; see `larq_ber.study.sweeps.plan`).
        lifetime: The lifetime plan of the keys `storage_times`, … (see
            `larq_ber.study.recipes.lifetime`), or `None` without them.
        layer_bers: Training rates of single binarized layers, by layer name, in
            the model's layer order (read-only); the other binarized layers train
            at the grid's rate (see `larq_ber.study.recipes.layer_bers`). Empty:
            every layer at the grid's rate.
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
    test_repeats: int | AutoRepeats = 10
    lifetime: LifetimePlan | None = None
    layer_bers: Mapping[str, float] = dataclasses.field(default_factory=LayerRates)

    @property
    def robustness(self) -> bool:
        """Whether each run is also evaluated under deployment errors."""
        return bool(self.test_bers or self.weight_bers)

    def settings(self) -> TrainingDefaults:
        """The optimizer, schedule, epochs and batch size of each run.

        Returns:
            The recipe's training settings as `TrainingDefaults`.

        Example:
            >>> load_recipe("quickstart").settings().optimizer
            'adam'
        """
        values = {name: getattr(self, name) for name in _SETTINGS}
        return TrainingDefaults(**values, source=f"recipe {self.name}")

    def training_ber(self, grid_ber: float) -> float | dict[str, float]:
        """The error model the runs at a grid rate train with (the models' `ber`).

        Args:
            grid_ber: A rate of the grid, `bers`.

        Returns:
            `grid_ber` without `layer_bers`; else a rate for every binarized layer,
            in order: its `layer_bers` rate, or `grid_ber` if it has none.

        Example:
            >>> load_recipe("quickstart", {"bers": [0.0],
            ...     "layer_bers": {"binary_dense_3": 0.04}}).training_ber(0.0)
            {'binary_conv_2': 0.0, 'binary_dense_3': 0.04}
        """
        return training_rates(self.model, self.layer_bers, grid_ber)

    def datasets(self) -> list[str]:
        """The dataset names of the grid: one per subset, or the dataset itself.

        Returns:
            Names for `larq_ber.study.data.load`.

        Example:
            >>> r = load_recipe("fig4b_alexnet_imagenet_2class")
            >>> r.datasets()[0]
            'imagenet2012:classes=2,subset_seed=1'
        """
        if not self.subsets:
            return [self.dataset]
        return [f"{self.dataset}:{subset}" for subset in self.subsets]


_REQUIRED = ("model", "dataset", "bers", "repeats")
#: The keys of `test_repeats = "auto"`'s rule (`larq_ber.study.sweeps.plan.draw_rule`).
_AUTO = ("margin", "confidence", "min_repeats", "max_repeats")
_KNOWN = (
    ({f.name for f in dataclasses.fields(Recipe)} - {"name", "lifetime"})
    | set(_AUTO)
    | set(_LIFETIME)
)
#: The fields a recipe shares with `TrainingDefaults` (all but `source`).
_SETTINGS = tuple(
    f.name for f in dataclasses.fields(TrainingDefaults) if f.name != "source"
)


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
        except RecursionError:
            bad.append(f"override {pair!r} is nested too deeply to read")
            continue
        result[key.strip()] = value
    if bad:
        raise RecipeError("--set", bad)
    return result


def load_recipe(
    recipe: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None
) -> Recipe:
    """Reads a recipe (a bundled one by name, or a file), applies overrides, checks it.

    This is where a recipe's rates are checked (`larq_ber.rates.check_rate`); the
    `Recipe` holds them as floats in [0, 1]. A string without a folder part or
    `.toml` suffix that is not an existing file is a bundled recipe's name
    (`larq_ber.study.recipes.names()`).

    Args:
        recipe: A bundled recipe's name (`"quickstart"`, `"fig1_lenet4_mnist"`) or
            the path of a TOML recipe file.
        overrides: Values replacing those of the file (e.g. from `--set`).

    Returns:
        The validated `Recipe`.

    Raises:
        RecipeError: Listing every problem: unknown recipe name (with the bundled
            names), unreadable TOML, unknown or missing keys, values out of range,
            unknown model or dataset.

    Example:
        >>> recipe = load_recipe("quickstart", {"epochs": 1})
        >>> recipe.model, recipe.epochs
        ('lenet4', 1)
    """
    try:
        path = resolve(recipe)
    except RecipeNotFoundError as error:
        raise RecipeError(os.fspath(recipe), [str(error)]) from None
    raw = {**_read_toml(path), **(overrides or {})}
    values, problems = _with_defaults(raw)
    problems += value_problems(values)
    problems += _auto_problems(values)
    problems += _seed_problems(values)
    problems += _dataset_problems(values)
    problems += size_problems(values, _auto_rule, plan=not problems)
    problems += lifetime_problems(values, run_count(values) or 1)
    problems += layer_bers_problems(values)
    if problems:
        raise RecipeError(str(path), problems)
    return _build(path.stem, values)


def _read_toml(path: Path) -> dict[str, Any]:
    """The recipe file's table; `RecipeError` saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        bundled = ", ".join(names())
        problem = f"no such recipe file (bundled recipes, by name: {bundled})"
    except IsADirectoryError:
        problem = "is a directory, not a recipe file"
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 text: {error}"
    except OSError as error:
        problem = f"cannot be read: {error.strerror}"
    except tomllib.TOMLDecodeError as error:
        problem = f"not valid TOML: {error}"
    except RecursionError:
        problem = "not a recipe: its values are nested too deeply to read"
    raise RecipeError(str(path), [problem])


def _with_defaults(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The known values over the model's training defaults, and the key problems."""
    problems = [
        f"unknown key {key!r} (known: {', '.join(sorted(_KNOWN))})"
        for key in sorted(set(raw) - _KNOWN)
    ]
    problems += [f"missing key {key!r}" for key in _REQUIRED if key not in raw]
    values: dict[str, Any] = {}
    model = raw.get("model")
    if "model" in raw and model not in MODEL_NAMES:
        problems.append(f"model {model!r} is not one of {list(MODEL_NAMES)}")
    elif model is not None:
        defaults = training_defaults(model)
        values = {name: getattr(defaults, name) for name in _SETTINGS}
        values["momentum"] = defaults.momentum or 0.0
    values.update({k: v for k, v in raw.items() if k in _KNOWN})
    return values, problems


def _auto_problems(values: Mapping[str, Any]) -> list[str]:
    """The rule of `test_repeats = "auto"`: its keys, only with it, in range."""
    if values.get("test_repeats") != "auto":
        return [
            f'{key} = {values[key]!r}: applies only with test_repeats = "auto"'
            for key in _AUTO
            if key in values
        ]
    try:
        _auto_rule(values)
    except ValueError as error:
        message = str(error).replace("`", "").rstrip(".")
        return [message.replace("repeats = 'auto'", 'test_repeats = "auto"')]
    return []


def _auto_rule(values: Mapping[str, Any]) -> int | AutoRepeats:
    """The `AutoRepeats` of a recipe's `margin`, … keys (`draw_rule`)."""
    return draw_rule("auto", **{key: values[key] for key in _AUTO if key in values})


def _seed_problems(values: Mapping[str, Any]) -> list[str]:
    """The seeds of the runs, `seed` … `seed + repeats - 1`, must be 32-bit."""
    seed, repeats = values.get("seed", 0), values.get("repeats")
    runs = repeats if is_int(repeats) and repeats >= 1 else 1
    if is_int(seed) and 0 <= seed and seed + runs - 1 <= MAX_SEED:
        return []
    return [
        f"seed = {seed!r}: expected an integer >= 0 with seed + repeats - 1 <= "
        f"{MAX_SEED} (the seeds of the runs are seed, seed + 1, …; numpy and "
        "TensorFlow take 32-bit seeds)"
    ]


def _dataset_problems(values: Mapping[str, Any]) -> list[str]:
    """Every dataset of the grid must be known, with the channels of `input_shape`."""
    if "dataset" not in values:
        return []
    dataset, subsets = values["dataset"], values.get("subsets", [])
    shape = values.get("input_shape")
    names = [dataset] if not subsets else _subset_names(dataset, subsets)
    problems = []
    for name in names:
        try:
            channels = info(name).input_shape[-1]
        except (ValueError, FileNotFoundError) as error:
            problems.append(f"dataset {name!r}: {error}")
            continue
        if is_shape(shape) and shape[-1] != channels:
            problems.append(
                f"input_shape = {shape!r}: the dataset {name!r} has {channels} "
                "channel(s); only the height and width can differ"
            )
    return problems


def _subset_names(dataset: Any, subsets: Any) -> list[str]:
    """`dataset:subset` for each subset (strings only; others fail their check)."""
    if not isinstance(subsets, list):
        return []
    return [f"{dataset}:{s}" for s in subsets if isinstance(s, str)]


def _build(name: str, values: Mapping[str, Any]) -> Recipe:
    """The `Recipe` of validated values (exact types, defaults filled)."""
    settings = {key: values[key] for key in _SETTINGS}
    for key in ("learning_rate", "momentum", "weight_decay", "decay_factor"):
        settings[key] = float(settings[key])
    settings["decay_epochs"] = tuple(settings["decay_epochs"])
    test = tuple(float(b) for b in values.get("test_bers", []))
    weight = tuple(float(b) for b in values.get("weight_bers", []))
    if test or weight:  # one grid given: the other is error-free
        test, weight = test or (0.0,), weight or (0.0,)
    shape = values.get("input_shape")
    return Recipe(
        name=name,
        model=values["model"],
        dataset=values["dataset"],
        bers=tuple(float(b) for b in values["bers"]),
        repeats=values["repeats"],
        **settings,
        seed=values.get("seed", 0),
        subsets=tuple(values.get("subsets", [])),
        input_shape=None if shape is None else tuple(shape),
        strategy=values.get("strategy", "default"),
        test_bers=test,
        weight_bers=weight,
        test_repeats=(
            _auto_rule(values)
            if values.get("test_repeats") == "auto"
            else values.get("test_repeats", 10)
        ),
        lifetime=lifetime_plan(values, run_count(values) or 1),
        layer_bers=layer_rates(values.get("layer_bers", {}), values["model"]),
    )
