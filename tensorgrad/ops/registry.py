"""The op registry: one entry per differentiable op, read by the tests and benchmarks.

Adding an op is the op plus one ``register(OpInfo(...))`` line next to it; the
gradient tests, the second-order tests and the gradcheck sweep pick it up from here.
"""

from __future__ import annotations

import math
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
# "distinct" values come from one grid; input i is offset by i * half a step, so no two
# values (within an input or across inputs) are closer than 0.005.
_GRID = np.arange(-300, 300) * 0.01
KINK_MARGIN, KINK_SHIFT = 0.02, 0.05  # values this close to a kink are moved this far


def draw_values(
    kind: str,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    position: int = 0,
    kinks: tuple[float, ...] = (),
) -> np.ndarray:
    """Float64 values of one input kind (a bool mask for ``"bool"``), off the ``kinks``.

    ``position`` is the input's index among the op's inputs ("distinct" inputs are
    offset by it, so no two inputs share a value).

    Examples
    --------
    >>> import numpy as np
    >>> x = draw_values("positive", (3,), np.random.default_rng(0))
    >>> bool((x >= 0.2).all())
    True
    """
    size = int(np.prod(shape))
    if kind == "real":
        x = rng.uniform(-2, 2, shape)
    elif kind == "positive":
        x = rng.uniform(0.2, 3, shape)
    elif kind == "nonzero":
        x = rng.uniform(0.3, 2, shape) * rng.choice([-1.0, 1.0], shape)
    elif kind == "distinct":
        x = (rng.choice(_GRID, size, replace=False) + 0.005 * position).reshape(shape)
    elif kind == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    else:
        raise ValueError(f"draw_values: unknown input kind {kind!r}; use one of {INPUT_KINDS}")
    for kink in kinks:
        x = np.where(np.abs(x - kink) < KINK_MARGIN, x + KINK_SHIFT, x)
    return np.asarray(x)


@dataclass(frozen=True)
class OpInfo:
    """How to call, check and test one op.

    ``function(*inputs, **params)`` is the tensorgrad op and ``reference`` the NumPy
    computation it must match. ``shapes`` says how input shapes are drawn:
    ``"broadcast"`` (mutually broadcastable, one per input), ``"matmul"`` or ``"same"``
    (every input the same shape); the draws include 0-d inputs when ``min_dims`` is 0,
    and axes of length 0, as NumPy takes them. ``params(rng, shapes)`` draws the op's
    other arguments for the given input shapes (of at least ``min_dims`` dimensions).
    ``kinks`` are input values where the op is not differentiable; test inputs stay
    away from them. ``valid(shapes, params)``, when given, rejects cases where the op is
    not differentiable whatever the values, or has no value at all (the max of no
    elements, which the op must then refuse with a clear error).

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


def reduction_params(
    rng: np.random.Generator, shapes: list[tuple[int, ...]], least: int = 0
) -> dict[str, Any]:
    """``axis`` and ``keepdims`` for a reduction over an input of ``shapes[0]``.

    With ``least``, axes drawn over fewer elements give way to the axes of at least that
    length, where there are some (the max of nothing has no value, the std of one element
    no derivative): an empty input is then reduced along its other axes.
    """
    shape = shapes[0]
    axis = random_axis(rng, len(shape))
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    if math.prod(shape[a] for a in axes) < least:
        axis = tuple(i for i, n in enumerate(shape) if n >= least) or None
    return {"axis": axis, "keepdims": bool(rng.random() < 0.5)}
