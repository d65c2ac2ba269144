"""Argument checks shared by the data functions; every message names the function."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import creation
from ..tensor import get_default_dtype

RandomState = int | np.random.Generator | None


def as_generator(rng: RandomState, where: str) -> np.random.Generator:
    """``rng`` as a Generator: a seed makes a new one, ``None`` is tensorgrad's default.

    The default is the generator ``tg.manual_seed`` reseeds, so one call makes a whole
    run (initialisation, data, shuffling) reproducible, as ``torch.manual_seed`` does.
    """
    if rng is None:
        return creation.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool | np.bool_):
        if rng < 0:
            raise ValueError(f"{where}: a seed must be a non-negative int, got rng={rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{where}: rng must be an int seed, a numpy.random.Generator or None, "
        f"got {type(rng).__name__}"
    )


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
