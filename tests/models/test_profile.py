"""Size and compute of the models, and the table of them in the README."""

import dataclasses

import pytest

from larq_ber.models import MODELS, LeNet4
from larq_ber.models.profile import STATS_HEADER, ModelStats, model_stats, stats_table

LENET4_ROW = (
    "| lenet4 | 28×28×1 | 432,760 | 425,000 | 2 | 82.19 KiB | 1.65 MiB | 2.3 M "
    "| 87.2% |"
)


def _readme_table(root):
    """The README's model table: the header line and the rows below it."""
    lines = (root / "README.md").read_text().splitlines()
    start = lines.index(STATS_HEADER.splitlines()[0])
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return lines[start:end]


def _flat(text):
    return " ".join(text.split())


def test_lenet4_counts():
    stats = model_stats(LeNet4())
    # 1-bit: the kernels of binary_conv_2 (5x5x20x50) and binary_dense_3 (800x500).
    # 32-bit: their biases, real_conv_1 (5x5x1x20 + 20), real_dense_4 (500x10 + 10)
    # and 2 per BatchNorm channel, as larq counts them (20 + 20 + 800 channels).
    binary = 5 * 5 * 20 * 50 + 800 * 500
    params = binary + 50 + 500 + (25 * 20 + 20) + (500 * 10 + 10) + 2 * 840
    # MACs: conv 2 at 8x8x50 from 5x5x20, dense 800x500 (binary); conv 1 at 24x24x20
    # from 5x5x1, dense 500x10 (float).
    binary_macs = 8 * 8 * 50 * 500 + 800 * 500
    assert stats == ModelStats(
        name="lenet4",
        input_shape=(28, 28, 1),
        params=params,
        binary_params=binary,
        binarized_layers=2,
        memory_bits=binary + 32 * (params - binary),
        float_memory_bits=32 * params,
        macs=binary_macs + 24 * 24 * 20 * 25 + 500 * 10,
        binary_macs=binary_macs,
    )
    assert (params, binary_macs) == (432_760, 2_000_000)


def test_markdown_row_fills_the_header(root):
    row = model_stats(LeNet4()).markdown_row()
    assert row == LENET4_ROW
    header, rule = STATS_HEADER.splitlines()
    assert header.count("|") == rule.count("|") == row.count("|") == 10
    assert row in _readme_table(root)
    assert _flat(row) in _flat(LeNet4.__doc__)


def test_stats_of_a_model_with_a_custom_input(small_models, binarized):
    function, shape = small_models["binary_alexnet"]
    stats = model_stats(function(input_shape=shape, num_classes=10))
    assert stats.input_shape == shape and stats.name == "binary_alexnet"
    assert stats.binarized_layers == len(binarized["binary_alexnet"])
    assert 0 < stats.binary_params < stats.params
    assert 0 < stats.binary_macs < stats.macs
    assert stats.memory_bits < stats.float_memory_bits == 32 * stats.params
    assert dataclasses.is_dataclass(stats)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.params = 0  # type: ignore[misc]


@pytest.mark.slow
def test_readme_and_docstrings_show_the_measured_table(root):
    table = stats_table().splitlines()
    assert table[:2] == STATS_HEADER.splitlines()
    assert len(table) == 2 + len(MODELS)
    assert _readme_table(root) == table, (
        "README's model table is stale: replace it with "
        "larq_ber.models.profile.stats_table()"
    )
    for function, row in zip(MODELS.values(), table[2:], strict=True):
        doc = _flat(function.__doc__)
        assert _flat(STATS_HEADER) in doc, function.__name__
        assert _flat(row) in doc, function.__name__
