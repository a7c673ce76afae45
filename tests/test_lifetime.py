"""A network's lifetime on MRAM: `larq_ber.lifetime`."""

import math

import numpy as np
import pytest
import tensorflow as tf

from larq_ber.lifetime import lifetime_rows, longest_storage_time
from larq_ber.mtj import MTJ, SECONDS_PER_YEAR, weight_error_rate
from tests.errors.helpers import images, nested_model

DAY = 86400.0


def _deployed(n=512):
    """A compiled model and test data it classifies perfectly without errors."""
    model, _ = nested_model()
    x = images(n, seed=1)
    y = np.argmax(model.predict(x, verbose=0), axis=1)
    model.compile(
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model, (x, y)


@pytest.fixture(scope="module")
def deployed():
    return _deployed()


def test_rows_cover_the_grid_and_follow_the_physics(deployed):
    model, data = deployed
    hot = MTJ.paper().at(358.15)
    rows = list(
        lifetime_rows(model, data, storage_times=[0.0, DAY, 100 * SECONDS_PER_YEAR],
                      temperatures=[None, 358.15], draws=3, seed=1)
    )  # fmt: skip
    assert len(rows) == 2 * 3 * 3
    by_point = {}
    for row in rows:
        by_point.setdefault((row["temperature_k"], row["storage_time_s"]), []).append(
            row
        )
    # no errors at time 0 without reads or write errors: every draw is exact
    for kelvin in (300.0, hot.temperature):
        fresh = by_point[(kelvin, 0.0)]
        assert [r["accuracy"] for r in fresh] == [100.0] * 3
        assert fresh[0]["weight_ber"] == 0.0 and fresh[0]["ber_neg"] == 0.0
    # the weights' mean error is the device's (h = 0: both states alike)
    for kelvin, device in ((300.0, MTJ.paper()), (hot.temperature, hot)):
        day = by_point[(kelvin, DAY)][0]["weight_ber"]
        assert day == pytest.approx(weight_error_rate(DAY, device), rel=1e-5)
    assert (
        by_point[(hot.temperature, DAY)][0]["weight_ber"]
        > 100 * (by_point[(300.0, DAY)][0]["weight_ber"])
    )
    # a century: about half of the weights read wrong, far from the clean accuracy
    century = [r["accuracy"] for r in by_point[(300.0, 100 * SECONDS_PER_YEAR)]]
    assert max(century) < 90


def test_rows_are_reproducible_in_pieces(deployed):
    model, data = deployed
    times = [3600.0, 30 * DAY, 3 * SECONDS_PER_YEAR]
    whole = list(lifetime_rows(model, data, storage_times=times, voltage=0.45,
                               pulse=10e-9, draws=3, seed=5))  # fmt: skip
    pieces = [
        row
        for time in reversed(times)
        for row in lifetime_rows(
            model,
            data,
            storage_times=[time],
            voltage=0.45,
            pulse=10e-9,
            draws=3,
            seed=5,
        )
    ]
    key = lambda r: (r["storage_time_s"], r["draw"])  # noqa: E731
    assert sorted(whole, key=key) == sorted(pieces, key=key)
    # with write errors every draw differs (transient activation flips)
    first = [r["accuracy"] for r in whole if r["storage_time_s"] == 3600.0]
    assert len(set(first)) > 1


def test_longest_storage_time_decides_on_bounds_and_heat_shortens_it(deployed):
    model, data = deployed
    kwargs = {"tolerance": 2.0, "draws": 4, "seed": 0, "precision": 0.25,
              "shortest": 0.01}  # fmt: skip
    room = longest_storage_time(model, data, **kwargs)
    hot = longest_storage_time(model, data, temperature=358.15, **kwargs)
    for limit in (room, hot):
        assert limit.baseline == 100.0 and limit.threshold == 98.0
        assert limit.at_limit is not None and limit.at_limit.low >= limit.threshold
        assert limit.at_beyond is not None and limit.at_beyond.low < limit.threshold
        assert 1 < limit.beyond_s / limit.time_s <= 1.25
        assert limit.decided == (limit.at_beyond.high < limit.threshold)
        # every shorter time checked was within, and the search checked a decade
        # grid from `shortest`, then bisected
        shorter = [iv for t, iv in limit.checked if t <= limit.time_s]
        assert all(iv.low >= limit.threshold for iv in shorter)
        assert limit.checked[0][0] == 0.01
        assert "up to" in str(limit) and "n = 4 draws" in str(limit)
    # Delta falls by about a quarter from 300 K to 85 degC: retention shortens
    # by the factor e^(Delta drop), orders of magnitude.
    drop = MTJ.paper().delta - MTJ.paper().at(358.15).delta
    assert hot.time_s < room.time_s * math.exp(-drop / 2)


def test_longest_storage_time_says_when_every_time_is_within(deployed):
    model, data = deployed
    stable = MTJ(delta=120.0)
    limit = longest_storage_time(model, data, device=stable, tolerance=1.0, draws=2,
                                 longest=10 * SECONDS_PER_YEAR)  # fmt: skip
    assert limit.beyond_s is None and limit.time_s == pytest.approx(
        10 * SECONDS_PER_YEAR
    )
    assert "every time checked is within" in str(limit)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tolerance": -1.0}, "`tolerance` must be a finite number"),
        ({"tolerance": 1.0, "draws": 1}, r"`draws` must be an integer in \[2"),
        ({"tolerance": 1.0, "confidence": 1.0}, r"`confidence` must be in \(0, 1\)"),
        ({"tolerance": 1.0, "shortest": 10.0, "longest": 5.0}, "`longest` must be"),
        ({"tolerance": 1.0, "temperature": 0.0}, "`temperature` must be a finite"),
        ({"tolerance": 1.0, "reads": -1}, "`reads` must be an integer"),
        ({"tolerance": 1.0, "chip": -1}, "`chip`"),
        ({"tolerance": 1.0, "metric": "auc"}, "`metric` auc is not among"),
        ({"tolerance": 1.0, "voltage": 0.5}, "`voltage` and `pulse` go together"),
    ],
)
def test_longest_storage_time_refuses_bad_input_in_one_line(deployed, kwargs, message):
    model, data = deployed
    with pytest.raises(ValueError, match=message) as error:
        longest_storage_time(model, data, draws=kwargs.pop("draws", 2), **kwargs)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"draws": 1}, r"`draws` must be an integer in \[2"),
        ({"storage_times": 3600.0}, "`storage_times` must be a list"),
        ({"storage_times": [1.0, DAY, -1.0]}, "`storage_time` must be a finite"),
        ({"reads": [0, -5]}, "`reads` must be an integer"),
        ({"temperatures": [300.0, 5000.0]}, "`temperature` must be a finite"),
        ({"voltage": 0.6}, "`voltage` and `pulse` go together"),
        ({"variation": 0.1}, "`variation` must be a larq_ber.mtj.CellVariation"),
        ({"read_polarity": "both"}, "`read_polarity` must be one of"),
    ],
)
def test_lifetime_rows_checks_everything_before_the_first_draw(kwargs, message):
    # no model evaluation happens: a model that would fail to evaluate is fine
    arguments = {"storage_times": [1.0], **kwargs}
    with pytest.raises(ValueError, match=message) as error:
        lifetime_rows(object(), None, **arguments)  # not iterated
    assert "\n" not in str(error.value)
