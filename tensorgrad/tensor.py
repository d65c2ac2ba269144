"""Tensor: a NumPy array, its gradient, and the node of the op that made it.

The operations themselves live in :mod:`tensorgrad.ops`, which also attaches them to
``Tensor`` as methods and operators (``x.exp()``, ``x + y``, ``x[i]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import modes
from .errors import builtin_kind

if TYPE_CHECKING:
    from . import ops as _ops
    from .function import Node

_default_dtype: np.dtype = np.dtype(np.float64)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype that Python floats, lists and constructors become.

    The default dtype is one for the whole process, as in PyTorch (grad mode and
    ``detect_anomaly``, by contrast, belong to the thread that sets them): set it once,
    before any thread starts, or pass ``dtype=`` to the constructors and layers instead.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> tg.set_default_dtype(np.float32)
    >>> tg.tensor([1.0]).dtype
    dtype('float32')
    >>> tg.set_default_dtype(np.float64)
    """
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """The float dtype that Python floats, lists and constructors become (float64 unless set).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.get_default_dtype()
    dtype('float64')
    """
    return _default_dtype


def as_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """Convert ``data`` to an array with tensorgrad's dtype policy.

    NumPy arrays keep their dtype; Python floats (and lists of them) take the default
    float dtype; Python ints become int64.

    Examples
    --------
    >>> as_array([1, 2]).dtype, as_array(1.5).dtype
    (dtype('int64'), dtype('float64'))
    """
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
    else:
        arr = np.asarray(data)
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(_default_dtype, copy=False)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64, copy=False)
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if copy and (arr is data or (isinstance(data, Tensor) and arr is data._data)):
        arr = arr.copy()
    return arr


def _check_differentiable(arr: np.ndarray, where: str) -> None:
    if arr.dtype.kind != "f":
        raise TypeError(
            f"{where}: only floating-point tensors can require gradients, but this one has "
            f"dtype {arr.dtype}. Create it with a float dtype, e.g. tg.tensor(data, "
            "dtype=np.float64), or call .astype(np.float64) first."
        )


