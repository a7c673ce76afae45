"""The layout's rules, checked on the source: one-way layers, no cycles, small units.

- `larq_ber` (the Keras/Larq plugin) never imports `larq_ber.study` (the app);
- TF-free modules at the bottom import no TensorFlow code of the package;
- the import graph (imports inside functions included) has no cycle;
- no module over 500 lines, no function body over 60 lines (docstring excluded);
- no docstring example made entirely of skipped doctest lines.
"""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "larq_ber"

#: Modules that must not import TensorFlow code of the package (rank 0).
TF_FREE = ("larq_ber", "larq_ber._keras2", "larq_ber.rates", "larq_ber.storage",
           "larq_ber.stats",
           "larq_ber.tables", "larq_ber.palette", "larq_ber.quantizers.seeds",
           "larq_ber.models.specs", "larq_ber.mtj")  # fmt: skip


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str, path: Path) -> set[str]:
    """The package's modules that `module` imports, anywhere in its code."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (
                    package.rsplit(".", node.level - 1)[0]
                    if node.level > 1
                    else package
                )
                base = f"{anchor}.{base}".rstrip(".")
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _rank(module: str) -> int:
    if module == "larq_ber.study" or module.startswith("larq_ber.study."):
        return 2
    if any(module == m or module.startswith(m + ".") for m in TF_FREE[1:]) or (
        module == "larq_ber"
    ):
        return 0
    return 1


def test_the_graph_sees_the_whole_package():
    assert {"larq_ber.quantizers", "larq_ber.study.cli", "larq_ber.mtj.fpe"} <= set(
        GRAPH
    )
    assert "larq_ber.quantizers.activations" in GRAPH["larq_ber.quantizers"]


def test_the_plugin_never_imports_the_study_app():
    upward = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if _rank(target) > _rank(module)
    )
    assert upward == []


def test_the_import_graph_has_no_cycle():
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_stay_small(module):
    path = MODULES[module]
    lines = path.read_text().count("\n")
    assert lines <= 500, f"{module} has {lines} lines"
    long = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if ast.get_docstring(node) is not None:
                body = body[1:] or body
            length = node.end_lineno - body[0].lineno + 1
            if length > 60:
                long.append((node.name, length))
    assert long == []


def test_no_docstring_example_is_entirely_skipped():
    parser = doctest.DocTestParser()
    skipped = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                continue
            examples = parser.get_examples(ast.get_docstring(node) or "")
            if examples and all(e.options.get(doctest.SKIP) for e in examples):
                skipped.append((module, getattr(node, "name", "")))
    assert skipped == []


TENSORFLOW = ("tensorflow", "larq", "keras", "tf_keras", "keras_tuner",
              "larq_compute_engine")  # fmt: skip


def test_tf_free_modules_import_no_tensorflow_package_anywhere_in_their_code():
    found = []
    for module, path in MODULES.items():
        if _rank(module) != 0:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom)
                and not node.level else []
            )  # fmt: skip
            found += [(module, n) for n in names if n.split(".")[0] in TENSORFLOW]
    assert found == []
    assert sum(_rank(m) == 0 for m in MODULES) >= 15  # the rule sees the bottom layer
