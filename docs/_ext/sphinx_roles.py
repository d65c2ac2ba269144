"""A griffe extension for the API reference: Sphinx roles in docstrings become inline code.

A few docstrings cross-reference with Sphinx roles (``:class:`Optimizer```,
``:func:`~tensorgrad.tensor.Tensor```). Markdown has no such roles and would print them
as written, so before mkdocstrings renders a docstring this turns each role into the
inline code a reader expects: the name alone, without the leading ``~`` or module path
when the role asked for the short form.

>>> rewrite_roles("see :class:`~tensorgrad.tensor.Tensor` and :func:`tg.save`")
'see `Tensor` and `tg.save`'
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`(~?)([^`]+)`")


def rewrite_roles(text: str) -> str:
    """Replace every Sphinx role in ``text`` with inline code of the name it refers to."""

    def code(match: re.Match[str]) -> str:
        short, name = match.groups()
        return f"`{name.rsplit('.', 1)[-1] if short else name}`"

    return ROLE.sub(code, text)


try:
    import griffe
except ImportError:  # the docs extra is not installed: only rewrite_roles is usable
    griffe = None

if griffe is not None:

    class SphinxRoles(griffe.Extension):
        """Rewrite the roles of every docstring griffe loads (see :func:`rewrite_roles`)."""

        def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
            if obj.docstring is not None:
                obj.docstring.value = rewrite_roles(obj.docstring.value)
