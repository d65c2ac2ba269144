"""Losses as modules: each holds its ``reduction`` and calls its function in ``forward``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..tensor import Tensor
from .functional import (
    binary_cross_entropy_with_logits,
    check_reduction,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from .module import Module

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]


class _Loss(Module):
    function: Callable[..., Tensor]

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input: Any, target: Any) -> Tensor:
        return self.function(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Squared error as a module; see ``nn.functional.mse_loss``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.MSELoss(reduction="sum")(tg.tensor([1.0, 2.0]), tg.tensor([0.0, 0.0]))
    tensor(5.)
    """

    function = staticmethod(mse_loss)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits as a module; see ``nn.functional.cross_entropy``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.CrossEntropyLoss()(tg.tensor([[0.0, 0.0]]), [1])
    tensor(0.69314718)
    """

    function = staticmethod(cross_entropy)


class NLLLoss(_Loss):
    """Negative log-likelihood as a module; see ``nn.functional.nll_loss``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.NLLLoss()(tg.tensor([[-1.0, -2.0]]), [1])
    tensor(2.)
    """

    function = staticmethod(nll_loss)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits as a module; see
    ``nn.functional.binary_cross_entropy_with_logits``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.BCEWithLogitsLoss()(tg.tensor([0.0]), tg.tensor([1.0]))
    tensor(0.69314718)
    """

    function = staticmethod(binary_cross_entropy_with_logits)
