"""The computational graph behind a tensor: as DOT text, a graphviz drawing or a matplotlib one.

Each node is an op together with the value it produced (``p = add``), or a leaf (an
input or a parameter); edges run in the direction data flows, from inputs to the op
that consumed them. With ``show_data`` a node shows its forward value and with
``show_grad`` the gradient of the drawn tensor with respect to it, for intermediate
nodes too: those are computed by a backward pass that captures them instead of
touching any ``.grad`` (``tensorgrad.autograd.run_backward`` with ``inputs=``). The
graph must therefore still be there: draw it before ``backward()``, or after
``backward(retain_graph=True)``.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import Node, run_backward
from ..tensor import Tensor
from ._figures import INSTALL_HINT

__all__ = ["draw_graph", "to_dot"]

MAX_NODES = 60
MAX_ELEMENTS = 4
_RECOMPUTE_DEPTH = 32  # how far back a value that nobody kept is recomputed

# Fill colours: leaves blue, ops yellow, the drawn tensor red, the "more nodes" box grey.
FILL = {"leaf": "#dbe9f6", "op": "#fff2cc", "root": "#f8d7d3", "more": "#eeeeee"}
# Text colours by line kind: forward values green and gradients red, as in the
# classic circuit diagrams of backpropagation.
INK = {"title": "#000000", "info": "#555555", "data": "#1b7a1b", "grad": "#b22222"}


@dataclass
class Box:
    """One box of the drawing: its kind (``leaf``, ``op``, ``root`` or ``more``) and lines."""

    kind: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (line kind, text)


@dataclass
class Graph:
    """The part of a graph that is shown: nodes in data-flow order, edges as index pairs."""

    nodes: list[Box]
    edges: list[tuple[int, int]]
    total: int  # nodes in the whole graph, shown or not
    notes: list[str] = field(default_factory=list)  # what the drawing leaves out, and why

    @property
    def caption(self) -> str:
        """The drawing's label: one line per note, lines separated by newlines."""
        shown = sum(node.kind != "more" for node in self.nodes)
        lines = list(self.notes)
        if shown != self.total:
            lines.append(f"showing the {shown} nodes nearest the output, of {self.total}")
        return "\n".join(lines)


