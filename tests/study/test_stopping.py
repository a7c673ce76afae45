"""Ctrl-C and SIGTERM stop a command even where Python drops their exception."""

import gc
import os
import signal
import sys

import pytest
import tensorflow as tf

from larq_ber.study.stopping import Terminated, raise_if_stopped, stop_on_signals
from larq_ber.study.training import StopWhenAsked


class _SignalsWhenCollected:
    """Sends a signal to this process from `__del__`, where Python drops the
    exception its handler raises (it prints "Exception ignored")."""

    def __init__(self, signum):
        self.signum = signum

    def __del__(self):
        signal.raise_signal(self.signum)


def _lose(signum):
    """A signal arrives while a finalizer runs: its exception is lost."""
    _SignalsWhenCollected(signum)
    gc.collect()


@pytest.fixture
def python_handles_sigint():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def dropped(monkeypatch):
    """The exceptions Python drops ("Exception ignored in ..."), as it drops them."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    return seen


STOPS = [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)]


@pytest.mark.parametrize(("signum", "stop"), STOPS)
def test_a_signal_lost_in_a_finalizer_is_raised_again(
    python_handles_sigint, dropped, signum, stop
):
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(stop), stop_on_signals():
        raise_if_stopped()  # nothing came yet
        _lose(signum)  # without this module the command would go on
        assert dropped == [stop]
        with pytest.raises(stop):
            raise_if_stopped()
        with pytest.raises(stop):  # until the block ends
            raise_if_stopped()
    raise_if_stopped()  # forgotten afterwards
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize(("signum", "stop"), STOPS)
def test_a_signal_lost_after_the_last_check_is_raised_by_the_block(
    python_handles_sigint, dropped, signum, stop
):
    with pytest.raises(stop), stop_on_signals():
        _lose(signum)
    assert dropped == [stop]
    with stop_on_signals():  # the next block starts afresh
        raise_if_stopped()


def test_an_inner_block_leaves_the_signal_to_the_outer_one(
    python_handles_sigint, dropped
):
    after_inner = []
    with pytest.raises(Terminated), stop_on_signals():
        with stop_on_signals():
            _lose(signal.SIGTERM)
        after_inner.append(True)  # the inner block raised nothing
        raise_if_stopped()  # and forgot nothing
    assert after_inner == [True]


def test_a_signal_that_arrives_in_python_code_raises_at_once(python_handles_sigint):
    with pytest.raises(Terminated), stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**6):  # the handler runs at the next line of Python
            pass
        pytest.fail("SIGTERM did not stop the block")


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with stop_on_signals():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
            signal.raise_signal(signal.SIGINT)  # ignored: nothing to raise
            raise_if_stopped()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_fit_stops_at_the_next_batch_after_a_lost_ctrl_c(
    python_handles_sigint, dropped
):
    seen = []

    class LoseCtrlC(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 2:
                _lose(signal.SIGINT)

    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    data = tf.data.Dataset.from_tensors((tf.zeros((1, 2)), tf.zeros((1, 1)))).repeat(8)
    with pytest.raises(KeyboardInterrupt), stop_on_signals():
        model.fit(data, epochs=3, verbose=0, callbacks=[LoseCtrlC(), StopWhenAsked()])
    assert seen == [0, 1, 2]
    assert dropped == [KeyboardInterrupt]
    model.fit(data, epochs=1, verbose=0, callbacks=[StopWhenAsked()])  # no stop left
