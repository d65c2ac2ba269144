"""The Graphviz renderers of a traced graph: DOT text (needs no extra package) and a
``graphviz.Digraph`` (needs the ``graphviz`` package and Graphviz's ``dot`` program).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from ._graph_model import FILL, INK, Box, Graph


def _html(node: Box) -> str:
    parts = []
    for kind, text in node.lines:
        text = html.escape(text)
        if kind == "title":
            parts.append(f"<B>{text}</B>")
        else:
            parts.append(f'<FONT COLOR="{INK[kind]}" POINT-SIZE="9">{text}</FONT>')
    return "<" + "<BR/>".join(parts) + ">"


def _node_attrs(node: Box) -> dict[str, str]:
    attrs = {"label": _html(node), "fillcolor": FILL[node.kind]}
    if node.kind == "leaf":
        attrs["shape"] = "box"
        attrs["style"] = "filled"
    elif node.kind == "more":
        attrs["style"] = "rounded,filled,dashed"
    elif node.kind == "root":
        attrs["penwidth"] = "2"
    return attrs


_GRAPH_ATTRS = {"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11", "labelloc": "t"}
_DEFAULT_NODE = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                 "fontsize": "10", "margin": "0.12,0.06"}  # fmt: skip
_DEFAULT_EDGE = {"color": "#555555", "arrowsize": "0.7"}


def _graph_attrs(graph: Graph) -> dict[str, str]:
    # Escaped for DOT text; the graphviz package keeps quotes that are escaped already.
    caption = _dot_string(graph.caption)
    return dict(_GRAPH_ATTRS, label=caption) if caption else _GRAPH_ATTRS


def _dot_string(text: str) -> str:
    """``text`` inside a quoted DOT string: quotes and backslashes escaped, and each
    newline as Graphviz's ``\\n`` (a centred line break)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "\\n".join(escaped.split("\n"))


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(
        f"{key}={value}" if value.startswith("<") else f'{key}="{value}"'
        for key, value in attrs.items()
    )


def dot_source(graph: Graph) -> str:
    """``graph`` as the DOT text of a ``digraph``: a node per box, left to right.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad.viz._graph_model import trace
    >>> x = tg.tensor(2.0, requires_grad=True)
    >>> dot = dot_source(trace(x * x, show_grad=False))
    >>> dot.startswith("digraph tensorgrad {"), dot.count("->")
    (True, 2)
    """
    lines = ["digraph tensorgrad {"]
    lines.append(f"  graph [{_dot_attrs(_graph_attrs(graph))}];")
    lines.append(f"  node [{_dot_attrs(_DEFAULT_NODE)}];")
    lines.append(f"  edge [{_dot_attrs(_DEFAULT_EDGE)}];")
    for i, node in enumerate(graph.nodes):
        lines.append(f"  n{i} [{_dot_attrs(_node_attrs(node))}];")
    for a, b in graph.edges:
        lines.append(f"  n{a} -> n{b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphviz_available() -> bool:
    """Whether the ``graphviz`` Python package and Graphviz's ``dot`` program are both present."""
    try:
        import graphviz
    except ImportError:
        return False
    try:
        graphviz.version()
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError):
        return False
    return True


def to_digraph(graph: Graph) -> Any:
    """``graph`` as a ``graphviz.Digraph``, with the nodes and attributes of
    :func:`dot_source`; the caller checks :func:`graphviz_available` first."""
    import graphviz

    digraph = graphviz.Digraph(
        "tensorgrad",
        graph_attr=_graph_attrs(graph),
        node_attr=_DEFAULT_NODE,
        edge_attr=_DEFAULT_EDGE,
    )
    for i, node in enumerate(graph.nodes):
        digraph.node(f"n{i}", **_node_attrs(node))
    for a, b in graph.edges:
        digraph.edge(f"n{a}", f"n{b}")
    return digraph
