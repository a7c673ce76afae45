"""larq_ber.mtj as a package: no TensorFlow, re-exports, one-way imports, help."""

import ast
import importlib
import subprocess
import sys

from larq_ber import mtj

# Bottom first: each module may import only the ones before it.
MODULES = (
    "device",
    "temperature",
    "presets",
    "initial",
    "fpe",
    "inverse",
    "reliability",
    "deployment",
    "operating",
    "cheapest",
    "plots",
    "cells",
    "variation",
    "design",
)
# Modules outside `larq_ber.mtj` it may import (TensorFlow-free).
OUTSIDE = {"larq_ber.rates", "larq_ber.palette", "larq_ber.tables", "larq_ber.stats"}


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()


def test_import_needs_no_tensorflow():
    code = "import sys, larq_ber.mtj; print('tensorflow' in sys.modules)"
    assert _run(code) == ["False"]


def test_the_package_re_exports_the_public_names():
    assert sorted(mtj.__all__) == [
        "CellPopulation",
        "CellVariation",
        "MTJ",
        "OperatingPoint",
        "OperatingPoints",
        "ber_from_operating_point",
        "cell_retention_failure",
        "cell_stored_error_rates",
        "cell_write_error_rates",
        "celsius",
        "cheapest_operating_point",
        "delta_for_storage",
        "draw_cells",
        "endurance_cycles",
        "error_rates",
        "operating_points",
        "plot_write_window",
        "preset",
        "pulse_for_wer",
        "read_disturb_rate",
        "retention_failure",
        "state_error_rates",
        "storage_time_for_weight_ber",
        "switching_probability",
        "voltage_for_wer",
        "weight_error_rate",
        "write_error_rate",
    ]
    # Public, but not in `__all__` (as before the split).
    extra = (
        "SECONDS_PER_YEAR",
        "MODELS",
        "ENDURANCE_MODELS",
        "DEFAULT_READ_PULSE",
        "default_order",
        "PRESETS",
        "ZERO_CELSIUS",
        "READ_POLARITIES",
    )
    found = {}
    for name in MODULES:
        module = importlib.import_module(f"larq_ber.mtj.{name}")
        for public in module.__all__:
            assert public not in found, f"{public} in {found.get(public)} and {name}"
            found[public] = name
    for public in (*mtj.__all__, *extra):
        module = importlib.import_module(f"larq_ber.mtj.{found[public]}")
        assert getattr(mtj, public) is getattr(module, public)


def test_imports_point_one_way():
    for position, name in enumerate(MODULES):
        module = importlib.import_module(f"larq_ber.mtj.{name}")
        with open(module.__file__, encoding="utf-8") as file:
            tree = ast.parse(file.read())
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("larq_ber")
        }
        inside = {
            m.rsplit(".", 1)[-1] for m in imported if m.startswith("larq_ber.mtj")
        }
        assert inside <= set(MODULES[:position]), (name, inside)
        outside = {m for m in imported if not m.startswith("larq_ber.mtj")}
        assert outside <= OUTSIDE, (name, outside)
