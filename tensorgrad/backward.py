"""The backward walk (``Tensor.backward``, ``run_backward``) and ``autograd.grad``.

The walk applies each node's rule in reverse creation order, which is a topological
order, and undoes broadcasting (``unbroadcast``) once, here, for every op. It frees each
node's buffers as soon as its rule has run, unless the graph is retained.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from heapq import heappop, heappush
from typing import Any, NoReturn

import numpy as np

from . import modes
from .broadcast import unbroadcast
from .function import _NUMBERS, Node
from .modes import _check_finite, _modes, _set_modes, _unusual_threads
from .tensor import Tensor
from .xp import ARRAY, TENSOR, UNGUARDED_ARRAY, UNGUARDED_TENSOR

# Backward passes in several threads may reach the same leaf, whose .grad each reads and
# writes: they take turns, one walk at a time (re-entrant, for a walk started from within
# one). One lock per walk costs a fraction of a lock per leaf, and the Python-level work
# of the walks would take turns under the GIL anyway.
_walk_lock = threading.RLock()

_epochs = itertools.count(1)


def _leaf_grad(tensor: Any, grad: Any, shared: Any) -> None:
    # NumPy returns scalars from 0-d arithmetic; .grad is always an ndarray.
    if type(grad) is not np.ndarray:
        grad = np.array(grad)
    # A gradient handed on unchanged (or as a view) may be shared with another input;
    # copying it gives every leaf an array of its own to edit in place.
    elif grad is shared or grad.base is not None:
        grad = grad.copy()
    tensor.grad = grad if tensor.grad is None else np.asarray(tensor.grad + grad)


def _deliver(
    leaf: Any, grad: Any, shared: Any, captured: dict[int, int] | None, results: list[Any],
    create_graph: bool,
) -> None:  # fmt: skip
    """Hand a leaf its gradient: into the results when capturing, else into ``.grad``."""
    if captured is not None:
        index = captured.get(id(leaf))
        if index is not None:
            if results[index] is not None:
                results[index] = results[index] + grad
            elif not create_graph and (grad is shared or grad.base is not None):
                results[index] = grad.copy()  # no result shares memory with another
            else:
                results[index] = grad
    elif not create_graph:
        _leaf_grad(leaf, grad, shared)


def run_backward(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Any] | None = None,
) -> list[Any] | None:
    """Apply the chain rule from ``roots`` back to the leaves, in reverse topological order.

    Without ``inputs`` the gradients accumulate into ``.grad`` of the leaves; with
    ``inputs`` they are returned, one per input (``None`` where unreachable), and no
    ``.grad`` is touched. With ``create_graph`` the gradients are tensors on a graph,
    which refers back to the nodes walked, so ``retain_graph`` defaults to it.

    The walk is iterative and keeps its bookkeeping on the nodes themselves, so it
    allocates nothing proportional to the graph (its heap holds only the frontier);
    each node's saved arrays and pending gradient are released as soon as its rule has
    run (unless ``retain_graph``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor(3.0, requires_grad=True)
    >>> run_backward([x * x], [tg.tensor(1.0).data])
    >>> x.grad
    array(6.)
    """
    _check_roots(roots, root_grads, create_graph, inputs)
    if retain_graph is None:
        retain_graph = create_graph
    return _walk(roots, root_grads, retain_graph, create_graph, inputs)


def _walk(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None,
) -> list[Any] | None:
    """``run_backward`` without its checks of the roots and their gradients, for a caller
    that has made them (``Tensor.backward``)."""
    with _walk_lock:
        return _walk_in_turn(roots, root_grads, retain_graph, create_graph, inputs)


def _walk_in_turn(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None,
) -> list[Any] | None:
    """The walk itself, run while this thread holds the walk lock."""
    epoch = next(_epochs)
    captured: dict[int, int] | None = None
    results: Any = None
    needed: set[Node] | None = None  # with inputs: the nodes worth walking
    if inputs is not None:
        captured = {}
        for i, t in enumerate(inputs):
            captured.setdefault(id(t._node or t), i)  # a repeated input: filled once, below
        results = [None] * len(inputs)
        needed = _nodes_leading_to(roots, captured)

    # Nodes wait in a max-heap by creation number. A consumer is always created after
    # its inputs, so when a node comes off the heap every consumer reachable from the
    # roots has run: its gradient is complete, with no pass to count dependencies.
    # While a single node is pending (a chain) it waits in the "lane" instead, and the
    # heap is made only when a second one is: the walk allocates little before it frees.
    heap: Any = None
    lane: Node | None = None
    for root, grad in zip(roots, root_grads):
        node = root._node
        if node is None:  # a leaf differentiated with respect to itself
            _deliver(root, grad, grad, captured, results, create_graph)
        elif needed is not None and node not in needed:
            continue
        elif node._mark != epoch:
            node._mark = epoch
            node._pending = grad
            if lane is None and not heap:
                lane = node
            else:
                heap = _push(heap, lane, node)
                lane = None
        else:
            node._pending = node._pending + grad

    # Until a `where` has zeroed part of a gradient (in either mode), 0 * inf cannot arise, so
    # rules skip the (costly) guard; from there on they guard, evaluating 1/x and the
    # like at positions whose gradient is then set to 0, where NumPy's warnings would
    # be noise. Plain try/finally rather than context managers: before it frees
    # anything, the walk allocates next to nothing.
    xp = UNGUARDED_TENSOR if create_graph else UNGUARDED_ARRAY
    guarding = False
    # Whether this walk does more per node than a plain first-order backward() does
    # (capture inputs, build a graph of the gradients, guard): checked once per node
    # rather than once per need.
    extra_work = captured is not None or create_graph
    # A first-order walk runs every rule on arrays, so nothing in it records whatever the
    # grad mode: the mode changes only for a graph of the gradients asked for inside
    # no_grad. (An op whose backward ran tensor code at first order would have to turn
    # recording off itself, as PyTorch runs a backward with grad mode = create_graph.)
    anomaly = bool(_unusual_threads) and _modes.anomaly
    edits = modes._edits  # the last in-place edit: no rule edits anything in place
    enabling = create_graph and not _modes.grad
    if enabling:
        _set_modes(True, anomaly)
    previous_errors = _quiet_numpy() if create_graph else None
    try:
        while True:
            if lane is not None:
                node = lane
                lane = None
            elif heap:
                node = heappop(heap)[1]
            else:
                break
            parents = node.parents
            if parents is None:
                _raise_freed(node)
            grad = node._pending
            node._pending = None
            spec = node.spec
            if extra_work or node._seq < edits or spec.masks_gradient:
                if captured is not None and id(node) in captured:
                    # A copy at first order: the same array may be another input's
                    # gradient or the caller's grad_outputs.
                    results[captured[id(node)]] = grad if create_graph else np.array(grad)
                    if not _leads_on(parents, needed, captured):
                        continue  # no other input lies behind it: its rule need not run
                if node._seq < edits:  # something was edited in place since the forward
                    node._check_versions()
                if spec.masks_gradient and not guarding:
                    guarding = extra_work = True
                    xp = TENSOR if create_graph else ARRAY
                    if previous_errors is None:
                        previous_errors = _quiet_numpy()
                if create_graph:
                    grads = _call_rule_on_graph(node, grad, xp)
                else:
                    grads = spec.backward(node, grad, xp)
                if guarding and spec.elementwise:
                    grads = [g if g is None else xp.guard(grad, g) for g in grads]
            else:
                grads = spec.backward(node, grad, xp)
            # grads by index beside the parents: zip() costs more than a short edge list.
            count = len(parents)
            if len(grads) != count:
                _raise_arity(node, grads)
            i = 0
            for p in parents:
                g = grads[i]
                i += 1
                if p is None:
                    continue
                if g is None:
                    _raise_no_rule(node, parents, p)
                if type(p) is Node:
                    if g.shape != p.shape or (g.dtype is not p.dtype and g.dtype != p.dtype):
                        g = _fit(g, p.shape, p.dtype, node.name)
                    if anomaly:
                        _check_finite(g, node.name, "backward", _origin(node))
                    # As when the roots were seeded above; inline, as this runs per edge.
                    if p._mark == epoch:
                        p._pending = p._pending + g
                    elif needed is not None and p not in needed:
                        continue  # no input lies behind it: its rule need not run
                    else:
                        p._mark = epoch
                        p._pending = g
                        if lane is None and not heap:
                            lane = p
                        else:
                            heap = _push(heap, lane, p)
                            lane = None
                else:
                    data = p._data
                    if g.shape != data.shape or (
                        g.dtype is not data.dtype and g.dtype != data.dtype
                    ):
                        g = _fit(g, data.shape, data.dtype, node.name)
                    if anomaly:
                        _check_finite(g, node.name, "backward", _origin(node))
                    if (
                        extra_work or p.grad is not None or type(g) is not np.ndarray
                        or g.base is not None or g is grad
                    ):  # fmt: skip
                        _deliver(p, g, grad, captured, results, create_graph)
                    else:
                        p.grad = g  # the common case: a fresh array nobody else holds
            if not retain_graph:
                node.parents = node.inputs = node._args = node.out = None
                if spec.clears:
                    node.__dict__.clear()
    finally:
        if enabling:
            _set_modes(False, anomaly)
        if previous_errors is not None:
            np.seterr(**previous_errors)
    if inputs is None:
        return None
    return [results[captured[id(t._node or t)]] for t in inputs]  # type: ignore[index]


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not stored.

    ``outputs`` and ``inputs`` are a tensor or a sequence of tensors; the result is a
    tuple with one tensor per input, of that input's shape, and no ``.grad`` changes.
    ``grad_outputs`` (one per output, tensors or arrays) weights each output, as
    ``backward(grad)`` does; it may be left out for scalar outputs. An input that the
    outputs do not depend on gets a gradient of zeros. Only the part of the graph that
    leads to ``inputs`` is walked.

    With ``create_graph=True`` the gradients are themselves on a graph, so they can be
    differentiated again (Hessian-vector products, ``tg.grad(tg.grad(f))``); the graph
    is then kept, as ``retain_graph`` defaults to ``create_graph``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor(3.0, requires_grad=True)
    >>> (dx,) = tg.autograd.grad(x ** 3, x, create_graph=True)
    >>> dx
    tensor(27., grad_fn=<mul>)
    >>> tg.autograd.grad(dx, x)
    (tensor(18.),)
    """
    outputs = _as_tensors(outputs, "outputs")
    inputs = _as_tensors(inputs, "inputs")
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError(
                f"autograd.grad: input {i} does not require grad, so no gradient can be taken "
                "with respect to it; create it with requires_grad=True"
            )
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor | np.ndarray) or not isinstance(grad_outputs, Sequence):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"autograd.grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs; "
            "give one per output"
        )
    roots, seeds = [], []
    for out, seed in zip(outputs, grad_outputs):
        if seed is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"autograd.grad: an output has shape {out.shape}; pass grad_outputs for "
                    "outputs that are not scalars"
                )
            seed = np.ones_like(out._data)
        elif not create_graph:
            seed = np.asarray(seed._data if isinstance(seed, Tensor) else seed)
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor(np.asarray(seed))
        if create_graph and seed.dtype != out.dtype:
            seed = seed.astype(out.dtype)  # as at first order: the output's dtype
        if out._requires_grad:  # an output off the graph contributes nothing
            roots.append(out)
            seeds.append(seed if create_graph else np.asarray(seed, dtype=out.dtype))
    grads = (
        run_backward(roots, seeds, retain_graph, create_graph, inputs)
        if roots
        else [None] * len(inputs)
    )
    assert grads is not None
    # A rule may hand a gradient on unchanged: one array (or tensor) can reach two inputs,
    # a repeated input, or be a grad_outputs itself. Each result gets an object of its own.
    taken = {id(seed) for seed in seeds}
    results = []
    for g, t in zip(grads, inputs):
        if g is None:
            g = np.zeros(t.shape, t.dtype)
        elif id(g) in taken:
            g = g + 0 if isinstance(g, Tensor) and g._requires_grad else np.array(g)
        taken.add(id(g))
        results.append(g if isinstance(g, Tensor) else Tensor(g))
    return tuple(results)


