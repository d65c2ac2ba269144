"""Training utilities that act on a model's gradients."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from .._argument_checks import Interval, check_real
from ..tensor import Tensor

__all__ = ["clip_grad_norm_"]

# max_norm=inf is allowed, as in PyTorch: it measures the norm and clips nothing.
_MAX_NORMS = Interval(0.0, math.inf, closed=True)


def _norm_order(norm_type: float | str) -> float:
    """``norm_type`` as the order NumPy's norm takes: a positive float, or ``inf``."""
    if isinstance(norm_type, str):
        if norm_type.strip().lower() == "inf":
            return math.inf
    elif isinstance(norm_type, numbers.Real) and not isinstance(norm_type, bool | np.bool_):
        order = float(norm_type)
        if order > 0:  # also refuses nan
            return order
    raise ValueError(
        f"clip_grad_norm_: norm_type must be a positive number, float('inf') or 'inf', "
        f"got {norm_type!r}"
    )


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if they were one vector; when it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)``.
    Parameters without a gradient are skipped, and one listed twice counts once. Returns
    the norm before clipping (a 0-d float64 tensor), which is worth logging: a growing
    norm is how exploding gradients show.

    The norms are computed in float64, so float32 gradients too large to square in
    float32 are still clipped rather than zeroed. As the trailing underscore says, each
    gradient array is scaled in place (an array held elsewhere sees the change, as in
    PyTorch); a read-only gradient is replaced by a scaled copy instead.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        For example ``model.parameters()``.
    max_norm : float
        The largest norm the gradients may have after clipping.
    norm_type : float or "inf", default 2.0
        The order of the norm: any positive number, or ``float("inf")`` / ``"inf"`` for
        the largest absolute value.
    error_if_nonfinite : bool, default False
        Raise ``RuntimeError`` (before changing any gradient) if the norm is NaN or
        infinite.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.tensor([0.0, 0.0], requires_grad=True)
    >>> w.grad = np.array([3.0, 4.0])
    >>> tg.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> np.round(w.grad, 4)
    array([0.6, 0.8])
    """
    order = _norm_order(norm_type)
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    max_norm = check_real(max_norm, "max_norm", "clip_grad_norm_", _MAX_NORMS)
    # A parameter (or gradient array) listed twice counts once, and is scaled once.
    grads = list({id(p.grad): p.grad for p in params if p.grad is not None}.values())
    if not grads:
        return Tensor(np.asarray(0.0))
    norms = np.array([
        np.linalg.norm(np.asarray(g).ravel().astype(np.float64, copy=False), order)
        for g in grads
    ])  # fmt: skip
    total = float(np.linalg.norm(norms, order))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total gradient norm is {total}; the gradients hold NaN "
            "or infinity (try tg.detect_anomaly() to find the op that made them)"
        )
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        scaled: set[int] = set()
        for p in params:
            grad = p.grad
            if grad is None or id(grad) in scaled:
                continue
            scaled.add(id(grad))
            if (
                isinstance(grad, np.ndarray) and grad.flags.writeable
                and grad.dtype.kind in "fc"
            ):  # fmt: skip
                np.multiply(grad, scale, out=grad)
            else:
                grad = np.asarray(grad)
                p.grad = grad * np.asarray(scale, dtype=grad.dtype)
    return Tensor(np.asarray(total))
