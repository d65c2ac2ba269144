"""How an op is defined and applied: :class:`Function`, and :class:`Node`, its record.

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
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NoReturn

import numpy as np

from .errors import builtin_kind
from .modes import (
    _check_finite,
    _modes,
    _raise_modified,
    _sequence,
    _unusual_threads,
    _user_line,
    version,
)
from .tensor import Tensor

_NUMBERS = frozenset({int, float, bool})

_ALONE = object()  # the second operand of an op that takes one

# Bound once: looking __new__ up on the class, or a dtype's kind, costs more per op.
_new = object.__new__

_FLOAT64, _FLOAT32 = np.dtype(np.float64), np.dtype(np.float32)


class Node:
    """The record of one recorded op application: what backward needs for one result.

    Every op's results get nodes of this one class, whatever the op (``op`` says which),
    so that the engine's reads and writes of a node's fields are specialised by the
    interpreter rather than looked up for each op class in turn. Rules see it as
    ``ctx``: ``ctx.parents``, ``ctx.inputs``, ``ctx.out``, ``ctx.shape`` and whatever
    constants ``forward`` kept on it.

    Tools that walk a graph (``tg.viz``) read a node through these, all read-only:

    - ``name`` and ``op``: the op's name and class;
    - ``parents``: one per operand, the operand's node, its leaf tensor, or ``None`` for
      an operand that needs no gradient; ``None`` itself once backward has freed the node;
    - ``shape`` and ``dtype``: the output's;
    - ``creation_number``: the order in which nodes were recorded;
    - ``arity``: how many operands the op was applied to;
    - ``saved_inputs``, ``saved_output`` and ``constants``: what the node kept for backward;
    - ``can_recompute`` and ``recompute(operands)``: the op's forward, run again.

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

    # The read API below is computed on read, so that recording a node costs nothing more.

    @property
    def creation_number(self) -> int:
        """When the node was recorded, on the engine's clock: every node's operands were
        recorded before it, so sorting nodes by this number puts inputs before consumers.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor(1.0, requires_grad=True)
        >>> y = x * 2
        >>> z = y + 1
        >>> y.grad_fn.creation_number < z.grad_fn.creation_number
        True
        """
        return self._seq

    @property
    def arity(self) -> int:
        """How many operands the op was applied to, constants included (``len(parents)``).

        Raises ``RuntimeError`` once backward has freed the node, with its parents.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * 2).grad_fn.arity, x.exp().grad_fn.arity
        (2, 1)
        """
        if self.parents is None:
            raise RuntimeError(
                f"{self.name}: backward() freed this node, so its operands are gone; call "
                "backward(retain_graph=True) to keep the graph"
            )
        return len(self.parents)

    @property
    def saved_inputs(self) -> tuple[Any, ...] | None:
        """The operands as forward saw them (arrays, and the numbers given for constants),
        when the op keeps them for its backward (``save_inputs``) and backward has not
        freed them; else ``None``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * 3).grad_fn.saved_inputs
        (array([1., 2.]), 3)
        >>> print((x + 3).grad_fn.saved_inputs)  # add's rule needs no input
        None
        """
        return self.inputs if self.spec.save_inputs else None

    @property
    def saved_output(self) -> np.ndarray | None:
        """The output array, when the op keeps it for its backward (``save_output``) and
        backward has not freed it; else ``None``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor(0.0, requires_grad=True)
        >>> x.exp().grad_fn.saved_output
        array(1.)
        """
        return self.out if self.spec.save_output else None

    @property
    def constants(self) -> dict[str, Any]:
        """What forward kept on the node besides inputs and output, by the names the op
        declares in ``constants``; empty once backward has released them.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor([-1.0, 2.0], requires_grad=True)
        >>> x.relu().grad_fn.constants
        {'mask': array([False,  True])}
        """
        kept = self.__dict__
        return {name: kept[name] for name in self.spec.constants if name in kept}

    @property
    def can_recompute(self) -> bool:
        """Whether :meth:`recompute` can run the op again: its forward takes exactly the
        node's operands, each as a positional parameter, so no setting given by keyword
        is missing. ``False`` once backward has freed the node.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> x.exp().grad_fn.can_recompute, tg.concatenate([x, x]).grad_fn.can_recompute
        (True, False)
        """
        return self.parents is not None and _fixed_arity(self.op.forward) == len(self.parents)

    def recompute(self, operands: Sequence[Any]) -> np.ndarray:
        """The op's forward run again on ``operands``, one value per operand (constants
        included), as forward would see them: the value of a node nobody kept.

        Whatever forward keeps goes on a scratch node, not on this one, whose backward
        may still read its own. Raises ``ValueError`` when the op cannot be run again
        (see :attr:`can_recompute`) or ``operands`` are not one per operand.

        Examples
        --------
        >>> import numpy as np
        >>> import tensorgrad as tg
        >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x + 3.0
        >>> y.grad_fn.recompute([np.array([10.0, 20.0]), 3.0])
        array([13., 23.])
        """
        if not self.can_recompute:
            raise ValueError(
                f"{self.name}: its forward cannot be run again from the operands alone (it "
                "takes settings by keyword, or backward() freed the node)"
            )
        if len(operands) != self.arity:
            raise ValueError(
                f"{self.name}: recompute needs one value per operand, {self.arity}, "
                f"got {len(operands)}"
            )
        scratch = Node()
        scratch.spec = self.spec
        forward: Callable[..., Any] = self.op.forward  # called with a Node as ctx
        return np.asarray(forward(scratch, *operands))

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