def _as_tensors(value: Any, what: str) -> list[Any]:
    values = [value] if not isinstance(value, list | tuple) else list(value)
    for v in values:
        if not isinstance(v, Tensor):
            raise TypeError(f"autograd.grad: {what} must be tensors, got {type(v).__name__}")
    return values


def _nodes_leading_to(roots: Sequence[Any], captured: dict[int, int]) -> set[Node]:
    """The nodes behind ``roots`` from which a captured input can be reached: the only
    ones whose rules a gradient with respect to those inputs needs."""
    leads: dict[Node, bool] = {}
    stack = [root._node for root in roots if root._node is not None]
    while stack:
        node = stack[-1]
        if node in leads:
            stack.pop()
            continue
        parents = node.parents
        if parents is None:  # freed: let the walk reach it and say so
            leads[node] = True
            continue
        unseen = [p for p in parents if type(p) is Node and p not in leads]
        if unseen:
            stack.extend(unseen)
            continue
        stack.pop()
        leads[node] = id(node) in captured or any(
            leads[p] if type(p) is Node else p is not None and id(p) in captured for p in parents
        )
    return {node for node, reaches in leads.items() if reaches}


def _leads_on(parents: Sequence[Any], needed: set[Node] | None, captured: dict[int, int]) -> bool:
    """Whether a captured input lies behind one of ``parents``: a captured leaf, or a node
    in ``needed``."""
    assert needed is not None  # there are captured inputs, so _nodes_leading_to ran
    return any(
        p in needed if type(p) is Node else p is not None and id(p) in captured for p in parents
    )


