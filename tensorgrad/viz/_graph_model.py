"""A tensor's graph as the boxes and edges every drawing shows: :func:`trace` makes a
:class:`Graph`, which the renderers beside this module draw (``_dot``: DOT text and
graphviz; ``_layered``: matplotlib).

Each box is an op together with the value it produced (``p = add``), or a leaf (an
input or a parameter); edges run in the direction data flows, from inputs to the op
that consumed them. Nodes are read through :class:`~tensorgrad.autograd.Node`'s read
API (parents, creation number, saved values, ``recompute``), never its private fields.
Gradients of intermediate nodes come from a backward pass that captures them instead
of touching any ``.grad`` (``run_backward`` with ``inputs=``), so the graph must still
be there: drawn before ``backward()``, or after ``backward(retain_graph=True)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import Node, run_backward
from ..tensor import Tensor

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

    ``caller`` is the public function that asked, named in every error; the other
    parameters are those of :func:`tensorgrad.viz.to_dot`.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor(2.0, requires_grad=True)
    >>> graph = trace(x * x, names={"x": x})
    >>> [box.kind for box in graph.nodes], graph.edges
    (['leaf', 'root'], [(0, 1), (0, 1)])
    >>> graph.nodes[1].lines
    [('title', 'mul'), ('info', 'scalar'), ('data', 'data 4'), ('grad', 'grad 1')]
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
    root = tensor.grad_fn or tensor
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
                made = obj.creation_number
                first_use[id(parent)] = min(first_use.get(id(parent), made), made)
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
    # Drawn in data-flow (topological) order: ops by creation number, since a consumer
    # is always created after its inputs, and each leaf just before its first consumer.
    shown = sorted(
        order[:max_nodes],
        key=lambda obj: (
            (obj.creation_number, 1) if isinstance(obj, Node) else (first_use.get(id(obj), 0), 0)
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
        labels[id(t.grad_fn or t)] = str(name)
    return labels


class _Values:
    """Forward values of the nodes, from wherever the graph kept them.

    A node's value is known when it saved its output, when a consumer saved its inputs,
    or for the drawn tensor and the leaves; otherwise it is recomputed, when the op's
    forward takes exactly its operands, from the inputs it saved (as the forward saw
    them) or else from those of its inputs whose values are known.
    """

    def __init__(self, tensor: Tensor, order: list[Any]) -> None:
        self.known: dict[int, np.ndarray] = {id(tensor.grad_fn or tensor): tensor.data}
        for obj in order:
            if not isinstance(obj, Node):
                self.known[id(obj)] = obj.data
                continue
            output, inputs = obj.saved_output, obj.saved_inputs
            if output is not None:
                self.known.setdefault(id(obj), output)
            if inputs is not None:
                assert obj.parents is not None  # trace refuses a freed graph
                for parent, array in zip(obj.parents, inputs):
                    if isinstance(parent, Node):
                        self.known.setdefault(id(parent), np.asarray(array))

    def get(self, node: Node, depth: int = 0) -> np.ndarray | None:
        value = self.known.get(id(node))
        if value is not None or depth > _RECOMPUTE_DEPTH or not node.can_recompute:
            return value
        inputs = node.saved_inputs
        if inputs is not None:  # as the forward saw them, even if a leaf was edited since
            return self._recompute(node, inputs)
        assert node.parents is not None  # trace refuses a freed graph
        operands = []
        for parent in node.parents:
            if parent is None:
                operand = None
            elif isinstance(parent, Node):
                operand = self.get(parent, depth + 1)
            else:
                operand = parent.data
            if operand is None:
                return None
            operands.append(operand)
        return self._recompute(node, operands)

    def _recompute(self, node: Node, operands: Sequence[Any]) -> np.ndarray:
        with np.errstate(all="ignore"):  # the forward already warned once, if at all
            value = node.recompute(operands)
        self.known[id(node)] = value
        return value


def _gradients(tensor: Tensor, shown: list[Any], notes: list[str]) -> dict[int, np.ndarray]:
    """d tensor / d node for every shown node (the sum of ``tensor`` if it is not a scalar),
    captured by a backward pass that keeps the graph and leaves every ``.grad`` alone.

    When the engine refuses that backward (a saved tensor was edited in place since the
    forward), there are no gradients to show: ``notes`` gets the reason and the drawing
    goes on without them, since it is the way to see what happened.
    """
    if not tensor.requires_grad:
        return {}
    # run_backward captures gradients for tensors, and a node's own tensor may be gone:
    # a stand-in carrying the node is enough, its data is never read.
    inputs = [
        Tensor._from_node(np.empty(0), obj) if isinstance(obj, Node) else obj for obj in shown
    ]
    seed = np.ones_like(tensor.data)
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
        value = values.get(obj) if isinstance(obj, Node) else obj.data
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
    kept, constants = node.saved_inputs, node.constants
    assert node.parents is not None  # trace refuses a freed graph
    lines, missing = [], 0
    for i, parent in enumerate(node.parents):
        name = names[i] if i < len(names) else ""
        if parent is not None or name in _SETTINGS:
            continue
        if kept is not None:
            value = kept[i]
        elif name in constants:
            value = constants[name]
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
