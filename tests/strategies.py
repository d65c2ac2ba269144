"""Hypothesis strategies that turn an op's registry entry into concrete test cases.

Every array, inputs and upstream gradients alike, is drawn by
``hypothesis.extra.numpy.arrays``, so a failing case shrinks to small arrays of simple
values. The registry's input kinds (``tensorgrad.ops.registry.INPUT_KINDS``) are the
element strategies:

- ``"real"``: floats in [-2, 2]
- ``"positive"``: floats in [0.2, 3]
- ``"nonzero"``: floats of magnitude in [0.3, 2], either sign
- ``"distinct"``: points of a grid of step 0.01 in [-3, 3), unique within an input, and
  input i of n offset by i / n of a step, so no two values of an op's inputs are equal
- ``"bool"``: True or False

Float values within ``KINK_MARGIN`` of one of the op's kinks are moved by ``KINK_SHIFT``,
and cases within ``KINK_MARGIN`` of a tie between inputs (``TIES``) are left out.
Only an op's other arguments (``OpInfo.params``, which take a NumPy Generator) come from a
generator, seeded by hypothesis; the drawn params are what a failure reports.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad.ops.registry import INPUT_KINDS, KINK_MARGIN, KINK_SHIFT, OpInfo

MAX_DIMS, MAX_SIDE = 3, 4
# One draw in EMPTY_ODDS has an axis of length 0: NumPy and PyTorch take empty tensors, so
# every op must (or refuse them clearly, which its OpInfo.valid then says).
EMPTY_ODDS = 4

FLOAT_ELEMENTS = {
    "real": st.floats(-2, 2),
    "positive": st.floats(0.2, 3),
    "nonzero": st.floats(0.3, 2) | st.floats(-2, -0.3),
}
DISTINCT_STEP = 0.01
DISTINCT_GRID = st.integers(-300, 299)  # in steps: [-3, 3)

# Kinks where one input meets a function of another, which OpInfo.kinks (values of one
# input) cannot state: each gives the distance of every element from its kink.
TIES: dict[str, Callable[..., np.ndarray]] = {
    # clip_bounds clips x to [lo - 2.5, hi + 2.5] (its registry entry): a kink where x
    # meets a bound, as at x = -1, lo = 1.5
    "clip_bounds": lambda x, lo, hi: np.minimum(abs(x - (lo - 2.5)), abs(x - (hi + 2.5))),
}


def input_shapes(draw: st.DrawFn, info: OpInfo) -> list[tuple[int, ...]]:
    """One shape per input of ``info`` (drawn with a composite strategy's ``draw``), of at
    least ``info.min_dims`` dimensions (0-d ones included when that is 0), sometimes with
    an axis of length 0."""
    count = len(info.inputs)
    empty = draw(st.integers(0, EMPTY_ODDS - 1)) == 0
    if info.shapes == "broadcast":
        shapes = draw(_broadcast_shapes(count, info.min_dims)).input_shapes
        return _an_empty_axis(draw, list(shapes)) if empty else list(shapes)
    if info.shapes == "same":
        shape = draw(_array_shapes(info.min_dims))
        return (_an_empty_axis(draw, [shape]) if empty else [shape]) * count
    if info.shapes == "matmul":
        # The signature links the operands' core axes, so an empty one is drawn as such.
        return list(draw(_matmul_shapes(min_side=0 if empty else 1)).input_shapes)
    raise ValueError(f"unknown shape kind {info.shapes!r}")


# Strategies are made once for each set of arguments: hypothesis validates every new one.


@cache
def _broadcast_shapes(count: int, min_dims: int) -> st.SearchStrategy[Any]:
    return hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=min_dims, max_dims=MAX_DIMS, max_side=MAX_SIDE
    )


@cache
def _array_shapes(min_dims: int) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=MAX_DIMS, max_side=MAX_SIDE)


@cache
def _matmul_shapes(min_side: int) -> st.SearchStrategy[Any]:
    return hnp.mutually_broadcastable_shapes(
        signature=np.matmul.signature, max_dims=MAX_DIMS, min_side=min_side, max_side=MAX_SIDE
    )


def _an_empty_axis(draw: st.DrawFn, shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """``shapes`` (mutually broadcastable) with one axis of their broadcast shape made 0:
    in each input that has it, a length of 1 may stay (it broadcasts against 0), any other
    becomes 0, and at least one input gets the 0. 0-d inputs alone have no axis to empty."""
    ndim = max(len(shape) for shape in shapes)
    if ndim == 0:
        return shapes
    axis = -draw(st.integers(1, ndim))  # from the right, as broadcasting aligns axes
    holders = [i for i, shape in enumerate(shapes) if len(shape) >= -axis]
    stays = [shapes[i][axis] == 1 and draw(st.booleans()) for i in holders]
    stays[0] = stays[0] and not all(stays)
    result = [list(shape) for shape in shapes]
    for i, stay in zip(holders, stays):
        if not stay:
            result[i][axis] = 0
    return [tuple(shape) for shape in result]


@cache
def input_values(
    kind: str,
    shape: tuple[int, ...],
    position: int = 0,
    count: int = 1,
    kinks: tuple[float, ...] = (),
) -> st.SearchStrategy[np.ndarray]:
    """Arrays of one input kind: float64 (a bool mask for ``"bool"``), off the ``kinks``.

    ``position`` is the input's index among the op's ``count`` inputs: "distinct" inputs
    are offset by it, so no value of one equals a value of another.
    """
    if kind == "bool":
        return hnp.arrays(np.bool_, shape, elements=st.booleans(), fill=st.nothing())
    if kind == "distinct":
        offset = position * DISTINCT_STEP / count
        elements = DISTINCT_GRID.map(lambda k: k * DISTINCT_STEP + offset)
        arrays = hnp.arrays(np.float64, shape, elements=elements, unique=True)
    elif kind in FLOAT_ELEMENTS:
        # Every element drawn on its own (no fill value), so values vary as in a random draw.
        arrays = hnp.arrays(np.float64, shape, elements=FLOAT_ELEMENTS[kind], fill=st.nothing())
    else:
        raise ValueError(f"input_values: unknown input kind {kind!r}; use one of {INPUT_KINDS}")
    return arrays.map(partial(_off_kinks, kinks=kinks)) if kinks else arrays


def _off_kinks(x: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    for kink in kinks:
        x = np.where(np.abs(x - kink) < KINK_MARGIN, x + KINK_SHIFT, x)
    return x


def untied(info: OpInfo, inputs: list[np.ndarray]) -> bool:
    """Whether ``inputs`` keep ``KINK_MARGIN`` away from ``info``'s ties (``TIES``)."""
    tie = TIES.get(info.name)
    return tie is None or bool(np.all(tie(*inputs) >= KINK_MARGIN))


def upstream(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """A random upstream gradient (or direction) of ``shape``: nonzero values, so that no
    element of the output goes unchecked."""
    return input_values("nonzero", shape)


SEEDS = st.integers(0, 2**32 - 1)


def op_params(draw: st.DrawFn, info: OpInfo, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    """``info``'s other arguments for inputs of ``shapes``, from a generator hypothesis
    seeds (``draw`` is a composite strategy's)."""
    if info.params is None:
        return {}
    return info.params(np.random.default_rng(draw(SEEDS)), shapes)


@cache
def op_cases(info: OpInfo) -> st.SearchStrategy[tuple[list[np.ndarray], dict[str, Any]]]:
    """(inputs, params) for ``info``: float64 arrays of each input's kind (bool masks for
    "bool") off the op's kinks and ties, in shapes that ``info.valid`` accepts with the
    params."""
    return _op_cases(info)


@st.composite
def _op_cases(draw: st.DrawFn, info: OpInfo) -> tuple[list[np.ndarray], dict[str, Any]]:
    shapes = input_shapes(draw, info)
    params = op_params(draw, info, shapes)
    if info.valid is not None:
        assume(info.valid(shapes, params))
    count = len(info.inputs)
    inputs = [
        draw(input_values(kind, shape, i, count, info.kinks))
        for i, (kind, shape) in enumerate(zip(info.inputs, shapes))
    ]
    assume(untied(info, inputs))
    return inputs, params
