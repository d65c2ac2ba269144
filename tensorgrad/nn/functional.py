"""Losses and the functional forms of layers (``import tensorgrad.nn.functional as F``).

Every loss is built from primitive ops, whose rules serve every order, so each can be
differentiated twice: one primitive is a loss's own, ``nll_loss`` (it picks each row's
label and reduces, in one op), and cross-entropy with class labels is ``log_softmax``
then ``nll_loss``; the others are composites with no rule of their own. Each takes
``reduction="mean" | "sum" | "none"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import as_generator
from ..functional import log_softmax, softmax
from ..ops import leaky_relu, relu, sigmoid, softplus, tanh
from ..ops.reduce import nll_loss_of_labels
from ..tensor import Tensor, as_array, get_default_dtype

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "leaky_relu",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, fn: str) -> None:
    """Raise ``ValueError`` naming ``fn`` unless ``reduction`` is one of ``REDUCTIONS``."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{fn}: unknown reduction {reduction!r}; use 'mean', 'sum' or 'none'"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def _same_shapes(input: Any, target: Any, fn: str) -> None:
    # Broadcasting an (N, 1) prediction against an (N,) target silently makes an (N, N)
    # loss, a classic bug; refuse it rather than follow NumPy here.
    if _shape(input) != _shape(target):
        raise ValueError(
            f"{fn}: input has shape {_shape(input)} but target has shape {_shape(target)}; "
            "they must match (reshape one of them, e.g. target.reshape(input.shape))"
        )


def _as_target(target: Any, input: Any, fn: str) -> Any:
    """The target as an array in the input's float dtype, so float64 targets keep a
    float32 model in float32; only a tensor that requires grad passes through unchanged
    (its gradient is wanted)."""
    dtype = _dtype(target)
    if dtype.kind not in "biuf":
        raise TypeError(f"{fn}: target must hold numbers, got dtype {dtype}")
    float_dtype = _float_dtype(input)
    if isinstance(target, Tensor):
        if target.requires_grad or target.dtype == float_dtype:
            return target
        return Tensor(target.data.astype(float_dtype))
    return as_array(target, dtype=float_dtype)


def _dtype(x: Any) -> np.dtype:
    return x.dtype if isinstance(x, Tensor | np.ndarray) else as_array(x).dtype


def _float_dtype(input: Any) -> np.dtype:
    dtype = _dtype(input)
    return dtype if dtype.kind == "f" else get_default_dtype()


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error ``(input - target)^2``, averaged (or summed) over every element.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> F = tg.nn.functional
    >>> F.mse_loss(tg.tensor([1.0, 2.0]), tg.tensor([0.0, 4.0]))
    tensor(2.5)
    """
    check_reduction(reduction, "mse_loss")
    _same_shapes(input, target, "mse_loss")
    diff = input - _as_target(target, input, "mse_loss")
    return _reduce(diff * diff, reduction)


def _labels(target: Any, logits_shape: tuple[int, ...], fn: str) -> np.ndarray:
    """The class labels as an int array, checked against logits of ``logits_shape``."""
    labels = as_array(target)
    expected = logits_shape[:-1]
    if labels.shape != expected:
        raise ValueError(
            f"{fn}: input of shape {logits_shape} needs class labels of shape {expected}, "
            f"got {labels.shape}"
            + ("; for class probabilities pass a float target" if labels.ndim else "")
        )
    classes = logits_shape[-1]
    # One comparison catches both ends: as unsigned integers, negative labels are huge.
    bad = labels.astype(np.uint64) >= classes
    if np.logical_or.reduce(bad, axis=None):
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise IndexError(
            f"{fn}: label {labels[position]} at position {position} is out of range for "
            f"{classes} classes; labels must lie in [0, {classes - 1}]"
        )
    return labels


def _check_logits(input: Any, fn: str) -> tuple[int, ...]:
    shape = _shape(input)
    if len(shape) not in (1, 2):
        raise ValueError(
            f"{fn}: input must have shape (N, C) (a batch) or (C,) (one sample), "
            f"got {shape}"
        )
    return shape


def nll_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ``-input[n, target[n]]`` of log-probabilities ``input``.

    ``input`` has shape ``(N, C)`` (or ``(C,)``) and holds log-probabilities, e.g. from
    ``log_softmax``; ``target`` holds integer labels in ``[0, C)``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> F = tg.nn.functional
    >>> F.nll_loss(tg.tensor([[-0.5, -1.0], [-2.0, -0.1]]), [0, 1])
    tensor(0.3)
    """
    check_reduction(reduction, "nll_loss")
    shape = _check_logits(input, "nll_loss")
    labels = _integer_labels(target, shape, "nll_loss")
    return nll_loss_of_labels(input, labels, reduction)