def _push(heap: Any, lane: Node | None, node: Node) -> list[tuple[int, Node]]:
    """Add ``node`` (and the lane's node, if any) to the heap, making it if needed."""
    if heap is None:
        heap = []
    if lane is not None:
        heappush(heap, (-lane._seq, lane))
    heappush(heap, (-node._seq, node))
    return heap


def _check_roots(
    roots: Sequence[Any], grads: Sequence[Any], create_graph: bool, inputs: Any
) -> None:
    if len(roots) != len(grads):
        raise ValueError(f"backward: {len(roots)} outputs but {len(grads)} gradients for them")
    if create_graph and inputs is None:
        raise ValueError("backward: create_graph=True needs inputs=, the tensors to return")
    for root, grad in zip(roots, grads):
        if not root._requires_grad:
            raise RuntimeError(
                "backward: an output does not require grad and has no graph; create the "
                "inputs with requires_grad=True (and not under tg.no_grad())"
            )
        shape = grad.shape if type(grad) is np.ndarray else np.shape(grad)
        if shape != root._data.shape:
            raise ValueError(
                f"backward: a gradient of shape {shape} was given for an output of "
                f"shape {root.shape}; they must match"
            )


def _call_rule_on_graph(node: Node, grad: Any, xp: Any) -> Sequence[Any]:
    """Run a rule on the saved tensors, so that what it computes is itself on a graph."""
    spec = node.spec
    arrays, out = node.inputs if spec.save_inputs else None, node.out if spec.save_output else None
    if spec.save_inputs:  # the tensors themselves, and the other operands as tensors too
        assert node._args is not None  # not freed: the walk checks parents first
        node.inputs = [
            a if isinstance(a, Tensor) else _constant(x, node.dtype)
            for a, x in zip(node._args, node.inputs)
        ]
    if spec.save_output:
        assert out is not None  # not freed: the walk checks parents first
        node.out = Tensor._from_node(out, node)
    try:
        grads = spec.backward(node, grad, xp)
    finally:
        if spec.save_inputs:
            node.inputs = arrays
        if spec.save_output:
            node.out = out
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads)


