"""Readable names of models, datasets and subsets."""

import pytest

from larq_ber.study.names import dataset_name, describe, model_name, subset_name


@pytest.mark.parametrize("model,name", [("lenet4", "LeNet-4"), ("nin", "NiN"),
                                        ("binary_alexnet", "binary AlexNet"),
                                        ("custom", "custom")])  # fmt: skip
def test_model_names(model, name):
    assert model_name(model) == name


@pytest.mark.parametrize(
    "dataset,name",
    [
        ("mnist", "MNIST"),
        ("fashion_mnist", "Fashion-MNIST"),
        ("digits", "offline digits"),
        ("cifar10", "CIFAR-10"),
        ("cifar100", "CIFAR-100"),
        ("svhn_extra", "SVHN"),
        ("imagenet2012", "ImageNet"),
        (
            "imagenet2012:classes=10,subset_seed=3",
            "ImageNet, 10 classes (subset seed 3)",
        ),
        ("idx:/data/fashion/", "IDX files in fashion"),
        ("npz:/data/mine.npz", "mine.npz"),
        ("other", "other"),
    ],
)
def test_dataset_names(dataset, name):
    assert dataset_name(dataset) == name


def test_subsets_and_descriptions():
    assert subset_name("") == "all classes"
    assert subset_name("classes=2,subset_seed=1") == "2 classes (subset seed 1)"
    assert subset_name("odd") == "odd"
    assert describe("lenet4", "fashion_mnist") == "LeNet-4 on Fashion-MNIST"
    assert describe("", "") == "sweep"
