import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest
import tensorflow as tf


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global seeds (Python, numpy, TF)."""
    tf.keras.utils.set_random_seed(1234)
    yield
    tf.keras.backend.clear_session()
