"""Composites built from primitive ops; they have no backward rule of their own."""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops.elementwise import exp
from .ops.reduce import log_softmax
from .ops.registry import OpInfo, register
from .tensor import Tensor

__all__ = ["log_softmax", "softmax"]


def softmax(x: Any, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed as ``exp(log_softmax(x))``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.softmax(tg.tensor([1e4, 1e4]))
    tensor([0.5, 0.5])
    """
    return exp(log_softmax(x, axis))


Tensor.softmax = softmax  # type: ignore[attr-defined]  # like every op, a method too


def _np_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # initial: the maximum of an empty axis is -inf, not an error (the result is empty).
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


register(
    OpInfo(
        "softmax",
        softmax,
        _np_softmax,
        params=lambda rng, shapes: {"axis": int(rng.integers(-len(shapes[0]), len(shapes[0])))},
        min_dims=1,
    )
)
