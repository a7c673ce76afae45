"""A recipe's per-layer training rates: checked against the model's binarized layers."""

import copy
import dataclasses
import json
import pickle
import subprocess
import sys

import pytest

from larq_ber.study.defaults import MODEL_NAMES
from larq_ber.study.recipes import RecipeError, load_recipe, parse_overrides
from larq_ber.study.recipes.layer_bers import (
    BINARIZED_LAYERS,
    LayerRates,
    layer_bers_problems,
    layer_rates,
    training_rates,
)

ASSIGNMENT = {"binary_conv_2": 0.16, "binary_dense_3": 0.04}


def test_the_table_of_binarized_layers_is_the_models_own():
    from larq_ber.models.specs import ARCHITECTURES

    assert set(BINARIZED_LAYERS) == set(ARCHITECTURES) == set(MODEL_NAMES)
    for name, architecture in ARCHITECTURES.items():
        assert BINARIZED_LAYERS[name] == architecture.binarized(include_top=True)


def test_the_table_matches_the_built_models(small_models):
    from larq_ber.models import binarized_layers

    for name, (model, shape) in small_models.items():
        built = [path for path, _ in binarized_layers(model(input_shape=shape))]
        assert tuple(built) == BINARIZED_LAYERS[name], name


def test_a_recipe_file_with_a_table_trains_those_layers_at_their_rates(tmp_path):
    path = tmp_path / "assigned.toml"
    path.write_text(
        'model = "lenet4"\ndataset = "digits"\nbers = [0.0]\nrepeats = 1\n'
        "layer_bers = {binary_dense_3 = 0.04, binary_conv_2 = 0.16}\n"
    )
    recipe = load_recipe(path)
    assert recipe.layer_bers == ASSIGNMENT
    assert list(recipe.layer_bers) == ["binary_conv_2", "binary_dense_3"]  # in order
    assert isinstance(recipe.layer_bers["binary_conv_2"], float)
    assert recipe.training_ber(0.0) == ASSIGNMENT


def test_the_table_goes_through_set_as_a_toml_inline_table():
    overrides = parse_overrides(["layer_bers={binary_dense_3 = 0.04}"])
    assert overrides == {"layer_bers": {"binary_dense_3": 0.04}}
    recipe = load_recipe("quickstart", overrides)
    assert recipe.training_ber(0.16) == {"binary_conv_2": 0.16, "binary_dense_3": 0.04}


def test_without_layer_bers_every_layer_trains_at_the_grid_rate():
    recipe = load_recipe("quickstart")
    assert recipe.layer_bers == {} and not recipe.layer_bers
    assert [recipe.training_ber(b) for b in recipe.bers] == [0.0, 0.04, 0.16]
    assert training_rates("nin", {}, 0.08) == 0.08


def test_unnamed_layers_train_at_the_grid_rate_in_layer_order():
    rates = training_rates("nin", {"binary_conv_7": 0.2, "binary_conv_3": 0.1}, 0.01)
    assert list(rates) == list(BINARIZED_LAYERS["nin"])
    assert rates == {
        "binary_conv_2": 0.01, "binary_conv_3": 0.1, "binary_conv_4": 0.01,
        "binary_conv_5": 0.01, "binary_conv_6": 0.01, "binary_conv_7": 0.2,
        "binary_conv_8": 0.01,
    }  # fmt: skip


def test_an_unknown_layer_is_one_line_listing_the_models_layers():
    with pytest.raises(RecipeError) as raised:
        load_recipe("quickstart", {"layer_bers": {"binary_conv_3": 0.1}})
    (problem,) = raised.value.problems
    assert problem == (
        "layer_bers names ['binary_conv_3'], not binarized layers of lenet4; they "
        "are, in order: binary_conv_2, binary_dense_3"
    )
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("rate", [1.5, -0.1, float("nan"), True, "0.1"])
def test_a_rate_outside_zero_one_names_layer_bers_and_the_range(rate):
    with pytest.raises(RecipeError) as raised:
        load_recipe("quickstart", {"layer_bers": {"binary_dense_3": rate}})
    (problem,) = raised.value.problems
    assert problem.startswith("layer_bers.binary_dense_3 must be ")
    assert "in the range [0, 1], got " in problem