def trace(
    tensor: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int = MAX_NODES,
    max_elements: int = MAX_ELEMENTS,
    names: Mapping[str, Tensor] | None = None,
    caller: str = "to_dot",
) -> Graph:
    """Walk the graph behind ``tensor`` (iteratively) and label the nodes nearest to it.

    ``caller`` is the public function that asked, named in every error.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"{caller}: expected a Tensor (the output whose graph to draw), got "
            f"{type(tensor).__name__}; make the inputs with tg.tensor(..., requires_grad=True) "
            "and pass the result computed from them"
        )
    if max_nodes < 1:
        raise ValueError(f"{caller}: max_nodes must be at least 1, got {max_nodes}")
    labels = _labels(names, caller)
    root = tensor._node or tensor
    # Breadth first from the output, so that a capped drawing keeps what is nearest to it.
    order: list[Any] = [root]
    seen = {id(root)}
    edges: list[tuple[int, int]] = []  # (id of input, id of consumer), one per operand
    first_use: dict[int, int] = {}  # a leaf's first consumer, by creation number
    for obj in order:  # the list grows while it is walked
        if not isinstance(obj, Node):
            continue
        if obj.parents is None:
            raise RuntimeError(
                f"{caller}: the graph was freed by backward() (at the {obj.name} node), so "
                "its values and gradients are gone. Draw the graph before calling backward(), "
                "or call backward(retain_graph=True)."
            )
        for parent in obj.parents:
            if parent is None:  # a constant operand: not part of the graph
                continue
            edges.append((id(parent), id(obj)))
            if not isinstance(parent, Node):
                first_use[id(parent)] = min(first_use.get(id(parent), obj._seq), obj._seq)
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
    # Drawn in data-flow (topological) order: ops by creation number, since a consumer
    # is always created after its inputs, and each leaf just before its first consumer.
    shown = sorted(
        order[:max_nodes],
        key=lambda obj: (
            (obj._seq, 1) if isinstance(obj, Node) else (first_use.get(id(obj), 0), 0)
        ),
    )
    values = _Values(tensor, order) if show_data else None
    notes: list[str] = []
    grads = _gradients(tensor, shown, notes) if show_grad else {}
    nodes = [
        _label(obj, obj is root, labels.get(id(obj)), values, grads, max_elements) for obj in shown
    ]
    cut = len(order) > max_nodes
    if cut:  # one box stands for everything left out, feeding the nodes it would feed
        nodes.insert(0, Box("more", [("title", f"... {len(order) - len(shown)} more nodes")]))
    index = {id(obj): i + bool(cut) for i, obj in enumerate(shown)}
    pairs = [(index[a], index[b]) for a, b in edges if a in index and b in index]
    pairs += sorted({(0, index[b]) for a, b in edges if a not in index and b in index})
    return Graph(nodes, sorted(pairs), len(order), notes)


def _labels(names: Mapping[str, Tensor] | None, caller: str) -> dict[int, str]:
    """The name of each named node, by its id; only tensors can be named."""
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(
            f"{caller}: names must be a mapping of names to tensors, e.g. {{'x': x}} or "
            f"dict(model.named_parameters()), got {type(names).__name__}"
        )
    labels = {}
    for name, t in names.items():
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{caller}: names[{name!r}] is a {type(t).__name__}, not a Tensor; name the "
                "tensors of the graph themselves (a NumPy array is not part of any graph)"
            )
        labels[id(t._node or t)] = str(name)
    return labels


class _Values:
    """Forward values of the nodes, from wherever the graph kept them.

    A node's value is known when it saved its output, when a consumer saved its inputs,
    or for the drawn tensor and the leaves; otherwise it is recomputed, when the op's
    forward takes exactly its operands, from the inputs it saved (as the forward saw
    them) or else from those of its inputs whose values are known.
    """

    def __init__(self, tensor: Tensor, order: list[Any]) -> None:
        self.known: dict[int, np.ndarray] = {id(tensor._node or tensor): tensor._data}
        for obj in order:
            if not isinstance(obj, Node):
                self.known[id(obj)] = obj._data
                continue
            if obj.op.save_output and obj.out is not None:
                self.known.setdefault(id(obj), obj.out)
            if obj.op.save_inputs and obj.inputs is not None:
                assert obj.parents is not None  # trace refuses a freed graph
                for parent, array in zip(obj.parents, obj.inputs):
                    if isinstance(parent, Node):
                        self.known.setdefault(id(parent), np.asarray(array))

    def get(self, node: Node, depth: int = 0) -> np.ndarray | None:
        value = self.known.get(id(node))
        if value is not None or depth > _RECOMPUTE_DEPTH or not _takes_operands_only(node):
            return value
        if node.op.save_inputs and node.inputs is not None:  # as the forward saw them, even
            return self._recompute(node, list(node.inputs))  # if a leaf was edited since
        assert node.parents is not None  # trace refuses a freed graph
        operands = []
        for parent in node.parents:
            if parent is None:
                operand = None
            elif isinstance(parent, Node):
                operand = self.get(parent, depth + 1)
            else:
                operand = parent._data
            if operand is None:
                return None
            operands.append(operand)
        return self._recompute(node, operands)

    def _recompute(self, node: Node, operands: list[Any]) -> np.ndarray:
        with np.errstate(all="ignore"):  # the forward already warned once, if at all
            scratch = Node()  # forward may keep constants on its ctx: not on this node
            scratch.spec = node.spec
            forward: Callable[..., Any] = node.op.forward  # called with a Node as ctx
            value = np.asarray(forward(scratch, *operands))
        self.known[id(node)] = value
        return value


def _takes_operands_only(node: Node) -> bool:
    """Whether ``forward`` takes exactly the node's operands, so it can be run again."""
    try:
        parameters = list(inspect.signature(node.op.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return False
    assert node.parents is not None  # trace refuses a freed graph
    return len(parameters) == len(node.parents) and all(
        p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters
    )


def _gradients(tensor: Tensor, shown: list[Any], notes: list[str]) -> dict[int, np.ndarray]:
    """d tensor / d node for every shown node (the sum of ``tensor`` if it is not a scalar),
    captured by a backward pass that keeps the graph and leaves every ``.grad`` alone.

    When the engine refuses that backward (a saved tensor was edited in place since the
    forward), there are no gradients to show: ``notes`` gets the reason and the drawing
    goes on without them, since it is the way to see what happened.
    """
    if not tensor.requires_grad:
        return {}
    inputs = [
        Tensor._from_node(np.empty(0), obj) if isinstance(obj, Node) else obj for obj in shown
    ]
    seed = np.ones_like(tensor._data)
    try:
        grads = run_backward([tensor], [seed], retain_graph=True, inputs=inputs)
    except RuntimeError as error:
        reason = str(error).split(", so ")[0].split(". ")[0].rstrip(".")
        notes.append(f"gradients not shown: {reason}")
        return {}
    assert grads is not None
    return {id(obj): g for obj, g in zip(shown, grads) if g is not None}


def _label(
    obj: Any,
    is_root: bool,
    name: str | None,
    values: _Values | None,
    grads: dict[int, np.ndarray],
    max_elements: int,
) -> Box:
    if isinstance(obj, Node):
        kind, op, shape, dtype = "op", obj.name, obj.shape, obj.dtype
        title = f"{name} = {op}" if name else op
    else:
        kind, shape, dtype = "leaf", obj.shape, obj.dtype
        title = name or type(obj).__name__.lower().replace("tensor", "leaf")
        if not obj.requires_grad:
            title += " (no grad)"
    described = "scalar" if shape == () else f"shape {shape}"
    if dtype != np.float64:
        described += f" {dtype}"
    lines = [("title", title), ("info", described)]
    if values is not None:
        value = values.get(obj) if isinstance(obj, Node) else obj._data
        shown = "not kept" if value is None else _format(value, max_elements)
        lines.append(("data", "data " + shown))
        if isinstance(obj, Node):
            lines += [("info", text) for text in _constants(obj, max_elements)]
    grad = grads.get(id(obj))
    if grad is not None:
        lines.append(("grad", "grad " + _format(grad, max_elements)))
        stored = None if isinstance(obj, Node) else obj.grad
        if stored is not None and not np.allclose(stored, grad, equal_nan=True):
            lines.append(("grad", ".grad " + _format(stored, max_elements) + " (accumulated)"))
    return Box("root" if is_root else kind, lines)


# Parameters of an op's forward that say how to apply it rather than what it is applied
# to; passed positionally they look like constant operands, but their effect is in the
# box's shape already.
_SETTINGS = frozenset({"axis", "axes", "keepdims", "shape", "index", "dtype", "pad_width"})
_CONSTANT = np.ndarray | int | float | np.generic


def _constants(node: Node, max_elements: int) -> list[str]:
    """A line for each constant operand of ``node`` (one that is not in the graph).

    Its value when the node kept it, for backward (``save_inputs``) or on ``ctx``
    under the name of the forward's parameter (``where`` keeps ``cond``); a node of an
    op that needs no input for its backward (``x + 1.0``) keeps nothing, which the box
    says rather than leave the operand out silently.
    """
    names = _operand_names(node)
    kept = node.inputs if node.op.save_inputs and node.inputs is not None else None
    assert node.parents is not None  # trace refuses a freed graph
    lines, missing = [], 0
    for i, parent in enumerate(node.parents):
        name = names[i] if i < len(names) else ""
        if parent is not None or name in _SETTINGS:
            continue
        if kept is not None:
            value = kept[i]
        elif name and name in node.spec.constants:
            value = getattr(node, name, None)
        else:
            missing += 1
            continue
        if isinstance(value, _CONSTANT):
            lines.append("const " + _format(np.asarray(value), max_elements))
    if missing:
        lines.append("constant not kept" if missing == 1 else f"{missing} constants not kept")
    return lines


def _operand_names(node: Node) -> list[str]:
    """The names of the forward's positional parameters, up to any ``*arrays``."""
    try:
        parameters = list(inspect.signature(node.op.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    names = []
    for parameter in parameters:
        if parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            break
        names.append(parameter.name)
    return names


def _format(array: np.ndarray, max_elements: int) -> str:
    """A value small enough to read in full (4 significant digits), or else its norm."""
    array = np.asarray(array)
    if array.size > max_elements:
        return f"norm {np.linalg.norm(array.astype(np.float64, copy=False).ravel()):.4g}"
    if array.ndim == 0:
        return f"{array.item():.4g}" if array.dtype.kind in "fc" else str(array.item())
    return "[" + ", ".join(_format(part, max_elements) for part in array) + "]"


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


def to_dot(
    tensor: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int = MAX_NODES,
    max_elements: int = MAX_ELEMENTS,
    names: Mapping[str, Tensor] | None = None,
) -> str:
    """The graph that produced ``tensor`` as Graphviz DOT text (needs no extra package).

    One box per op (with the value it produced) and per leaf, edges from inputs to
    the op that consumed them (left to right). Each box shows the op (or ``name = op``
    for tensors given in ``names``), the shape, and with ``show_data`` the forward
    value, with ``show_grad`` ``d tensor / d node`` (of ``tensor.sum()`` if it is not a
    scalar); values with more than ``max_elements`` elements are shown by their norm.
    A value no op kept for backward and that cannot be recomputed shows as "not
    kept". An operand that is not part of the graph (the ``2`` of ``x * 2``) shows as
    ``const 2`` when the op kept it, and as "constant not kept" when the op needs no
    input for its backward and so kept nothing (``x + 1.0``). Only the ``max_nodes``
    nodes nearest to ``tensor`` are drawn; one dashed box stands for the rest, and the
    graph's label says so. When a tensor the graph saved was edited in place since, the
    engine refuses the backward that finds the gradients: the drawing then has none,
    and its label says why. Render the text with ``dot -Tpng`` or any Graphviz viewer.

    Parameters
    ----------
    tensor : Tensor
        The output whose graph is drawn. Call this before ``backward()``, or after
        ``backward(retain_graph=True)``: a freed graph is a ``RuntimeError``.
    show_data, show_grad : bool
        Whether boxes show forward values and gradients.
    max_nodes : int
        The most nodes drawn (default 60).
    max_elements : int
        Values up to this many elements are written out (default 4).
    names : mapping of str to Tensor, optional
        Names for tensors in the graph, leaves or intermediate results, e.g.
        ``{"x": x, "p": p}`` or ``dict(model.named_parameters())``; anything but a
        tensor there is a ``TypeError``.

    Returns
    -------
    str
        The DOT source of a ``digraph``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor(2.0, requires_grad=True)
    >>> y = x * x
    >>> dot = tg.viz.to_dot(y, names={"x": x, "y": y})
    >>> dot.count("->"), "y = mul" in dot, "grad 4" in dot
    (2, True, True)
    """
    graph = trace(tensor, show_data, show_grad, max_nodes, max_elements, names, "to_dot")
    lines = ["digraph tensorgrad {"]
    caption = _dot_string(graph.caption)
    graph_attrs = dict(_GRAPH_ATTRS, label=caption) if caption else _GRAPH_ATTRS
    lines.append(f"  graph [{_dot_attrs(graph_attrs)}];")
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


def _to_digraph(graph: Graph) -> Any:
    import graphviz

    caption = _dot_string(graph.caption)  # graphviz keeps quotes that are escaped already
    digraph = graphviz.Digraph(
        "tensorgrad",
        graph_attr=dict(_GRAPH_ATTRS, label=caption) if caption else _GRAPH_ATTRS,
        node_attr=_DEFAULT_NODE,
        edge_attr=_DEFAULT_EDGE,
    )
    for i, node in enumerate(graph.nodes):
        digraph.node(f"n{i}", **_node_attrs(node))
    for a, b in graph.edges:
        digraph.edge(f"n{a}", f"n{b}")
    return digraph


def draw_graph(
    tensor: Tensor,
    path: str | Path | None = None,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int = MAX_NODES,
    max_elements: int = MAX_ELEMENTS,
    names: Mapping[str, Tensor] | None = None,
    backend: str = "auto",
    title: str | None = None,
) -> Any:
    """Draw the graph that produced ``tensor``: values flowing forward, gradients flowing back.

    The boxes and their labels are those of :func:`to_dot` (op, shape, forward value in
    green, gradient ``d tensor / d node`` in red). With ``backend="auto"`` the drawing
    is a ``graphviz.Digraph`` when the ``graphviz`` package and Graphviz's ``dot``
    program are installed (it renders itself in notebooks; ``.render()`` writes
    SVG/PNG), otherwise a matplotlib figure with the same boxes in layers, so it works
    everywhere; ``backend="graphviz"`` or ``"matplotlib"`` chooses.

    Parameters
    ----------
    tensor : Tensor
        The output whose graph is drawn. Call this before ``backward()``, or after
        ``backward(retain_graph=True)``: a freed graph is a ``RuntimeError``.
    path : str or Path, optional
        Where to save the picture; the suffix (``.png``, ``.svg``, ``.pdf``) gives the
        format. The only other positional parameter: the options below are keywords.
    show_data, show_grad, max_nodes, max_elements, names
        As for :func:`to_dot`.
    backend : {"auto", "graphviz", "matplotlib"}
        Which drawing to make.
    title : str, optional
        A title above the matplotlib drawing.

    Returns
    -------
    graphviz.Digraph or matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tempfile, pathlib, tensorgrad as tg
    >>> x = tg.tensor(1.0, requires_grad=True)
    >>> f = (x + 3.0) * x
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.png"
    >>> fig = tg.viz.draw_graph(f, path, names={"x": x, "f": f}, backend="matplotlib")
    >>> path.stat().st_size > 0
    True
    """
    if backend not in ("auto", "graphviz", "matplotlib"):
        raise ValueError(
            f"draw_graph: unknown backend {backend!r}; use 'auto', 'graphviz' or 'matplotlib'"
        )
    graph = trace(tensor, show_data, show_grad, max_nodes, max_elements, names, "draw_graph")
    if backend == "graphviz" or (backend == "auto" and graphviz_available()):
        if not graphviz_available():
            raise ImportError(
                "draw_graph: backend='graphviz' needs the graphviz Python package "
                f"(`{INSTALL_HINT}`) and Graphviz's dot program (e.g. `apt-get install "
                "graphviz`); backend='matplotlib' needs neither"
            )
        digraph = _to_digraph(graph)
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix.lower() == ".png":
                digraph.attr(dpi="150")  # Graphviz's default of 96 is blurry
            digraph.render(outfile=path, cleanup=True)
        return digraph
    from ._layered import draw_layered

    return draw_layered(graph, path, title)
