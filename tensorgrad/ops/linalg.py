"""Matrix product with NumPy's rules: 1-D operands, batched and broadcast batch dimensions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .registry import OpInfo, register


class MatMul(Function):
    """d(a @ b) = (grad @ b^T, a^T @ grad), 1-D operands promoted to matrices as NumPy does"""

    constants = ()

    name = "matmul"
    save_inputs = True

    def forward(ctx, a, b):
        try:
            return np.matmul(a, b)
        except (ValueError, TypeError):
            _explain_refusal(np.asarray(a), np.asarray(b))
            raise

    def backward(ctx, grad, xp):
        a, b = ctx.inputs
        need_a, need_b = ctx.parents[0] is not None, ctx.parents[1] is not None
        if a.ndim == 2 and b.ndim == 2 and not xp.guarding:  # the common case, as is
            return (grad @ b.T if need_a else None), (a.T @ grad if need_b else None)
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        if xp.guarding:
            a2, b2 = _without_masked_infinities(a2, b2, g2, xp)
        ga = gb = None
        if need_a:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            if b2.ndim == 2:  # fold the batch into one product
                # Rows counted, not -1: NumPy cannot infer a -1 next to an axis of length 0.
                rows = math.prod(g2.shape[:-1])
                gb = a2.reshape(rows, a2.shape[-1]).T @ g2.reshape(rows, g2.shape[-1])
            else:
                gb = xp.swapaxes(a2, -1, -2) @ g2
            if b.ndim == 1:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb


def _without_masked_infinities(a: Any, b: Any, grad: Any, xp: Any) -> tuple[Any, Any]:
    """``a`` and ``b`` with non-finite entries set to 0 where they only meet a zero gradient.

    A row of the product whose gradient is all zero (masked by a where) reads the matching
    row of ``a``; a column reads the matching column of ``b``. Their infinities would
    turn the zeros into NaN in the contraction (0 * inf), so those entries become 0.
    """
    dead_rows = xp.abs(grad).sum(axis=-1, keepdims=True) == 0
    dead_columns = xp.abs(grad).sum(axis=-2, keepdims=True) == 0
    a = xp.where(dead_rows & ~xp.isfinite(a), 0, a)
    b = xp.where(dead_columns & ~xp.isfinite(b), 0, b)
    return a, b


def _explain_refusal(a: np.ndarray, b: np.ndarray) -> None:
    """Raise the clear error for operands NumPy's matmul refused (checked only then)."""
    if a.dtype.kind not in "biufc" or b.dtype.kind not in "biufc":
        raise TypeError(f"matmul: operands must be numeric, got {a.dtype} and {b.dtype}")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and "
            f"{b.shape}; use * to multiply by a scalar"
        )
    inner_b = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if a.shape[-1] != inner_b:
        raise ValueError(
            f"matmul: inner dimensions differ in {a.shape} @ {b.shape} ({a.shape[-1]} != "
            f"{inner_b}); transpose or reshape an operand so that a.shape[-1] == b.shape[-2]"
        )


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules (1-D operands, broadcast batches).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.matmul(tg.tensor([[1.0, 2.0]]), tg.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    return MatMul._fast(a, b)


register(OpInfo("matmul", matmul, np.matmul, ("real", "real"), shapes="matmul"))
