"""The computational graph behind a tensor: as DOT text, a graphviz drawing or a matplotlib one.

Each node is an op together with the value it produced (``p = add``), or a leaf (an
input or a parameter); edges run in the direction data flows, from inputs to the op
that consumed them. With ``show_data`` a node shows its forward value and with
``show_grad`` the gradient of the drawn tensor with respect to it, for intermediate
nodes too: those are computed by a backward pass that captures them instead of
touching any ``.grad`` (``tensorgrad.autograd.run_backward`` with ``inputs=``). The
graph must therefore still be there: draw it before ``backward()``, or after
``backward(retain_graph=True)``.

This module joins the pieces beside it: ``_graph_model`` traces the graph into boxes
and edges, which ``_dot`` writes as DOT text or a ``graphviz.Digraph`` and
``_layered`` draws with matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..tensor import Tensor
from ._dot import dot_source, graphviz_available, to_digraph
from ._figures import INSTALL_HINT
from ._graph_model import MAX_ELEMENTS, MAX_NODES, trace
from ._layered import draw_layered

__all__ = ["draw_graph", "to_dot"]


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
    return dot_source(trace(tensor, show_data, show_grad, max_nodes, max_elements, names, "to_dot"))


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
        digraph = to_digraph(graph)
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix.lower() == ".png":
                digraph.attr(dpi="150")  # Graphviz's default of 96 is blurry
            digraph.render(outfile=path, cleanup=True)
        return digraph
    return draw_layered(graph, path, title)
