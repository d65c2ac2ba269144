"""The two namespaces a backward rule computes with, under the same names: ``xp``.

A rule reads ``xp.where``, ``xp.exp``, ``xp.sum``, ... NumPy's functions for gradients on
plain arrays (first order), tensorgrad's own for gradients that are themselves on a
graph (``create_graph=True``), so one rule serves every order. ``guard`` keeps ``0 * inf``
at 0 once a ``where`` has masked a gradient; until then the walk hands rules the
unguarded namespaces, whose ``guard`` does nothing.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from .broadcast import sum_array
from .ops import (
    abs,
    broadcast_to,
    cos,
    elementwise,
    exp,
    index,
    log,
    reduce,
    scatter_add,
    sigmoid,
    sin,
    sum,
    swapaxes,
    where,
)  # fmt: skip
from .tensor import Tensor


def _guard_tensor(grad: Tensor, result: Tensor) -> Tensor:
    finite = np.isfinite(result.data)
    if finite.all():
        return result
    return where((np.asarray(grad.data) == 0) & ~finite, 0, result)


def _unguarded(grad: Any, result: Any) -> Any:
    return result


_ARRAY_FUNCTIONS = {
    "where": np.where, "broadcast_to": reduce.broadcast_copy, "swapaxes": np.swapaxes,
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "abs": np.abs,
    "isfinite": np.isfinite, "sigmoid": elementwise.sigmoid_array,
    "scatter_add": index.scatter_add_array, "sum": sum_array,
}  # fmt: skip
_TENSOR_FUNCTIONS = {
    "where": where, "broadcast_to": broadcast_to, "swapaxes": swapaxes, "exp": exp,
    "log": log, "sin": sin, "cos": cos, "abs": abs,
    "isfinite": lambda t: np.isfinite(np.asarray(t)), "sigmoid": sigmoid,
    "scatter_add": scatter_add, "sum": sum,
}  # fmt: skip
if _ARRAY_FUNCTIONS.keys() != _TENSOR_FUNCTIONS.keys():  # a rule must find its name in both
    raise ImportError(
        "tensorgrad.xp: the array and tensor namespaces differ: "
        f"{sorted(_ARRAY_FUNCTIONS.keys() ^ _TENSOR_FUNCTIONS.keys())}"
    )

ARRAY = types.SimpleNamespace(**_ARRAY_FUNCTIONS, guard=elementwise.guard_array, guarding=True)
UNGUARDED_ARRAY = types.SimpleNamespace(**_ARRAY_FUNCTIONS, guard=_unguarded, guarding=False)
TENSOR = types.SimpleNamespace(**_TENSOR_FUNCTIONS, guard=_guard_tensor, guarding=True)
UNGUARDED_TENSOR = types.SimpleNamespace(**_TENSOR_FUNCTIONS, guard=_unguarded, guarding=False)
