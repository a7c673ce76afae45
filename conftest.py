"""Root pytest configuration: names available to the docstring examples."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import larq as lq
import numpy as np
import pytest
import tensorflow as tf


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update({"tf": tf, "lq": lq, "np": np})
