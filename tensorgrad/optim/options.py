"""The allowed values of optimizer and scheduler options, and the checks that name a bad one.

Every check raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for one
out of range, naming the owner (``Adam``, ``StepLR``, ...), the option, the value and the
valid range; values come back as plain Python numbers, also when given as NumPy scalars
(as a state_dict read back from a .npz file holds them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Interval:
    """The allowed values of a number option: ``low <= x < high``, or ``<= high`` if closed.

    Examples
    --------
    >>> Interval(0.0, 1.0).contains(1.0), Interval(0.0, 1.0, closed=True).contains(1.0)
    (False, True)
    >>> Interval(0.0, 1.0).describe("beta")
    '0 <= beta < 1'
    """

    low: float = 0.0
    high: float = math.inf
    closed: bool = False

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the interval (NaN never does)."""
        return self.low <= x and (x <= self.high if self.closed else x < self.high)

    def describe(self, name: str) -> str:
        """The interval as a condition on ``name``, for error messages."""
        return f"{self.low:g} <= {name} {'<=' if self.closed else '<'} {self.high:g}"


NONNEGATIVE = Interval(0.0, math.inf)
UNIT = Interval(0.0, 1.0, closed=True)
UNIT_OPEN = Interval(0.0, 1.0)

# An option rule is an Interval (a real number), a tuple of Intervals (a tuple of numbers,
# such as Adam's betas) or ``bool`` (a flag).
Rule = Interval | tuple[Interval, ...] | type[bool]


def _plain(value: Any) -> Any:
    """NumPy scalars and 0-d arrays as Python scalars (a state_dict may come back from a
    .npz file holding them), everything else unchanged."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def check_number(owner: str, name: str, value: Any, interval: Interval, where: str = "") -> Any:
    """Return ``value`` as a Python number if it lies in ``interval``, else raise.

    A value that is not a real number raises ``TypeError``; one outside the interval (or
    NaN) raises ``ValueError`` naming ``owner``, the option, the value and the valid range.

    Examples
    --------
    >>> check_number("SGD", "lr", 0.1, NONNEGATIVE)
    0.1
    >>> check_number("SGD", "lr", -1.0, NONNEGATIVE)
    Traceback (most recent call last):
    ...
    ValueError: SGD: invalid lr = -1.0; expected 0 <= lr < inf
    """
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {value!r} ({type(value).__name__}){where}"
        )
    if not interval.contains(value):
        raise ValueError(
            f"{owner}: invalid {name} = {value!r}{where}; expected {interval.describe(name)}"
        )
    return value


def check_count(owner: str, name: str, value: Any, minimum: int, where: str = "") -> int:
    """Return ``value`` as a Python int if it is an integer ``>= minimum``, else raise.

    Examples
    --------
    >>> check_count("StepLR", "step_size", 3, 1)
    3
    >>> check_count("StepLR", "step_size", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: StepLR: invalid step_size = 0; expected an integer >= 1
    """
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__}){where}"
        )
    if value < minimum:
        raise ValueError(
            f"{owner}: invalid {name} = {value!r}{where}; expected an integer >= {minimum}"
        )
    return value


def check_option(owner: str, name: str, value: Any, rule: Rule, where: str = "") -> Any:
    """Return ``value`` checked against ``rule`` (an Interval, a tuple of them, or ``bool``).

    Examples
    --------
    >>> check_option("Adam", "betas", [0.9, 0.99], (UNIT_OPEN, UNIT_OPEN))
    (0.9, 0.99)
    >>> check_option("Adam", "amsgrad", "yes", bool)
    Traceback (most recent call last):
    ...
    TypeError: Adam: amsgrad must be True or False, got 'yes'
    """
    if rule is bool:
        value = _plain(value)
        if not isinstance(value, bool):
            raise TypeError(f"{owner}: {name} must be True or False, got {value!r}{where}")
        return value
    if isinstance(rule, tuple):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, tuple | list) or len(value) != len(rule):
            raise TypeError(
                f"{owner}: {name} must be a tuple of {len(rule)} numbers, got {value!r}{where}"
            )
        return tuple(
            check_number(owner, f"{name}[{i}]", v, r, where)
            for i, (v, r) in enumerate(zip(value, rule))
        )
    return check_number(owner, name, value, rule, where)


def as_index(key: Any) -> int:
    """A parameter index from a state_dict: an int, or its decimal string (savers that
    flatten nested dicts into string keys give it back that way).

    Examples
    --------
    >>> as_index("3"), as_index(np.int64(4))
    (3, 4)
    """
    key = _plain(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    if isinstance(key, bool) or not isinstance(key, int) or key < 0:
        raise ValueError(f"load_state_dict: {key!r} is not a parameter index")
    return key
