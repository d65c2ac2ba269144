"""Every op of two or more operands, with one operand a NumPy value or a Python number.

A user writes ``2 ** x``, ``x * np.float64(3)`` or ``tg.maximum(x, np.zeros(3))`` as
often as an op of two tensors, and the engine treats such a constant differently from a
tensor: it has no place on the graph, and a rule that builds a graph for a second
derivative meets it beside tensors. So, for every registered op of two or more inputs
and every operand position, that operand is a Python number, a NumPy scalar, a 0-d array
or an n-d array while the other float operands are tensors that require grad; the
forward is checked against NumPy, the gradient against central differences and the
second derivative against differences of the first (issue 14).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import input_values, op_cases, op_params, untied, upstream

import tensorgrad as tg
from tensorgrad.ops.registry import OPS, OpInfo

# How the constant operand is given. A number or a scalar must be 0-d, so those forms
# apply only where a 0-d operand broadcasts against any shape.
SCALAR_FORMS = ("python number", "numpy scalar", "0-d array")
ARRAY_FORM = "n-d array"


def _cases() -> list[tuple[str, int, str]]:
    cases = []
    for name, info in sorted(OPS.items()):
        if len(info.inputs) < 2:
            continue
        forms = (*SCALAR_FORMS, ARRAY_FORM) if info.shapes == "broadcast" else (ARRAY_FORM,)
        cases += [(name, i, form) for i in range(len(info.inputs)) for form in forms]
    return cases


CASES = _cases()


@st.composite
def mixed_cases(
    draw: st.DrawFn, info: OpInfo, position: int, form: str
) -> tuple[list[Any], Any, dict[str, Any]]:
    """(the other operands as arrays, the constant, params) for ``info``."""
    inputs, params = draw(op_cases(info))
    if form == ARRAY_FORM:
        assume(np.ndim(inputs[position]) > 0)
    else:  # the same case with a 0-d operand in ``position``
        kind, count = info.inputs[position], len(info.inputs)
        inputs[position] = draw(input_values(kind, (), position, count, info.kinks))
        shapes = [np.shape(x) for x in inputs]
        if info.params is not None:
            params = op_params(draw, info, shapes)
        if info.valid is not None:
            assume(info.valid(shapes, params))
        assume(untied(info, inputs))
    constant = inputs.pop(position)
    if form == "python number":
        constant = constant.item()
    elif form == "numpy scalar":
        constant = constant[()]
    return inputs, constant, params


def _with_constant(info: OpInfo, position: int, constant: Any, params: dict[str, Any]) -> Any:
    """The op as a function of its other operands, ``constant`` in ``position``."""

    def function(*others: Any) -> Any:
        return info.function(*_inserted(others, position, constant), **params)

    return function


def _inserted(others: Any, position: int, constant: Any) -> list[Any]:
    return [*others[:position], constant, *others[position:]]


def _is_float(x: np.ndarray) -> bool:
    return x.dtype.kind == "f"


@pytest.mark.parametrize(("name", "position", "form"), CASES)
@given(data=st.data())
def test_forward_matches_numpy(name: str, position: int, form: str, data: Any) -> None:
    info = OPS[name]
    others, constant, params = data.draw(mixed_cases(info, position, form))
    expected = np.asarray(info.reference(*_inserted(others, position, constant), **params))
    tensors = [tg.Tensor(x, requires_grad=True) if _is_float(x) else x for x in others]
    out = _with_constant(info, position, constant, params)(*tensors)
    assert isinstance(out, tg.Tensor) and out.requires_grad
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def _differentiable_case(data: Any, name: str, position: int, form: str) -> tuple[Any, ...]:
    """The op with the constant in place, its tensor operands, and an upstream gradient."""
    info = OPS[name]
    others, constant, params = data.draw(mixed_cases(info, position, form))
    function = _with_constant(info, position, constant, params)
    return function, others, data.draw(upstream(np.shape(function(*others))))


@pytest.mark.parametrize(("name", "position", "form"), CASES)
@given(data=st.data())
def test_gradient_matches_central_differences(
    name: str, position: int, form: str, data: Any
) -> None:
    function, others, grad_output = _differentiable_case(data, name, position, form)
    assert tg.gradcheck(function, others, grad_output=grad_output, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize(("name", "position", "form"), CASES)
@given(data=st.data())
def test_second_derivative_matches_differences_of_the_first(
    name: str, position: int, form: str, data: Any
) -> None:
    function, others, grad_output = _differentiable_case(data, name, position, form)
    # The tolerances of test_second_order.py, whose check tg.gradgradcheck also makes; the
    # seed is gradgradcheck's for its random directions.
    assert tg.gradgradcheck(
        function, others, grad_output=grad_output, atol=1e-6, rtol=1e-5,
        seed=data.draw(st.integers(0, 2**32 - 1)),
    )  # fmt: skip


@pytest.mark.parametrize(
    "base", [2.0, 2, np.float64(2.0), np.array(2.0), np.array([2.0, 3.0])], ids=repr
)
def test_a_constant_base_to_a_tensor_power_differentiates_twice(base: Any) -> None:
    x = tg.tensor([0.3, -1.2], requires_grad=True)
    (g,) = tg.autograd.grad((base**x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, base**x.data * np.log(base) ** 2, rtol=1e-12)
