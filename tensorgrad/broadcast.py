"""The one place where NumPy broadcasting is undone on the way back."""

from __future__ import annotations

from typing import Any

import numpy as np


def unbroadcast(grad: Any, shape: tuple[int, ...], op: str = "op") -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``.

    Works on NumPy arrays and on tensors alike (tensors are summed with ``.sum``), so the
    same code serves first- and higher-order backward.

    Examples
    --------
    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead > 0:  # summed without keepdims: a fresh array of the trailing shape
        grad = _sum(grad, 0 if lead == 1 else tuple(range(lead)), False)
        if grad.shape == shape:
            return grad
    if lead >= 0:
        stretched = []
        for i, n in enumerate(shape):
            if n == 1 and grad.shape[i] != 1:
                stretched.append(i)
        if stretched:
            grad = _sum(grad, tuple(stretched), True)
        if grad.shape == shape:
            return grad
    raise RuntimeError(
        f"{op}: backward produced a gradient of shape {gshape} for an input of shape "
        f"{shape}, which it cannot be reduced to; this is a bug in the op's backward rule"
    )


def _sum(grad: Any, axis: Any, keepdims: bool) -> Any:
    if type(grad) is np.ndarray:
        return sum_array(grad, axis, keepdims)
    return grad.sum(axis=axis, keepdims=keepdims)


def sum_array(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """``x.sum(axis, keepdims=keepdims)`` without ndarray.sum's Python-level wrapper.

    Examples
    --------
    >>> sum_array(np.ones((2, 3)), 1, True).tolist()
    [[3.0], [3.0]]
    """
    # NumPy's stubs take keepdims only as a literal True or False.
    return np.add.reduce(x, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]
