"""The engine: how an op is defined, grad mode, anomaly mode and the backward walk.

A primitive op is a subclass of :class:`Function` with a ``forward`` on plain arrays
and a ``backward`` that returns one gradient per input *in the output's broadcast
shape* (or ``None``). Calling ``Op.apply(*inputs)`` runs the forward with a fresh
:class:`Node` as ``ctx`` and, when an input requires a gradient, keeps that node as
the result's place in the graph.

Backward rules are written once. They receive ``xp``, a namespace with the same
function names for arrays and for tensors, and read ``ctx.inputs`` / ``ctx.out``:
in a first-order backward these are plain arrays (no wrapper cost per op); when a
differentiable gradient is requested (``create_graph=True``) the engine hands the rule
the saved tensors and the tensor namespace, so the very same rule builds a graph. Either
way the rule sees one kind of value: at first order every operand is an array (or a
number), and on a graph every operand that is data is a tensor, the constants (numbers,
NumPy scalars and arrays given for an operand) as tensors that require no gradient.
Rules must therefore compute everything differentiable from ``ctx.inputs`` and
``ctx.out``; attributes they set on ``ctx`` in ``forward`` are constants (masks,
shapes, indices), named in the op's ``constants``.
"""

from __future__ import annotations

import inspect
import itertools
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from heapq import heappop, heappush
from threading import get_ident
from typing import Any, ClassVar, NoReturn

import numpy as np

from .broadcast import unbroadcast


class _Modes(threading.local):
    """This thread's modes. A new thread starts with grad on and anomaly checks off, as
    in PyTorch, whatever the thread that started it was doing."""

    grad = True
    anomaly = False


_modes = _Modes()
# The threads in a mode other than the default (grad on, anomaly off), by ident. The hot
# path reads whether this set is empty (one global) and looks at its own thread's modes
# only when it is not. A thread adds or removes only itself, in one atomic set operation.
_unusual_threads: set[int] = set()
# Backward passes in several threads may reach the same leaf, whose .grad each reads and
# writes: they take turns, one walk at a time (re-entrant, for a walk started from within
# one). One lock per walk costs a fraction of a lock per leaf, and the Python-level work
# of the walks would take turns under the GIL anyway.
_walk_lock = threading.RLock()
# One clock orders the nodes (a topological order: a consumer is created after its
# inputs) and stamps in-place edits: an edit after a node was made has a larger number.
_sequence = itertools.count(1)
_edits = 0  # the stamp of the last in-place edit, across all tensors
_epochs = itertools.count(1)
_NUMBERS = frozenset({int, float, bool})
_ALONE = object()  # the second operand of an op that takes one
# Bound once: looking __new__ up on the class, or a dtype's kind, costs more per op.
_new = object.__new__
_FLOAT64, _FLOAT32 = np.dtype(np.float64), np.dtype(np.float32)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# Filled by tensorgrad.ops: the functions backward rules may call through ``xp``.
ARRAY = types.SimpleNamespace()
UNGUARDED_ARRAY = types.SimpleNamespace()
TENSOR = types.SimpleNamespace()
UNGUARDED_TENSOR = types.SimpleNamespace()

Tensor: Any = None  # set by tensorgrad.tensor to avoid an import cycle


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> with tg.no_grad():
    ...     tg.is_grad_enabled()
    False
    """
    return _modes.grad


def _set_modes(grad: bool, anomaly: bool) -> None:
    """Set this thread's modes, and whether it is among the threads not in the default."""
    modes = _modes
    modes.grad, modes.anomaly = bool(grad), bool(anomaly)
    # After its own modes: from here on this thread's ops see the set non-empty (leaving
    # the default), or read modes that are the default again (returning).
    if anomaly or not grad:
        _unusual_threads.add(get_ident())
    else:
        _unusual_threads.discard(get_ident())


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    previous = _modes.grad
    _set_modes(enabled, _modes.anomaly)
    try:
        yield
    finally:
        _set_modes(previous, _modes.anomaly)


