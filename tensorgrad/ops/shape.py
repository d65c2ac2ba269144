"""Shape ops: reshape, transpose, broadcast_to, concatenate, pad, and composites of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, as_tensor, share_memory
from .reduce import normalize_axis
from .registry import OpInfo, register


class Reshape(Function):
    """d reshape(x) = grad reshaped back to x's shape"""

    constants = ("in_shape",)
    hint = "The new shape must hold as many elements as the old; one entry may be -1."

    def forward(ctx, x, shape):
        x = np.asarray(x)
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, grad, xp):
        return grad.reshape(ctx.in_shape), None


class Transpose(Function):
    """d transpose(x, axes) = transpose(grad, argsort(axes))"""

    constants = ("inverse",)
    hint = "axes must list every axis once, e.g. (1, 0, 2) for a 3-d tensor."

    def forward(ctx, x, axes):
        x = np.asarray(x)
        out = np.transpose(x, axes)
        order = range(x.ndim)[::-1] if axes is None else [a % x.ndim for a in axes]
        ctx.inverse = tuple(int(i) for i in np.argsort(order))
        return out

    def backward(ctx, grad, xp):
        return grad.transpose(ctx.inverse), None


class BroadcastTo(Function):
    """d broadcast_to(x) = grad (the engine sums it back to x's shape)"""

    constants = ()

    name = "broadcast_to"

    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    def backward(ctx, grad, xp):
        return grad, None


class Concatenate(Function):
    """d concatenate(xs) = the matching slice of grad for each input"""

    constants = ("slices",)
    hint = "The inputs must have the same number of dimensions and agree except on axis."

    def forward(ctx, *arrays, axis):
        arrays = [np.asarray(a) for a in arrays]
        out = np.concatenate(arrays, axis=axis)
        axis = axis % out.ndim
        bounds = np.cumsum([0] + [a.shape[axis] for a in arrays])
        ctx.slices = [
            (slice(None),) * axis + (slice(int(lo), int(hi)),) for lo, hi in zip(bounds, bounds[1:])
        ]
        return out

    def backward(ctx, grad, xp):
        return tuple(grad[s] if p is not None else None for s, p in zip(ctx.slices, ctx.parents))


class Pad(Function):
    """d pad(x) = the centre of grad, where x was placed"""

    constants = ("centre",)

    def forward(ctx, x, pad_width, constant_values):
        x = np.asarray(x)
        if x.ndim == 0:  # nothing to pad, as numpy.pad
            ctx.centre = ()
            return x.copy()
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
        if (widths < 0).any():
            raise ValueError(f"pad: pad widths must be non-negative, got {pad_width}")
        ctx.centre = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=constant_values)

    def backward(ctx, grad, xp):
        return grad[ctx.centre], None, None


