"""Composites built from primitive ops; they have no backward rule of their own."""

from __future__ import annotations

from typing import Any

from .ops.elementwise import exp
from .ops.reduce import logsumexp
from .tensor import Tensor, as_tensor


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``: log-probabilities, stable for logits of any size.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.log_softmax(tg.tensor([0.0, 1e4])).exp()
    tensor([0., 1.])
    """
    x = as_tensor(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed as ``exp(log_softmax(x))``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.softmax(tg.tensor([1e4, 1e4]))
    tensor([0.5, 0.5])
    """
    return exp(log_softmax(x, axis))
