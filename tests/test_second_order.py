"""Every registered op, twice differentiated, by the same backward rules as at first order.

For every op in the registry (tensorgrad.ops.registry.OPS), the gradient of
``sum(op(x) * grad_output)`` is taken with ``create_graph=True`` (the rules run on tensors
and so record a graph of their own), projected on one direction per float input, and
that projection is differentiated again: a Hessian-vector product, compared with central
differences of the first-order gradient. The inputs, the upstream gradient and the
directions are all drawn by hypothesis (tests/strategies.py), so a failure shrinks to
small arrays.

This is the one second-order check over the op table. test_derivatives.py tests
``tg.gradgradcheck`` itself, and test_mixed_operands.py runs it on every op with a
constant operand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import op_cases, upstream

import tensorgrad as tg
from tensorgrad.ops.registry import OPS, OpInfo


def _first_order(
    info: OpInfo, params: dict[str, Any], xs: Any, grad_output: np.ndarray, create_graph: bool
) -> tuple[list[tg.Tensor], tuple[tg.Tensor, ...]]:
    """The float inputs made leaves, and d sum(op(xs) * grad_output) / d leaf for each."""
    args = [tg.Tensor(_array(x), requires_grad=True) if _is_float(x) else x for x in xs]
    leaves = [x for x in args if isinstance(x, tg.Tensor)]
    seed = tg.Tensor(grad_output) if create_graph else grad_output
    out = info.function(*args, **params)
    return leaves, tg.autograd.grad(out, leaves, seed, create_graph=create_graph)


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, tg.Tensor) else np.asarray(x)


def _is_float(x: Any) -> bool:
    return _array(x).dtype.kind == "f"


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_second_derivative_matches_differences_of_the_first(name: str, data: Any) -> None:
    info = OPS[name]
    inputs, params = data.draw(op_cases(info))
    grad_output = data.draw(upstream(np.shape(info.reference(*inputs, **params))))
    directions = [data.draw(upstream(np.shape(x))) for x in inputs if _is_float(x)]

    def projected_gradient(*xs: Any) -> float:
        with tg.enable_grad():  # numerical_grad evaluates under no_grad
            _, grads = _first_order(info, params, xs, grad_output, create_graph=False)
        return float(sum(np.sum(g.data * v) for g, v in zip(grads, directions)))

    numerical = [n for n in tg.numerical_grad(projected_gradient, inputs) if n is not None]
    leaves, grads = _first_order(info, params, inputs, grad_output, create_graph=True)
    terms = [(g * v).sum() for g, v in zip(grads, directions) if g.requires_grad]
    if not terms:  # the gradient does not depend on the inputs: a linear op
        for n in numerical:
            np.testing.assert_allclose(n, 0, atol=1e-6)
        return
    analytic = tg.autograd.grad(sum(terms), leaves)
    for a, n in zip(analytic, numerical):
        np.testing.assert_allclose(a.data, n, rtol=1e-5, atol=1e-6)


def test_pow_mixed_second_derivative_at_a_zero_exponent() -> None:
    # Pow's rule once zeroed b a^(b-1) wherever b = 0, and with it the derivative in b.
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    (da,) = tg.autograd.grad(a**b, a, create_graph=True)  # b a^(b-1)
    (da_db,) = tg.autograd.grad(da, b)  # a^(b-1) (1 + b log a) = 1/a at b = 0
    assert da_db.item() == pytest.approx(0.5)
