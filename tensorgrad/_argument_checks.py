"""Argument checks shared by nn, optim and data: each kind of check written once.

Every check has the same signature: ``check_<kind>(value, name, where, <constraint>)``,
where ``where`` names the function or class the message starts with (``"MLP"``,
``"StepLR"``, ``"make_moons"``) and ``name`` the argument. A check returns the value in
the form the caller stores (a Python int or float, a NumPy dtype, the looked-up choice)
and raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for one out of
range, worded as its package has always worded it (``wording=``, see :class:`Wording`).
NumPy scalars and 0-d arrays count as the Python numbers they hold, because a state_dict
read back from a .npz file holds them.
"""

from __future__ import annotations

import enum
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .tensor import get_default_dtype

__all__ = [
    "NONNEGATIVE", "UNIT", "UNIT_OPEN", "Interval", "Wording", "as_python_scalar",
    "check_choice", "check_flag", "check_float_dtype", "check_int", "check_real",
    "check_reals",
]  # fmt: skip

_Choice = TypeVar("_Choice")


class Wording(enum.Enum):
    """How a check words its messages; each package keeps the wording it has always had.

    ``MUST`` (nn, data): ``"make_moons: n_samples must be at least 2, got 1"``,
    ``"Linear: in_features must be an int, got float 2.5"``.
    ``EXPECTED`` (optim): ``"StepLR: invalid step_size = 0; expected an integer >= 1"``,
    ``"StepLR: step_size must be an integer, got 2.5 (float)"``.
    """

    MUST = "must"
    EXPECTED = "expected"


@dataclass(frozen=True)
class Interval:
    """The allowed values of a number: ``low <= x < high``, or ``<= high`` if closed.

    An interval open at ``inf`` holds only finite numbers.

    Examples
    --------
    >>> Interval(0.0, 1.0).contains(1.0), Interval(0.0, 1.0, closed=True).contains(1.0)
    (False, True)
    >>> Interval(0.0, 1.0).condition("beta"), Interval(0.0, 1.0).requirement()
    ('0 <= beta < 1', 'lie in [0, 1)')
    """

    low: float = 0.0
    high: float = math.inf
    closed: bool = False

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the interval (NaN never does)."""
        return self.low <= x and (x <= self.high if self.closed else x < self.high)

    def condition(self, name: str) -> str:
        """The interval as a condition on ``name``, for the ``EXPECTED`` wording."""
        return f"{self.low:g} <= {name} {'<=' if self.closed else '<'} {self.high:g}"

    def requirement(self) -> str:
        """The interval as what a value must do, for the ``MUST`` wording."""
        if self.high == math.inf:
            return f"be >= {self.low:g}" if self.closed else f"be a finite number >= {self.low:g}"
        return f"lie in [{self.low:g}, {self.high:g}{']' if self.closed else ')'}"


NONNEGATIVE = Interval(0.0, math.inf)
UNIT = Interval(0.0, 1.0, closed=True)
UNIT_OPEN = Interval(0.0, 1.0)


def as_python_scalar(value: Any) -> Any:
    """NumPy scalars and 0-d arrays as the Python scalar they hold; anything else unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> as_python_scalar(np.float32(0.5)), as_python_scalar(np.array(3)), as_python_scalar("a")
    (0.5, 3, 'a')
    """
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def _wrong_type(
    value: Any, name: str, where: str, kind: str, wording: Wording, context: str = ""
) -> TypeError:
    """``value`` is the argument as given: ``MUST`` shows it so, ``EXPECTED`` as the
    plain Python value the optimizers store."""
    if wording is Wording.EXPECTED:
        value = as_python_scalar(value)
        got = f"{value!r} ({type(value).__name__})"
    else:
        got = f"{type(value).__name__} {value!r}"
    return TypeError(f"{where}: {name} must be {kind}, got {got}{context}")


def _out_of_range(
    value: Any, name: str, where: str, wording: Wording, context: str, *, must: str, expected: str
) -> ValueError:
    """``must`` says what the value must do (``"be at least 1"``), ``expected`` what was
    expected instead (``"an integer >= 1"``); the wording picks one."""
    if wording is Wording.EXPECTED:
        return ValueError(f"{where}: invalid {name} = {value!r}{context}; expected {expected}")
    return ValueError(f"{where}: {name} must {must}, got {value!r}{context}")


def check_int(
    value: Any, name: str, where: str, minimum: int | None = None, *,
    wording: Wording = Wording.MUST,
) -> int:  # fmt: skip
    """``value`` as a Python int, at least ``minimum`` if given.

    Floats (even ``2.0``), bools and strings are refused, so a size or a count is never
    silently truncated.

    Examples
    --------
    >>> check_int(3, "batch_size", "batches", minimum=1)
    3
    >>> check_int(2.5, "in_features", "Linear")
    Traceback (most recent call last):
    ...
    TypeError: Linear: in_features must be an int, got float 2.5
    >>> check_int(0, "step_size", "StepLR", minimum=1, wording=Wording.EXPECTED)
    Traceback (most recent call last):
    ...
    ValueError: StepLR: invalid step_size = 0; expected an integer >= 1
    """
    plain = as_python_scalar(value)
    try:
        number = None if isinstance(plain, bool) else operator.index(plain)
    except TypeError:
        number = None
    if number is None:
        # The two wordings name the kind differently; each keeps its own.
        kind = "an integer" if wording is Wording.EXPECTED else "an int"
        raise _wrong_type(value, name, where, kind, wording)
    if minimum is not None and number < minimum:
        raise _out_of_range(
            number, name, where, wording, "",
            must=f"be at least {minimum}", expected=f"an integer >= {minimum}",
        )  # fmt: skip
    return number


def check_real(
    value: Any, name: str, where: str, interval: Interval, *,
    wording: Wording = Wording.MUST, context: str = "",
) -> float:  # fmt: skip
    """``value`` as a Python number (an int stays an int) if it lies in ``interval``.

    ``context`` follows the value in the message (``" in parameter group 1"``).

    Examples
    --------
    >>> check_real(0.5, "p", "Dropout", UNIT)
    0.5
    >>> check_real(-1.0, "lr", "SGD", NONNEGATIVE, wording=Wording.EXPECTED)
    Traceback (most recent call last):
    ...
    ValueError: SGD: invalid lr = -1.0; expected 0 <= lr < inf
    >>> check_real(-0.1, "noise", "make_moons", NONNEGATIVE)
    Traceback (most recent call last):
    ...
    ValueError: make_moons: noise must be a finite number >= 0, got -0.1
    """
    plain = as_python_scalar(value)
    if isinstance(plain, bool) or not isinstance(plain, int | float):
        raise _wrong_type(value, name, where, "a real number", wording, context)
    if not interval.contains(plain):
        raise _out_of_range(
            plain, name, where, wording, context,
            must=interval.requirement(), expected=interval.condition(name),
        )  # fmt: skip
    return plain


def check_reals(
    value: Any, name: str, where: str, intervals: Sequence[Interval], *,
    wording: Wording = Wording.MUST, context: str = "",
) -> tuple[float, ...]:  # fmt: skip
    """``value`` as a tuple of Python numbers, the i-th in ``intervals[i]`` (named
    ``name[i]`` in the message), as Adam's ``betas``.

    Examples
    --------
    >>> check_reals([0.9, 0.99], "betas", "Adam", (UNIT_OPEN, UNIT_OPEN))
    (0.9, 0.99)
    >>> check_reals(0.9, "betas", "Adam", (UNIT_OPEN, UNIT_OPEN))
    Traceback (most recent call last):
    ...
    TypeError: Adam: betas must be a tuple of 2 numbers, got 0.9
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, tuple | list) or len(value) != len(intervals):
        raise TypeError(
            f"{where}: {name} must be a tuple of {len(intervals)} numbers, got {value!r}{context}"
        )
    return tuple(
        check_real(v, f"{name}[{i}]", where, interval, wording=wording, context=context)
        for i, (v, interval) in enumerate(zip(value, intervals))
    )


