"""Errors blocks without retracing: `larq_ber.errors.functions` and the quantizer's
run-time state (`larq_ber.quantizers.inference`)."""

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.errors import ErrorMap, activation_errors
from larq_ber.errors.maps import activation_positions
from tests.errors.helpers import N, half_negative, images, nested_model, probe, sigma

#: Op types that draw random numbers (stateful, stateless and generator-based).
RANDOM = ("Random", "Rng", "Stateless", "Multinomial")


def _compiled_probe():
    model = probe()
    model.compile(loss="mse")
    return model


def _traces(function):
    return function.experimental_get_tracing_count()


def _flipped(model, x):
    return (model.predict(x, verbose=0) != np.sign(x)).mean()


def test_blocks_reuse_the_functions_keras_traced_for_each_kind():
    model = _compiled_probe()
    x, y = half_negative(), np.zeros((1, N))
    model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)
    clean = model.predict_function, model.test_function
    with activation_errors(model, 0.1, seed=0):
        assert abs(_flipped(model, x) - 0.1) <= sigma(0.1, N)
        model.evaluate(x, y, verbose=0)
        erring = model.predict_function, model.test_function
    assert model.predict_function is clean[0] and model.test_function is clean[1]
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))
    # another rate and seed: the same functions, not traced again
    with activation_errors(model, 0.3, seed=1):
        assert model.predict_function is erring[0]
        assert model.test_function is erring[1]
        assert abs(_flipped(model, x) - 0.3) <= sigma(0.3, N)
        model.evaluate(x, y, verbose=0)
    assert [_traces(f) for f in clean + erring] == [1, 1, 1, 1]
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))


def test_a_map_block_keeps_its_own_functions_beside_the_rates_ones():
    model = _compiled_probe()
    x = half_negative()
    path = activation_positions(model)[0][0]
    ones = ErrorMap(activations={path: (np.ones(N), np.ones(N))})
    functions = {}
    for round_ in range(2):
        for name, errors in (("rates", 0.2), ("map", ones)):
            with activation_errors(model, errors, seed=round_):
                out = model.predict(x, verbose=0)
                functions.setdefault(name, model.predict_function)
                assert model.predict_function is functions[name]
            if name == "map":
                np.testing.assert_array_equal(out, -np.sign(x))
            else:
                assert abs((out != np.sign(x)).mean() - 0.2) <= sigma(0.2, N)
    assert functions["map"] is not functions["rates"]
    assert [_traces(f) for f in functions.values()] == [1, 1]


def test_compiling_inside_a_block_traces_again_after_it():
    model = _compiled_probe()
    x = half_negative()
    model.predict(x, verbose=0)
    clean = model.predict_function
    with activation_errors(model, 0.5, seed=0):
        model.compile(loss="mae")
        assert abs(_flipped(model, x) - 0.5) <= sigma(0.5, N)
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))
    assert model.predict_function is not clean  # the old compilation's is not back
    with activation_errors(model, 0.5, seed=0):
        assert abs(_flipped(model, x) - 0.5) <= sigma(0.5, N)


def test_a_function_traced_inside_flips_nothing_after_the_block():
    model = probe()
    x = tf.constant(half_negative(), tf.float32)
    call = tf.function(lambda inputs: model(inputs, training=False))
    with activation_errors(model, 0.5, seed=0):
        assert (call(x).numpy() != np.sign(x)).mean() > 0.4
    np.testing.assert_array_equal(call(x).numpy(), np.sign(x))


def _random_ops(model, shape):
    spec = tf.TensorSpec((None, *shape), tf.float32)
    graph = tf.function(model).get_concrete_function(spec).graph.as_graph_def()
    nodes = [*graph.node, *(n for f in graph.library.function for n in f.node_def)]
    return sorted({n.op for n in nodes if any(word in n.op for word in RANDOM)})


def test_nothing_random_is_traced_outside_the_blocks():
    model, _ = nested_model()
    x = images()
    model.compile(loss="mse")
    with activation_errors(model, 0.2, seed=0):
        model.predict(x, verbose=0)
        assert _random_ops(model, x.shape[1:])  # the probe sees the draws
    assert _random_ops(model, x.shape[1:]) == []