def no_grad() -> Any:
    """Context manager under which operations record no graph (in this thread only).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor([1.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    return _grad_mode(False)


def enable_grad() -> Any:
    """Context manager that re-enables graph recording, e.g. inside ``no_grad``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> with tg.no_grad(), tg.enable_grad():
    ...     tg.is_grad_enabled()
    True
    """
    return _grad_mode(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``FloatingPointError`` at the first NaN or infinity in a forward or backward result.

    The error names the operation and the line of user code that created it. Like grad
    mode, it holds in the thread that enters it, not in others.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> try:
    ...     with tg.detect_anomaly(), np.errstate(invalid="ignore"):
    ...         tg.log(tg.tensor([-1.0]))
    ... except FloatingPointError as error:
    ...     print(str(error)[:25])
    log: forward produced NaN
    """
    previous = _modes.anomaly
    _set_modes(_modes.grad, True)
    try:
        yield
    finally:
        _set_modes(_modes.grad, previous)


def _user_line() -> str:
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f'File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}'


def _check_finite(value: Any, op: str, what: str, where: str) -> None:
    data = value._data if isinstance(value, Tensor) else value
    if isinstance(data, np.generic):  # 0-d arithmetic gives NumPy scalars
        data = np.asarray(data)
    if isinstance(data, np.ndarray) and data.dtype.kind in "fc" and not np.isfinite(data).all():
        kind = "NaN" if np.isnan(data).any() else "infinity"
        raise FloatingPointError(
            f"{op}: {what} produced {kind} (detect_anomaly); the op was created at {where}. "
            "Check its inputs there, or use a stable formula (e.g. tg.log_softmax, tg.logsumexp)."
        )


class Node:
    """The record of one recorded op application: what backward needs for one result.

    Every op's results get nodes of this one class, whatever the op (``op`` says which),
    so that the engine's reads and writes of a node's fields are specialised by the
    interpreter rather than looked up for each op class in turn. Rules see it as
    ``ctx``: ``ctx.parents``, ``ctx.inputs``, ``ctx.out``, ``ctx.shape`` and whatever
    constants ``forward`` kept on it.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> y = tg.tensor([1.0, 2.0], requires_grad=True) * 3
    >>> y.grad_fn, y.grad_fn.op.__name__, y.grad_fn.shape
    (<mul>, 'Mul', (2,))
    """

    __slots__ = (
        "spec", "parents", "shape", "dtype", "inputs", "out", "_args", "_seq", "_mark",
        "_pending", "_out_edited", "_out_memory", "created_at", "__dict__",
    )  # fmt: skip

    # Declared for type checkers only (a bare annotation makes no class attribute, so it
    # does not clash with the slot). The engine frees parents, inputs, _args and out
    # (sets them to None) once the node's rule has run, unless the graph is retained.
    spec: _Spec
    parents: tuple[Any, ...] | None  # per operand: its node, its leaf tensor, or None
    shape: tuple[int, ...]
    dtype: np.dtype
    inputs: Any  # the operands forward saw (tensors while a rule builds a graph)
    out: Any  # the output array (a tensor while a rule builds a graph)
    _args: tuple[Any, ...] | None  # the operands as the op was called with them
    _seq: int
    _mark: int
    _pending: Any  # the gradient accumulated so far during a backward walk
    _out_edited: bool
    _out_memory: Any  # the tensor detach() shares the output's memory through
    created_at: str

    @property
    def op(self) -> type[Function]:
        """The op class that recorded this node."""
        return self.spec.op

    @property
    def name(self) -> str:
        """The op's name, as errors and drawings show it."""
        return self.spec.name

    def _check_versions(self) -> None:
        """Raise if a saved input or the saved output was edited in place since the forward."""
        if self.spec.save_inputs:
            assert self._args is not None  # not freed: the walk checks parents first
            for i, a in enumerate(self._args):
                if isinstance(a, Tensor) and version(a) > self._seq:
                    _raise_modified(self.name, f"input {i} (shape {a.shape})")
        if self.spec.save_output:
            # Edited through the output tensor, or through a detached tensor sharing it.
            memory = getattr(self, "_out_memory", None)
            if getattr(self, "_out_edited", False) or (
                memory is not None and version(memory) > self._seq
            ):
                _raise_modified(self.name, f"its output (shape {self.shape})")

    def __repr__(self) -> str:
        return f"<{self.spec.name}>"


