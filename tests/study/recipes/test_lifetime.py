"""A recipe's lifetime keys: read into a plan, refused in one line naming the key."""

import pytest

from larq_ber.study.recipes import RecipeError, load_recipe


def test_the_bundled_lifetime_recipe_plans_ten_times_three_temperatures_two_spreads():
    recipe = load_recipe("fashion_mnist_lifetime")
    plan = recipe.lifetime
    assert recipe.dataset == "fashion_mnist" and recipe.bers == (0.0, 0.04, 0.16)
    assert len(plan.storage_times) == 10 and plan.storage_times[0] == 1.0
    assert plan.storage_times[-1] == pytest.approx(10 * 365.25 * 86400)
    assert plan.temperatures == pytest.approx((298.15, 333.15, 358.15))
    assert plan.delta_spreads == (0.0, 0.1) and plan.write_voltage is None
    assert plan.evaluations(runs=3) == 10 * 3 * 2 * 10 * 3


def test_a_recipe_without_storage_times_has_no_lifetime_plan():
    assert load_recipe("quickstart").lifetime is None


def test_lifetime_keys_override_and_draws_are_named_as_in_the_recipe():
    recipe = load_recipe("quickstart", {"storage_times": [0, "1d"], "reads": [0, 100],
                                        "lifetime_draws": 4})  # fmt: skip
    assert recipe.lifetime.reads == (0, 100) and recipe.lifetime.draws == 4
    with pytest.raises(RecipeError, match=r"lifetime_draws must be an integer in "
                       r"\[2, 100,000\]"):  # fmt: skip
        load_recipe("quickstart", {"storage_times": [1], "lifetime_draws": 1})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"storage_times": [-5]}, "storage_times must be times >= 0"),
        ({"storage_times": [1], "temperatures": [0]}, r"temperatures must lie in "
         r"\(0, 1000\) K"),
        ({"storage_times": [1], "temperatures": ["1000C"]}, "Curie temperature"),
        ({"storage_times": [1], "delta_spread": -0.1}, "delta_spread must be spreads "
         ">= 0"),
        ({"storage_times": [1], "device": "mine"}, "device must be a preset name"),
        ({"temperatures": ["85C"]}, r"temperatures = \['85C'\]: applies only with "
         "storage_times"),
        ({"storage_times": list(range(10**4)), "lifetime_draws": 100},
         "The lifetime plan needs"),
    ],
)  # fmt: skip
def test_bad_lifetime_keys_are_one_line_problems(overrides, message):
    with pytest.raises(RecipeError, match=message) as error:
        load_recipe("quickstart", overrides)
    assert "\n" not in str(error.value) and "`" not in str(error.value)


def test_a_sweep_of_an_older_recipe_still_resumes(tmp_path):
    """`sweep.json` written before the lifetime keys lacks `lifetime`: the same."""
    import dataclasses
    import json

    saved = dataclasses.asdict(load_recipe("quickstart"))
    assert saved.pop("lifetime") is None
    json.dumps(saved)  # serialisable; the runner compares it key by key
