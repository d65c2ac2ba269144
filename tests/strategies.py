"""Hypothesis strategies that turn an op's registry entry into concrete test cases."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad.ops.registry import OpInfo

MAX_DIMS, MAX_SIDE = 3, 4
# "distinct" values come from one grid; input i is offset by i * half a step, so no two
# values (within an input or across inputs) are closer than 0.005.
_GRID = np.arange(-300, 300) * 0.01


def values(kind: str, shape: tuple[int, ...], rng: np.random.Generator, position: int) -> Any:
    """Float64 values of one input kind (see tensorgrad.ops.registry.INPUT_KINDS)."""
    size = int(np.prod(shape))
    if kind == "real":
        return rng.uniform(-2, 2, shape)
    if kind == "positive":
        return rng.uniform(0.2, 3, shape)
    if kind == "nonzero":
        return rng.uniform(0.3, 2, shape) * rng.choice([-1.0, 1.0], shape)
    if kind == "distinct":
        return (rng.choice(_GRID, size, replace=False) + 0.005 * position).reshape(shape)
    if kind == "bool":
        return rng.random(shape) < 0.5
    raise ValueError(f"unknown input kind {kind!r}")


def _avoid_kinks(x: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.02, x + 0.05, x)
    return x


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
        _avoid_kinks(values(kind, shape, rng, i), info.kinks)
        if kind != "bool"
        else values(kind, shape, rng, i)
        for i, (kind, shape) in enumerate(zip(info.inputs, shapes))
    ]
    return inputs, params, rng