class _Spec:
    """What the engine reads of an op class, held by an object of this one class: reading
    a class attribute of whichever op a node belongs to is a generic lookup each time.
    It is taken when the class is created (see Function)."""

    __slots__ = (
        "op", "name", "backward", "save_inputs", "save_output", "masks_gradient",
        "elementwise", "constants", "clears",
    )  # fmt: skip

    op: type[Function]
    name: str
    backward: Callable[..., Any]  # called with the node as ctx
    save_inputs: bool
    save_output: bool
    masks_gradient: bool
    elementwise: bool
    constants: tuple[str, ...]
    clears: bool

    def __init__(self, op: type[Function]) -> None:
        self.op = op
        for name in self.__slots__[1:7]:
            setattr(self, name, getattr(op, name))
        below = op.__mro__[: op.__mro__.index(Function)]
        names = list(op.constants)
        for klass in below:  # names declared the older way, in __slots__, count too
            slots = klass.__dict__.get("__slots__", ())
            names += [slots] if isinstance(slots, str) else list(slots)
        self.constants = tuple(names)
        # What forward keeps on ctx lives in the node's __dict__, which is cleared after
        # backward when the op names something it keeps, or does not say what it keeps.
        declared = any("constants" in k.__dict__ or "__slots__" in k.__dict__ for k in below)
        self.clears = bool(names) or not declared


