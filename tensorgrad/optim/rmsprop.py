"""RMSprop, with PyTorch's formulas (square root before eps; optional momentum, centering)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .._argument_checks import NONNEGATIVE, UNIT
from .optimizer import Optimizer, ParamsT, Rule


class RMSprop(Optimizer):
    """RMSprop: ``W <- W - lr * g / (sqrt(v) + eps)`` with ``v <- alpha v + (1 - alpha) g^2``.

    With ``momentum`` ``mu > 0`` the step is ``lr * b`` with ``b <- mu b + g / (sqrt(v) +
    eps)``. ``centered`` divides by an estimate of the gradient's standard deviation
    instead, ``sqrt(v - a^2)`` with ``a <- alpha a + (1 - alpha) g``. ``weight_decay``
    adds ``weight_decay * W`` to ``g`` first.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The tensors to optimize, or parameter groups (see :class:`Optimizer`).
    lr : float, default 1e-2
        Learning rate, ``>= 0``.
    alpha : float, default 0.99
        Smoothing constant, in ``[0, 1]``.
    eps : float, default 1e-8
        Added to the denominator, ``>= 0``.
    weight_decay : float, default 0
        L2 penalty, ``>= 0``.
    momentum : float, default 0
        ``>= 0``.
    centered : bool, default False

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> w = tg.tensor([1.0], requires_grad=True)
    >>> opt = optim.RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
    >>> (w * w).sum().backward()   # g = 2, v = 0.25 * 4 = 1
    >>> opt.step()
    >>> w.data
    array([0.98])
    """

    _rules: ClassVar[dict[str, Rule]] = {
        "lr": NONNEGATIVE,
        "alpha": UNIT,
        "eps": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "momentum": NONNEGATIVE,
        "centered": bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: Mapping[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        # Intermediates go into two scratch arrays, in place, as in Adam; the order of
        # the operations is PyTorch's, so that the results are the same to the last bit.
        scratch, avg = np.empty_like(param), np.empty_like(param)
        alpha = group["alpha"]
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        np.multiply(grad, 1 - alpha, out=scratch)
        square_avg += np.multiply(scratch, grad, out=scratch)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += np.multiply(grad, 1 - alpha, out=scratch)
            # v - a^2 is a variance, never negative in exact arithmetic; rounding can make
            # it -1e-17, whose square root would be NaN.
            np.subtract(square_avg, np.multiply(grad_avg, grad_avg, out=avg), out=avg)
            np.sqrt(np.maximum(avg, 0, out=avg), out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += np.divide(grad, avg, out=scratch)
            param -= np.multiply(buf, group["lr"], out=scratch)
        else:
            np.multiply(grad, group["lr"], out=scratch)
            param -= np.divide(scratch, avg, out=scratch)
