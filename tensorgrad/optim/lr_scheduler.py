"""Learning-rate schedules: each ``step()`` moves every group's ``lr`` one epoch on.

The rates equal PyTorch's, and so does the way they are computed: ``get_lr()`` works
from each group's *current* ``lr`` (``StepLR`` multiplies it by ``gamma`` at each
boundary, ``CosineAnnealingLR`` moves it one epoch along the cosine), as PyTorch's
chainable schedulers do. So two schedulers on one optimizer compound, and a rate edited
by hand (``group["lr"] *= 0.1``) carries on from its new value. Left alone, a schedule
follows the closed form in its class's docstring, to floating-point rounding.

A scheduler records each group's ``initial_lr`` when it is made (the ``base_lrs``), and
``step()`` advances ``last_epoch`` and sets ``lr = get_lr()``.

Examples
--------
>>> import tensorgrad as tg
>>> from tensorgrad import optim
>>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
>>> halve_every_2 = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> tenth_every_3 = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.1)
>>> rates = []
>>> for epoch in range(6):
...     opt.step()
...     halve_every_2.step()
...     tenth_every_3.step()
...     rates.append(round(opt.param_groups[0]["lr"], 6))
>>> rates
[1.0, 0.5, 0.05, 0.025, 0.025, 0.00125]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from .._argument_checks import NONNEGATIVE, Wording, check_int, check_real
from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "LRScheduler", "StepLR"]


class LRScheduler:
    """Base class: sets each parameter group's ``lr`` to ``get_lr()`` at every ``step()``.

    Making a scheduler records ``initial_lr`` in each group (as PyTorch does) and takes
    the first step, to ``last_epoch = 0``. A subclass defines ``get_lr()``: the rates
    for the epoch ``step()`` has just moved to, ``self.last_epoch``, computed either from
    ``self.base_lrs`` (a closed form) or, to chain with other schedulers as the built-in
    ones do, from each group's current ``lr``. It names its settings in
    ``_hyperparameters``; they reach the base as keyword ``settings``, are checked by
    ``_check_hyperparameters``, become attributes and are saved by ``state_dict``.

    Parameters
    ----------
    optimizer : Optimizer
    last_epoch : int, default -1
        ``-1`` starts the schedule; a larger value resumes it, and then every group must
        already hold ``initial_lr`` (for instance from a loaded optimizer state_dict).
    **settings
        A subclass's hyperparameters, by name.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> class Halving(optim.lr_scheduler.LRScheduler):
    ...     def get_lr(self):
    ...         return [lr * 0.5 ** self.last_epoch for lr in self.base_lrs]
    >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = Halving(opt)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    _hyperparameters: ClassVar[tuple[str, ...]] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1, **settings: Any) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        for key, value in self._check_hyperparameters(settings).items():
            setattr(self, key, value)
        last_epoch = check_int(last_epoch, "last_epoch", name, -1, wording=Wording.EXPECTED)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            groups = optimizer.param_groups
            missing = [g for g, group in enumerate(groups) if "initial_lr" not in group]
            if missing:
                raise ValueError(
                    f"{name}: last_epoch={last_epoch} resumes a schedule, but parameter "
                    f"group(s) {missing} hold no 'initial_lr'; load the optimizer's "
                    "state_dict first, or start with last_epoch=-1"
                )
        self.optimizer = optimizer
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        # Calls of step() on this object, the one just below included: 1 during the
        # first step of a schedule resumed with last_epoch >= 0, which CosineAnnealingLR
        # then takes from its closed form (the current lr belongs to another epoch).
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group for ``self.last_epoch``; ``step()`` calls it
        after advancing ``last_epoch``, so read rates with ``get_last_lr()``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self) -> None:
        """Advance the schedule by one epoch and set each group's ``lr``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        >>> sched.step()
        >>> opt.param_groups[0]["lr"], sched.last_epoch
        (0.5, 1)
        """
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}.step: the optimizer has {len(groups)} parameter "
                f"group(s) but the scheduler was made for {len(self.base_lrs)}; make the "
                "scheduler after adding every group"
            )
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per group.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> optim.lr_scheduler.StepLR(opt, step_size=10).get_last_lr()
        [0.1]
        """
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's position and settings as plain data (no optimizer).

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> optim.lr_scheduler.StepLR(opt, step_size=10).state_dict()
        {'last_epoch': 0, 'base_lrs': [0.1], 'last_lr': [0.1], 'step_size': 10, 'gamma': 0.1}
        """
        state: dict[str, Any] = {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "last_lr": list(self._last_lr),
        }
        state.update({key: getattr(self, key) for key in self._hyperparameters})
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` saved; the optimizer's rates come from its own
        state_dict, as in PyTorch.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)
        >>> sched.load_state_dict({**sched.state_dict(), "last_epoch": 25})
        >>> sched.last_epoch
        25
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        expected = {"last_epoch", "base_lrs", "last_lr", *self._hyperparameters}
        if set(state_dict) != expected:
            raise ValueError(
                f"{name}: missing keys {sorted(expected - set(state_dict))}, unexpected keys "
                f"{sorted(map(str, set(state_dict) - expected))}"
            )
        groups = len(self.optimizer.param_groups)
        lists = {}
        for key in ("base_lrs", "last_lr"):
            values = list(state_dict[key])
            if len(values) != groups:
                raise ValueError(
                    f"{name}: {key} has {len(values)} value(s) but the optimizer has "
                    f"{groups} parameter group(s)"
                )
            lists[key] = [
                float(check_real(v, key, name, NONNEGATIVE, wording=Wording.EXPECTED))
                for v in values
            ]
        settings = self._check_hyperparameters(
            {key: state_dict[key] for key in self._hyperparameters}
        )
        self.last_epoch = check_int(
            state_dict["last_epoch"], "last_epoch", name, -1, wording=Wording.EXPECTED
        )
        self.base_lrs, self._last_lr = lists["base_lrs"], lists["last_lr"]
        for key, value in settings.items():
            setattr(self, key, value)

    def _check_hyperparameters(self, settings: dict[str, Any]) -> dict[str, Any]:
        """``settings`` checked and made plain Python values."""
        return settings


class StepLR(LRScheduler):
    """Decay each group's rate by ``gamma`` every ``step_size`` epochs.

    Each ``step()`` to an epoch that is a positive multiple of ``step_size`` multiplies
    the group's current ``lr`` by ``gamma``; other steps leave it. Alone, that is
    ``lr = initial_lr * gamma ** (last_epoch // step_size)``.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Epochs between decays, ``>= 1``.
    gamma : float, default 0.1
        Decay factor, ``>= 0``.
    last_epoch : int, default -1

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(sched.get_last_lr()[0])
    ...     sched.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _hyperparameters = ("step_size", "gamma")

    step_size: int
    gamma: float

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        super().__init__(optimizer, last_epoch, step_size=step_size, gamma=gamma)

    def _check_hyperparameters(self, settings: dict[str, Any]) -> dict[str, Any]:
        where = "StepLR"
        return {
            "step_size": check_int(
                settings["step_size"], "step_size", where, 1, wording=Wording.EXPECTED
            ),
            "gamma": check_real(
                settings["gamma"], "gamma", where, NONNEGATIVE, wording=Wording.EXPECTED
            ),
        }

    def get_lr(self) -> list[float]:
        """Each group's current ``lr``, times ``gamma`` when ``last_epoch`` is a positive
        multiple of ``step_size``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> sched.step()
        >>> opt.param_groups[0]["lr"] = 0.8  # edited by hand: the schedule goes on from it
        >>> sched.step(); sched.step()
        >>> sched.get_last_lr()
        [0.4]
        """
        lrs = [float(group["lr"]) for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal each group's rate along a cosine from ``initial_lr`` to ``eta_min`` over
    ``T_max`` epochs: ``lr = eta_min + (initial_lr - eta_min) (1 + cos(pi t / T_max)) / 2``.

    Past ``T_max`` the cosine goes on (the rate rises again), as PyTorch's does. Like
    PyTorch's, each step moves the group's *current* ``lr`` one epoch along the curve
    (scaling its distance from ``eta_min`` by the ratio of successive cosine terms), so
    it chains with other schedulers and follows a rate edited by hand; alone, it gives
    the formula above to rounding.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Epochs of one half period, ``>= 1``.
    eta_min : float, default 0
        The lowest rate, ``>= 0``.
    last_epoch : int, default -1

    Examples
    --------
    >>> import tensorgrad as tg
    >>> from tensorgrad import optim
    >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(round(sched.get_last_lr()[0], 12))
    ...     sched.step()
    >>> rates
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    _hyperparameters = ("T_max", "eta_min")

    T_max: int
    eta_min: float

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        super().__init__(optimizer, last_epoch, T_max=T_max, eta_min=eta_min)

    def _check_hyperparameters(self, settings: dict[str, Any]) -> dict[str, Any]:
        where = "CosineAnnealingLR"
        return {
            "T_max": check_int(settings["T_max"], "T_max", where, 1, wording=Wording.EXPECTED),
            "eta_min": check_real(
                settings["eta_min"], "eta_min", where, NONNEGATIVE, wording=Wording.EXPECTED
            ),
        }

    def get_lr(self) -> list[float]:
        """The next rate of each group, one epoch on from its current ``lr``.

        With ``t = last_epoch``: at ``t = 0`` the current ``lr``; at the first step of a
        schedule resumed with ``last_epoch >= 0``, the closed form
        ``eta_min + (initial_lr - eta_min) (1 + cos(pi t / T_max)) / 2``; where the
        cosine restarts its climb (``(t - 1 - T_max) % (2 T_max) == 0``, the one step
        whose ratio below would divide by zero),
        ``lr + (initial_lr - eta_min) (1 - cos(pi / T_max)) / 2``; otherwise
        ``eta_min + (lr - eta_min) (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))``.
        These are PyTorch's rules.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
        >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.2)
        >>> sched.step(); sched.step()
        >>> [round(lr, 12) for lr in sched.get_last_lr()]
        [0.6]
        """
        t, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        lrs = [float(group["lr"]) for group in groups]
        if t == 0:
            return lrs
        if self._step_count == 1 and t > 0:
            cosine = (1 + math.cos(math.pi * t / T_max)) / 2
            return [eta_min + (base_lr - eta_min) * cosine for base_lr in self.base_lrs]
        if (t - 1 - T_max) % (2 * T_max) == 0:
            rise = (1 - math.cos(math.pi / T_max)) / 2
            return [lr + (base_lr - eta_min) * rise for lr, base_lr in zip(lrs, self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T_max)) / (1 + math.cos(math.pi * (t - 1) / T_max))
        return [eta_min + (lr - eta_min) * ratio for lr in lrs]