def check_flag(value: Any, name: str, where: str, *, context: str = "") -> bool:
    """``value`` if it is ``True`` or ``False`` (a NumPy bool counts); ``1`` does not.

    Examples
    --------
    >>> check_flag("yes", "amsgrad", "Adam")
    Traceback (most recent call last):
    ...
    TypeError: Adam: amsgrad must be True or False, got 'yes'
    """
    value = as_python_scalar(value)
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {value!r}{context}")
    return value


def check_choice(
    value: Any, name: str, where: str, choices: Mapping[str, _Choice], *,
    hint: str | None = None, ignore_case: bool = False,
) -> _Choice:  # fmt: skip
    """What ``choices`` maps the name ``value`` to; ``hint`` says what to use instead
    (default: the sorted names).

    Examples
    --------
    >>> check_choice("Tanh", "activation", "MLP", {"relu": 0, "tanh": 1}, ignore_case=True)
    1
    >>> check_choice("elu", "activation", "MLP", {"relu": 0, "tanh": 1})
    Traceback (most recent call last):
    ...
    ValueError: MLP: unknown activation 'elu'; use one of ['relu', 'tanh']
    """
    key = value.lower() if ignore_case and isinstance(value, str) else value
    if isinstance(key, str) and key in choices:
        return choices[key]
    hint = hint or f"one of {sorted(choices)}"
    raise ValueError(f"{where}: unknown {name} {value!r}; use {hint}")


def check_float_dtype(value: Any, name: str, where: str) -> np.dtype:
    """``value`` as a floating NumPy dtype; ``None`` is tensorgrad's default float dtype.

    Examples
    --------
    >>> import numpy as np
    >>> check_float_dtype(np.float32, "dtype", "load_digits")
    dtype('float32')
    >>> check_float_dtype(np.int32, "dtype", "load_digits")
    Traceback (most recent call last):
    ...
    TypeError: load_digits: dtype must be a floating dtype, got int32
    """
    if value is None:
        return get_default_dtype()
    dtype = np.dtype(value)
    if dtype.kind != "f":
        raise TypeError(f"{where}: {name} must be a floating dtype, got {dtype}")
    return dtype
