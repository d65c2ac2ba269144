"""The op registry: one entry per differentiable op, read by the tests and benchmarks.

Adding an op is the op plus one ``register(OpInfo(...))`` line next to it; the
gradient tests, the second-order tests and the gradcheck sweep pick it up from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# How the tests draw the values of one input:
#   "real"      uniform in [-2, 2]
#   "positive"  uniform in [0.2, 3]          (log, sqrt, the base of pow)
#   "nonzero"   magnitude in [0.3, 2], either sign (divisors)
#   "distinct"  well-separated values, none equal within or across inputs (max, maximum)
#   "bool"      a random mask; carries no gradient
INPUT_KINDS = ("real", "positive", "nonzero", "distinct", "bool")


@dataclass(frozen=True)
class OpInfo:
    """How to call, check and test one op.

    ``function(*inputs, **params)`` is the tensorgrad op and ``reference`` the NumPy
    computation it must match. ``shapes`` says how input shapes are drawn:
    ``"broadcast"`` (mutually broadcastable, one per input), ``"matmul"`` or ``"same"``
    (every input the same shape). ``params(rng, shapes)`` draws the op's other
    arguments for the given input shapes (of at least ``min_dims`` dimensions).
    ``kinks`` are input values where the op is not differentiable; test inputs stay
    away from them. ``valid(shapes, params)``,
    when given, rejects cases where the op is not differentiable whatever the values.

    Examples
    --------
    >>> from tensorgrad.ops.registry import OPS
    >>> OPS["tanh"].inputs
    ('real',)
    """

    name: str
    function: Callable[..., Any]
    reference: Callable[..., Any]
    inputs: tuple[str, ...] = ("real",)
    shapes: str = "broadcast"
    params: Callable[[np.random.Generator, list[tuple[int, ...]]], dict[str, Any]] | None = None
    kinks: tuple[float, ...] = ()
    min_dims: int = 0
    valid: Callable[[list[tuple[int, ...]], dict[str, Any]], bool] | None = None
    notes: str = field(default="", compare=False)


OPS: dict[str, OpInfo] = {}


def register(info: OpInfo) -> None:
    """Add ``info`` to :data:`OPS` (each name once)."""
    if info.name in OPS:
        raise ValueError(f"register: an op named {info.name!r} is already registered")
    OPS[info.name] = info


def random_axis(rng: np.random.Generator, ndim: int) -> int | tuple[int, ...] | None:
    """``None``, one axis (maybe negative) or a tuple of distinct axes, for reductions."""
    if ndim == 0 or rng.random() < 0.25:
        return None
    if rng.random() < 0.5:
        return int(rng.integers(-ndim, ndim))
    count = int(rng.integers(1, ndim + 1))
    return tuple(int(a) for a in rng.choice(ndim, size=count, replace=False))


def reduction_params(rng: np.random.Generator, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    """``axis`` and ``keepdims`` for a reduction over an input of ``shapes[0]``."""
    return {"axis": random_axis(rng, len(shapes[0])), "keepdims": bool(rng.random() < 0.5)}
