"""Training utilities that act on a model's gradients."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if they were one vector; when it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)``.
    Parameters without a gradient are skipped. Returns the norm before clipping, which is
    worth logging: a growing norm is how exploding gradients show.

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
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    if not grads:
        return Tensor(np.asarray(0.0))
    norms = np.array([np.linalg.norm(g.ravel(), norm_type) for g in grads])
    total = float(np.linalg.norm(norms, norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total gradient norm is {total}; the gradients hold NaN "
            "or infinity (try tg.detect_anomaly() to find the op that made them)"
        )
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * np.asarray(scale, dtype=p.grad.dtype)
    return Tensor(np.asarray(total))
