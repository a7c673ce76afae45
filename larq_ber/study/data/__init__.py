r"""The paper's datasets as `tf.data` pipelines: TFDS, ImageNet subsets, local files.

`load(name, split=..., batch_size=...)` returns batches of `(images, labels)`, images
float32 normalised with the reference statistics, ready for `larq_ber.models`. Names:

| name | source | train / test |
|---|---|---|
| `mnist`, `cifar10`, `cifar100` | TFDS | train / test |
| `fashion_mnist` | local IDX files (Debian package), else TFDS | train / test |
| `svhn_extra` | TFDS `svhn_cropped` | extra / test (the paper's "extended SVHN") |
| `svhn_train_extra` | TFDS `svhn_cropped` | train+extra / test |
| `imagenet2012` | TFDS, manual download | train / validation |
| `imagenet2012:classes=K,subset_seed=S` | K classes drawn with seed S | as ImageNet |
| `idx:<dir>` | MNIST-format IDX files | `train-*` / `t10k-*` |
| `npz:<file>` | `numpy.savez` with `x_train, y_train, x_test, y_test` | train / test |
| `digits` | scikit-learn's bundled digits, upscaled to 28×28 (offline) | 80 % / 20 % |

TFDS datasets are downloaded into `data_dir` on first use where the machine can reach
the internet (`download=True`); ImageNet must be downloaded by hand into
`<data_dir>/downloads/manual` (TFDS's rule). Missing data gives an error that says
what to prepare where; `is_available(name)` says whether a name loads here without
a download. Offline, a missing TFDS dataset fails within seconds (a `DataError`
after one short connection attempt to its download host) instead of retrying its
download: `check_obtainable(name)` makes that check without loading anything, and
`available_offline(name)` says, without TensorFlow, whether a name needs no network.

`fashion_mnist` needs no network where Debian's `dataset-fashion-mnist` package is
installed (`apt-get install dataset-fashion-mnist`): its IDX files in
`/usr/share/datasets/fashion-mnist` (`registry.FASHION_MNIST_DIR`), or those of the
folder named by the environment variable `LARQ_BER_FASHION_MNIST_DIR`, are read
instead of TFDS's copy, with the same 60,000/10,000 split, labels and normalisation.
Label `i` is the garment `FASHION_MNIST_CLASSES[i]`.

The package, bottom up: `stats` (normalisation statistics) and `contracts` (what
local data must satisfy), `files` (IDX, `.npz`, digits), `registry` (names and their
facts, `info`), `offline` (on disk or downloadable?) need no TensorFlow and are
imported with the package; `pipeline`
(`load`) imports TensorFlow and is imported on first use of `load`, so that
`from larq_ber.study.data import info` does not import TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from larq_ber.study.data.contracts import MAX_CLASSES, DataError
from larq_ber.study.data.files import digits_arrays, read_idx, read_npz
from larq_ber.study.data.offline import available_offline, check_obtainable
from larq_ber.study.data.registry import (
    FASHION_MNIST_CLASSES,
    DatasetInfo,
    info,
    subset_classes,
)
from larq_ber.study.data.stats import (
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    MNIST_MEAN,
    MNIST_STD,
)

if TYPE_CHECKING:
    from larq_ber.study.data.pipeline import is_available, load

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
    "MAX_CLASSES",
    "MNIST_MEAN",
    "MNIST_STD",
    "DataError",
    "DatasetInfo",
    "available_offline",
    "check_obtainable",
    "digits_arrays",
    "info",
    "is_available",
    "load",
    "read_idx",
    "read_npz",
    "subset_classes",
]


def __getattr__(name: str) -> Any:
    """Imports `load` / `is_available` (and TensorFlow) when first asked for."""
    if name in ("load", "is_available"):
        found = getattr(importlib.import_module("larq_ber.study.data.pipeline"), name)
        globals()[name] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "load", "is_available"})
