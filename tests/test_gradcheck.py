"""numerical_grad and gradcheck: values, dtypes, failures on wrong rules, kink detection."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function


class WrongCube(Function):
    """x**3 with the derivative 2x instead of 3x**2."""

    save_inputs = True

    def forward(ctx, x):
        return x**3

    def backward(ctx, grad, xp):
        (x,) = ctx.inputs
        return (2 * grad * x,)


class WrongSin(Function):
    """sin(x) with the derivative sin(x) instead of cos(x)."""

    save_inputs = True

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, grad, xp):
        (x,) = ctx.inputs
        return (grad * xp.sin(x),)


class RightCube(Function):
    """x**3 with the correct derivative, to show the Function harness itself is sound."""

    save_inputs = True

    def forward(ctx, x):
        return x**3

    def backward(ctx, grad, xp):
        (x,) = ctx.inputs
        return (3 * grad * x * x,)


def _numbers(message: str) -> list[float]:
    return [float(m) for m in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", message)]


def _mentions(message: str, value: float, rtol: float = 1e-3) -> bool:
    return any(abs(n - value) <= rtol * abs(value) + 1e-12 for n in _numbers(message))


# --- numerical_grad -----------------------------------------------------------------------


def test_error_classes():
    assert issubclass(tg.GradcheckError, AssertionError)
    assert issubclass(tg.NonDifferentiablePointError, tg.GradcheckError)


def test_numerical_grad_matches_closed_form():
    values = np.array([1.0, -2.0, 0.5, 3.0])
    grads = tg.numerical_grad(lambda x: (x**3).sum(), [tg.tensor(values)])
    assert isinstance(grads, list) and len(grads) == 1
    assert grads[0].dtype == np.float64
    assert grads[0].shape == values.shape
    np.testing.assert_allclose(grads[0], 3 * values**2, rtol=1e-7, atol=1e-8)


def test_numerical_grad_one_array_per_input():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    y = np.array([[0.5, -0.5], [2.0, 1.5]])
    gx, gy = tg.numerical_grad(lambda a, b: (a * b + tg.sin(a)).sum(), [tg.tensor(x), tg.tensor(y)])
    assert gx.shape == x.shape and gy.shape == y.shape
    assert gx.dtype == gy.dtype == np.float64
    np.testing.assert_allclose(gx, y + np.cos(x), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(gy, x, rtol=1e-7, atol=1e-8)


def test_numerical_grad_float32_inputs_give_float64_precise_results():
    values = np.array([0.3, -1.7, 2.2], dtype=np.float32)
    x = tg.tensor(values)
    (g,) = tg.numerical_grad(lambda t: (t**3).sum(), [x])
    assert g.dtype == np.float64
    exact = 3 * values.astype(np.float64) ** 2
    # float32 arithmetic with eps=1e-6 would be off by ~1e-1; float64 copies are not.
    np.testing.assert_allclose(g, exact, rtol=1e-7, atol=1e-8)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, values)  # the input is not perturbed in place


def test_numerical_grad_leaves_inputs_untouched():
    values = np.array([1.0, 2.0, 3.0])
    x = tg.tensor(values, requires_grad=True)
    tg.numerical_grad(lambda t: (tg.exp(t) * t).sum(), [x])
    np.testing.assert_array_equal(x.data, values)
    assert x.grad is None


def test_numerical_grad_with_grad_output_projection():
    values = np.array([0.5, 1.0, -2.0])
    projection = np.array([1.0, -2.0, 0.5])
    (g,) = tg.numerical_grad(lambda t: t * t, [tg.tensor(values)], grad_output=projection)
    np.testing.assert_allclose(g, 2 * values * projection, rtol=1e-7, atol=1e-8)


def test_numerical_grad_perturbs_non_contiguous_inputs() -> None:
    a = np.random.default_rng(0).standard_normal((3, 4)).T
    (g,) = tg.numerical_grad(lambda t: (t**3).sum(), [a])
    np.testing.assert_allclose(g, 3 * a**2, rtol=1e-6)
    assert tg.gradcheck(lambda t: (t**3).sum(), [a])


# --- gradcheck passes on correct functions ------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "shapes"),
    [
        (lambda x, y: (x * y + tg.exp(x)).sum(), [(3,), (3,)]),
        (lambda x, y: (x @ y).tanh().sum(), [(2, 3), (3, 4)]),
        (lambda x: tg.logsumexp(x, axis=1).sum(), [(3, 4)]),
        (lambda x, y: (x / (y * y + 1.0)).mean(), [(2, 3), (3,)]),
        (lambda x: (tg.sigmoid(x) * tg.softplus(x)).sum(), [(5,)]),
        (lambda x: RightCube.apply(x).sum(), [(4,)]),
    ],
    ids=["mul_exp", "matmul_tanh", "logsumexp", "div_broadcast", "sigmoid_softplus", "custom"],
)
def test_gradcheck_true_on_correct_functions(fn, shapes):
    rng = np.random.default_rng(0)
    inputs = [tg.tensor(rng.standard_normal(s)) for s in shapes]
    assert tg.gradcheck(fn, inputs) is True


def test_gradcheck_with_float32_inputs():
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal(4).astype(np.float32))
    assert tg.gradcheck(lambda t: (t**3 + tg.sin(t)).sum(), [x]) is True


def test_gradcheck_does_not_touch_input_grads():
    x = tg.tensor([0.5, 1.5], requires_grad=True)
    assert tg.gradcheck(lambda t: (t * t).sum(), [x]) is True
    assert x.grad is None


def test_gradcheck_non_scalar_output_uses_projection():
    rng = np.random.default_rng(2)
    x = tg.tensor(rng.standard_normal((3, 4)))
    w = tg.tensor(rng.standard_normal((4, 2)))
    assert tg.gradcheck(lambda t: tg.tanh(t), [x]) is True
    assert tg.gradcheck(lambda a, b: a @ b, [x, w]) is True
    assert tg.gradcheck(lambda t: tg.softmax(t, axis=0), [x]) is True
    projection = rng.standard_normal((3, 2))
    assert tg.gradcheck(lambda a, b: a @ b, [x, w], grad_output=projection) is True


def test_gradcheck_non_scalar_output_catches_wrong_rule():
    x = tg.tensor(np.array([[0.3, 1.2], [-0.7, 2.0]]))
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(lambda t: WrongSin.apply(t), [x])


# --- gradcheck fails on wrong rules -------------------------------------------------------


def test_wrong_backward_fails_naming_input_element_values_and_error():
    x = tg.tensor([0.5, -1.5, 2.0])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda t: WrongCube.apply(t).sum(), [x])
    assert not isinstance(info.value, tg.NonDifferentiablePointError)
    assert isinstance(info.value, AssertionError)
    message = str(info.value)
    # Worst element is index 1: analytic 2 * -1.5 = -3, numerical 3 * 1.5**2 = 6.75.
    assert "input 0" in message
    assert "(1,)" in message
    assert _mentions(message, -3.0)
    assert _mentions(message, 6.75)
    assert _mentions(message, 9.75 / 6.75, rtol=1e-2)


def test_wrong_backward_names_the_second_input():
    x = tg.tensor([1.0, 2.0])
    y = tg.tensor([[1.0, 0.5], [3.0, -0.2]])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda a, b: (a * WrongCube.apply(b)).sum(), [x, y])
    assert not isinstance(info.value, tg.NonDifferentiablePointError)
    message = str(info.value)
    # d/db = 3 a b**2; worst at b[1, 0] = 3 (a = 1): analytic 2*3 = 6, numerical 27.
    assert "input 1" in message
    assert "(1, 0)" in message
    assert _mentions(message, 6.0)
    assert _mentions(message, 27.0)
    assert _mentions(message, 21.0 / 27.0, rtol=1e-2)


def test_wrong_sin_rule_fails_at_a_smooth_point():
    values = np.array([[0.4, 1.0], [2.5, -0.3]])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda t: WrongSin.apply(t).sum(), [tg.tensor(values)])
    assert type(info.value) is tg.GradcheckError
    message = str(info.value)
    worst = np.unravel_index(np.argmax(np.abs(np.sin(values) - np.cos(values))), values.shape)
    assert str(tuple(int(i) for i in worst)) in message
    assert _mentions(message, float(np.sin(values[worst])))
    assert _mentions(message, float(np.cos(values[worst])))


def test_gradcheck_tolerances_are_used():
    x = tg.tensor([1.0])
    # Analytic 2 vs numerical 3: relative error 1/3 fails at rtol=1e-3 but passes at rtol=0.5.
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(lambda t: WrongCube.apply(t).sum(), [x])
    assert tg.gradcheck(lambda t: WrongCube.apply(t).sum(), [x], rtol=0.5) is True


# --- kinks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "values"),
    [
        (lambda t: tg.relu(t).sum(), [0.0, 1.0, -2.0]),
        (lambda t: tg.leaky_relu(t, 0.1).sum(), [0.5, 0.0]),
        (lambda t: tg.max(t), [1.0, 1.0, 1.0, 0.0]),
        (lambda t: tg.clip(t, -1.0, 1.0).sum(), [0.2, 1.0]),
        (lambda t: (tg.abs(t) * tg.where(t.data >= 0, 2.0, 1.0)).sum(), [0.0, 0.7]),
    ],
    ids=["relu_at_0", "leaky_relu_at_0", "max_three_way_tie", "clip_at_bound", "abs_at_0"],
)
def test_kink_raises_non_differentiable_point_error(fn, values):
    with pytest.raises(tg.NonDifferentiablePointError) as info:
        tg.gradcheck(fn, [tg.tensor(values)])
    assert isinstance(info.value, tg.GradcheckError)
    assert "not differentiable" in str(info.value)
    assert "input 0" in str(info.value)


def test_abs_at_zero_agrees_with_central_difference():
    # abs's backward uses the subgradient 0 at 0, which is exactly what the symmetric
    # central difference gives; nothing disagrees, so there is nothing to report.
    assert tg.gradcheck(lambda t: tg.abs(t).sum(), [tg.tensor([0.0, -1.0, 2.0])]) is True


def test_smooth_points_of_kinked_functions_pass():
    assert tg.gradcheck(lambda t: tg.relu(t).sum(), [tg.tensor([0.5, -1.0])]) is True
    assert tg.gradcheck(lambda t: tg.abs(t).sum(), [tg.tensor([0.5, -1.0])]) is True
    assert tg.gradcheck(lambda t: tg.max(t), [tg.tensor([1.0, 3.0, 2.0])]) is True


def test_checking_leaves_the_grad_of_closed_over_tensors_alone() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = tg.tensor([0.5, -0.5])
    assert tg.gradcheck(lambda x: (x * w).sum(), [x])
    assert tg.gradgradcheck(lambda x: (x * w).tanh().sum(), [x])
    assert w.grad is None
