import dataclasses
import re
from pathlib import Path

import pytest

from larq_ber.study.defaults import TrainingDefaults
from larq_ber.study.recipes import (
    Recipe,
    RecipeError,
    bundled_path,
    load_recipe,
    names,
    parse_overrides,
)

RECIPES = [bundled_path(name) for name in names()]
FIG1 = next(p for p in RECIPES if p.stem.startswith("fig1_"))


def test_every_figure_has_a_recipe():
    names = {p.stem for p in RECIPES}
    for prefix in ("fig1_", "fig2a_", "fig2b_", "fig2c_", "fig3a_", "fig3b_", "fig3c_",
                   "fig4a_", "fig4b_"):  # fmt: skip
        assert any(n.startswith(prefix) for n in names), prefix
    assert "quickstart" in names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipes_validate(path):
    recipe = load_recipe(path)
    assert recipe.name == path.stem and recipe.bers[0] == 0.0
    assert all(0 <= b <= 1 for b in recipe.bers)


def test_defaults_come_from_the_model_and_overrides_win():
    recipe = load_recipe(FIG1)  # fig1: LeNet-4 reference training
    assert (recipe.optimizer, recipe.learning_rate, recipe.momentum) == (
        "sgd",
        0.1,
        0.9,
    )
    assert (recipe.epochs, recipe.batch_size, recipe.decay_epochs) == (
        60,
        128,
        (15, 30, 45),
    )
    changed = load_recipe(FIG1, parse_overrides(["epochs=2", "bers=[0, 0.5]"]))
    assert changed.epochs == 2 and changed.bers == (0.0, 0.5)
    quick = load_recipe(Path(RECIPES[0]).parent / "quickstart.toml")
    assert quick.dataset == "digits" and quick.bers == (0.0, 0.04, 0.16)
    assert quick.repeats == 3
    fig4b = load_recipe(Path(RECIPES[0]).parent / "fig4b_alexnet_imagenet_2class.toml")
    assert len(fig4b.datasets()) == 5 and fig4b.bers[-1] == 0.5


def test_all_problems_are_listed_at_once(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'model = "resnet"\ndataset = "mnst"\nbers = [0.0, 1.5]\nrepeats = 0\n'
        'epochs = 1\nbatch_size = 8\noptimizer = "sgd"\nlearning_rate = -1.0\n'
        "momentum = 0.0\nweight_decay = 0.0\ndecay_epochs = []\ndecay_factor = 0.1\n"
        "colour = 3\n"
    )
    with pytest.raises(RecipeError) as error:
        load_recipe(bad)
    problems = "\n".join(error.value.problems)
    expected = ("unknown key 'colour'", "model 'resnet'", "dataset 'mnst'",
                "bers = [0.0, 1.5]", "repeats = 0", "learning_rate = -1.0")  # fmt: skip
    for fragment in expected:
        assert fragment in problems, fragment
    assert len(error.value.problems) == 6
    assert str(bad) in str(error.value)


def test_missing_keys_unreadable_files_and_bad_overrides(tmp_path):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(RecipeError) as error:
        load_recipe(empty)
    assert [p for p in error.value.problems if p.startswith("missing key")] == [
        "missing key 'model'", "missing key 'dataset'", "missing key 'bers'",
        "missing key 'repeats'",
    ]  # fmt: skip
    broken = tmp_path / "broken.toml"
    broken.write_text("model = ")
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe(broken)
    with pytest.raises(RecipeError, match="no such recipe file"):
        load_recipe(tmp_path / "nope.toml")
    with pytest.raises(RecipeError, match="not of the form key=value"):
        parse_overrides(["epochs"])
    assert parse_overrides(["dataset=digits"]) == {"dataset": "digits"}


def test_settings_carry_the_recipes_training_values(tmp_path):
    recipe = load_recipe(FIG1, {"learning_rate": 0.05, "epochs": 3})
    settings = recipe.settings()
    assert (settings.optimizer, settings.learning_rate, settings.epochs) == (
        "sgd", 0.05, 3
    )  # fmt: skip
    assert settings.decay_epochs == recipe.decay_epochs
    assert settings.source == f"recipe {recipe.name}"


def test_a_recipe_has_every_training_setting():
    """`Recipe.settings()` and the defaults fill derive from `TrainingDefaults`."""
    recipe_fields = {f.name for f in dataclasses.fields(Recipe)}
    settings = {f.name for f in dataclasses.fields(TrainingDefaults)} - {"source"}
    assert settings <= recipe_fields
    recipe = load_recipe(FIG1)
    assert all(
        getattr(recipe.settings(), name) == getattr(recipe, name) for name in settings
    )


@pytest.mark.parametrize("bers", ["[true]", "[nan]", "[0, 0]", "[]", "0.1", '["0.1"]'])
def test_bad_ber_grids_are_refused(tmp_path, bers):
    path = tmp_path / "r.toml"
    path.write_text(
        f'model = "lenet4"\ndataset = "digits"\nbers = {bers}\nrepeats = 1\n'
    )
    with pytest.raises(RecipeError, match=r"bers = .*distinct rates in \[0, 1\]"):
        load_recipe(path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"repeats": 10**9}, "the grid has 3,000,000,000 runs"),
        ({"learning_rate": float("inf")}, "learning_rate = inf: expected a finite"),
        ({"learning_rate": float("nan")}, "learning_rate = nan"),
        ({"weight_decay": float("inf")}, "weight_decay = inf"),
        ({"seed": 2**63 - 1}, "seed + repeats - 1 <= 4294967295"),
        ({"seed": 2**32 - 2}, "seed + repeats - 1 <= 4294967295"),  # 3 repeats
        ({"input_shape": [28, 28, 3]}, "'digits' has 1 channel"),
    ],
)
def test_plans_are_bounded_and_validated_before_anything(override, message):
    with pytest.raises(RecipeError, match=re.escape(message)):
        load_recipe("quickstart", override)


