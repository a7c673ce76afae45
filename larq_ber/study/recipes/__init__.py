"""Experiment recipes: one TOML file per figure of the paper, validated before training.

A recipe names a model, a dataset, a grid of bit error rates, a number of repeats
(seeds) and the training settings; the optimizer and schedule default to the model's
reference settings (`larq_ber.study.defaults.training_defaults`). The paper's recipes
ship with the package and are used by name (`names()` lists them; `larq-ber recipes`
shows them); `fig1_lenet4_mnist` is:

```toml
model = "lenet4"
dataset = "mnist"
bers = [0.0, 0.01, 0.02, 0.04, 0.08, 0.16]
repeats = 10
```

`load_recipe(name_or_path, overrides)` reads and checks everything at once and raises
a single `RecipeError` that lists every problem, so no run starts from a bad recipe.

The package: `catalog` (the bundled TOML files, by name: `names`, `bundled_path`,
`resolve`), `loading` (`Recipe`, `load_recipe`, `parse_overrides`), `checks` (each
key's own check), `limits`, `lifetime` (the lifetime keys) and `layer_bers` (training
rates of single binarized layers). Nothing here imports TensorFlow.

Example:
    >>> load_recipe("fig1_lenet4_mnist").repeats
    10
"""

from __future__ import annotations

from larq_ber.study.recipes.catalog import (
    RecipeNotFoundError,
    bundled_path,
    names,
    resolve,
)
from larq_ber.study.recipes.loading import (
    MAX_RUNS,
    MAX_SEED,
    Recipe,
    RecipeError,
    load_recipe,
    parse_overrides,
)

__all__ = [
    "MAX_RUNS",
    "MAX_SEED",
    "Recipe",
    "RecipeError",
    "RecipeNotFoundError",
    "bundled_path",
    "load_recipe",
    "names",
    "parse_overrides",
    "resolve",
]
