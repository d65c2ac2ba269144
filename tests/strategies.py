"""Hypothesis strategies that turn an op's registry entry into concrete test cases."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad.ops.registry import OpInfo, draw_values

MAX_DIMS, MAX_SIDE = 3, 4
# One draw in EMPTY_ODDS has an axis of length 0: NumPy and PyTorch take empty tensors, so
# every op must (or refuse them clearly, which its OpInfo.valid then says).
EMPTY_ODDS = 4


@st.composite
def input_shapes(draw: st.DrawFn, info: OpInfo) -> list[tuple[int, ...]]:
    """One shape per input of ``info``, of at least ``info.min_dims`` dimensions (0-d ones
    included when that is 0), sometimes with an axis of length 0."""
    count = len(info.inputs)
    empty = draw(st.integers(0, EMPTY_ODDS - 1)) == 0
    if info.shapes == "broadcast":
        shapes = draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=count, min_dims=info.min_dims, max_dims=MAX_DIMS, max_side=MAX_SIDE
            )
        ).input_shapes
        return draw(_an_empty_axis(list(shapes))) if empty else list(shapes)
    if info.shapes == "same":
        shape = draw(hnp.array_shapes(min_dims=info.min_dims, max_dims=MAX_DIMS, max_side=MAX_SIDE))
        return (draw(_an_empty_axis([shape])) if empty else [shape]) * count
    if info.shapes == "matmul":
        # The signature links the operands' core axes, so an empty one is drawn as such.
        return list(
            draw(
                hnp.mutually_broadcastable_shapes(
                    signature=np.matmul.signature,
                    max_dims=MAX_DIMS,
                    min_side=0 if empty else 1,
                    max_side=MAX_SIDE,
                )
            ).input_shapes
        )
    raise ValueError(f"unknown shape kind {info.shapes!r}")


@st.composite
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


@st.composite
def op_cases(draw: st.DrawFn, info: OpInfo) -> tuple[list[Any], dict[str, Any], np.ndarray]:
    """(float64 inputs, params, random upstream gradient seed generator) for ``info``."""
    shapes = draw(input_shapes(info))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params = info.params(rng, shapes) if info.params else {}
    if info.valid is not None:
        assume(info.valid(shapes, params))
    inputs = [
        draw_values(kind, shape, rng, i, info.kinks)
        for i, (kind, shape) in enumerate(zip(info.inputs, shapes))
    ]
    return inputs, params, rng
