"""The same backward rules give second derivatives: no op has a second copy of its rule.

For every registered op, the engine computes the gradient with ``create_graph=True``
(the rules run on tensors and so record a graph of their own), a projection of that
gradient is differentiated again, and the result is compared with central differences
of the first-order gradient (a Hessian-vector product, checked numerically).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import op_cases

import tensorgrad as tg
from tensorgrad.autograd import run_backward
from tensorgrad.ops.registry import OPS


def gradients(function: Any, inputs: list[Any], grad_output: np.ndarray, graph: bool) -> tuple:
    """The float inputs as leaves, and d sum(function(x) * grad_output) / d leaf for each."""
    xs = [tg.Tensor(np.asarray(x), requires_grad=True) if _is_float(x) else x for x in inputs]
    leaves = [x for x in xs if isinstance(x, tg.Tensor)]
    seed = tg.Tensor(grad_output) if graph else grad_output
    grads = run_backward([function(*xs)], [seed], create_graph=graph, inputs=leaves)
    return leaves, [np.zeros(x.shape) if g is None else g for g, x in zip(grads, leaves)]


def _is_float(x: Any) -> bool:
    return np.asarray(x).dtype.kind == "f"


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_second_derivative_matches_differences_of_the_first(name: str, data: Any) -> None:
    info = OPS[name]
    inputs, params, rng = data.draw(op_cases(info))

    def function(*xs: Any) -> Any:
        return info.function(*xs, **params)

    grad_output = rng.standard_normal(np.shape(info.reference(*inputs, **params)))
    directions = [rng.standard_normal(np.shape(x)) for x in inputs if _is_float(x)]

    def projected_gradient(*xs: Any) -> float:
        with tg.enable_grad():  # numerical_grad evaluates under no_grad
            _, grads = gradients(function, list(xs), grad_output, graph=False)
        return float(sum(np.sum(g * v) for g, v in zip(grads, directions)))

    numerical = [n for n in tg.numerical_grad(projected_gradient, inputs) if n is not None]
    leaves, grads = gradients(function, inputs, grad_output, graph=True)
    terms = [
        (g * v).sum()
        for g, v in zip(grads, directions)
        if isinstance(g, tg.Tensor) and g.requires_grad
    ]
    if not terms:  # the gradient does not depend on the inputs: a linear op
        for n in numerical:
            np.testing.assert_allclose(n, 0, atol=1e-6)
        return
    analytic = run_backward([sum(terms)], [np.ones(())], inputs=leaves)
    for a, n in zip(analytic, numerical):
        np.testing.assert_allclose(np.zeros_like(n) if a is None else a, n, rtol=1e-5, atol=1e-6)
