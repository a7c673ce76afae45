"""The recipes that ship with the package, found by name.

The TOML files of the paper's figures (and `quickstart`) lie beside this module,
inside the installed package, so a wheel can run `larq-ber sweep quickstart`
without a clone; `names()` lists them and `resolve(recipe)` turns a name or a
path into the file to read. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

__all__ = ["RecipeNotFoundError", "bundled_path", "names", "resolve"]

_SUFFIX = ".toml"


class RecipeNotFoundError(LookupError):
    """A name is neither a recipe file nor a bundled recipe; the message lists them."""


def _folder() -> Path:
    """The folder of the bundled recipe files (this package's own folder)."""
    return Path(str(importlib.resources.files(__package__ or "larq_ber.study.recipes")))


def names() -> list[str]:
    """The names of the bundled recipes, sorted.

    Returns:
        One name per bundled TOML file, without `.toml` (e.g. `"quickstart"`).

    Example:
        >>> "quickstart" in names() and "fig1_lenet4_mnist" in names()
        True
    """
    return sorted(path.stem for path in _folder().glob(f"*{_SUFFIX}"))


def bundled_path(name: str) -> Path:
    """The file of a bundled recipe.

    Args:
        name: A name from `names()`.

    Returns:
        The path of its TOML file inside the installed package.

    Raises:
        RecipeNotFoundError: If there is no bundled recipe of that name; the
            message lists the names there are.

    Example:
        >>> bundled_path("quickstart").name
        'quickstart.toml'
    """
    known = names()
    if name not in known:
        raise RecipeNotFoundError(
            f"neither a recipe file nor a bundled recipe; bundled recipes: "
            f"{', '.join(known)} (or give the path of a .toml file)"
        )
    return _folder() / f"{name}{_SUFFIX}"


def _looks_like_a_name(text: str) -> bool:
    """No folder part and no `.toml` suffix: `quickstart`, not `./quickstart.toml`."""
    return (
        bool(text)
        and os.sep not in text
        and "/" not in text
        and (os.altsep is None or os.altsep not in text)
        and not text.endswith(_SUFFIX)
    )


def resolve(recipe: str | os.PathLike[str]) -> Path:
    """The recipe file a name or a path stands for.

    A `Path` (or any `os.PathLike`) is always a path. A string is a path if it
    names an existing file, has a folder part or ends in `.toml`; otherwise it
    is the name of a bundled recipe.

    Args:
        recipe: A bundled recipe's name (`"fig1_lenet4_mnist"`) or a recipe file.

    Returns:
        The path of the TOML file (not checked to exist when given as a path).

    Raises:
        RecipeNotFoundError: If a name is neither an existing file nor a bundled
            recipe; the message lists the bundled names.

    Example:
        >>> resolve("quickstart") == bundled_path("quickstart")
        True
        >>> str(resolve("my/own.toml"))
        'my/own.toml'
    """
    if not isinstance(recipe, str):
        return Path(recipe)
    if not _looks_like_a_name(recipe) or Path(recipe).is_file():
        return Path(recipe)
    return bundled_path(recipe)