class Function:
    """Base of every primitive op: its forward and its backward rule, side by side.

    Subclasses define ``forward(ctx, *arrays, **params) -> ndarray`` and
    ``backward(ctx, grad, xp) -> tuple`` (one gradient or ``None`` per input, in the
    output's broadcast shape), set ``save_inputs`` / ``save_output`` when the rule
    reads ``ctx.inputs`` / ``ctx.out``, and name in ``constants`` what ``forward``
    keeps on ``ctx`` (released after backward, as is anything an op that does not
    set ``constants`` keeps). ``ctx.parents[i] is None`` means input ``i`` needs no
    gradient, so the rule may skip it. ``Op.apply(*operands, **params)`` runs the op.
    A rule building a graph gets every operand that is a number or an array as a tensor,
    so an op that saves its inputs takes what is not data (an axis, a flag) in ``params``
    or keeps it on ``ctx``.

    ``ctx`` is the result's :class:`Node`, not an instance of the op class: reach the
    class's own attributes and helpers through ``ctx.op`` (``ctx.op.scale``,
    ``ctx.op.helper(ctx, x)``), call a parent op's rule as ``Parent.backward(ctx, grad,
    xp)``, and test a node's op with ``y.grad_fn.op is Mul``. ``op``, ``spec``,
    ``name``, ``parents``, ``inputs``, ``out``, ``shape`` and ``dtype`` are the node's
    own. The engine reads ``forward``, ``backward`` and the flags when the class is
    created: to change a rule, define a subclass rather than patch the class.

    Examples
    --------
    >>> import numpy as np
    >>> import tensorgrad as tg
    >>> class Cube(Function):
    ...     '''d/dx x^3 = 3 x^2'''
    ...     save_inputs = True
    ...     def forward(ctx, x):
    ...         return x ** 3
    ...     def backward(ctx, grad, xp):
    ...         (x,) = ctx.inputs
    ...         return (grad * 3 * x * x,)
    >>> x = tg.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad
    array([12.])
    """

    name = "function"
    save_inputs = False
    save_output = False
    # The names of what forward keeps on ctx besides inputs and output (masks, shapes).
    constants: tuple[str, ...] = ()
    # True for ops whose gradient is exactly zero where an input was not selected
    # (where): from there on, zeros must stay zeros (see ``xp.guard``).
    masks_gradient = False
    # True for ops whose output element i depends only on input element i: once a
    # gradient has been masked, the engine guards their results (0 * inf -> 0).
    elementwise = False
    # What to do when NumPy refuses the inputs; appended to the error message.
    hint = ""
    # Made for each subclass by __init_subclass__ (see _make_apply).
    apply: ClassVar[Callable[..., Any]]
    _fast: ClassVar[Callable[..., Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()
        cls.apply, cls._fast = _make_apply(cls, _Spec(cls))

    def forward(ctx, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError(f"{ctx.name}: forward is not defined")

    def backward(ctx, grad: Any, xp: Any) -> tuple[Any, ...]:
        raise NotImplementedError(
            f"{ctx.name}: backward is not defined, so it is not differentiable"
        )


def _make_apply(cls: type[Function], spec: _Spec) -> tuple[Any, Any]:
    """The ``apply`` of one op class, and ``_fast``, the same op for the package's own
    operators and functions: plain functions (closures over the class), so that they
    can be Tensor operators (``Tensor.__add__ = Add._fast``) with no extra call.

    This is the per-op hot path. ``apply`` takes any call (operands, then parameters
    by position or keyword). When forward takes exactly one or two operands, ``_fast``
    has that fixed arity: a call that packs no ``*args`` or ``**params`` costs a third
    as much and allocates nothing for them. Operands follow tg.tensor's dtype policy
    (see ``_operand``).
    """
    save_inputs, save_output = cls.save_inputs, cls.save_output
    forward: Callable[..., Any] = cls.forward  # called with a Node as ctx, not an op instance

    def result_of(ctx: Node, out: Any, parents: Any, arrays: Any, args: Any, record: bool) -> Any:
        """Wrap ``out`` in a tensor and, when recording, keep ``ctx`` as its node."""
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        result = _new(Tensor)
        result._data = out
        result.grad = None
        plain = not _unusual_threads
        if record and (plain or _modes.grad):
            dtype = out.dtype
            if dtype is not _FLOAT64 and dtype is not _FLOAT32 and dtype.kind != "f":
                raise TypeError(
                    f"{cls.name}: the result has dtype {dtype}, which cannot carry a "
                    "gradient; cast the inputs to a float dtype first"
                )
            ctx.parents = parents
            ctx.shape = out.shape
            ctx.dtype = dtype
            ctx._mark = 0
            ctx._seq = next(_sequence)
            if save_inputs:
                ctx.inputs = arrays
                ctx._args = args
            if save_output:
                ctx.out = out
            result._node = ctx
            result._requires_grad = True
            if not plain and _modes.anomaly:
                ctx.created_at = _user_line()
        else:
            result._node = None
            result._requires_grad = False
        if not plain and _modes.anomaly:
            _check_finite(out, cls.name, "forward", _user_line())
        return result

    def apply_fixed(x: Any, y: Any = _ALONE) -> Any:
        """Run the op on one or two tensors, arrays or numbers; record it when a gradient
        is needed."""
        ctx = Node()
        ctx.spec = spec
        a = x
        pa = None
        if isinstance(a, Tensor):
            if a._requires_grad:
                pa = a._node or a
            a = a._data
        elif type(a) is not np.ndarray:
            a = _operand(a, y)
        if y is _ALONE:
            try:
                out = forward(ctx, a)
            except (ValueError, TypeError, IndexError) as exc:
                _raise_named(exc, cls, (a,))
            if pa is None or (_unusual_threads and not _modes.grad):
                return result_of(ctx, out, None, None, None, False)
            parents: Any = (pa,)
            if save_inputs:
                ctx.inputs, ctx._args = (a,), (x,)
        else:
            b = y
            pb = None
            if isinstance(b, Tensor):
                if b._requires_grad:
                    pb = b._node or b
                b = b._data
            elif type(b) is not np.ndarray:
                b = _operand(b, x)
            try:
                out = forward(ctx, a, b)
            except (ValueError, TypeError, IndexError) as exc:
                _raise_named(exc, cls, (a, b))
            if (pa is None and pb is None) or (_unusual_threads and not _modes.grad):
                return result_of(ctx, out, None, None, None, False)
            parents = (pa, pb)
            if save_inputs:
                ctx.inputs, ctx._args = (a, b), (x, y)
        # result_of's recording steps, inline: the call would cost 2% of a chain of small
        # ops. Anything unusual (a NumPy scalar, an integer result, anomaly mode) goes to it.
        dtype = out.dtype if type(out) is np.ndarray else None
        if _unusual_threads or (dtype is not _FLOAT64 and dtype is not _FLOAT32):
            arrays, args = (ctx.inputs, ctx._args) if save_inputs else (None, None)
            return result_of(ctx, out, parents, arrays, args, True)
        ctx.parents = parents
        ctx.shape = out.shape
        ctx.dtype = dtype
        ctx._mark = 0
        ctx._seq = next(_sequence)
        if save_output:
            ctx.out = out
        result = _new(Tensor)
        result._data = out
        result.grad = None
        result._node = ctx
        result._requires_grad = True
        return result

    def apply(*args: Any, **params: Any) -> Any:
        """Run the op on tensors, arrays or numbers; record it when a gradient is needed."""
        ctx = Node()
        ctx.spec = spec
        arrays, parents, record, numbers_only = [], [], False, True
        for a in args:  # no comprehensions: on Python 3.11 each one costs a frame
            pa = None
            if isinstance(a, Tensor):
                if a._requires_grad:
                    pa = a._node or a
                    record = True
                a = a._data
            elif type(a) is list:
                a = Tensor(a)._data
            if type(a) is np.ndarray or isinstance(a, np.generic):
                numbers_only = False
            arrays.append(a)
            parents.append(pa)
        if numbers_only:
            arrays = [Tensor(a)._data if type(a) is float else a for a in arrays]
        try:
            out = forward(ctx, *arrays, **params)
        except (ValueError, TypeError, IndexError) as exc:
            _raise_named(exc, cls, arrays)
        return result_of(ctx, out, tuple(parents), tuple(arrays), args, record)

    fast = apply_fixed if _fixed_arity(forward) in (1, 2) else apply
    apply.__qualname__ = f"{cls.__name__}.apply"
    fast.__qualname__ = f"{cls.__name__}._fast"
    return staticmethod(apply), staticmethod(fast)


def _fixed_arity(forward: Any) -> int | None:
    """How many operands ``forward(ctx, ...)`` takes, if it takes exactly that many
    positional parameters and nothing else; else None."""
    try:
        parameters = list(inspect.signature(forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    if all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty for p in parameters):
        return len(parameters)
    return None


def _operand(value: Any, other: Any) -> Any:
    """An operand that is not an array or a tensor, under tg.tensor's dtype policy.

    Lists become arrays. A Python number stays a number next to an array (so it never
    widens a float32 tensor), but a float with no array beside it (``other`` a tensor,
    an array, a NumPy scalar or a list) takes the default float dtype.
    """
    if type(value) is list:
        return Tensor(value)._data
    if type(value) is float and not _is_array(other):
        return Tensor(value)._data
    return value


def _is_array(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray, np.generic, list))


def record_edit(tensor: Any) -> None:
    """Note an in-place edit of ``tensor``, so ops that saved it refuse to backward.

    Versions are stamps from the clock that also numbers the nodes: an op compares the
    stamps of what it saved with its own number, which costs nothing per op while no
    edit happens. Tensors that share memory (views, ``detach()``) stamp their base
    too, so an edit through any of them is seen by ops that saved another.
    """
    global _edits
    _edits = tensor._version = next(_sequence)
    if tensor._node is not None:
        tensor._node._out_edited = True
    try:  # leaves (what optimizers edit) have the slot; op results set it only for views
        base = tensor._base
    except AttributeError:
        return
    if base is not None:
        record_edit(base)


def version(tensor: Any) -> int:
    """The stamp of the last in-place edit of ``tensor`` or of the memory it shares."""
    base = getattr(tensor, "_base", None)
    own = getattr(tensor, "_version", 0)
    return own if base is None else max(own, getattr(base, "_version", 0))


def _raise_modified(op: str, what: str) -> NoReturn:
    raise RuntimeError(
        f"{op}: {what} was modified in place after the op saved it for backward, so its "
        "gradient would be wrong. Modify a copy instead (x = x + 1 rather than x += 1 or "
        "x.data[...] = ...), or do the edit before building the graph."
    )


def _raise_named(exc: Exception, op: Any, arrays: Sequence[Any]) -> NoReturn:
    named = _name_the_op(exc, op, arrays)
    raise named from (None if named is exc else exc)


def _name_the_op(exc: Exception, op: Any, arrays: Sequence[Any]) -> Exception:
    """The error to raise for NumPy's ``exc``: the op, the input shapes and the usual fix.

    A fresh exception of the builtin type NumPy's belongs to (IndexError, TypeError or
    ValueError): NumPy's own classes build their message from their fields, not args.
    """
    message = str(exc)
    if message.startswith(f"{op.name}:"):
        return exc  # already ours (e.g. the axis check of a reduction)
    shapes = ", ".join(str(a.shape) for a in arrays if isinstance(a, np.ndarray))
    hint = op.hint
    if "broadcast" in message:
        hint = (
            "Shapes broadcast when, aligned from the right, each pair of dimensions is equal "
            "or one of them is 1; reshape or unsqueeze an input so that they do."
        )
    return builtin_kind(exc)(f"{op.name}: {message} (input shapes {shapes}). {hint}".rstrip())


def builtin_kind(exc: Exception) -> type[Exception]:
    """The builtin class of one of NumPy's refusals: IndexError, TypeError or ValueError.

    Examples
    --------
    >>> builtin_kind(np.exceptions.AxisError("no such axis"))
    <class 'IndexError'>
    """
    return next(t for t in (IndexError, TypeError, ValueError) if isinstance(exc, t))


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
    # What a plain first-order backward() never needs, checked once per node rather
    # than once per need: capturing inputs, a graph of the gradients, and guards.
    special = captured is not None or create_graph
    # A first-order walk runs every rule on arrays, so nothing in it records whatever the
    # grad mode: the mode changes only for a graph of the gradients asked for inside
    # no_grad. (An op whose backward ran tensor code at first order would have to turn
    # recording off itself, as PyTorch runs a backward with grad mode = create_graph.)
    anomaly = bool(_unusual_threads) and _modes.anomaly
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
            if special or node._seq < _edits or spec.masks_gradient:
                if captured is not None and id(node) in captured:
                    # A copy at first order: the same array may be another input's
                    # gradient or the caller's grad_outputs.
                    results[captured[id(node)]] = grad if create_graph else np.array(grad)
                    if not _leads_on(parents, needed, captured):
                        continue  # no other input lies behind it: its rule need not run
                if node._seq < _edits:  # something was edited in place since the forward
                    node._check_versions()
                if spec.masks_gradient and not guarding:
                    guarding = special = True
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
                        special or p.grad is not None or type(g) is not np.ndarray
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
    elif isinstance(grad_outputs, Tensor | np.ndarray) or not isinstance(
        grad_outputs, Sequence
    ):
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
            raise TypeError(
                f"autograd.grad: {what} must be tensors, got {type(v).__name__}"
            )
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
            leads[p] if type(p) is Node else p is not None and id(p) in captured
            for p in parents
        )
    return {node for node, reaches in leads.items() if reaches}


def _leads_on(
    parents: Sequence[Any], needed: set[Node] | None, captured: dict[int, int]
) -> bool:
    """Whether a captured input lies behind one of ``parents``: a captured leaf, or a node
    in ``needed``."""
    assert needed is not None  # there are captured inputs, so _nodes_leading_to ran
    return any(
        p in needed if type(p) is Node else p is not None and id(p) in captured
        for p in parents
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