def test_unreadable_recipe_files_are_named(tmp_path):
    with pytest.raises(RecipeError, match="is a directory"):
        load_recipe(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('model = "lenet4" # caf\xe9\n'.encode("latin-1"))
    with pytest.raises(RecipeError, match=r"latin\.toml(.|\n)*not UTF-8"):
        load_recipe(latin)


def test_robustness_keys_default_fill_and_validate():
    plain = load_recipe("quickstart")
    assert (plain.test_bers, plain.weight_bers, plain.test_repeats) == ((), (), 10)
    assert not plain.robustness
    only_test = load_recipe("quickstart", {"test_bers": [0, 0.1]})
    assert only_test.robustness
    assert (only_test.test_bers, only_test.weight_bers) == ((0.0, 0.1), (0.0,))
    only_weight = load_recipe("quickstart", {"weight_bers": [0.01], "test_repeats": 3})
    assert (only_weight.test_bers, only_weight.weight_bers) == ((0.0,), (0.01,))
    assert only_weight.test_repeats == 3
    study = load_recipe("fashion_mnist_robustness")
    assert study.test_bers == (0.0, 0.01, 0.04, 0.16, 0.32)
    assert study.weight_bers == (0.0, 0.001, 0.01) and study.test_repeats == 10
    with pytest.raises(RecipeError) as raised:
        load_recipe(
            "quickstart",
            {"test_bers": [0.1, 1.5], "weight_bers": [0, 0], "test_repeats": 0},
        )
    problems = "\n".join(raised.value.problems)
    assert "test_bers = [0.1, 1.5]: expected a list of distinct rates" in problems
    assert "weight_bers = [0, 0]: expected a list of distinct rates" in problems
    assert "test_repeats = 0: expected an integer >= 1" in problems


def test_test_repeats_auto_takes_its_rule_from_the_recipe():
    from larq_ber.study.sweeps.plan import AutoRepeats

    grid = {"test_bers": [0, 0.1], "test_repeats": "auto"}
    recipe = load_recipe("quickstart", {**grid, "margin": 0.25, "max_repeats": 40})
    assert recipe.test_repeats == AutoRepeats(0.25, 0.95, 10, 40)
    full = {"margin": 1, "confidence": 0.9, "min_repeats": 3, "max_repeats": 3}
    assert load_recipe("quickstart", {**grid, **full}).test_repeats == AutoRepeats(
        1.0, 0.9, 3, 3
    )
    cases = [
        ({"test_repeats": "auto"}, 'margin is needed with test_repeats = "auto"'),
        ({"test_repeats": "many"}, 'test_repeats = \'many\': expected an integer '
         '>= 1 or "auto"'),
        ({"margin": 0.25}, 'margin = 0.25: applies only with test_repeats = "auto"'),
        ({"test_repeats": 5, "max_repeats": 9}, "max_repeats = 9: applies only"),
        ({**grid, "margin": 0}, "margin must be a number of accuracy points in "
         "(0, 100], got 0"),
        ({**grid, "margin": 0.25, "confidence": 1.5}, "confidence must be in (0, 1)"),
        ({**grid, "margin": 0.25, "max_repeats": 4},
         "max_repeats must be an integer >= min_repeats = 10, got 4"),
    ]  # fmt: skip
    for override, message in cases:
        with pytest.raises(RecipeError) as raised:
            load_recipe("quickstart", {"test_bers": [0.1], **override})
        assert len(raised.value.problems) == 1
        assert message in raised.value.problems[0]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("epochs", 2**63 - 1, "an integer from 1 to 100,000"),
     ("batch_size", 10**9, "an integer from 1 to 1,000,000")],
)  # fmt: skip
def test_absurd_epochs_and_batch_sizes_are_refused(key, value, expected):
    from larq_ber.study.recipes import RecipeError, load_recipe

    with pytest.raises(RecipeError, match=expected):
        load_recipe("quickstart", {key: value})


def test_a_deeply_nested_recipe_is_refused_in_one_line(tmp_path):
    from larq_ber.study.recipes import RecipeError, load_recipe, parse_overrides

    path = tmp_path / "deep.toml"
    path.write_text("bers = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(RecipeError, match="nested too deeply"):
        load_recipe(path)
    with pytest.raises(RecipeError, match="nested too deeply"):
        parse_overrides(["bers=" + "[" * 5000 + "]" * 5000])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"test_bers": [0, 0.1], "test_repeats": 10**12},
         r"needs 18,000,000,000,000 evaluations \(2 test BERs × 1 weight BERs × "
         r"1,000,000,000,000 draws × 9 runs\)"),
        ({"test_bers": [i / 200_000 for i in range(100_001)]}, r"needs 9,000,090"),
    ],
)  # fmt: skip
def test_a_recipe_robustness_plan_is_bounded_over_all_its_runs(overrides, expected):
    from larq_ber.study.recipes import RecipeError, load_recipe

    with pytest.raises(RecipeError, match=expected):
        load_recipe("quickstart", overrides)
    assert load_recipe("quickstart", {"test_bers": [0.0, 0.1]}).test_bers == (0.0, 0.1)