def test_the_quantizer_path_of_a_sign_no_layer_holds_names_its_layer():
    assert layer_rates({"binary_conv_4_sign": 0.1}, "nin") == {"binary_conv_4": 0.1}
    recipe = load_recipe(
        "quickstart",
        {"model": "nin", "dataset": "digits", "input_shape": [32, 32, 1],
         "layer_bers": {"binary_conv_7_sign": 0.2, "binary_conv_4_sign": 0.1}},
    )  # fmt: skip
    assert recipe.layer_bers == {"binary_conv_4": 0.1, "binary_conv_7": 0.2}
    assert list(recipe.layer_bers) == ["binary_conv_4", "binary_conv_7"]
    # `_sign` of something that is no binarized layer stays unknown, as given.
    problems = layer_bers_problems({"model": "lenet4", "layer_bers": {"x_sign": 0}})
    assert problems[0].startswith("layer_bers names ['x_sign'], not binarized")


def test_every_problem_of_the_table_is_listed():
    values = {
        "model": "lenet4",
        "layer_bers": {"binary_conv_2": 2.0, "binary_conv_2_sign": 0.1, "fc": 0.1},
    }
    assert layer_bers_problems(values) == [
        "layer_bers names ['fc'], not binarized layers of lenet4; they are, in "
        "order: binary_conv_2, binary_dense_3",
        "layer_bers names the layer binary_conv_2 twice: as binary_conv_2 and "
        "binary_conv_2_sign",
        "layer_bers.binary_conv_2 must be in the range [0, 1], got 2.0",
    ]
    assert layer_bers_problems({"model": "lenet4", "layer_bers": [0.1]}) == [
        "layer_bers = [0.1]: expected a table {layer = rate} of the binarized "
        "layers of lenet4"
    ]
    # An unknown model is said by the model's own check, once.
    assert layer_bers_problems({"model": "resnet", "layer_bers": {"a": 2}}) == []


def test_a_table_for_every_layer_needs_a_single_grid_rate():
    with pytest.raises(RecipeError) as raised:
        load_recipe("quickstart", {"layer_bers": ASSIGNMENT})
    (problem,) = raised.value.problems
    assert problem.startswith("layer_bers sets every binarized layer of lenet4")
    assert "bers = [0.0, 0.04, 0.16] would all train the same network" in problem
    assert load_recipe("quickstart", {"layer_bers": ASSIGNMENT, "bers": [0.0]})


def test_the_rates_are_read_only_hashable_and_written_as_a_table():
    recipe = load_recipe("quickstart", {"bers": [0.0], "layer_bers": ASSIGNMENT})
    with pytest.raises(TypeError, match="read-only"):
        recipe.layer_bers["binary_conv_2"] = 0.5  # type: ignore[index]
    for mutate in ("clear", "popitem"):
        with pytest.raises(TypeError, match="read-only"):
            getattr(recipe.layer_bers, mutate)()
    assert recipe.layer_bers == ASSIGNMENT
    same = load_recipe(
        "quickstart", {"bers": [0.0], "layer_bers": dict(reversed(ASSIGNMENT.items()))}
    )
    assert same == recipe and hash(same) == hash(recipe)
    assert LayerRates(ASSIGNMENT) == LayerRates(reversed(list(ASSIGNMENT.items())))
    assert pickle.loads(pickle.dumps(recipe)) == recipe == copy.deepcopy(recipe)
    written = json.loads(json.dumps(dataclasses.asdict(recipe)))
    assert written["layer_bers"] == ASSIGNMENT
    assert (
        json.loads(json.dumps(dataclasses.asdict(load_recipe("quickstart"))))[
            "layer_bers"
        ]
        == {}
    )


def test_checking_layer_bers_imports_no_tensorflow():
    code = (
        "import sys\nfrom larq_ber.study.recipes import load_recipe\n"
        "r = load_recipe('quickstart', {'layer_bers': {'binary_conv_2_sign': 0.1}})\n"
        "print(r.training_ber(0.0), 'tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("} ")[-1].strip() == "False"