def _constant(value: Any, dtype: np.dtype) -> Any:
    """An operand that is not a tensor, as a tensor off the graph, for a rule building one.

    A rule then combines tensors only. Beside a tensor, a number or an array is a hazard:
    ``2.0 == 0`` is a Python bool and ``np.array(2.0) == 0`` a NumPy one, and neither
    knows ``&`` (or ``|``, ``^``) with a bool tensor. A Python number takes the result's
    dtype, as it did in NumPy's forward, where it never widened the tensor; NumPy values
    keep theirs. Anything else (None, a shape) is not data and stays as it is.
    """
    if type(value) in _NUMBERS:
        return Tensor(np.asarray(value, dtype))
    if isinstance(value, np.ndarray | np.generic):
        return Tensor(value)
    return value


def _quiet_numpy() -> Mapping[str, Any]:
    return np.seterr(divide="ignore", invalid="ignore", over="ignore")


def _origin(node: Node) -> str:
    return getattr(node, "created_at", "<a line run before detect_anomaly was on>")


def _fit(grad: Any, shape: tuple[int, ...], dtype: np.dtype, op: str) -> Any:
    """Reduce a gradient to its input's shape (undoing broadcasting) and cast it to its dtype."""
    if grad.shape != shape:
        grad = unbroadcast(grad, shape, op)
    if grad.dtype is not dtype and grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _raise_no_rule(node: Node, parents: Sequence[Any], parent: Any) -> NoReturn:
    index = next(i for i, p in enumerate(parents) if p is parent)
    raise NotImplementedError(
        f"{node.name}: input {index} requires a gradient, but the op has no derivative with "
        "respect to it; pass that input as a constant (detach it or use a plain value)"
    )


def _raise_arity(node: Node, grads: Sequence[Any]) -> NoReturn:
    raise RuntimeError(
        f"{node.name}: backward returned {len(grads)} gradients for {len(node.parents or ())} "
        "inputs; a rule must return one gradient (or None) per input"
    )


def _raise_freed(node: Node) -> NoReturn:
    raise RuntimeError(
        f"{node.name}: trying to backward through the graph a second time, but its saved "
        "buffers were freed by the first backward() or autograd.grad(). Pass "
        "retain_graph=True to that first call if you need to go through it twice."
    )
