"""Optimizers that update parameters from their ``.grad``, and learning-rate schedules.

PyTorch's names, defaults and formulas: :class:`SGD`, :class:`Adam`, :class:`AdamW`,
:class:`RMSprop` on the shared :class:`Optimizer` base, and
``optim.lr_scheduler.StepLR`` / ``CosineAnnealingLR``.

Examples
--------
>>> import tensorgrad as tg
>>> from tensorgrad import optim
>>> w = tg.tensor([3.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> w.data   # each step halves w
array([0.375])
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
