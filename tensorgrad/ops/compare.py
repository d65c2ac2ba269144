"""Comparisons and logical ops: boolean results that carry no gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor


def _boolean(ufunc: np.ufunc, name: str) -> Callable[[Any, Any], Tensor]:
    def compare(a: Any, b: Any) -> Tensor:
        a_data = a._data if isinstance(a, Tensor) else a
        b_data = b._data if isinstance(b, Tensor) else b
        try:
            return Tensor(ufunc(a_data, b_data))
        except ValueError as exc:
            raise ValueError(
                f"{name}: {exc} (shapes {np.shape(a_data)} and {np.shape(b_data)}); make the "
                "shapes broadcast, e.g. by reshaping one side"
            ) from None

    compare.__name__ = compare.__qualname__ = name
    a, b = ([True, False], [True, True]) if name.startswith("logical") else ([1.0, 2.0], 1.5)
    shown = np.array2string(ufunc(a, b), separator=", ")
    compare.__doc__ = (
        f"Elementwise ``{name}`` as a boolean tensor (no gradient).\n\n"
        "    Examples\n    --------\n    >>> import tensorgrad as tg\n"
        f"    >>> tg.{name}(tg.tensor({a}), {b})\n"
        f"    tensor({shown})\n"
    )
    return compare


less: Callable[[Any, Any], Tensor] = _boolean(np.less, "less")
less_equal: Callable[[Any, Any], Tensor] = _boolean(np.less_equal, "less_equal")
greater: Callable[[Any, Any], Tensor] = _boolean(np.greater, "greater")
greater_equal: Callable[[Any, Any], Tensor] = _boolean(np.greater_equal, "greater_equal")
equal: Callable[[Any, Any], Tensor] = _boolean(np.equal, "equal")
not_equal: Callable[[Any, Any], Tensor] = _boolean(np.not_equal, "not_equal")
logical_and: Callable[[Any, Any], Tensor] = _boolean(np.logical_and, "logical_and")
logical_or: Callable[[Any, Any], Tensor] = _boolean(np.logical_or, "logical_or")
logical_xor: Callable[[Any, Any], Tensor] = _boolean(np.logical_xor, "logical_xor")


def logical_not(a: Any) -> Tensor:
    """Elementwise ``not`` as a boolean tensor.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.logical_not(tg.tensor([True, False]))
    tensor([False,  True])
    """
    return Tensor(np.logical_not(a._data if isinstance(a, Tensor) else a))
