"""Every registered op: forward against NumPy, gradients against central differences.

The registry (tensorgrad.ops.registry.OPS) drives these tests: an op added there is
tested here with inputs inside its domain, shapes from mutually_broadcastable_shapes
(scalars, size-1 axes, missing leading axes) and a random upstream gradient. The last
tests pin down, at chosen points, gradients of operands that are usually constants.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import op_cases, upstream

import tensorgrad as tg
from tensorgrad.ops.registry import OPS

NAMES = sorted(OPS)


def _tensors(inputs: list, dtype=np.float64, requires_grad: bool = False) -> list:
    return [
        tg.Tensor(x.astype(dtype), requires_grad=requires_grad) if x.dtype.kind == "f" else x
        for x in inputs
    ]


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_forward_matches_numpy(name: str, data: st.DataObject) -> None:
    info = OPS[name]
    inputs, params = data.draw(op_cases(info))
    expected = info.reference(*inputs, **params)
    out = info.function(*_tensors(inputs), **params)
    assert isinstance(out, tg.Tensor)
    assert out.shape == np.shape(expected)
    assert out.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradient_matches_central_differences(name: str, data: st.DataObject) -> None:
    info = OPS[name]
    inputs, params = data.draw(op_cases(info))
    grad_output = data.draw(upstream(np.shape(info.reference(*inputs, **params))))
    assert tg.gradcheck(
        lambda *xs: info.function(*xs, **params),
        inputs,
        grad_output=grad_output,
        atol=1e-7,
        rtol=1e-6,
    )


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_float32_keeps_its_dtype(name: str, data: st.DataObject) -> None:
    info = OPS[name]
    inputs, params = data.draw(op_cases(info))
    tensors = _tensors(inputs, np.float32, requires_grad=True)
    out = info.function(*tensors, **params)
    expected = info.reference(
        *[x.astype(np.float32) if x.dtype.kind == "f" else x for x in inputs], **params
    )
    # NumPy's dtype (float32 unless the op itself casts, like astype to float64)
    assert out.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(out.data, expected, rtol=2e-5, atol=2e-5)
    out.backward(data.draw(upstream(out.shape)).astype(np.float32))
    for t in tensors:
        if isinstance(t, tg.Tensor):
            assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_no_grad_gives_the_same_values_and_no_graph(name: str, data: st.DataObject) -> None:
    info = OPS[name]
    inputs, params = data.draw(op_cases(info))
    with_graph = info.function(*_tensors(inputs, requires_grad=True), **params)
    with tg.no_grad():
        without = info.function(*_tensors(inputs, requires_grad=True), **params)
    assert with_graph.requires_grad and not without.requires_grad and without.grad_fn is None
    np.testing.assert_array_equal(with_graph.data, without.data)


# --- a bound or a slope given as a tensor gets its gradient -------------------------------


def test_clip_bounds_that_are_tensors_get_their_gradient() -> None:
    x = tg.tensor([-3.0, 0.5, 3.0], requires_grad=True)
    lo = tg.tensor(-1.0, requires_grad=True)
    hi = tg.tensor(1.0, requires_grad=True)
    tg.clip(x, lo, hi).sum().backward()
    assert (x.grad.tolist(), lo.grad.item(), hi.grad.item()) == ([0.0, 1.0, 0.0], 1.0, 1.0)


def test_leaky_relu_slope_that_is_a_tensor_gets_its_gradient() -> None:
    x = tg.tensor([-2.0, 3.0], requires_grad=True)
    slope = tg.tensor(0.1, requires_grad=True)
    tg.leaky_relu(x, slope).sum().backward()
    assert slope.grad.item() == -2.0
    np.testing.assert_allclose(x.grad, [0.1, 1.0])
