"""larq_ber.mtj.presets: named devices with their sources."""

import pytest

from larq_ber.mtj.device import MTJ
from larq_ber.mtj.presets import PRESETS, preset


def test_the_papers_device_is_the_first_preset():
    assert next(iter(PRESETS)) == "tzoufras2019"
    device = preset("tzoufras2019")
    assert device == MTJ.paper()
    assert (device.delta, device.tau_d, device.v_c0, device.v_bd) == (
        40.0,
        2e-9,
        0.3,
        1.2,
    )
    assert device.temperature == 300.0


def test_every_preset_names_its_source_and_builds_a_device():
    for name, (factory, source) in PRESETS.items():
        assert isinstance(factory(), MTJ) and preset(name) == factory()
        assert "arXiv:" in source or "doi" in source.lower(), name


def test_presets_are_read_only():
    with pytest.raises(TypeError):
        PRESETS["mine"] = (MTJ, "nowhere")  # type: ignore[index]


def test_unknown_names_list_the_known_ones():
    for bad in ("paper", "TZOUFRAS2019", None, 3):
        with pytest.raises(ValueError, match=r"unknown MTJ preset .*'tzoufras2019'"):
            preset(bad)
