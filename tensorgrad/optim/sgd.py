"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov variants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .._argument_checks import NONNEGATIVE, UNIT
from .optimizer import Optimizer, ParamsT, Rule


class SGD(Optimizer):
    """Stochastic gradient descent: ``W <- W - lr * g``.

    With ``momentum`` ``mu > 0`` the step uses a buffer ``b <- mu * b + (1 - dampening) * g``
    (``b = g`` at the first step) in place of ``g``, or ``g + mu * b`` with ``nesterov``;
    ``weight_decay`` adds ``weight_decay * W`` to ``g`` first. These are PyTorch's formulas.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The tensors to optimize, or parameter groups (see :class:`Optimizer`).
    lr : float
        Learning rate, ``>= 0``.
    momentum : float, default 0
        Momentum factor ``mu``, ``>= 0``.
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    weight_decay : float, default 0
        L2 penalty, ``>= 0``.
    dampening : float, default 0
        Damps the gradient's share of the buffer, in ``[0, 1]``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> w = tg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward()   # grad = 2 w
    >>> opt.step()
    >>> w.data
    array([0., 0.])
    """

    _rules: ClassVar[dict[str, Rule]] = {
        "lr": NONNEGATIVE,
        "momentum": NONNEGATIVE,
        "dampening": UNIT,
        "weight_decay": NONNEGATIVE,
        "nesterov": bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def _check_combination(self, group: Mapping[str, Any], where: str) -> None:
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum = "
                f"{group['momentum']!r} and dampening = {group['dampening']!r}{where}"
            )

    def _init_state(self, param: np.ndarray, group: Mapping[str, Any]) -> dict[str, Any]:
        # PyTorch starts the buffer at the first gradient, so it is made at the first step.
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        # Intermediates go into one scratch array, in place, as in Adam.
        scratch = np.empty_like(param)
        momentum = group["momentum"]
        if momentum != 0:
            buf = state["momentum_buffer"]
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)
            else:
                buf *= momentum
                buf += np.multiply(grad, 1 - group["dampening"], out=scratch)
            if group["nesterov"]:
                grad = np.add(grad, np.multiply(buf, momentum, out=scratch), out=scratch)
            else:
                grad = buf
        param -= np.multiply(grad, group["lr"], out=scratch)
