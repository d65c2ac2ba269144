"""Reductions over ``axis=None | int | tuple`` with ``keepdims``, and composites of them."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, as_tensor
from .elementwise import _float_constant, exp, log, sqrt
from .registry import OpInfo, reduction_params, register

Axis = int | tuple[int, ...] | None


def normalize_axis(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """The axes as a tuple of non-negative ints; out-of-range or repeated axes are errors.

    Examples
    --------
    >>> normalize_axis(-1, 3, "sum"), normalize_axis(None, 2, "sum")
    ((2,), (0, 1))
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s); "
                f"use an axis in [{-ndim}, {ndim})"
            )
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: axis {axis} repeats an axis; name each axis once")
    return tuple(result)


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _numpy_call(x: Any, dtype: Any, out: Any, op: str) -> Any:
    """Accept the ``dtype=`` and ``out=`` that NumPy passes when ``np.sum(tensor)`` defers to us."""
    if out is None and dtype is None:
        return x
    if out is not None:
        raise TypeError(f"{op}: out= is not supported; use the returned tensor")
    return x if dtype is None else as_tensor(x).astype(dtype)


def broadcast_copy(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``grad`` broadcast to ``shape`` as a fresh array: cheaper than ``np.broadcast_to``'s
    Python-level checks, and the leaf that receives it need not copy it again."""
    out = np.empty(shape, dtype=grad.dtype)
    np.copyto(out, grad)
    return out


class Sum(Function):
    """d sum(x) = grad, broadcast back over the summed axes"""

    constants: tuple[str, ...] = ("in_shape", "kept")

    def forward(ctx, x, axis, keepdims):
        x = np.asarray(x)
        ctx.in_shape = x.shape
        if axis is None:  # the common case, without normalising anything
            ctx.kept = (1,) * x.ndim
            return np.add.reduce(x, axis=None, keepdims=keepdims)
        axes = normalize_axis(axis, x.ndim, ctx.name)
        ctx.kept = _kept_shape(x.shape, axes)
        # np.add.reduce is what np.sum calls, without its Python-level wrapper.
        return np.add.reduce(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad, xp):
        return (xp.broadcast_to(_with_kept_axes(grad, ctx.kept), ctx.in_shape),)


def _with_kept_axes(grad: Any, kept: tuple[int, ...]) -> Any:
    """A reduction's gradient with its summed axes put back as size 1, ready to broadcast;
    a 0-d one (every axis summed) broadcasts as it is."""
    return grad.reshape(kept) if grad.ndim else grad


class Mean(Sum):
    """d mean(x) = grad / n, broadcast back over the n averaged elements"""

    constants = ("in_shape", "kept", "scale")

    def forward(ctx, x, axis, keepdims):
        total = Sum.forward(ctx, x, axis, keepdims)
        count = math.prod(ctx.in_shape) if axis is None else _count(ctx.in_shape, axis, "mean")
        if count == 0:
            raise ValueError(
                f"mean: no elements to average over axis {axis} of shape {ctx.in_shape}; "
                "average over non-empty axes, or skip an empty batch"
            )
        ctx.scale = 1.0 / count
        return total * ctx.scale

    def backward(ctx, grad, xp):
        return (xp.broadcast_to(_with_kept_axes(grad, ctx.kept) * ctx.scale, ctx.in_shape),)


class Max(Function):
    """d max(x) = grad at the arg-max; tied maxima share it equally"""

    constants = ("weights", "kept")
    extreme: np.ufunc = np.maximum  # its .reduce picks the extreme value

    def forward(ctx, x, axis, keepdims):
        x = np.asarray(x)
        axes = normalize_axis(axis, x.ndim, ctx.name)
        try:
            out = ctx.op.extreme.reduce(x, axis=axes, keepdims=True)
        except ValueError:
            if x.size:
                raise
            raise ValueError(
                f"{ctx.name}: no elements to reduce over axis {axis} of shape {x.shape}, and "
                f"the {ctx.name} of nothing has no value (NumPy refuses it too); reduce over "
                "non-empty axes, or skip an empty batch"
            ) from None
        mask = x == out
        ctx.weights = _float_constant(mask / mask.sum(axis=axes, keepdims=True), x)
        ctx.kept = out.shape
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(ctx, grad, xp):
        kept = grad.reshape(ctx.kept)
        return (xp.guard(kept, kept * ctx.weights),)


class Min(Max):
    """d min(x) = grad at the arg-min; tied minima share it equally"""

    extreme = np.minimum


def sum(
    x: Any, axis: Axis = None, keepdims: bool = False, *, dtype: Any = None, out: Any = None
) -> Tensor:
    """Sum over ``axis`` (all axes when ``None``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.sum(tg.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    tensor([4., 6.])
    """
    return Sum._fast(_numpy_call(x, dtype, out, "sum"), axis=axis, keepdims=keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False, *, out: Any = None) -> Tensor:
    """Maximum over ``axis``; the gradient goes to the arg-max, ties share it equally.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.max(tg.tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1)
    tensor([5., 4.])
    """
    return Max._fast(_numpy_call(x, None, out, "max"), axis=axis, keepdims=keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False, *, out: Any = None) -> Tensor:
    """Minimum over ``axis``; the gradient goes to the arg-min, ties share it equally.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.min(tg.tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1)
    tensor([1., 3.])
    """
    return Min._fast(_numpy_call(x, None, out, "min"), axis=axis, keepdims=keepdims)


def _count(shape: tuple[int, ...], axis: Axis, op: str) -> int:
    return math.prod(shape[a] for a in normalize_axis(axis, len(shape), op))


def mean(
    x: Any, axis: Axis = None, keepdims: bool = False, *, dtype: Any = None, out: Any = None
) -> Tensor:
    """Arithmetic mean over ``axis``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.mean(tg.tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    tensor([1.5, 3.5])
    """
    return Mean._fast(_numpy_call(x, dtype, out, "mean"), axis=axis, keepdims=keepdims)


def _variance(x: Any, axis: Axis, ddof: int, keepdims: bool, op: str) -> Tensor:
    x = as_tensor(x)
    n = _count(x.shape, axis, op)
    if n - ddof <= 0:
        raise ValueError(
            f"{op}: ddof={ddof} leaves no degrees of freedom for {n} element(s) over axis "
            f"{axis} of shape {x.shape}; reduce over non-empty axes with more than ddof "
            "elements, or lower ddof"
        )
    centered = x - mean(x, axis, keepdims=True)
    return sum(centered * centered, axis, keepdims) * (1.0 / (n - ddof))


def var(
    x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False, *, dtype: Any = None,
    out: Any = None,
) -> Tensor:  # fmt: skip
    """Variance over ``axis`` with NumPy's ``ddof`` (0 by default).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.var(tg.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(1.25)
    """
    return _variance(_numpy_call(x, dtype, out, "var"), axis, ddof, keepdims, "var")


def std(
    x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False, *, dtype: Any = None,
    out: Any = None,
) -> Tensor:  # fmt: skip
    """Standard deviation over ``axis``: ``sqrt(var(x, axis, ddof))``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.std(tg.tensor([1.0, 3.0]))
    tensor(1.)
    """
    return sqrt(_variance(_numpy_call(x, dtype, out, "std"), axis, ddof, keepdims, "std"))


def _stable_shift(x: np.ndarray, axis: Any) -> np.ndarray:
    """The maximum along ``axis`` (kept), to subtract before exp; 0 where it is not finite,
    so rows of -inf (or inf) keep NumPy's answer instead of becoming NaN."""
    # The ufuncs' own reductions: np.max and .all() go through Python-level wrappers.
    shift = np.maximum.reduce(x, axis=axis, keepdims=True)
    if np.logical_and.reduce(np.isfinite(shift), axis=None):
        return shift
    return np.where(np.isfinite(shift), shift, 0)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, stable for inputs of any magnitude.

    Composite: the maximum is subtracted as a constant first, which changes neither
    the value nor the gradient (the softmax of ``x``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.logsumexp(tg.tensor([1000.0, 1000.0]))
    tensor(1000.69314718)
    """
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    if 0 in x.shape:
        # log(sum(exp(nothing))) = log(0) = -inf, with no element to pass a gradient to:
        # a sum of x carries that (empty) gradient without dividing by the 0 in backward.
        return sum(x, axes, keepdims) - np.inf
    shift = _stable_shift(x.data, axes)
    total = log(sum(exp(x - shift), axes, keepdims))
    return total + (shift if keepdims else shift.reshape(total.shape))


class LogSoftmax(Function):
    """log_softmax(x) = x - logsumexp(x);  d = grad - softmax(x) * sum(grad)

    A primitive rather than a composite for speed: one node instead of seven on the
    path every classifier's loss takes.
    """

    constants = ("axis",)

    name = "log_softmax"
    save_output = True

    def forward(ctx, x, axis):
        x = np.asarray(x)
        if not isinstance(axis, int | np.integer):
            raise TypeError(f"log_softmax: axis must be one int, got {axis!r}")
        (ctx.axis,) = normalize_axis(axis, x.ndim, "log_softmax")
        try:
            shifted = x - _stable_shift(x, ctx.axis)
        except ValueError:
            if x.size:
                raise
            # An empty axis (its maximum has no value): there is nothing to normalise,
            # and the result is as empty as x, in the float dtype exp gives.
            return np.exp(x)
        return shifted - np.log(np.add.reduce(np.exp(shifted), axis=ctx.axis, keepdims=True))

    def backward(ctx, grad, xp):
        total = xp.sum(grad, ctx.axis, True)
        result = grad - xp.exp(ctx.out) * total
        if xp.guarding:  # a row whose gradient is all zero stays zero, NaN inputs or not
            result = xp.guard(xp.abs(grad).sum(axis=ctx.axis, keepdims=True), result)
        return result, None


class NllLoss(Function):
    """-x[label] per row of log-probabilities x, then its mean, its sum or each;
    d/dx = -onehot(label) * grad (scaled as the reduction scales each row)

    One op for picking each row's label and reducing, as PyTorch has it: after
    log_softmax, the classifier's loss takes two nodes instead of four. Its rule does
    not depend on x, so its derivative of any order is the one below.
    """

    constants = ("scale", "labels", "in_shape")

    name = "nll_loss"

    def forward(ctx, log_probs, labels, reduction):
        log_probs = np.asarray(log_probs)
        # A copy: the caller may edit its labels before backward.
        ctx.labels, ctx.in_shape = labels.copy(), log_probs.shape
        picked = log_probs[_label_positions(labels)]
        if reduction == "mean" and picked.size == 0:
            raise ValueError(
                f"nll_loss: no samples to average (input of shape {log_probs.shape}); skip an "
                "empty batch, or use reduction='sum'"
            )
        # The gradient of each row's loss is scaled by what the reduction does to it.
        ctx.scale = {"mean": -1.0 / (picked.size or 1), "sum": -1.0, "none": None}[reduction]
        if ctx.scale is None:
            return -picked
        return np.add.reduce(picked, axis=None) * ctx.scale

    def backward(ctx, grad, xp):
        onehot = np.zeros(ctx.in_shape, dtype=grad.dtype)
        onehot[_label_positions(ctx.labels)] = 1
        rows = grad * ctx.scale if ctx.scale is not None else -grad
        return onehot * rows.reshape(rows.shape + (1,)), None  # one factor per row


def _label_positions(labels: np.ndarray) -> Any:
    """The index of each row's label in an array of shape ``labels.shape + (C,)``: plain
    indexing, which costs a third of np.take_along_axis here."""
    return labels if labels.ndim == 0 else (np.arange(len(labels)), labels)


def nll_loss_of_labels(log_probs: Any, labels: np.ndarray, reduction: str) -> Tensor:
    """The negative log-likelihood of checked integer ``labels`` (``(N,)`` or ``()``) under
    ``log_probs`` (``(N, C)`` or ``(C,)``), reduced by ``"mean"``, ``"sum"`` or
    ``"none"``; ``tg.nn.functional`` checks the arguments of its losses and calls this.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> nll_loss_of_labels(tg.tensor([[-0.5, -1.5]]), np.array([1]), "mean")
    tensor(1.5)
    """
    return NllLoss._fast(log_probs, labels, reduction=reduction)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``: log-probabilities, stable for logits of any size.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.log_softmax(tg.tensor([0.0, 1e4])).exp()
    tensor([0., 1.])
    """
    return LogSoftmax._fast(x, axis)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """Indices of the maxima along ``axis`` as a plain array (no gradient).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.argmax(tg.tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1)
    array([1, 1])
    """
    return np.argmax(np.asarray(x), axis=axis, keepdims=keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """Indices of the minima along ``axis`` as a plain array (no gradient).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.argmin(tg.tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1)
    array([0, 0])
    """
    return np.argmin(np.asarray(x), axis=axis, keepdims=keepdims)


def _np_logsumexp(x: np.ndarray, axis: Axis, keepdims: bool) -> np.ndarray:
    # Computed unlike logsumexp (pairwise); -inf, the identity, over no elements.
    out = np.logaddexp.reduce(x, axis=axis, keepdims=True)
    return out if keepdims else np.squeeze(out, axis=axis)


def _ddof_params(rng: np.random.Generator, shapes: list, least: int) -> dict[str, Any]:
    params = reduction_params(rng, shapes, least)
    n = _count(shapes[0], params["axis"], "var")
    params["ddof"] = int(rng.integers(0, 2)) if n > 1 else 0
    return params


def _reduces_some_elements(shapes: list, params: dict[str, Any]) -> bool:
    """False for a mean, max or min over no elements, which has no value (a clear error,
    tested in test_empty_and_0d.py)."""
    return _count(shapes[0], params["axis"], "reduction") > 0


_REDUCTIONS: list[tuple[str, Callable[..., Any], Callable[..., Any], str, int]] = [
    ("sum", sum, np.sum, "real", 0),
    ("mean", mean, np.mean, "real", 1),
    ("max", max, np.max, "distinct", 1),
    ("min", min, np.min, "distinct", 1),
    ("logsumexp", logsumexp, _np_logsumexp, "real", 0),
]
for _name, _fn, _ref, _kind, _least in _REDUCTIONS:
    register(
        OpInfo(
            _name,
            _fn,
            _ref,
            (_kind,),
            params=partial(reduction_params, least=_least),
            valid=_reduces_some_elements if _least else None,
        )
    )
register(
    OpInfo(
        "log_softmax",
        log_softmax,
        lambda x, axis: x - _np_logsumexp(x, axis, True),
        params=lambda rng, shapes: {"axis": int(rng.integers(-len(shapes[0]), len(shapes[0])))},
        min_dims=1,
    )
)
register(
    OpInfo(
        "var",
        var,
        np.var,
        ("distinct",),
        params=partial(_ddof_params, least=1),
        # NumPy's NaN where no degree of freedom is left is an error here (see _variance).
        valid=lambda shapes, params: _count(shapes[0], params["axis"], "var") > params["ddof"],
    )
)


def _np_nll_loss(x: np.ndarray, labels: np.ndarray, reduction: str) -> np.ndarray:
    losses = -np.take_along_axis(x, labels[..., np.newaxis], axis=-1)[..., 0]
    reduce: dict[str, Callable[..., Any]] = {"mean": np.mean, "sum": np.sum, "none": np.asarray}
    return reduce[reduction](losses)


def _nll_params(rng: np.random.Generator, shapes: list) -> dict[str, Any]:
    shape = shapes[0]
    return {
        "labels": rng.integers(0, shape[-1] or 1, size=shape[:-1]),
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }


register(
    OpInfo(
        "nll_loss",
        nll_loss_of_labels,
        _np_nll_loss,
        params=_nll_params,
        min_dims=1,
        # One sample (C,) or a batch (N, C) of any size, with at least one class (for the
        # labels) and, to average, one sample.
        valid=lambda shapes, params: (
            len(shapes[0]) <= 2
            and shapes[0][-1] > 0
            and (params["reduction"] != "mean" or math.prod(shapes[0]) > 0)
        ),
    )
)
register(
    OpInfo(
        "std",
        std,
        np.std,
        ("distinct",),
        params=partial(_ddof_params, least=2),
        # The std of one element is identically 0 but sqrt has no derivative at 0.
        valid=lambda shapes, params: _count(shapes[0], params["axis"], "std") >= 2,
    )
)
