"""The README and the documentation site's pages: every Python block runs as printed,
every relative link and included snippet resolves, and the README stays a landing page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        for k, match in enumerate(BLOCK.finditer(text), 1):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{document.relative_to(ROOT)}:{line}#{k}", match.group(1)))
    return found


BLOCKS = _blocks()


def test_the_readme_has_python_blocks_to_check():
    # The landing page's quantizer snippet; the user guide has the others.
    assert sum(name.startswith("README.md") for name, _ in BLOCKS) >= 1
    assert sum(name.startswith("docs/user-guide/") for name, _ in BLOCKS) >= 5


@pytest.mark.parametrize(("name", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_python_block_runs_as_printed(name, code, tmp_path, monkeypatch, capsys):
    """Runs the block alone, in an empty folder, as a reader would paste it."""
    import matplotlib.pyplot as plt
    import tensorflow as tf

    monkeypatch.chdir(tmp_path)
    tf.keras.backend.clear_session()
    # A block may change grappler's process-wide options (models.md turns the
    # remapper off): the tests after it run with the options they had.
    options = tf.config.optimizer.get_experimental_options()
    try:
        exec(compile(code, name, "exec"), {"__name__": "__main__"})
    finally:
        plt.close("all")
        changed = tf.config.optimizer.get_experimental_options()
        if changed != options:
            tf.config.optimizer.set_experimental_options(
                {key: options.get(key) for key in changed} | options
            )
    printed = capsys.readouterr().out
    for call in re.findall(r"^\s*print\(", code, re.MULTILINE):
        assert printed.strip(), f"{name} prints nothing ({call})"


def test_quickstart_numbers_are_those_make_readme_numbers_wrote():
    """Getting started quotes docs/readme_numbers.md, not numbers typed by hand."""
    page = " ".join((ROOT / "docs" / "getting-started.md").read_text().split())
    recorded = (ROOT / "docs" / "readme_numbers.md").read_text()
    quoted = re.search(
        r"⟨Top1Max⟩ = (\d+\.\d\d) ± (\d+\.\d\d) % at BER 0, (\d+\.\d\d) ± (\d+\.\d\d) %"
        r" at 4 % and (\d+\.\d\d) ± (\d+\.\d\d) % at 16 %",
        page,
    )
    assert quoted, (
        "the quickstart sentence of getting-started.md changed; update this test"
    )
    values = quoted.groups()
    for k, ber in enumerate(("0", "4", "16")):
        mean, std = values[2 * k], values[2 * k + 1]
        assert f"| {ber} % | 3 | {mean} | {std} |" in recorded, (ber, mean, std)
    seconds = re.search(r"the sweep took (\d+) s", page).group(1)
    assert f"{seconds} s wall" in recorded


def test_the_readme_is_a_landing_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    first_screen = "\n".join(readme.splitlines()[:60])
    for needed in (
        "make test",
        "make demo",
        ". .venv/bin/activate",
        "PYTHON=python3.12",
    ):
        assert needed in first_screen, needed
    assert "bit error rate* (BER)" in first_screen and "⟨Top1Max⟩:" in first_screen


FENCE = re.compile(r"^```.*?^```$", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# The API reference pages are generated at build time (docs/hooks.py), one per module.
API = ROOT / "docs" / "api"


#: The README links into the repository by absolute URLs, so that they also work
#: on a package index's page; they are checked as the local files they name.
REPOSITORY = (
    "https://github.com/larq-ber/larq-ber/blob/main/",
    "https://raw.githubusercontent.com/larq-ber/larq-ber/main/",
)


def _links(document: Path) -> list[str]:
    text = FENCE.sub("", document.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans
    links = []
    for target in LINK.findall(text):
        for prefix in REPOSITORY:
            if target.startswith(prefix):
                target = str(ROOT.joinpath(target.removeprefix(prefix)))
        if "://" not in target:
            links.append(target)
    return links


def _exists(document: Path, target: str) -> bool:
    path = target.split("#")[0]
    if not path:
        return True  # an anchor on the same page (mkdocs --strict checks anchors)
    resolved = (document.parent / path).resolve()
    if resolved.parent == API.resolve():
        if resolved.name == "index.md":
            return True
        module = ROOT.joinpath(*resolved.name.removesuffix(".md").split("."))
        return module.is_dir() or module.with_suffix(".py").is_file()
    return resolved.exists()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file(document):
    broken = [target for target in _links(document) if not _exists(document, target)]
    assert not broken, f"{document.relative_to(ROOT)}: {broken}"


def test_the_readme_links_work_on_a_package_index_page():
    """PyPI shows the README without the repository: no relative link or image."""
    text = FENCE.sub("", (ROOT / "README.md").read_text())
    relative = [t for t in LINK.findall(text) if "://" not in t and t[:1] != "#"]
    assert relative == []


def test_the_link_check_sees_links():
    assert str(ROOT / "docs/getting-started.md") in _links(ROOT / "README.md")
    assert not _exists(ROOT / "README.md", "docs/no-such-page.md")
    assert not _exists(ROOT / "docs" / "index.md", "api/larq_ber.no_such_module.md")


SNIPPET = re.compile(r'^--8<-- "([^":]+)(?::([\w-]+))?"$', re.MULTILINE)


def test_every_included_snippet_exists():
    """`--8<-- "FILE:SECTION"` lines (pymdownx.snippets) name a file and its section."""
    found = 0
    for document in DOCUMENTS:
        for path, section in SNIPPET.findall(document.read_text()):
            found += 1
            text = (ROOT / path).read_text()
            if section:
                for end in ("start", "end"):
                    assert f"--8<-- [{end}:{section}]" in text, (
                        document.name,
                        path,
                        section,
                    )
    assert found >= 3


def test_no_pasted_command_has_literal_option_brackets():
    """A shell block runs when pasted: no `[--option]` placeholders in it."""
    shell = re.compile(r"^```(?:bash|sh|console)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
    for document in DOCUMENTS:
        for block in shell.findall(document.read_text()):
            assert not re.search(r"\[--?\w", block), (document.name, block)


def _resolves(dotted: str) -> bool:
    """Whether `larq_ber.a.b.c` is a module or an attribute of one."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_every_quoted_larq_ber_name_exists():
    """`larq_ber.x.y` in the README and the pages names a module or attribute."""
    quoted = set()
    for document in DOCUMENTS:
        quoted |= set(re.findall(r"\blarq_ber(?:\.\w+)+", document.read_text()))
    assert len(quoted) >= 20
    missing = sorted(name for name in quoted if not _resolves(name))
    assert not missing, missing
