"""Adam and AdamW (Adam with decoupled weight decay), with PyTorch's formulas."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .._argument_checks import NONNEGATIVE, UNIT_OPEN
from .optimizer import Optimizer, ParamsT, Rule


class Adam(Optimizer):
    """Adam: ``W <- W - lr * m_hat / (sqrt(v_hat) + eps)``.

    ``m <- b1 m + (1 - b1) g`` and ``v <- b2 v + (1 - b2) g^2`` are running averages of the
    gradient and its square, ``m_hat = m / (1 - b1^t)`` and ``v_hat = v / (1 - b2^t)``
    undo their bias towards 0 at step ``t``. ``weight_decay`` adds ``weight_decay * W`` to
    ``g`` (an L2 penalty); with ``decoupled_weight_decay`` it instead shrinks the weights,
    ``W <- W (1 - lr * weight_decay)``, before the step (that is :class:`AdamW`).
    ``amsgrad`` uses the running maximum of ``v`` in place of ``v``.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The tensors to optimize, or parameter groups (see :class:`Optimizer`).
    lr : float, default 1e-3
        Learning rate, ``>= 0``.
    betas : (float, float), default (0.9, 0.999)
        ``(b1, b2)``, each in ``[0, 1)``.
    eps : float, default 1e-8
        Added to the denominator, ``>= 0``.
    weight_decay : float, default 0
        ``>= 0``.
    amsgrad : bool, default False
    decoupled_weight_decay : bool, default False

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> w = tg.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()   # the first step moves every weight by about lr
    >>> w.data.round(6)
    array([ 0.9, -0.9])
    """

    _rules: ClassVar[dict[str, Rule]] = {
        "lr": NONNEGATIVE,
        "betas": (UNIT_OPEN, UNIT_OPEN),
        "eps": NONNEGATIVE,
        "weight_decay": NONNEGATIVE,
        "amsgrad": bool,
        "decoupled_weight_decay": bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: Mapping[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if group["decoupled_weight_decay"] and group["weight_decay"] != 0:
            param *= 1 - lr * group["weight_decay"]
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        # One scratch array for every intermediate, written in place: a step allocates
        # one array instead of eight, which matters as much as the arithmetic.
        scratch = np.multiply(grad, 1 - beta1, out=np.empty_like(param))
        exp_avg *= beta1
        exp_avg += scratch
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += scratch
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        # The bias corrections are folded into scalars, as PyTorch does:
        # lr / (1 - b1^t) and sqrt(1 - b2^t).
        np.sqrt(exp_avg_sq, out=scratch)
        scratch /= math.sqrt(1 - beta2**step)
        scratch += group["eps"]
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= lr / (1 - beta1**step)
        param -= scratch


class AdamW(Adam):
    """AdamW, decoupled weight decay: ``W <- W (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps)``.

    The decay shrinks the weights directly instead of entering the gradient averages
    (Loshchilov & Hutter), so it is not rescaled by ``sqrt(v_hat)``. Same options as
    :class:`Adam`, with ``weight_decay`` defaulting to ``1e-2``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> w = tg.tensor([1.0], requires_grad=True)
    >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = tg.zeros(1).data   # no gradient signal: only the decay acts
    >>> opt.step()
    >>> w.data
    array([0.95])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, True)
