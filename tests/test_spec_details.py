"""Regression tests for details of SPEC that a review found broken, one test per finding."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function


def test_transpose_with_negative_axes_has_the_right_gradient() -> None:
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    weights = np.arange(24.0).reshape(4, 2, 3)
    (tg.transpose(x, (-1, 0, 1)) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, np.transpose(weights, (1, 2, 0)))
    assert tg.gradcheck(
        lambda t: t.transpose(-1, 0, 1), [np.random.default_rng(0).random((2, 3, 4))]
    )


UNSELECTED_BRANCHES = {
    "sin": lambda r: tg.sin(r),
    "cos": lambda r: tg.cos(r),
    "tanh": lambda r: tg.tanh(r),
    "sigmoid": lambda r: tg.sigmoid(r),
    "softplus": lambda r: tg.softplus(r),
    "abs": lambda r: tg.abs(r),
    "square": lambda r: r * r,
    "max": lambda r: tg.max(tg.stack([r, r]), axis=0),
    "log_softmax": lambda r: tg.log_softmax(tg.stack([r, r], axis=-1), axis=-1)[..., 0],
}


@pytest.mark.parametrize("name", sorted(UNSELECTED_BRANCHES))
def test_where_lets_no_nan_through_any_op_of_the_unselected_branch(name: str) -> None:
    x = tg.tensor([-1.0, 0.0, 4.0], requires_grad=True)
    branch = UNSELECTED_BRANCHES[name](tg.sqrt(x))  # NaN at -1, and sqrt' is inf at 0
    tg.where(x > 0, branch, 0.0).sum().backward()
    assert np.isfinite(x.grad).all(), x.grad
    assert x.grad[0] == 0 and x.grad[1] == 0
    expected = tg.numerical_grad(lambda t: UNSELECTED_BRANCHES[name](tg.sqrt(t)).sum(), [[4.0]])
    np.testing.assert_allclose(x.grad[2], expected[0][0], rtol=1e-6)


def test_where_guard_does_not_zero_real_gradients_of_other_rows() -> None:
    """A NaN row must not make the guard zero entries of healthy rows (log_softmax)."""
    logits = tg.tensor([[np.nan, 0.0], [1.0, 2.0]], requires_grad=True)
    picked = tg.log_softmax(logits, axis=1)[:, 0]
    tg.where(np.array([False, True]), picked, 0.0).sum().backward()
    p = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    np.testing.assert_allclose(logits.grad, [[0.0, 0.0], [1 - p[0], -p[1]]])


ALIAS_EDITS = {
    "detach_iadd": lambda x: x.detach().__iadd__(1.0),
    "detach_setitem": lambda x: x.detach().__setitem__(0, 10.0),
    "view_under_no_grad": lambda x: _under_no_grad(lambda: x.reshape(-1).__iadd__(1.0)),
    "slice_view": lambda x: _under_no_grad(lambda: x[:1].__imul__(0.0)),
}


def _under_no_grad(edit):
    with tg.no_grad():
        edit()


@pytest.mark.parametrize("name", sorted(ALIAS_EDITS))
def test_an_edit_through_an_alias_is_caught_by_the_version_counter(name: str) -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    ALIAS_EDITS[name](x)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_an_edit_of_a_view_of_a_saved_constant_is_caught() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w * c).sum()
    c[:] += 1.0
    with pytest.raises(RuntimeError, match="mul"):
        y.backward()


def test_an_edit_of_a_saved_output_through_detach_is_caught() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    e = tg.exp(x)
    y = e.sum()
    d = e.detach()
    d *= 0.0
    with pytest.raises(RuntimeError, match="exp"):
        y.backward()


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


def test_pad_refuses_a_constant_that_requires_grad() -> None:
    with pytest.raises(TypeError, match="pad: constant_values"):
        tg.pad(tg.ones(2), 1, constant_values=tg.tensor(1.0, requires_grad=True))


def test_a_rule_without_a_gradient_for_an_input_that_needs_one_fails_loudly() -> None:
    class Scale(Function):
        """x * k with no rule for k."""

        def forward(ctx, x, k):
            return x * k

        def backward(ctx, grad, xp):
            return grad, None

    k = tg.tensor(2.0, requires_grad=True)
    out = Scale.apply(tg.tensor([1.0]), k).sum()
    with pytest.raises(NotImplementedError, match="scale: input 1 requires a gradient"):
        out.backward()


def test_lists_are_arrays_not_python_sequences() -> None:
    assert tg.add([1.0, 2.0], [3.0, 4.0]).tolist() == [4.0, 6.0]
    assert tg.mul([1.0, 2.0], 3).tolist() == [3.0, 6.0]
    assert tg.sub([1.0], [3.0]).tolist() == [-2.0]
    assert tg.neg([1.0, 2.0]).tolist() == [-1.0, -2.0]
    assert (tg.tensor([1.0, 2.0]) + [1.0, 1.0]).tolist() == [2.0, 3.0]


def test_a_mask_of_the_wrong_shape_is_an_index_error() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(IndexError, match="getitem"):
        x[np.array([True])]


def test_min_of_unsigned_and_bool_tensors() -> None:
    assert tg.tensor(np.array([0, 5], np.uint8)).min().item() == 0
    assert tg.tensor(np.array([True, False])).min().item() is False


def test_numerical_grad_perturbs_non_contiguous_inputs() -> None:
    a = np.random.default_rng(0).standard_normal((3, 4)).T
    (g,) = tg.numerical_grad(lambda t: (t**3).sum(), [a])
    np.testing.assert_allclose(g, 3 * a**2, rtol=1e-6)
    assert tg.gradcheck(lambda t: (t**3).sum(), [a])


def test_detect_anomaly_sees_an_infinite_gradient_of_a_0d_tensor() -> None:
    x = tg.tensor(0.0, requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="sqrt"):
        tg.sqrt(x).backward()


def test_in_place_operator_errors_name_the_operator() -> None:
    t = tg.tensor([1, 2])
    with pytest.raises(TypeError, match="__itruediv__"):
        t /= 2
    with pytest.raises(TypeError, match="__iadd__"):
        t += "a"


def test_numpy_refusals_come_back_naming_the_op() -> None:
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="add"):
        x + "a"
    with pytest.raises(TypeError, match="matmul"):
        x @ "a"
    with pytest.raises(IndexError, match="__setitem__"):
        tg.tensor([1.0])[5] = 1.0


def test_error_messages_list_input_shapes_only_and_say_what_to_do() -> None:
    with pytest.raises(ValueError) as info:
        tg.ones((2, 3)).reshape(4, 2)
    message = str(info.value)
    assert message.startswith("reshape:") and "input shapes (2, 3))" in message
    assert "-1" in message  # the hint
    with pytest.raises(IndexError, match=r"getitem: .*\[-n, n\)"):
        tg.ones((2, 3))[5]


def test_every_op_is_a_method_too() -> None:
    x = tg.tensor([[1.0, 2.0]])
    for name in [
        "softmax", "log_softmax", "expand_dims", "add", "sub", "mul", "div", "pow", "neg",
        "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    ]:  # fmt: skip
        assert callable(getattr(x, name)), name
    assert x.expand_dims(0).shape == (1, 1, 2)
    np.testing.assert_allclose(x.softmax().data, tg.softmax(x).data)


def test_complex_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        tg.tensor([1 + 1j], requires_grad=True)


def test_numpy_compatible_edges() -> None:
    assert tg.pad(tg.tensor(3.0), 1).item() == 3.0  # numpy.pad leaves a 0-d array alone
    assert [p.shape for p in tg.split(tg.zeros(0), 2)] == [(0,), (0,)]
    joined = tg.concatenate([tg.ones((2, 2)), tg.zeros(3)], axis=None)
    assert joined.tolist() == [1.0] * 4 + [0.0] * 3
    assert tg.broadcast_to(tg.tensor(1.0), 3).shape == (3,)


def test_a_python_float_given_alone_takes_the_default_dtype() -> None:
    tg.set_default_dtype(np.float32)
    try:
        assert tg.exp(1.0).dtype == np.float32
        assert tg.sum([1.0, 2.0]).dtype == np.float32
    finally:
        tg.set_default_dtype(np.float64)


def test_python_numbers_alone_take_the_default_dtype() -> None:
    tg.set_default_dtype(np.float32)
    try:
        assert tg.add(1.0, 2.0).dtype == tg.mul(2, 3.0).dtype == np.float32
        assert tg.add(1, 2).dtype == np.int64
        assert tg.clip(2.0, 0.0, 1.0).dtype == tg.where(True, 1.0, 2.0).dtype == np.float32
    finally:
        tg.set_default_dtype(np.float64)


def test_review_details_of_constructors_and_shape_errors() -> None:
    assert tg.arange(5, step=2).tolist() == [0, 2, 4]
    with pytest.raises(IndexError, match="swapaxes"):
        tg.swapaxes(tg.zeros((2, 3)), 0, 5)
    with pytest.raises(IndexError, match="flatten"):
        tg.flatten(tg.zeros((2, 3, 4)), 5)
    with pytest.raises(ValueError, match="flatten: start_axis 2 comes after"):
        tg.flatten(tg.zeros((2, 3, 4)), 2, 0)
    with pytest.raises(ValueError, match="mean: no elements"):
        tg.mean(tg.zeros(0))
    with pytest.raises(ValueError, match="clip: lo must not exceed hi"):
        tg.clip(tg.zeros(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="no single truth value"):
        bool(tg.zeros(2))
    with pytest.raises(TypeError, match="len: a 0-d tensor"):
        len(tg.tensor(1.0))
