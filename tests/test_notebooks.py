"""Notebooks and examples: stripped, Colab-ready, and they run top to bottom.

The executions are marked `notebook`; `make check-notebooks` (part of `.ci/run`) runs
them, offline, in a temporary folder.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}


def test_the_five_notebooks_and_examples_exist():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]
    assert {p.stem for p in EXAMPLES} == {
        "bit_errors_in_model_fit", "reproduce_figure_1", "mram_operating_points",
        "export_to_the_edge", "robust_deployment",
    }  # fmt: skip
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS + EXAMPLES:
        assert f"{path.parent.name}/{path.name}" in readme, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stripped_and_colab_ready(path):
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: outputs are not stripped (run `make strip-notebooks`)"
            )
    first, install = notebook.cells[0], notebook.cells[1]
    badge = re.search(r"colab\.research\.google\.com/github/([^)]+)", first.source)
    assert badge and badge.group(1).endswith(f"/blob/main/notebooks/{path.name}")
    repository = re.search(
        r'REPOSITORY = "https://github\.com/([^"]+)"', install.source
    )
    assert repository and badge.group(1).startswith(repository.group(1) + "/")
    assert 'find_spec("larq_ber") is None' in install.source


def test_install_cell_does_nothing_where_installed():
    import nbformat

    install = nbformat.read(NOTEBOOKS[0], as_version=4).cells[1].source
    calls = []
    namespace = {}
    exec(  # the cell, with pip replaced by a recorder
        install.replace("subprocess.run(", "calls.append("), {"calls": calls}, namespace
    )
    assert calls == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_help(path):
    result = subprocess.run(
        [sys.executable, str(path), "--help"], capture_output=True, text=True, env=ENV,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # every option is explained: argparse puts its help on the option's line or
    # on the next, indented one
    lines = result.stdout.split("options:", 1)[1].splitlines()
    for number, line in enumerate(lines):
        if line.startswith("  -") and "-h, --help" not in line:
            text = line.strip().split("  ", 1)
            following = lines[number + 1] if number + 1 < len(lines) else ""
            assert len(text) == 2 or following.startswith(" " * 10), line


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )  # fmt: skip
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors


def _field_rates() -> str:
    """What robust_deployment.py prints for the h = 0.1 device's rates."""
    from larq_ber import mtj

    rates = mtj.error_rates(0.5, 10e-9, mtj.MTJ(h=0.1), storage_time=3600, reads=10**4)
    return f"ber_neg {rates.ber_neg:.4f}, ber_pos {rates.ber_pos:.4f}"


QUICK_ARGS = {
    "bit_errors_in_model_fit": ["--epochs", "2"],
    "reproduce_figure_1": ["--out", "figure1"],
    "mram_operating_points": ["--figure", "fig5.png", "--curve", "0=0.97", "0.1=0.9"],
    "export_to_the_edge": ["--epochs", "1", "--tflite", "m.tflite"],
    "robust_deployment": ["--epochs", "1", "--draws", "2"],
}
# What each example prints (every pattern must match a line of its output).
EXPECTED = {
    "bit_errors_in_model_fit": [
        r"BER 0\.1: measured flip rates in the last epoch \w+ (0\.09\d*|0\.10\d*);",
        "identical predictions: True",
    ],
    "reproduce_figure_1": ["6 of 6 runs finished"],
    "mram_operating_points": [
        r"^accuracy curve \(--curve\): 0: 0\.9700, 0\.1: 0\.9000$",
        r"^cheapest point within 0\.005 of the error-free accuracy: BER 0 at ",
    ],
    "export_to_the_edge": ["LCE interpreter test accuracy"],
    "robust_deployment": [
        r"deployed test accuracy \(%\), mean ± std over 2 draws",
        r"train BER +test BER +weight BER 0 +weight BER 0\.01 +weight BER 0\.05$",
        r"^ +0\.1 +0\.2( +\d+\.\d\d ± +\d+\.\d\d){3}$",  # the table's last row
        # the rates the example prints are the device model's (not typed by hand)
        "MTJ with field h=0.1: " + re.escape(_field_rates()),
        r"^cheapest operating point .*: \d\.\d{3} V, \d+\.\d\d ns, energy ",
    ],
}


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_with_quick_settings(path, tmp_path):
    result = subprocess.run(
        [sys.executable, str(path), *QUICK_ARGS[path.stem]], cwd=tmp_path,
        capture_output=True, text=True, env=ENV, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for pattern in EXPECTED[path.stem]:
        assert re.search(pattern, result.stdout, re.MULTILINE), (pattern, result.stdout)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_options_show_their_defaults(path):
    """Every `add_argument(..., default=X, help=...)` says its default in the help."""
    import ast

    calls = [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") == "add_argument"
    ]
    assert calls
    for call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        default = keywords.get("default")
        if default is None or (
            isinstance(default, ast.Constant) and default.value in (None, False)
        ):
            continue
        help_text = ast.literal_eval(keywords["help"])
        assert "default" in help_text, ast.unparse(call.args[0])
