"""A Griffe extension: `Example:` sections render as code, like `Examples:`.

The package's docstrings follow the Google style with an `Example:` section of
doctests. Griffe's Google parser knows only the plural as the examples section and
renders the singular as an admonition of plain Markdown, which would show the
doctests as running text; this extension renames the heading before parsing.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Renames each `Example:` section heading to `Examples:`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrites the docstring of every object as it is loaded.

        Args:
            obj: The object Griffe has just created.
            **kwargs: The other arguments of the event.
        """
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
