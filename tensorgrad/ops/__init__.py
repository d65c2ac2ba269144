"""Primitive ops by family, and the Tensor methods.

Importing this package attaches every op to :class:`~tensorgrad.tensor.Tensor` as a
method or operator, so that ``tg.exp(x)`` and ``x.exp()`` are the same function.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import compare, elementwise, index, linalg, reduce, shape
from .compare import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
)  # fmt: skip
from .elementwise import (
    abs,
    add,
    astype,
    clip,
    cos,
    div,
    exp,
    leaky_relu,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sub,
    tanh,
    where,
)  # fmt: skip
from .index import getitem, scatter_add
from .linalg import matmul
from .reduce import argmax, argmin, log_softmax, logsumexp, max, mean, min, std, sum, var
from .shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    pad,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)  # fmt: skip


def _method_transpose(self: Tensor, *axes: Any) -> Tensor:
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], tuple | list)):
        return transpose(self, axes[0] or None)
    return transpose(self, axes or None)


def _swapped(function: Any) -> Any:
    def reflected(self: Tensor, other: Any) -> Tensor:
        return function(other, self)

    reflected.__name__ = f"r{function.__name__}"
    return reflected


_METHODS = {
    # Operators are the ops' own apply functions: no wrapper call on the hot path.
    "__add__": elementwise.Add._fast, "__radd__": _swapped(add),
    "__sub__": elementwise.Sub._fast, "__rsub__": _swapped(sub),
    "__mul__": elementwise.Mul._fast, "__rmul__": _swapped(mul),
    "__truediv__": elementwise.Div._fast, "__rtruediv__": _swapped(div),
    "__pow__": elementwise.Pow._fast, "__rpow__": _swapped(pow),
    "__matmul__": linalg.MatMul._fast, "__rmatmul__": _swapped(matmul),
    "__neg__": elementwise.Neg._fast, "__abs__": abs, "__getitem__": getitem,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": equal, "__ne__": not_equal, "__and__": logical_and, "__or__": logical_or,
    "__xor__": logical_xor, "__invert__": logical_not,
    # and, or, xor are symmetric: the reflected forms (True & t, mask | t) are the same ops
    "__rand__": logical_and, "__ror__": logical_or, "__rxor__": logical_xor,
    "transpose": _method_transpose,
    "T": property(lambda self: transpose(self)),
}  # fmt: skip
_METHODS.update(
    (f.__name__, f)
    for f in (
        exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, leaky_relu, softplus, clip,
        maximum, minimum, sum, mean, max, min, var, std, logsumexp, argmax, argmin, reshape,
        flatten, squeeze, unsqueeze, broadcast_to, split, pad, astype, swapaxes, matmul, add,
        sub, mul, div, pow, neg, less, less_equal, greater, greater_equal, equal, not_equal,
        log_softmax,
    )
)  # fmt: skip
_METHODS["expand_dims"] = expand_dims
for _name, _function in _METHODS.items():
    setattr(Tensor, _name, _function)

__all__ = [
    "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "clip", "compare", "concatenate",
    "cos", "div", "elementwise", "equal", "exp", "expand_dims", "flatten", "getitem", "greater",
    "greater_equal", "index", "leaky_relu", "less", "less_equal", "linalg", "log", "logical_and",
    "logical_not", "logical_or", "logical_xor", "logsumexp", "matmul", "max", "maximum", "mean",
    "min", "minimum", "mul", "neg", "not_equal", "pad", "pow", "reduce", "relu", "reshape",
    "scatter_add", "shape", "sigmoid", "sin", "softplus", "split", "sqrt", "squeeze", "stack",
    "std", "sub", "sum", "swapaxes", "tanh", "transpose", "unsqueeze", "var", "where",
]  # fmt: skip