_INTEGER_HINT = "class labels must be integers: use y.astype(np.int64)"


def _integer_labels(target: Any, shape: tuple[int, ...], fn: str) -> np.ndarray:
    dtype = _dtype(target)
    if dtype.kind not in "iu":
        hint = f"; {_INTEGER_HINT}" if dtype.kind in "bf" else ""
        raise TypeError(f"{fn}: target must hold integer class labels, got dtype {dtype}{hint}")
    return _labels(target, shape, fn)


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits ``input`` against integer labels or class probabilities.

    ``input`` has shape ``(N, C)`` (or ``(C,)``). An integer ``target`` of shape ``(N,)``
    holds labels in ``[0, C)``: the loss is ``-log_softmax(input)[n, target[n]]``. A
    float ``target`` of the input's shape holds class probabilities: the loss is
    ``-sum_c target[n, c] * log_softmax(input)[n, c]``. Going through ``log_softmax``
    keeps it finite for logits of any size.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> F = tg.nn.functional
    >>> F.cross_entropy(tg.tensor([[1e4, 0.0], [0.0, 1e4]]), [0, 1])
    tensor(0.)
    >>> F.cross_entropy(tg.tensor([0.0, 0.0]), tg.tensor([0.5, 0.5]))
    tensor(0.69314718)
    """
    check_reduction(reduction, "cross_entropy")
    shape = _check_logits(input, "cross_entropy")
    dtype = _dtype(target)
    if dtype.kind in "iu":
        labels = _labels(target, shape, "cross_entropy")
        return nll_loss_of_labels(log_softmax(input, axis=-1), labels, reduction)
    if dtype.kind != "f":
        raise TypeError(
            f"cross_entropy: target must hold integer labels or float class probabilities, "
            f"got dtype {dtype}"
        )
    if _shape(target) != shape and _shape(target) == shape[:-1]:
        # Float class labels: the shape says labels, the dtype says probabilities.
        raise ValueError(
            f"cross_entropy: input has shape {shape} but target has shape {_shape(target)} "
            f"and dtype {dtype}: {_INTEGER_HINT} (a float target holds class "
            "probabilities, shaped like the input)"
        )
    _same_shapes(input, target, "cross_entropy")
    log_probs = log_softmax(input, axis=-1)
    loss = -(_as_target(target, input, "cross_entropy") * log_probs).sum(axis=-1)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Any, target: Any, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of logits: ``-t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))``.

    Computed as ``softplus(x) - t * x``, which equals it and never overflows.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> F = tg.nn.functional
    >>> F.binary_cross_entropy_with_logits(tg.tensor([1e4, -1e4]), tg.tensor([1.0, 0.0]))
    tensor(0.)
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    _same_shapes(input, target, "binary_cross_entropy_with_logits")
    target = _as_target(target, input, "binary_cross_entropy_with_logits")
    return _reduce(softplus(input) - target * input, reduction)


def dropout(
    x: Any, p: float = 0.5, training: bool = True,
    rng: int | np.random.Generator | None = None,
) -> Any:  # fmt: skip
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The identity when ``training`` is false, so the expected output is the same in both
    modes. ``rng`` is an int seed (the same seed gives the same mask), a
    ``numpy.random.Generator``, or ``None`` for tensorgrad's global generator
    (``tg.manual_seed``).

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> F = tg.nn.functional
    >>> F.dropout(tg.ones((6,)), 0.5, rng=np.random.default_rng(1))
    tensor([2., 2., 0., 2., 0., 0.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p}")
    generator = as_generator(rng, "dropout")  # checked in evaluation mode too
    if not training or p == 0.0:
        return x
    keep = generator.random(_shape(x)) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * (keep * scale).astype(_float_dtype(x))