def test_an_outer_blocks_draws_resume_after_an_inner_block():
    model = probe()
    x = half_negative()
    with activation_errors(model, 0.2, seed=5):
        alone = [model.predict(x, verbose=0) for _ in range(2)]
    with activation_errors(model, 0.2, seed=5):
        first = model.predict(x, verbose=0)
        with activation_errors(model, 0.4, seed=9):
            model.predict(x, verbose=0)
        second = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, alone[0])
    np.testing.assert_array_equal(second, alone[1])


def test_nested_models_keep_their_functions_too():
    model, inner = nested_model()
    x = images()
    clean = inner.predict(x, verbose=0)
    inner_clean = inner.predict_function
    with activation_errors(model, 0.5, seed=0):
        assert not np.array_equal(inner.predict(x, verbose=0), clean)
    assert inner.predict_function is inner_clean
    np.testing.assert_array_equal(inner.predict(x, verbose=0), clean)


@pytest.mark.parametrize("seed", [0, 1])
def test_reseeding_repeats_the_draws_without_a_retrace(seed):
    model = _compiled_probe()
    x = half_negative()
    with activation_errors(model, 0.1, seed=seed) as quantizers:
        first = model.predict(x, verbose=0)
        quantizers[0].reseed_inference_errors(seed)
        np.testing.assert_array_equal(model.predict(x, verbose=0), first)
        assert _traces(model.predict_function) == 1


def _map_of_ones(model):
    path, _, shape = activation_positions(model)[0]
    return ErrorMap(activations={path: (np.ones(shape), np.ones(shape))})


def test_a_block_on_a_nested_model_switches_the_outer_models_functions_too():
    model, inner = nested_model()
    x = images()
    with activation_errors(model, 0.1, seed=0):
        model.predict(x, verbose=0)
        rates = model.predict_function
    with activation_errors(model, 0.1, seed=0):
        assert model.predict_function is rates
        with activation_errors(inner, _map_of_ones(inner), seed=0):
            model.predict(x, verbose=0)  # traced with the inner map in force
            assert model.predict_function is not rates
        assert model.predict_function is rates  # not kept under the wrong kinds
    with activation_errors(model, 0.1, seed=0):
        assert model.predict_function is rates


def test_a_function_traced_in_an_inner_map_block_flips_nothing_in_the_outer_one():
    model = probe()
    x = tf.constant(half_negative(), tf.float32)
    call = tf.function(lambda inputs: model(inputs, training=False))
    with activation_errors(model, 0.0, seed=0):
        with activation_errors(model, _map_of_ones(model), seed=0):
            np.testing.assert_array_equal(call(x).numpy(), -np.sign(x))
        np.testing.assert_array_equal(call(x).numpy(), np.sign(x))


def test_a_block_that_fails_to_begin_leaves_no_quantizer_flipping(monkeypatch):
    model, _ = nested_model()
    quantizers = [q for _, q, _ in activation_positions(model)]

    def fail(rates, seed=None):
        raise RuntimeError("no memory for the rates")

    monkeypatch.setattr(quantizers[1], "set_inference_errors", fail)
    with pytest.raises(RuntimeError, match="no memory"):
        with activation_errors(model, 0.2, seed=0):
            pass
    monkeypatch.undo()
    assert [q.inference_errors for q in quantizers] == [None, None, None]
    with activation_errors(model, 0.2, seed=0):
        assert all(q.inference_errors == (0.2, 0.2) for q in quantizers)


def test_zero_rates_run_the_error_free_functions():
    """Rates of 0 flip nothing: the block keeps the clean functions (so a function
    traced for rates may count on a rate above 0), and the errors are still set."""
    model = _compiled_probe()
    x = half_negative()
    model.predict(x, verbose=0)
    clean = model.predict_function
    with activation_errors(model, 0.0, seed=0) as quantizers:
        assert model.predict_function is clean
        np.testing.assert_array_equal(model.predict(x, verbose=0), np.sign(x))
        assert quantizers[0].inference_errors == (0.0, 0.0)
        quantizers[0].reseed_inference_errors(3)
    with activation_errors(model, 0.2, seed=0):
        assert model.predict_function is not clean
        assert abs(_flipped(model, x) - 0.2) <= sigma(0.2, N)
    assert _traces(clean) == 1
