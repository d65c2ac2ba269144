"""Hypothesis strategies that turn an op's registry entry into concrete test cases."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad.ops.registry import OpInfo, draw_values

MAX_DIMS, MAX_SIDE = 3, 4
@st.composite
def input_shapes(draw: st.DrawFn, info: OpInfo) -> list[tuple[int, ...]]:
    count = len(info.inputs)
    if info.shapes == "broadcast":
        shapes = draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=count, min_dims=info.min_dims, max_dims=MAX_DIMS, max_side=MAX_SIDE
            )
        ).input_shapes
        return list(shapes)
    if info.shapes == "same":
        shape = draw(
            hnp.array_shapes(min_dims=max(info.min_dims, 1), max_dims=MAX_DIMS, max_side=MAX_SIDE)
        )
        return [shape] * count
    if info.shapes == "matmul":
        return list(
            draw(
                hnp.mutually_broadcastable_shapes(
                    signature=np.matmul.signature, max_dims=MAX_DIMS, max_side=MAX_SIDE
                )
            ).input_shapes
        )
    raise ValueError(f"unknown shape kind {info.shapes!r}")


@st.composite
def op_cases(draw: st.DrawFn, info: OpInfo) -> tuple[list[Any], dict[str, Any], np.ndarray]:
    """(float64 inputs, params, random upstream gradient seed generator) for ``info``."""
    shapes = draw(input_shapes(info))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params = info.params(rng, shapes) if info.params else {}
    if info.valid is not None:
        from hypothesis import assume

        assume(info.valid(shapes, params))
    inputs = [
        draw_values(kind, shape, rng, i, info.kinks)
        for i, (kind, shape) in enumerate(zip(info.inputs, shapes))
    ]
    return inputs, params, rng