def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with a new shape holding the same number of elements (one entry may be -1).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.reshape(tg.arange(6.0), (2, 3)).shape
    (2, 3)
    """
    if len(shape) == 1 and isinstance(shape[0], Sequence | np.ndarray):
        shape = tuple(shape[0])
    return view_of(Reshape._fast(x, tuple(int(n) for n in shape)), x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is ``None``), as ``numpy.transpose``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.transpose(tg.zeros((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    return view_of(Transpose._fast(x, None if axes is None else tuple(int(a) for a in axes)), x)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.swapaxes(tg.zeros((2, 3, 4)), -1, -2).shape
    (2, 4, 3)
    """
    axes = list(range(np.ndim(x)))
    (axis1,), (axis2,) = (normalize_axis(a, len(axes), "swapaxes") for a in (axis1, axis2))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def broadcast_to(x: Any, shape: int | Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` with NumPy's rules.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.broadcast_to(tg.tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    return view_of(BroadcastTo._fast(x, shape), x)


def flatten(x: Any, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` into one (all of them by default, like NumPy).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.flatten(tg.zeros((2, 3, 4))).shape, tg.flatten(tg.zeros((2, 3, 4)), 1).shape
    ((24,), (2, 12))
    """
    shape = np.shape(x)
    if len(shape) == 0:
        return reshape(x, (1,))
    (start,), (end,) = (normalize_axis(a, len(shape), "flatten") for a in (start_axis, end_axis))
    if start > end:
        raise ValueError(
            f"flatten: start_axis {start_axis} comes after end_axis {end_axis} for shape {shape}"
        )
    return reshape(x, shape[:start] + (-1,) + shape[end + 1 :])


def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Remove axes of length one (all of them when ``axis`` is ``None``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.squeeze(tg.zeros((1, 3, 1)), axis=0).shape
    (3, 1)
    """
    shape = np.shape(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = normalize_axis(axis, len(shape), "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(
                    f"squeeze: axis {a} has length {shape[a]}, not 1 (shape {shape}); "
                    "only axes of length one can be removed"
                )
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def unsqueeze(x: Any, axis: int | tuple[int, ...]) -> Tensor:
    """Insert axes of length one at ``axis`` (positions in the result), as ``numpy.expand_dims``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.unsqueeze(tg.zeros((3,)), 0).shape, tg.unsqueeze(tg.zeros((3,)), -1).shape
    ((1, 3), (3, 1))
    """
    shape = np.shape(x)
    count = 1 if isinstance(axis, int | np.integer) else len(axis)
    axes = normalize_axis(axis, len(shape) + count, "unsqueeze")
    rest = iter(shape)
    return reshape(x, tuple(1 if i in axes else next(rest) for i in range(len(shape) + count)))


expand_dims = unsqueeze


def concatenate(tensors: Sequence[Any], axis: int | None = 0) -> Tensor:
    """Join tensors along an existing axis (flattened first when ``axis`` is ``None``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.concatenate([tg.zeros((2, 3)), tg.ones((1, 3))]).shape
    (3, 3)
    """
    if len(tensors) == 0:
        raise ValueError("concatenate: need at least one tensor to join")
    if axis is None:
        return Concatenate._fast(*[flatten(t) for t in tensors], axis=0)
    return Concatenate._fast(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.stack([tg.zeros(3), tg.ones(3)], axis=1).shape
    (3, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: need at least one tensor to stack")
    shapes = {np.shape(t) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split into pieces along ``axis`` with ``numpy.split``'s meaning.

    An int ``N`` makes N equal pieces (an error if the length is not divisible); a
    sequence gives the indices where each new piece starts.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> [p.shape for p in tg.split(tg.arange(6.0), [1, 4])]
    [(1,), (3,), (2,)]
    """
    x = as_tensor(x)
    (axis,) = normalize_axis(axis, x.ndim, "split")
    length = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        sections = int(indices_or_sections)
        if sections <= 0 or length % sections:
            raise ValueError(
                f"split: an axis of length {length} does not divide into {sections} equal "
                "pieces; pass a list of split indices instead"
            )
        bounds = [i * (length // sections) for i in range(sections + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], length]
    lead = (slice(None),) * axis
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds, bounds[1:])]


def pad(x: Any, pad_width: Any, constant_values: float = 0) -> Tensor:
    """Pad with a constant, taking ``numpy.pad``'s ``pad_width``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.pad(tg.ones((2, 2)), 1).shape, tg.pad(tg.ones((2, 2)), ((0, 0), (1, 2))).shape
    ((4, 4), (2, 5))
    """
    if isinstance(constant_values, Tensor) and constant_values.requires_grad:
        raise TypeError(
            "pad: constant_values cannot carry a gradient; pad with 0 and add the value "
            "times a mask instead"
        )
    return Pad._fast(x, pad_width, constant_values)


def view_of(result: Tensor, x: Any) -> Tensor:
    """``result``, marked as sharing ``x``'s memory when NumPy returned a view."""
    shares = isinstance(x, Tensor) and np.may_share_memory(result._data, x._data)
    return share_memory(result, x) if shares else result


def _reshape_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    size = int(np.prod(shapes[0]))
    if size == 0:  # any shape with a 0 holds nothing; NumPy cannot infer a -1 beside it
        return {"shape": tuple(int(n) for n in rng.permutation([0, int(rng.integers(0, 4)), 1]))}
    dims = [d for d in range(1, size + 1) if size % d == 0]
    first = int(rng.choice(dims))
    return {"shape": (first, -1) if rng.random() < 0.5 else (size // first, first, 1)}


def _transpose_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    ndim = len(shapes[0])
    return {"axes": None if rng.random() < 0.3 else tuple(int(a) for a in rng.permutation(ndim))}


def _broadcast_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
    return {"shape": lead + tuple(int(rng.integers(1, 4)) if n == 1 else n for n in shapes[0])}


def _pad_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    widths = [tuple(int(w) for w in rng.integers(0, 3, size=2)) for _ in shapes[0]]
    # A 0-d tensor has no axis to pad (numpy.pad returns it as it is), nor a width per axis.
    width = widths if widths else int(rng.integers(0, 3))
    return {"pad_width": width, "constant_values": float(rng.uniform(-1, 1))}


def _axis_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    ndim = len(shapes[0])
    return {"axis": int(rng.integers(-ndim, ndim)) if ndim else 0}


def _concatenate(*xs: Any, axis: int) -> Tensor:
    return concatenate(xs, axis=axis)


def _np_concatenate(*xs: np.ndarray, axis: int) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _stack(*xs: Any, axis: int) -> Tensor:
    return stack(xs, axis=axis)


def _np_stack(*xs: np.ndarray, axis: int) -> np.ndarray:
    return np.stack(xs, axis=axis)


def _stack_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    ndim = len(shapes[0]) + 1
    return {"axis": int(rng.integers(-ndim, ndim))}


def _split_first(x: Any, sections: Any, axis: int) -> Any:
    pieces = split(x, sections, axis)
    return pieces[len(pieces) // 2]


def _np_split_first(x: np.ndarray, sections: Any, axis: int) -> np.ndarray:
    pieces = np.split(x, sections, axis)
    return pieces[len(pieces) // 2]


def _split_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    params = _axis_params(rng, shapes)
    length = shapes[0][params["axis"]]
    params["sections"] = sorted(int(i) for i in rng.integers(0, length + 1, size=2))
    return params


register(OpInfo("reshape", lambda x, shape: reshape(x, shape), np.reshape, params=_reshape_params))
register(OpInfo("transpose", transpose, np.transpose, params=_transpose_params))
register(OpInfo("broadcast_to", broadcast_to, np.broadcast_to, params=_broadcast_params))
register(OpInfo("pad", pad, np.pad, params=_pad_params))
register(OpInfo("flatten", flatten, np.ravel))


def _squeeze_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    ones = [i for i, n in enumerate(shapes[0]) if n == 1]
    if not ones or rng.random() < 0.3:
        return {"axis": None}
    return {
        "axis": tuple(
            int(a) for a in rng.choice(ones, int(rng.integers(1, len(ones) + 1)), replace=False)
        )
    }


def _unsqueeze_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    ndim = len(shapes[0]) + 1
    return {"axis": int(rng.integers(-ndim, ndim))}


def _swapaxes_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    ndim = len(shapes[0])
    return {"axis1": int(rng.integers(-ndim, ndim)), "axis2": int(rng.integers(-ndim, ndim))}


register(OpInfo("squeeze", squeeze, np.squeeze, params=_squeeze_params))
register(OpInfo("unsqueeze", unsqueeze, np.expand_dims, params=_unsqueeze_params))
register(OpInfo("swapaxes", swapaxes, np.swapaxes, params=_swapaxes_params, min_dims=1))
register(
    OpInfo(
        "concatenate",
        _concatenate,
        _np_concatenate,
        ("real",) * 3,
        "same",
        params=_axis_params,
        min_dims=1,
    )
)
register(OpInfo("stack", _stack, _np_stack, ("real",) * 2, "same", params=_stack_params))
register(OpInfo("split", _split_first, _np_split_first, params=_split_params, min_dims=1))
