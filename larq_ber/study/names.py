"""Readable names of models, datasets and class subsets, for titles and tables.

The tables and recipes use identifiers (`lenet4`, `fashion_mnist`,
`classes=2,subset_seed=1`); figures and printed summaries show `LeNet-4`,
`Fashion-MNIST`, `2 classes (subset seed 1)`. Unknown identifiers are shown as
they are. Nothing here imports TensorFlow.

Example:
    >>> describe("lenet4", "digits")
    'LeNet-4 on offline digits'
"""

from __future__ import annotations

__all__ = [
    "DATASETS",
    "MODELS",
    "dataset_name",
    "describe",
    "model_name",
    "subset_name",
]

#: Readable model names by identifier (`larq_ber.models.MODELS`).
MODELS = {"lenet4": "LeNet-4", "nin": "NiN", "binary_alexnet": "binary AlexNet"}

#: Readable dataset names by identifier (`larq_ber.study.data`).
DATASETS = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "digits": "offline digits",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "svhn_extra": "SVHN",
    "svhn_cropped": "SVHN",
    "imagenet2012": "ImageNet",
}


def model_name(model: str) -> str:
    """The readable name of a model identifier.

    Args:
        model: E.g. `"lenet4"`.

    Returns:
        E.g. `"LeNet-4"`; an unknown identifier unchanged.

    Example:
        >>> model_name("binary_alexnet"), model_name("mine")
        ('binary AlexNet', 'mine')
    """
    return MODELS.get(model, model)


def dataset_name(dataset: str) -> str:
    """The readable name of a dataset identifier.

    Args:
        dataset: E.g. `"fashion_mnist"`, `"imagenet2012:classes=2,subset_seed=1"`,
            `"idx:/data/fashion"` or `"npz:mine.npz"`.

    Returns:
        E.g. `"Fashion-MNIST"`, `"ImageNet, 2 classes (subset seed 1)"`,
        `"IDX files in fashion"`, `"mine.npz"`; an unknown identifier unchanged.

    Example:
        >>> dataset_name("imagenet2012:classes=2,subset_seed=1")
        'ImageNet, 2 classes (subset seed 1)'
    """
    kind, _, rest = dataset.partition(":")
    if kind == "idx" and rest:
        return f"IDX files in {rest.rstrip('/').rsplit('/', 1)[-1]}"
    if kind == "npz" and rest:
        return rest.rsplit("/", 1)[-1]
    name = DATASETS.get(kind, kind)
    return f"{name}, {subset_name(rest)}" if rest else name


def subset_name(subset: str) -> str:
    """The readable name of a class subset (`classes=K,subset_seed=S`).

    Args:
        subset: The `subset` column of a table (empty: every class).

    Returns:
        E.g. `"2 classes (subset seed 1)"`, `"all classes"` for an empty subset;
        anything else unchanged.

    Example:
        >>> subset_name("classes=10,subset_seed=3"), subset_name("")
        ('10 classes (subset seed 3)', 'all classes')
    """
    if not subset:
        return "all classes"
    fields = dict(part.partition("=")[::2] for part in subset.split(","))
    if set(fields) == {"classes", "subset_seed"}:
        return f"{fields['classes']} classes (subset seed {fields['subset_seed']})"
    return subset


def describe(model: str, dataset: str) -> str:
    """`"<model> on <dataset>"` in readable names, either part optional.

    Args:
        model: A model identifier (may be empty).
        dataset: A dataset identifier (may be empty).

    Returns:
        E.g. `"NiN on CIFAR-10"`, `"LeNet-4"`, or `"sweep"` if both are empty.

    Example:
        >>> describe("nin", "cifar10"), describe("", "mnist"), describe("", "")
        ('NiN on CIFAR-10', 'MNIST', 'sweep')
    """
    parts = [
        model_name(model) if model else "",
        dataset_name(dataset) if dataset else "",
    ]
    return " on ".join(p for p in parts if p) or "sweep"
