"""Empty and 0-d inputs, taken as NumPy and PyTorch take them: forward, first and second order.

Regression tests for issue 14: each case below crashed before (logsumexp, softmax and
log_softmax along an axis of length 0; a matmul with an empty axis and a 1-d or batched
operand; an empty list as an index; a 0-d boolean mask). Where NumPy itself refuses an
empty input (the maximum of nothing, ...), the op refuses too, with an error that names
the op, the shape and the fix. The registry's tests (test_ops.py, test_second_order.py,
test_mixed_operands.py) draw size-0 axes and 0-d inputs for every op; the last tests here
check that the draws keep doing so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, find, settings
from strategies import op_cases

import tensorgrad as tg
from tensorgrad.ops.registry import OPS

Grads = list[np.ndarray] | Callable[[np.ndarray], list[np.ndarray]]


def check(
    f: Callable[..., Any], inputs: list[Any], expected: Any, grads: Grads | None = None
) -> None:
    """``f(*inputs)`` equals ``expected`` (values, shape, dtype), with no warning; its
    gradients under a random upstream gradient, taken with ``create_graph=True``, have the
    inputs' shapes and equal ``grads`` (or ``grads(upstream gradient)``) when given;
    differentiating them again works; both orders pass gradcheck and gradgradcheck."""
    rng = np.random.default_rng(0)
    grad_output = rng.standard_normal(np.shape(expected))
    leaves = [tg.Tensor(x, requires_grad=True) for x in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no input here is a mistake: no log(0) or 0/0
        out = f(*leaves)
        first = tg.autograd.grad(out, leaves, grad_output, create_graph=True)
        directions = [rng.standard_normal(np.shape(x)) for x in inputs]
        terms = [(g * v).sum() for g, v in zip(first, directions) if g.requires_grad]
        second = tg.autograd.grad(sum(terms), leaves) if terms else first
    assert out.shape == np.shape(expected) and out.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(out.data, expected)
    for g, h, x in zip(first, second, leaves):
        assert g.shape == h.shape == x.shape and g.dtype == h.dtype == x.dtype
    if grads is not None:
        for g, want in zip(first, grads(grad_output) if callable(grads) else grads):
            # Exact where the gradient is (zeros); to rounding where tanh' enters it.
            np.testing.assert_allclose(g.data, want, rtol=1e-14, atol=0)
    # An output of -inf (logsumexp of nothing) makes gradcheck's projection
    # sum(out * grad_output) NaN; no element of an empty input is perturbed to read it.
    with np.errstate(invalid="ignore"):
        assert tg.gradcheck(f, inputs, grad_output=grad_output, atol=1e-7, rtol=1e-6)
    assert tg.gradgradcheck(f, inputs, grad_output=grad_output, atol=1e-6, rtol=1e-5)


def ones(*shape: int) -> np.ndarray:
    return np.ones(shape)


# --- logsumexp, softmax and log_softmax along an empty axis --------------------------------


@pytest.mark.parametrize(
    ("shape", "axis", "keepdims", "out_shape"),
    [
        ((3, 0), 1, False, (3,)),
        ((3, 0), -1, True, (3, 1)),
        ((0,), None, False, ()),
        ((0, 2), (0, 1), False, ()),
        ((2, 0, 4), 1, False, (2, 4)),
    ],
)
def test_logsumexp_of_nothing_is_minus_infinity(
    shape: tuple[int, ...], axis: Any, keepdims: bool, out_shape: tuple[int, ...]
) -> None:
    # log(sum(exp(x))) over no elements is log(0), as in PyTorch; nothing reaches x.
    check(
        lambda x: tg.logsumexp(x, axis, keepdims),
        [ones(*shape)],
        np.full(out_shape, -np.inf),
        [np.zeros(shape)],
    )


@pytest.mark.parametrize("op", [tg.softmax, tg.log_softmax])
@pytest.mark.parametrize(("shape", "axis"), [((3, 0), 1), ((0,), 0), ((2, 0, 4), -2)])
def test_softmax_along_an_empty_axis_is_empty(op: Any, shape: tuple[int, ...], axis: int) -> None:
    check(lambda x: op(x, axis), [ones(*shape)], np.ones(shape), [np.zeros(shape)])


def test_softmax_along_an_empty_axis_keeps_float32() -> None:
    x = tg.Tensor(np.ones((3, 0), np.float32), requires_grad=True)
    out = tg.softmax(x, axis=1)
    out.backward(np.ones((3, 0), np.float32))
    assert out.dtype == np.float32 and x.grad is not None and x.grad.dtype == np.float32


# --- matmul with an empty axis -------------------------------------------------------------

MATMUL_SHAPES = [
    ((0,), (0,)),  # vector . vector with nothing to contract: 0
    ((0,), (0, 3)),
    ((3, 0), (0,)),
    ((2, 3, 0), (0,)),
    ((2, 3, 0), (0, 4)),
    ((3, 0), (2, 0, 4)),
    ((2, 1, 3, 0), (4, 0, 2)),
    ((3,), (3, 0)),  # an empty result: the gradients are zeros of the operands' shapes
    ((2, 0, 3), (3, 4)),
    ((2, 4, 3), (3, 0)),
    ((0, 3, 2), (2,)),
]


@pytest.mark.parametrize(("a", "b"), MATMUL_SHAPES)
def test_matmul_with_an_empty_axis(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal(a), rng.standard_normal(b)]
    expected = np.matmul(*inputs)
    assert expected.size == 0 or not expected.any()  # NumPy: zeros when k == 0
    check(tg.matmul, inputs, expected, [np.zeros(a), np.zeros(b)])


# --- an empty list as an index -------------------------------------------------------------

X = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize(
    "index", [[], ([], slice(None)), (slice(None), []), [[]], (slice(1, None), [], None)]
)
def test_an_empty_list_is_an_empty_integer_index(index: Any) -> None:
    expected = X[index]  # NumPy: an empty list selects nothing, whatever its float dtype
    assert expected.size == 0
    check(lambda x: x[index].tanh(), [X / 10], np.tanh(expected / 10), [np.zeros(X.shape)])


def test_an_empty_list_indexes_like_an_empty_int_array_in_scatter_add() -> None:
    check(lambda v: tg.scatter_add(v, [], (2, 3)), [ones(0, 3)], np.zeros((2, 3)))


# --- a 0-d boolean mask --------------------------------------------------------------------


@pytest.mark.parametrize("mask", [np.array(True), np.array(False), np.True_, True])
def test_a_0d_mask_adds_an_axis_of_one_or_no_element(mask: Any) -> None:
    x = np.array([0.5, -1.0, 2.0])
    expected = np.tanh(x)[mask]  # (1, 3) when True, (0, 3) when False
    assert expected.shape == ((1, 3) if mask else (0, 3))

    def grads(grad_output: np.ndarray) -> list[np.ndarray]:
        return [grad_output.sum(axis=0) * (1 - np.tanh(x) ** 2)]

    check(lambda t: t[mask].tanh(), [x], expected, grads)


@pytest.mark.parametrize("value", [2.0, -3.0])
def test_a_0d_tensor_masked_by_its_own_comparison(value: float) -> None:
    # s[s > 0] on a 0-d s: shape (1,) or (0,), as NumPy
    expected = np.tanh(np.array([value]) if value > 0 else np.zeros(0))

    def grads(grad_output: np.ndarray) -> list[np.ndarray]:
        return [np.array(grad_output.sum() * (1 - np.tanh(value) ** 2))]

    check(lambda s: s[s > 0].tanh(), [np.array(value)], expected, grads)


def test_a_0d_mask_next_to_an_integer_index_accumulates_repeats() -> None:
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    index = (np.array(True), [1, 1, 0])
    expected = np.tanh(x[index])
    assert expected.shape == (3, 2)  # the mask's axis broadcasts with the integer index

    def grads(grad_output: np.ndarray) -> list[np.ndarray]:
        rows = grad_output
        return [np.stack([rows[2], rows[0] + rows[1]]) * (1 - np.tanh(x) ** 2)]

    check(lambda t: t[index].tanh(), [x], expected, grads)


def test_the_mask_is_read_at_the_forward() -> None:
    # The index is copied: a mask edited after the forward does not change the gradient.
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    mask = np.array(False)
    y = x[mask]
    mask[...] = True
    y.backward(np.ones((0, 2)))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


# --- what NumPy refuses stays refused, clearly ---------------------------------------------


@pytest.mark.parametrize(
    ("op", "call"),
    [
        ("max", lambda x: tg.max(x, axis=1)),
        ("min", lambda x: x.min(axis=(0, 1))),
        ("mean", lambda x: tg.mean(x, axis=1)),
        ("var", lambda x: tg.var(x, axis=1)),
        ("std", lambda x: tg.std(x)),
    ],
)
def test_reductions_without_a_value_for_nothing_say_so(op: str, call: Any) -> None:
    # NumPy refuses max/min of nothing, and gives NaN (with a warning) for mean/var/std.
    with pytest.raises(ValueError) as error:
        call(tg.ones((3, 0)))
    message = str(error.value)
    assert message.startswith(f"{op}: ") and "(3, 0)" in message
    assert "non-empty" in message  # the fix: reduce over axes that have elements


@pytest.mark.parametrize("op", [tg.max, tg.min, tg.mean, tg.var, tg.std, tg.logsumexp])
def test_a_reduction_of_an_empty_tensor_along_full_axes_is_empty(op: Any) -> None:
    check(lambda x: op(x, axis=1), [ones(0, 3)], np.ones(0))


# --- the registry's draws include size-0 axes and 0-d inputs -------------------------------

# NumPy's matmul takes no 0-d operand, and the std of one element is 0, where sqrt has
# no derivative (its OpInfo.valid says so).
ZERO_D_OPS = sorted(
    name
    for name, info in OPS.items()
    if info.min_dims == 0 and info.shapes != "matmul" and name != "std"
)


def _drawn(name: str, condition: Callable[[list[np.ndarray]], bool]) -> list[np.ndarray]:
    """Inputs that op_cases draws for the op and that meet ``condition`` (found, not shrunk);
    NoSuchExample if the draws never do."""
    inputs, _ = find(
        op_cases(OPS[name]),
        lambda case: condition(case[0]),
        settings=settings(
            max_examples=500, database=None, derandomize=True, phases=[Phase.generate]
        ),
    )
    return inputs


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_is_tested_with_an_empty_input(name: str) -> None:
    _drawn(name, lambda inputs: any(np.size(x) == 0 for x in inputs))


@pytest.mark.parametrize("name", ZERO_D_OPS)
def test_every_op_that_takes_0d_is_tested_with_0d(name: str) -> None:
    _drawn(name, lambda inputs: any(np.ndim(x) == 0 for x in inputs))


def test_matmul_is_tested_with_an_empty_contracted_axis() -> None:
    _drawn("matmul", lambda inputs: inputs[0].shape[-1] == 0)
