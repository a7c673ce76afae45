"""Every Python block of the README and of `docs/` runs as printed."""

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
    assert sum(name.startswith("README.md") for name, _ in BLOCKS) >= 6


@pytest.mark.parametrize(("name", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_python_block_runs_as_printed(name, code, tmp_path, monkeypatch, capsys):
    """Runs the block alone, in an empty folder, as a reader would paste it."""
    import matplotlib.pyplot as plt
    import tensorflow as tf

    monkeypatch.chdir(tmp_path)
    tf.keras.backend.clear_session()
    try:
        exec(compile(code, name, "exec"), {"__name__": "__main__"})
    finally:
        plt.close("all")
    printed = capsys.readouterr().out
    for call in re.findall(r"^\s*print\(", code, re.MULTILINE):
        assert printed.strip(), f"{name} prints nothing ({call})"


def test_readme_quickstart_numbers_are_those_make_readme_numbers_wrote():
    """The README quotes docs/readme_numbers.md, not numbers typed by hand."""
    import re

    readme = " ".join((ROOT / "README.md").read_text().split())
    recorded = (ROOT / "docs" / "readme_numbers.md").read_text()
    quoted = re.search(
        r"⟨Top1Max⟩ = (\d+\.\d\d) ± (\d+\.\d\d) % at BER 0, (\d+\.\d\d) ± (\d+\.\d\d) %"
        r" at 4 % and (\d+\.\d\d) ± (\d+\.\d\d) % at 16 %",
        readme,
    )
    assert quoted, "the README's quickstart sentence changed; update this test"
    values = quoted.groups()
    for k, ber in enumerate(("0", "4", "16")):
        mean, std = values[2 * k], values[2 * k + 1]
        assert f"| {ber} % | 3 | {mean} | {std} |" in recorded, (ber, mean, std)
    seconds = re.search(r"the sweep took (\d+) s", readme).group(1)
    assert f"{seconds} s wall" in recorded
