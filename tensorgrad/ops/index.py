"""Indexing: basic slices, integer arrays (repeats accumulate), boolean masks, None and ``...``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, _arrays_in_index
from .registry import OpInfo, register
from .shape import view_of


def _index_tuple(index: Any) -> tuple[Any, ...]:
    """The index as a tuple, with tensors replaced by their arrays and lists by arrays."""
    parts = _arrays_in_index(index)
    parts = parts if isinstance(parts, tuple) else (parts,)
    return tuple(_list_index(p) if isinstance(p, list) else p for p in parts)


def _list_index(part: list[Any]) -> np.ndarray:
    array = np.asarray(part)
    # asarray makes an empty list float, which no index may be; NumPy reads it as an
    # empty integer index, and so do we.
    return array.astype(np.intp) if array.size == 0 else array


def _without_masks(index: tuple[Any, ...]) -> tuple[Any, ...]:
    """Boolean masks replaced by the integer arrays of their true positions, and integer
    arrays copied: backward must not see an index the caller edited after the forward."""
    if not any(isinstance(p, np.ndarray) for p in index):
        return index
    result: list[Any] = []
    for p in index:
        # A 0-d mask, which NumPy reads as a new axis of length 1 or 0, has no positions
        # to list (nor repeats): it is copied as it is, like an integer array.
        if isinstance(p, np.ndarray) and p.dtype == bool and p.ndim:
            result.extend(np.nonzero(p))
        else:
            result.append(p.copy() if isinstance(p, np.ndarray) else p)
    return tuple(result)


def _is_basic(index: tuple[Any, ...]) -> bool:
    return all(
        p is None or p is Ellipsis or isinstance(p, slice)
        or (isinstance(p, int | np.integer) and not isinstance(p, bool | np.bool_))
        for p in index
    )  # fmt: skip


def scatter_add_array(
    values: np.ndarray, index: tuple[Any, ...], shape: tuple[int, ...]
) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated positions accumulate)."""
    out = np.zeros(shape, dtype=np.asarray(values).dtype)
    index = _without_masks(index)
    if _is_basic(index):
        out[index] = values  # basic indexing never repeats a position
    else:
        np.add.at(out, index, values)
    return out


class GetItem(Function):
    """d x[index] = zeros of x's shape with grad added at index"""

    constants = ("index", "in_shape")
    hint = "Indices must lie in [-n, n) for an axis of length n; a mask must match the shape."

    name = "getitem"

    def forward(ctx, x, index):
        x = np.asarray(x)
        out = x[index]  # NumPy checks the index (a mask's shape included) here
        ctx.index, ctx.in_shape = _without_masks(index), x.shape
        return out

    def backward(ctx, grad, xp):
        return xp.scatter_add(grad, ctx.index, ctx.in_shape), None


class ScatterAdd(Function):
    """d scatter_add(v, index, shape) = grad[index]"""

    constants = ("index",)

    name = "scatter_add"

    def forward(ctx, values, index, shape):
        ctx.index = _without_masks(index)
        return scatter_add_array(values, index, shape)

    def backward(ctx, grad, xp):
        return grad[ctx.index], None, None


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with NumPy's basic and advanced indexing.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad
    array([2., 0., 1.])
    """
    return view_of(GetItem._fast(x, _index_tuple(index)), x)


def scatter_add(values: Any, index: Any, shape: tuple[int, ...]) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``index``; repeated positions accumulate.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.scatter_add(tg.tensor([1.0, 2.0]), [0, 0], (2,))
    tensor([3., 0.])
    """
    return ScatterAdd._fast(values, _index_tuple(index), tuple(shape))


def _index_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    shape = shapes[0]
    kind = rng.integers(0, 3)
    if kind == 0:  # basic: a slice per axis, sometimes an int, a None or an Ellipsis
        index: list[Any] = []
        for n in shape:
            if n > 1 and rng.random() < 0.3:
                index.append(int(rng.integers(-n, n)))
            else:
                lo = int(rng.integers(0, n + 1))
                index.append(slice(lo, None, int(rng.choice([1, 2, -1]))) if n else slice(None))
        if rng.random() < 0.3:
            index.insert(int(rng.integers(0, len(index) + 1)), None)
        if index and rng.random() < 0.3:
            index[0] = Ellipsis
        return {"index": tuple(index)}
    if kind == 1 and shape:  # integer array on the first axis, with repeats
        n = shape[0]
        picks = rng.integers(-n, n, size=int(rng.integers(0, 6))) if n else np.zeros(0, int)
        # Nothing picked: the empty list, as a user writes it (NumPy's empty integer index).
        return {"index": picks if picks.size else []}
    # A boolean mask over the whole tensor; on a 0-d one, a new axis of length 1 or 0.
    return {"index": np.asarray(rng.random(shape) < 0.5)}


def _np_getitem(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


register(OpInfo("getitem", getitem, _np_getitem, params=_index_params))


def _scatter_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    """Rows of the values go to random rows (repeats included) of a taller result."""
    rows = shapes[0][0]
    height = int(rng.integers(1, rows + 3))
    return {"index": rng.integers(0, height, size=rows), "shape": (height, *shapes[0][1:])}


def _np_scatter_add(values: np.ndarray, index: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, index, values)
    return out.astype(values.dtype)


register(OpInfo("scatter_add", scatter_add, _np_scatter_add, params=_scatter_params, min_dims=1))
