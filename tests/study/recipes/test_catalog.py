from pathlib import Path

import pytest

from larq_ber.study.recipes import (
    RecipeError,
    RecipeNotFoundError,
    bundled_path,
    load_recipe,
    names,
    resolve,
)

FIGURES = ("fig1_", "fig2a_", "fig2b_", "fig2c_", "fig3a_", "fig3b_", "fig3c_",
           "fig4a_", "fig4b_")  # fmt: skip


def test_every_figure_and_the_quickstart_are_bundled():
    bundled = names()
    assert bundled == sorted(bundled) and "quickstart" in bundled
    for prefix in FIGURES:
        assert any(n.startswith(prefix) for n in bundled), prefix
    for name in bundled:
        path = bundled_path(name)
        assert path.is_file() and path.name == f"{name}.toml"
        assert path.parent.name == "recipes" and path.parent.parent.name == "study"


def test_a_name_loads_the_bundled_recipe():
    by_name = load_recipe("fig1_lenet4_mnist")
    assert by_name == load_recipe(bundled_path("fig1_lenet4_mnist"))
    assert (by_name.name, by_name.dataset, by_name.repeats) == (
        "fig1_lenet4_mnist", "mnist", 10
    )  # fmt: skip


def test_an_unknown_name_gets_one_line_with_the_known_names():
    with pytest.raises(RecipeError) as raised:
        load_recipe("fig1_lenet4")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("fig1_lenet4: neither a recipe file nor a bundled")
    assert all(name in message for name in names())
    with pytest.raises(RecipeNotFoundError, match="quickstart"):
        bundled_path("nope")


def test_a_missing_file_also_names_the_bundled_recipes(tmp_path):
    with pytest.raises(RecipeError) as raised:
        load_recipe(tmp_path / "quickstart.toml")
    message = str(raised.value)
    assert "\n" not in message and "no such recipe file" in message
    assert "fig1_lenet4_mnist" in message


def test_paths_and_names_are_told_apart(tmp_path, monkeypatch):
    assert resolve("quickstart") == bundled_path("quickstart")
    assert resolve("runs/quickstart.toml") == Path("runs/quickstart.toml")
    assert resolve("quickstart.toml") == Path("quickstart.toml")
    assert resolve(Path("quickstart")) == Path("quickstart")
    monkeypatch.chdir(tmp_path)  # an existing file wins over a bundled name
    (tmp_path / "quickstart").write_text(
        'model = "lenet4"\ndataset = "digits"\nbers = [0.0]\nrepeats = 1\n'
    )
    assert resolve("quickstart") == Path("quickstart")
    assert load_recipe("quickstart").repeats == 1


def test_a_clones_models_folder_is_the_bundled_recipes(root):
    models = root / "models"
    assert sorted(p.stem for p in models.glob("*.toml")) == names()
    assert load_recipe(models / "quickstart.toml") == load_recipe("quickstart")
