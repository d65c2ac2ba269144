"""Argument checks shared by the data functions; every message names the function."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..creation import RandomState, as_generator
from ..tensor import get_default_dtype

# as_generator lives with the default generator in creation.py; the data functions
# import it from here, with the other checks.
__all__ = ["RandomState", "as_generator", "count", "float_dtype", "non_negative"]


def float_dtype(dtype: Any, where: str) -> np.dtype:
    """``dtype`` as a floating dtype; ``None`` is tensorgrad's default float dtype."""
    if dtype is None:
        return get_default_dtype()
    result = np.dtype(dtype)
    if result.kind != "f":
        raise TypeError(f"{where}: dtype must be a floating dtype, got {result}")
    return result


def count(value: Any, name: str, where: str, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``; floats and bools are refused."""
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{where}: {name} must be an int, got {type(value).__name__} {value!r}"
        ) from None
    if number < minimum:
        raise ValueError(f"{where}: {name} must be at least {minimum}, got {number}")
    return number


def non_negative(value: Any, name: str, where: str) -> float:
    """``value`` as a finite float of at least 0."""
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return number