class Tensor:
    """An N-dimensional array that records the operations applied to it.

    ``Tensor(data)`` wraps ``data`` without copying a NumPy array (keeping its dtype);
    ``tg.tensor(data)`` copies.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    >>> (w * 2).sum().backward()
    >>> w.grad
    array([[2., 2., 2.],
           [2., 2., 2.]])
    """

    # ``_version`` (the stamp of the last in-place edit) is set only by an edit: tensors
    # that are never edited, nearly all of them, skip one write when created.
    # ``_base`` is the tensor whose memory this one shares (set for views and detach()).
    __slots__ = ("_data", "grad", "_requires_grad", "_node", "_version", "_base", "__weakref__")
    # Makes `ndarray + tensor` call Tensor.__radd__ instead of converting the tensor.
    __array_priority__ = 1000

    # The slots' types (bare annotations make no class attributes, so no clash with them).
    _data: np.ndarray
    grad: np.ndarray | None
    _requires_grad: bool
    _node: Node | None
    _version: int
    _base: Tensor | None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        self._data = as_array(data)
        self.grad = None
        self._node = None
        self._requires_grad = False
        # Leaves are what gets edited in place (parameters): give them the slots an edit
        # reads, which op results (never edited, nearly all of them) leave unset.
        self._version = 0
        self._base = None
        if requires_grad:
            _check_differentiable(self._data, "Tensor")
            self._requires_grad = True

    @classmethod
    def _from_node(cls, data: np.ndarray, node: Any) -> Tensor:
        t = cls.__new__(cls)
        t._data, t.grad, t._node, t._requires_grad = data, None, node, True
        return t

    # --- attributes -------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The wrapped ``numpy.ndarray``. Assigning to it counts as an in-place edit."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        # `p.data -= lr * p.grad` lands here once per parameter per step, with the array
        # the tensor already holds, edited in place: nothing to check but the edit.
        if value is self._data:
            modes.record_edit(self)
            return
        arr = value if type(value) is np.ndarray else as_array(value)
        if self._requires_grad and (arr.dtype.kind != "f" or arr.shape != self._data.shape):
            _check_differentiable(arr, "Tensor.data")
            raise ValueError(
                f"Tensor.data: the new data has shape {arr.shape} but the tensor, which "
                f"requires grad, has shape {self._data.shape}; create a new tensor instead"
            )
        self._data = arr
        modes.record_edit(self)

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to (and, for a leaf, accumulate in) this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None:
            raise RuntimeError(
                "requires_grad: only leaf tensors can change requires_grad; use .detach() "
                "to get a tensor cut from the graph"
            )
        if value:
            _check_differentiable(self._data, "requires_grad")
        self._requires_grad = bool(value)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (their ``.grad`` is kept)."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The node of the op that produced this tensor, or ``None`` for a leaf."""
        return self._node

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the data, as ``ndarray.shape``."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions, as ``ndarray.ndim``."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """The number of elements, as ``ndarray.size``."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the data, as ``ndarray.dtype``."""
        return self._data.dtype

    # --- autograd ---------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires a gradient.

        ``grad`` is the upstream gradient (same shape as ``self``); it may be omitted
        only for a single-element tensor.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).backward(tg.tensor([1.0, 1.0]))
        >>> x.grad
        array([2., 4.])
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph; create the "
                "inputs with requires_grad=True (and not under tg.no_grad())"
            )
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.shape}, and a gradient can be "
                    "implied only for a single-element output; reduce it first (e.g. "
                    ".sum() or .mean()) or pass backward(grad) with the same shape"
                )
            grad_array = _seed(self._data)
        else:
            grad_array = as_array(grad, dtype=self._data.dtype)
            if grad_array.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {grad_array.shape} but the tensor has shape "
                    f"{self.shape}; pass a gradient of the same shape"
                )
        _walk()((self,), (grad_array,), retain_graph, False, None)

    def detach(self) -> Tensor:
        """A tensor sharing the same data, cut from the graph.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.tensor([1.0], requires_grad=True).detach().requires_grad
        False
        """
        if self._node is None:
            return share_memory(Tensor(self._data), self)
        # Sharing memory goes through a bare stand-in for it, so that the detached tensor
        # does not keep this one, and with it the whole graph, alive.
        memory = getattr(self, "_base", None)
        if memory is None:
            memory = self._base = Tensor(self._data)
            memory._version = getattr(self, "_version", 0)
            if self._node.op.save_output:
                self._node._out_memory = memory
        alias = Tensor(self._data)
        alias._base = memory
        return alias

    def zero_grad(self) -> None:
        """Set ``.grad`` to ``None``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> x = tg.tensor([1.0], requires_grad=True)
        >>> (x * 2).sum().backward(); x.zero_grad(); print(x.grad)
        None
        """
        self.grad = None

    # --- conversion -------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The wrapped array (shared, not copied).

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.tensor([1.0, 2.0]).numpy()
        array([1., 2.])
        """
        return self._data

    def item(self) -> Any:
        """The single element as a Python number.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.tensor([[3.5]]).item()
        3.5
        """
        if self._data.size != 1:
            raise ValueError(
                f"item: only a single-element tensor converts to a Python number, this one "
                f"has shape {self.shape}; index or reduce it first"
            )
        return self._data.item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.tensor([[1, 2]]).tolist()
        [[1, 2]]
        """
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len: a 0-d tensor has no length; use .item() for its value")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"bool: a tensor of shape {self.shape} has no single truth value; use "
                "(x).all() or (x).any() from NumPy, e.g. bool(np.all(x))"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if self._node is not None:
            raise RuntimeError(
                "deepcopy: only leaf tensors can be deep-copied (a copy of a graph node would "
                "be a second, unrelated graph); detach() it first"
            )
        copy = Tensor(self._data.copy(), requires_grad=self._requires_grad)
        copy.grad = None if self.grad is None else self.grad.copy()
        memo[id(self)] = copy
        return copy

    def __repr__(self) -> str:
        extras = []
        if self._data.dtype not in (_default_dtype, np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype={self._data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        prefix = "tensor("
        body = np.array2string(self._data, separator=", ", prefix=prefix)
        return prefix + body + "".join(", " + e for e in extras) + ")"

    # --- in-place edits ---------------------------------------------------------------
    def _check_inplace(self, op: str) -> None:
        if self._requires_grad:
            raise RuntimeError(
                f"{op}: in-place change of a tensor that requires grad would corrupt its "
                "gradient; use an out-of-place op (x = x + 1), or edit x.data to change a "
                "parameter's values"
            )

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        try:
            self._data[_arrays_in_index(index)] = as_array(value)
        except (IndexError, ValueError, TypeError) as exc:
            kind = builtin_kind(exc)
            raise kind(f"__setitem__: {exc} (tensor shape {self.shape})") from exc
        modes.record_edit(self)

    def _inplace(self, ufunc: np.ufunc, other: Any, op: str) -> Tensor:
        self._check_inplace(op)
        other_data = other._data if isinstance(other, Tensor) else other
        try:
            ufunc(self._data, other_data, out=self._data)
        except (ValueError, TypeError) as exc:  # NumPy's casting or broadcasting refusal
            raise builtin_kind(exc)(
                f"{op}: {exc} (tensor shape {self.shape}, dtype {self.dtype}); an in-place "
                "result must keep the tensor's shape and dtype, use x = x + y otherwise"
            ) from None
        modes.record_edit(self)
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(np.add, other, "__iadd__")

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(np.subtract, other, "__isub__")

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(np.multiply, other, "__imul__")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(np.true_divide, other, "__itruediv__")

    if TYPE_CHECKING:
        # Importing tensorgrad.ops attaches its ops to Tensor (see _METHODS there); declared
        # here for type checkers only. Not __eq__ and __ne__, which object types as
        # returning bool, nor softmax, which tensorgrad.functional attaches.
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __rxor__(self, other: Any) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        @property
        def T(self) -> Tensor: ...

        # The named methods are the functions themselves, called with the tensor first.
        transpose = _ops._method_transpose
        exp, log, sqrt, abs = _ops.exp, _ops.log, _ops.sqrt, _ops.abs
        sin, cos, tanh, sigmoid = _ops.sin, _ops.cos, _ops.tanh, _ops.sigmoid
        relu, leaky_relu, softplus, clip = _ops.relu, _ops.leaky_relu, _ops.softplus, _ops.clip
        maximum, minimum = _ops.maximum, _ops.minimum
        sum, mean, max, min = _ops.sum, _ops.mean, _ops.max, _ops.min
        var, std, logsumexp, log_softmax = _ops.var, _ops.std, _ops.logsumexp, _ops.log_softmax
        argmax, argmin = _ops.argmax, _ops.argmin
        reshape, flatten, squeeze = _ops.reshape, _ops.flatten, _ops.squeeze
        unsqueeze = expand_dims = _ops.unsqueeze
        broadcast_to, swapaxes, split, pad = _ops.broadcast_to, _ops.swapaxes, _ops.split, _ops.pad
        astype, matmul = _ops.astype, _ops.matmul
        add, sub, mul, div, pow, neg = _ops.add, _ops.sub, _ops.mul, _ops.div, _ops.pow, _ops.neg
        less, less_equal = _ops.less, _ops.less_equal
        greater, greater_equal = _ops.greater, _ops.greater_equal
        equal, not_equal = _ops.equal, _ops.not_equal


_SEEDS: dict[tuple[np.dtype, tuple[int, ...]], np.ndarray] = {}


def _seed(data: np.ndarray) -> np.ndarray:
    """A read-only array of ones shaped like ``data``, shared by every backward() of that
    dtype and shape: the engine never writes a gradient in place (a leaf that receives
    it copies it), and backward then allocates nothing before it starts freeing."""
    key = (data.dtype, data.shape)
    seed = _SEEDS.get(key)
    if seed is None:
        seed = _SEEDS[key] = np.ones_like(data)
        seed.flags.writeable = False
    return seed


def _arrays_in_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index



_walk_function: Any = None


def _walk() -> Any:
    """The backward walk, :func:`tensorgrad.backward._walk`, imported on first use: that
    module builds on this one, so this one cannot import it before it is defined."""
    global _walk_function
    if _walk_function is None:
        from .backward import _walk as walk

        _walk_function = walk
    return _walk_function


def share_memory(alias: Tensor, of: Any) -> Tensor:
    """Mark ``alias`` as sharing ``of``'s memory, so an in-place edit of either is seen.

    Examples
    --------
    >>> base = Tensor([1.0, 2.0])
    >>> share_memory(Tensor(base.data), base)._base is base
    True
    """
    if isinstance(of, Tensor):
        base = getattr(of, "_base", None)
        alias._base = of if base is None else base
    return alias


def as_tensor(x: Any) -> Tensor:
    """``x`` itself if it is a tensor, else a new tensor wrapping it (``tg.tensor``'s dtype policy).

    Examples
    --------
    >>> as_tensor(2.0)
    tensor(2.)
    """
    return x if isinstance(x, Tensor) else Tensor(x)
