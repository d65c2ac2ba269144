"""Random computational graphs: chains and DAGs with reused intermediates, checked whole.

Hypothesis builds a graph op by op. Every node may feed several later nodes, so the
engine's accumulation of gradients from several consumers and its topological order
are exercised together; the gradient of the whole is compared with central differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensorgrad as tg

# Smooth everywhere and bounded in growth, so a random composition stays well-conditioned.
UNARY: dict[str, Callable[[Any], Any]] = {
    "tanh": tg.tanh,
    "sin": tg.sin,
    "sigmoid": tg.sigmoid,
    "softplus": tg.softplus,
    "square": lambda x: x * x,
    "log1p_sq": lambda x: tg.log(1 + x * x),
    "sqrt1p_sq": lambda x: tg.sqrt(1 + x**2),
    "exp_tanh": lambda x: tg.exp(tg.tanh(x)),
    "neg": lambda x: -x,
    "mean_keep": lambda x: x.mean(axis=-1, keepdims=True) if x.ndim else x,
    "sum_keep": lambda x: x.sum(axis=0, keepdims=True) if x.ndim else x,
    "lse_keep": lambda x: tg.logsumexp(x, axis=-1, keepdims=True) if x.ndim else x,
}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "where": lambda a, b: tg.where(np.asarray(a.data) > 0.3, a, b),
}


LEAF_VALUES = st.floats(-1, 1)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[np.ndarray], list[tuple[str, tuple[int, ...]]]]:
    """Leaf values and a program: each step applies an op to earlier nodes (by index)."""
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=draw(st.integers(1, 3)), max_dims=3, max_side=3
        )
    )
    leaves = [
        draw(hnp.arrays(np.float64, s, elements=LEAF_VALUES, fill=st.nothing()))
        for s in shapes.input_shapes
    ]
    program = []
    for step in range(draw(st.integers(1, 8))):
        available = len(leaves) + step
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(UNARY)))
            program.append((name, (draw(st.integers(0, available - 1)),)))
        else:
            name = draw(st.sampled_from(sorted(BINARY)))
            a, b = draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))
            program.append((name, (a, b)))
    return leaves, program


def run(program: list[tuple[str, tuple[int, ...]]], leaves: list[Any]) -> Any:
    nodes = list(leaves)
    for name, args in program:
        op = UNARY.get(name) or BINARY[name]
        nodes.append(op(*(nodes[i] for i in args)))
    # Every node reaches the output, so unused intermediates are checked too.
    return sum((node * (k + 1) / len(nodes)).mean() for k, node in enumerate(nodes))


def _away_from_where_switch(program: list, leaves: list[np.ndarray]) -> bool:
    """The `where` condition must not flip under the finite-difference step."""
    with tg.no_grad():
        nodes = [tg.tensor(x) for x in leaves]
        for name, args in program:
            if name == "where" and np.any(np.abs(nodes[args[0]].data - 0.3) < 1e-3):
                return False
            op = UNARY.get(name) or BINARY[name]
            nodes.append(op(*(nodes[i] for i in args)))
    return True


@given(graphs())
def test_random_graph_gradient_matches_central_differences(case: Any) -> None:
    leaves, program = case
    from hypothesis import assume

    assume(_away_from_where_switch(program, leaves))
    assert tg.gradcheck(lambda *xs: run(program, list(xs)), leaves, atol=1e-7, rtol=1e-6)


@given(graphs())
def test_random_graph_accumulates_like_two_separate_backwards(case: Any) -> None:
    """backward(retain_graph=True) twice gives exactly twice the gradient of once."""
    leaves, program = case
    xs = [tg.tensor(x, requires_grad=True) for x in leaves]
    out = run(program, xs)
    out.backward(retain_graph=True)
    first = [x.grad.copy() for x in xs]
    out.backward()
    for x, g in zip(xs, first):
        np.testing.assert_allclose(x.grad, 2 * g, rtol=1e-12, atol=1e-15)
