"""The wheel and the sdist ship the recipes, and a wheel's install finds them by name.

Both are built from a copy of the sources (no `build/` or `*.egg-info` left in the
clone), offline (`--no-build-isolation`: the virtualenv's setuptools), and the
wheel is unpacked with `pip install --target`, without dependencies: loading a
recipe needs no TensorFlow.
"""

import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from larq_ber.study.recipes import names

ROOT = Path(__file__).resolve().parents[3]
#: What the distributions must carry besides Python modules.
DATA = ["larq_ber/py.typed", "larq_ber/kernel.cc", "larq_ber/batch_norm_pool.cc"] + [
    f"larq_ber/study/recipes/{name}.toml" for name in names()
]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """The files a distribution is built from, copied out of the clone."""
    copy = tmp_path_factory.mktemp("src")
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "larq_ber",
        copy / "larq_ber",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info"),
    )
    return copy


@pytest.fixture(scope="module")
def wheel(sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "-w", str(out), str(sources)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (found,) = out.glob("larq_ber-*.whl")
    return found


def test_the_wheel_ships_every_recipe_py_typed_and_the_kernel_source(wheel):
    files = set(zipfile.ZipFile(wheel).namelist())
    assert [path for path in DATA if path not in files] == []
    assert "larq_ber/study/recipes/catalog.py" in files


def test_the_sdist_ships_every_recipe(sources, tmp_path):
    code = f"import setuptools.build_meta as b; b.build_sdist({str(tmp_path)!r})"
    subprocess.run(
        [sys.executable, "-c", code], cwd=sources, check=True, capture_output=True
    )
    (sdist,) = tmp_path.glob("larq*-*.tar.gz")
    files = {name.partition("/")[2] for name in tarfile.open(sdist).getnames()}
    assert [path for path in DATA if path not in files] == []


def test_recipe_names_resolve_from_an_installed_wheel(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    script = textwrap.dedent("""\
        import sys
        from larq_ber.study.recipes import bundled_path, load_recipe, names
        recipe = load_recipe("quickstart")
        print(recipe.name, recipe.dataset, len(names()), bundled_path("quickstart"))
        print("tensorflow" in sys.modules)
    """)
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env,
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    first, second = done.stdout.splitlines()
    name, dataset, count, path = first.split()
    assert (name, dataset, int(count)) == ("quickstart", "digits", len(names()))
    assert path.startswith(str(target))  # the installed copy, not the clone's
    assert second == "False"  # recipe loading needs no TensorFlow
