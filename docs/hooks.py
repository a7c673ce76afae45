"""MkDocs hooks: the API reference, one generated page per module of `larq_ber`.

The pages follow the package on disk (`larq_ber/**/*.py`, private modules left out),
so a module that is added, moved or removed changes the reference without editing
`mkdocs.yml`. Each page is one mkdocstrings directive; the docstrings are read
statically (griffe), so building the site imports neither TensorFlow nor larq.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "larq_ber"
API = "api"
# The title of the navigation entry that this hook fills (mkdocs.yml holds a
# placeholder with this title).
NAV_TITLE = "API reference"
# The two layers, each a section of the navigation.
ROOTS = ("larq_ber", "larq_ber.study")


def _modules() -> list[str]:
    """The dotted names of the public modules and packages of larq_ber, sorted."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts):
            continue
        names.append(".".join(parts))
    # A module and a package of the same name (mid-move) are one page.
    return sorted(
        set(names), key=lambda name: (name.startswith("larq_ber.study"), name)
    )


def _path(module: str) -> Path:
    """The source file of a module or package."""
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _summary(module: str) -> str:
    """The first line of a module's docstring (read without importing it)."""
    tree = ast.parse(_path(module).read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _defined_names(module: str) -> list[str]:
    """The public names a package's `__init__` defines itself (not imports)."""
    tree = ast.parse(_path(module).read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_")]


def _page(module: str, modules: list[str]) -> str:
    """The Markdown of one module's page.

    A package's page shows its docstring, what its `__init__` defines itself, and a
    table of its modules; the names it re-exports are documented on the pages of
    the modules that define them, once.
    """
    if not _path(module).name == "__init__.py":
        return f"# `{module}`\n\n::: {module}\n"
    defined = _defined_names(module)
    members = "[" + ", ".join(defined) + "]" if defined else "false"
    lines = [
        f"# `{module}`",
        "",
        f"::: {module}",
        "    options:",
        f"      members: {members}",
        "",
    ]
    children = [m for m in modules if m.rpartition(".")[0] == module]
    if children:
        lines += ["## Modules", "", "| module | what it is |", "|---|---|"]
        for child in children:
            summary = _summary(child).replace("|", "\\|")
            lines.append(f"| [`{child}`]({child}.md) | {summary} |")
    return "\n".join(lines) + "\n"


def _index(modules: list[str]) -> str:
    """The overview page: every module with the first line of its docstring."""
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings (Google style). Two layers: the Keras/Larq",
        "plugin `larq_ber`, which never imports the study app, and the paper's",
        "experiment app `larq_ber.study`, built on the plugin. See",
        "[Development](../development.md) for the layout and its rules.",
        "",
    ]
    for title, study in (("The plugin: `larq_ber`", False), ("The study app", True)):
        lines += [f"## {title}", "", "| module | what it is |", "|---|---|"]
        for module in modules:
            if module.startswith("larq_ber.study") == study:
                summary = _summary(module).replace("|", "\\|")
                lines.append(f"| [`{module}`]({module}.md) | {summary} |")
        lines.append("")
    return "\n".join(lines)


def _tree(parent: str, modules: list[str]) -> list[Any]:
    """The navigation below `parent`: a section per package, a page per module."""
    entries: list[Any] = []
    for module in modules:
        if module.rpartition(".")[0] != parent or module == "larq_ber.study":
            continue
        below = _tree(module, modules)
        page = f"{API}/{module}.md"
        # Inside a package's section a module is named by its last part.
        title = module if parent in ROOTS else module.rpartition(".")[2]
        entries.append({title: [{module: page}, *below]} if below else {title: page})
    return entries


def _nav(modules: list[str]) -> list[Any]:
    """The navigation entries: the overview, then one section per layer."""
    nav: list[Any] = [{"Overview": f"{API}/index.md"}]
    for title, root in (("Plugin", "larq_ber"), ("Study app", "larq_ber.study")):
        if root in modules:
            nav.append({title: [{root: f"{API}/{root}.md"}, *_tree(root, modules)]})
    return nav


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Fills the API reference entry of the navigation with the current modules."""
    for entry in config.nav or []:
        if isinstance(entry, dict) and NAV_TITLE in entry:
            entry[NAV_TITLE] = _nav(_modules())
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Adds the generated API pages to the site's files."""
    modules = _modules()
    files.append(File.generated(config, f"{API}/index.md", content=_index(modules)))
    for module in modules:
        page = _page(module, modules)
        files.append(File.generated(config, f"{API}/{module}.md", content=page))
    return files
