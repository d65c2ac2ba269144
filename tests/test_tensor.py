"""Tensor construction, dtype policy, attributes, methods and the NumPy interface."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorgrad as tg

# --- constructors -----------------------------------------------------------------------


def test_tensor_from_lists_and_scalars():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(t.data, np.ndarray)
    assert t.dtype == np.float64
    assert t.shape == (2, 2)
    np.testing.assert_array_equal(t.data, [[1.0, 2.0], [3.0, 4.0]])
    assert tg.tensor(2.5).shape == ()
    assert tg.tensor(2.5).dtype == np.float64
    assert tg.tensor(3).dtype == np.int64
    assert tg.tensor([1, 2, 3]).dtype == np.int64
    assert tg.tensor([1, 2.5]).dtype == np.float64
    assert tg.tensor([True, False]).dtype == np.bool_


def test_tensor_copies_and_keeps_array_dtype():
    source = np.array([1.0, 2.0], dtype=np.float32)
    t = tg.tensor(source)
    assert t.dtype == np.float32
    source[0] = 9.0
    assert t.data[0] == 1.0
    assert tg.tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32
    assert tg.tensor([1.0, 2.0], dtype=np.float32).dtype == np.float32


def test_tensor_class_keeps_dtype_and_requires_grad():
    w = tg.Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    assert w.dtype == np.float32
    assert w.requires_grad
    assert w.is_leaf
    assert w.grad is None
    assert not tg.Tensor([1.0]).requires_grad
    assert tg.Tensor([1.0]).dtype == np.float64


def test_zeros_ones_full():
    z = tg.zeros((2, 3))
    assert z.shape == (2, 3) and z.dtype == np.float64
    np.testing.assert_array_equal(z.data, np.zeros((2, 3)))
    o = tg.ones(4)
    assert o.shape == (4,) and o.dtype == np.float64
    np.testing.assert_array_equal(o.data, np.ones(4))
    f = tg.full((2, 2), 7.5)
    np.testing.assert_array_equal(f.data, np.full((2, 2), 7.5))
    assert tg.full((2,), 3).dtype == np.float64  # constructors use the default float dtype
    assert tg.zeros(3, dtype=np.float32).dtype == np.float32
    assert tg.ones(2, requires_grad=True).requires_grad


def test_arange_dtypes():
    a = tg.arange(4)
    assert a.dtype == np.int64
    np.testing.assert_array_equal(a.data, [0, 1, 2, 3])
    b = tg.arange(1, 7, 2)
    assert b.dtype == np.int64
    np.testing.assert_array_equal(b.data, [1, 3, 5])
    c = tg.arange(0.0, 1.0, 0.25)
    assert c.dtype == np.float64
    np.testing.assert_allclose(c.data, [0.0, 0.25, 0.5, 0.75])
    assert tg.arange(3.0).dtype == np.float64
    assert tg.arange(3, dtype=np.float32).dtype == np.float32


def test_eye():
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3))
    assert tg.eye(3).dtype == np.float64
    np.testing.assert_array_equal(tg.eye(2, 3).data, np.eye(2, 3))


def test_rand_randn_with_rng():
    r = tg.rand(2, 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(r.data, np.random.default_rng(7).random((2, 3)))
    assert r.dtype == np.float64
    assert ((r.data >= 0) & (r.data < 1)).all()
    n = tg.randn((4, 5), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(n.data, np.random.default_rng(7).standard_normal((4, 5)))
    assert n.shape == (4, 5)
    assert tg.randn(3, requires_grad=True).requires_grad


def test_manual_seed_reproducibility():
    tg.manual_seed(123)
    a, b = tg.rand(5), tg.randn(2, 2)
    tg.manual_seed(123)
    c, d = tg.rand(5), tg.randn(2, 2)
    np.testing.assert_array_equal(a.data, c.data)
    np.testing.assert_array_equal(b.data, d.data)
    tg.manual_seed(124)
    assert not np.array_equal(tg.rand(5).data, a.data)


def test_zeros_like_ones_like():
    x = tg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    z = tg.zeros_like(x)
    o = tg.ones_like(x)
    assert z.shape == o.shape == (2, 3)
    assert z.dtype == o.dtype == np.float32
    np.testing.assert_array_equal(z.data, np.zeros((2, 3)))
    np.testing.assert_array_equal(o.data, np.ones((2, 3)))
    assert tg.zeros_like(np.ones(4)).shape == (4,)
    assert not tg.zeros_like(tg.ones(2, requires_grad=True)).requires_grad


def test_from_numpy_shares_memory():
    array = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    t = tg.from_numpy(array)
    assert t.dtype == np.float32
    assert np.shares_memory(t.data, array)
    array[1] = 42.0
    assert t.data[1] == 42.0
    assert tg.from_numpy(np.array([1, 2], dtype=np.int16)).dtype == np.int16


def test_arange_takes_the_step_by_keyword():
    assert tg.arange(5, step=2).tolist() == [0, 2, 4]


# --- dtype policy -------------------------------------------------------------------------


def test_default_dtype_is_float64():
    assert tg.get_default_dtype() == np.float64
    assert tg.tensor(1.5).dtype == np.float64


def test_set_default_dtype_float32(float32_default):
    assert tg.get_default_dtype() == np.float32
    assert tg.tensor(1.5).dtype == np.float32
    assert tg.tensor([1.0, 2.0]).dtype == np.float32
    assert tg.Tensor([[1.0]]).dtype == np.float32
    for made in (
        tg.zeros(2), tg.ones(2), tg.full(2, 1.5), tg.eye(2), tg.rand(2), tg.randn(2),
        tg.arange(0.0, 1.0, 0.5),
    ):  # fmt: skip
        assert made.dtype == np.float32
    assert tg.tensor(np.array([1.0, 2.0])).dtype == np.float64  # arrays keep their dtype
    assert tg.from_numpy(np.zeros(2)).dtype == np.float64
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.arange(3).dtype == np.int64


def test_set_default_dtype_is_restored_by_fixture():
    assert tg.get_default_dtype() == np.float64


def test_python_ints_become_int64():
    assert tg.tensor(7).dtype == np.int64
    assert tg.tensor([[1, 2], [3, 4]]).dtype == np.int64
    assert (tg.tensor([1, 2]) + 1).dtype == np.int64


SCALAR_OPS = {
    "mul": lambda x: x * 2.5,
    "rmul": lambda x: 2.5 * x,
    "add": lambda x: x + 1.5,
    "radd": lambda x: 1.5 + x,
    "sub": lambda x: x - 0.1,
    "rsub": lambda x: 0.1 - x,
    "div": lambda x: x / 3.0,
    "rdiv": lambda x: 3.0 / x,
    "pow": lambda x: x**2.0,
    "rpow": lambda x: 2.0**x,
    "add_int": lambda x: x + 1,
    "mul_large": lambda x: x * 1e10,
    "maximum": lambda x: tg.maximum(x, 0.5),
    "maximum_scalar_first": lambda x: tg.maximum(0.5, x),
    "minimum": lambda x: tg.minimum(x, 0.5),
    "minimum_scalar_first": lambda x: tg.minimum(0.5, x),
    "where": lambda x: tg.where(x > 0, x, 0.0),
    "where_scalar_first": lambda x: tg.where(x > 1, 0.0, x),
    "clip": lambda x: tg.clip(x, -1.0, 1.0),
    "mean": lambda x: x.mean(),
    "var": lambda x: x.var(ddof=1),
    "std": lambda x: x.std(),
    "logsumexp": lambda x: tg.logsumexp(x),
    "softmax": lambda x: tg.softmax(x),
    "log_softmax": lambda x: tg.log_softmax(x),
    "leaky_relu": lambda x: tg.leaky_relu(x, 0.2),
    "pad": lambda x: tg.pad(x, 1, 0.5),
}


@pytest.mark.parametrize("op", list(SCALAR_OPS.values()), ids=list(SCALAR_OPS))
def test_python_scalar_never_widens_float32(op):
    x = tg.tensor(np.array([0.5, 1.5, 2.0], dtype=np.float32), requires_grad=True)
    out = op(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_numpy_promotion_otherwise():
    f32 = tg.tensor(np.ones(2, dtype=np.float32))
    f64 = tg.tensor(np.ones(2))
    i64 = tg.tensor([1, 2])
    i32 = tg.tensor(np.array([1, 2], dtype=np.int32))
    assert (f32 + f64).dtype == np.float64
    assert (f32 * np.ones(2)).dtype == np.float64
    assert (np.ones(2) * f32).dtype == np.float64
    assert (i64 + f32).dtype == np.result_type(np.int64, np.float32)
    assert (i32 * f32).dtype == np.result_type(np.int32, np.float32)
    assert (i64 * 2.5).dtype == np.float64
    assert (i64 / 2).dtype == np.float64
    assert (i32 + 1).dtype == np.int32


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


# --- attributes -------------------------------------------------------------------------


def test_attributes():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert isinstance(x.data, np.ndarray)
    assert x.grad is None
    assert x.requires_grad
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.size == 6
    assert x.dtype == np.float64
    assert x.is_leaf
    np.testing.assert_array_equal(x.T.data, x.data.T)
    assert x.T.shape == (3, 2)
    y = x * 2
    assert not y.is_leaf
    assert y.requires_grad
    assert (tg.tensor([1.0]) * 2).is_leaf  # results that need no grad are leaves


def test_T_reverses_all_axes_and_is_differentiable():
    values = np.arange(24.0).reshape(2, 3, 4)
    x = tg.tensor(values, requires_grad=True)
    assert x.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(x.T.data, values.T)
    weights = np.arange(24.0).reshape(4, 3, 2)
    (x.T * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.T)


def test_requires_grad_setter_on_leaf():
    x = tg.tensor([1.0, 2.0])
    x.requires_grad = True
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_changing_the_shape_of_a_parameter_through_data_is_refused() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        x.data = np.zeros(5)


# --- methods ------------------------------------------------------------------------------


def test_detach():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad
    assert d.grad_fn is None
    assert d.is_leaf
    np.testing.assert_array_equal(d.data, [2.0, 4.0])
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # no gradient through the detached path


def test_numpy_item_tolist():
    x = tg.tensor([[1.5, 2.5]])
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(x.numpy(), [[1.5, 2.5]])
    assert x.tolist() == [[1.5, 2.5]]
    item = tg.tensor([[3.5]]).item()
    assert item == 3.5 and type(item) is float
    count = tg.tensor(4).item()
    assert count == 4 and type(count) is int


def test_astype():
    x = tg.tensor([1.25, 2.5], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [1.25, 2.5])
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert tg.tensor([1.7, -2.2]).astype(np.int64).tolist() == [1, -2]


def test_zero_grad_sets_none():
    x = tg.tensor([1.0], requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad is not None
    x.zero_grad()
    assert x.grad is None


def test_deepcopy_of_a_leaf_copies_and_of_a_node_is_refused() -> None:
    x = tg.tensor([1.0], requires_grad=True)
    x.grad = np.array([2.0])
    clone = copy.deepcopy(x)
    assert clone.requires_grad and clone.grad.tolist() == [2.0]
    assert not np.shares_memory(clone.data, x.data)
    with pytest.raises(RuntimeError, match="deepcopy"):
        copy.deepcopy(x * 2)


# --- the NumPy interface ------------------------------------------------------------------


def test_array_protocol():
    t = tg.tensor([1.0, 2.0, 3.0])
    a = np.asarray(t)
    assert type(a) is np.ndarray
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    e = np.exp(t)
    assert type(e) is np.ndarray
    np.testing.assert_allclose(e, np.exp([1.0, 2.0, 3.0]))
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.array(t), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.dot(t, t), 14.0)
    np.testing.assert_allclose(np.concatenate([t, t]), [1.0, 2.0, 3.0] * 2)


def test_numpy_reductions_accept_a_tensor():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert float(np.sum(t)) == 10.0
    assert float(np.mean(t)) == 2.5
    assert float(np.max(t)) == 4.0
    np.testing.assert_allclose(np.asarray(np.sum(t, axis=0)), [4.0, 6.0])
    np.testing.assert_allclose(float(np.std(t)), np.std([1.0, 2.0, 3.0, 4.0]))


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda a, t: a + t, lambda a, b: a + b),
        (lambda a, t: a - t, lambda a, b: a - b),
        (lambda a, t: a * t, lambda a, b: a * b),
        (lambda a, t: a / t, lambda a, b: a / b),
        (lambda a, t: a**t, lambda a, b: a**b),
        (lambda a, t: a @ t, lambda a, b: a @ b),
    ],
    ids=["add", "sub", "mul", "div", "pow", "matmul"],
)
def test_ndarray_op_tensor_returns_tensor(op, expected):
    a = np.array([[1.5, 2.0], [0.5, 3.0]])
    b = np.array([[2.0, 0.5], [1.0, 1.5]])
    t = tg.tensor(b, requires_grad=True)
    out = op(a, t)
    assert isinstance(out, tg.Tensor)
    assert out.requires_grad
    np.testing.assert_allclose(out.data, expected(a, b))


@pytest.mark.parametrize(
    ("op", "expected", "derivative"),
    [
        (lambda t: 2.0 + t, lambda b: 2.0 + b, lambda b: np.ones_like(b)),
        (lambda t: 2.0 - t, lambda b: 2.0 - b, lambda b: -np.ones_like(b)),
        (lambda t: 2.0 * t, lambda b: 2.0 * b, lambda b: np.full_like(b, 2.0)),
        (lambda t: 2.0 / t, lambda b: 2.0 / b, lambda b: -2.0 / b**2),
        (lambda t: 2.0**t, lambda b: 2.0**b, lambda b: 2.0**b * np.log(2.0)),
    ],
    ids=["add", "sub", "mul", "div", "pow"],
)
def test_reflected_ops_with_python_scalars(op, expected, derivative):
    b = np.array([0.5, 1.0, 3.0])
    t = tg.tensor(b, requires_grad=True)
    out = op(t)
    assert isinstance(out, tg.Tensor)
    np.testing.assert_allclose(out.data, expected(b))
    out.sum().backward()
    np.testing.assert_allclose(t.grad, derivative(b))


def test_reflected_ops_with_arrays_differentiate():
    a = np.array([1.0, -2.0, 4.0])
    t = tg.tensor([0.5, 1.0, 2.0], requires_grad=True)
    (a - t * (a / t)).sum().backward()  # a - a, constant in t
    np.testing.assert_allclose(t.grad, np.zeros(3), atol=1e-15)
    t.zero_grad()
    (np.ones((2, 3)) @ t).sum().backward()
    np.testing.assert_allclose(t.grad, [2.0, 2.0, 2.0])


def test_repr_is_readable():
    leaf = tg.tensor([1.5, -2.25], requires_grad=True)
    text = repr(leaf)
    assert "tensor" in text
    assert "1.5" in text and "-2.25" in text
    assert "requires_grad=True" in text
    result = leaf * 2
    text = repr(result)
    assert "3." in text and "-4.5" in text
    assert "grad_fn" in text and "mul" in text
    plain = repr(tg.tensor([7.0]))
    assert "7." in plain
    assert "requires_grad" not in plain and "grad_fn" not in plain
    assert "float32" in repr(tg.tensor(np.array([1.0], dtype=np.float32)))


# --- comparisons --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "reference"),
    [
        (lambda a, b: a < b, np.less),
        (lambda a, b: a <= b, np.less_equal),
        (lambda a, b: a > b, np.greater),
        (lambda a, b: a >= b, np.greater_equal),
        (lambda a, b: a == b, np.equal),
        (lambda a, b: a != b, np.not_equal),
    ],
    ids=["lt", "le", "gt", "ge", "eq", "ne"],
)
def test_comparisons_return_bool_tensors_without_grad(op, reference):
    a_values = np.array([1.0, 2.0, 3.0])
    b_values = np.array([3.0, 2.0, 1.0])
    a = tg.tensor(a_values, requires_grad=True)
    b = tg.tensor(b_values, requires_grad=True)
    for out, expected in (
        (op(a, b), reference(a_values, b_values)),
        (op(a, 2.0), reference(a_values, 2.0)),
        (op(a, b_values), reference(a_values, b_values)),
    ):
        assert isinstance(out, tg.Tensor)
        assert out.dtype == np.bool_
        assert not out.requires_grad
        assert out.grad_fn is None
        np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize(
    ("op", "reference"),
    [(lambda a, b: a & b, np.logical_and), (lambda a, b: a | b, np.logical_or),
     (lambda a, b: a ^ b, np.logical_xor)],
    ids=["and", "or", "xor"],
)  # fmt: skip
@pytest.mark.parametrize(
    "other", [True, np.bool_(False), np.array(True), np.array([True, False, False])],
    ids=["bool", "numpy bool", "0-d array", "array"],
)  # fmt: skip
def test_logical_ops_take_a_bool_or_an_array_on_either_side(op, reference, other):
    mask = np.array([True, True, False])
    for out, expected in (
        (op(tg.tensor(mask), other), reference(mask, other)),
        (op(other, tg.tensor(mask)), reference(other, mask)),  # once a TypeError
    ):
        assert isinstance(out, tg.Tensor) and out.dtype == np.bool_
        np.testing.assert_array_equal(out.data, expected)


# --- every op as a function and a method --------------------------------------------------

VALUES = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
POSITIVE = np.abs(VALUES) + 0.1

METHOD_CASES = [
    ("exp", VALUES, (), {}),
    ("log", POSITIVE, (), {}),
    ("sqrt", POSITIVE, (), {}),
    ("abs", VALUES, (), {}),
    ("sin", VALUES, (), {}),
    ("cos", VALUES, (), {}),
    ("tanh", VALUES, (), {}),
    ("sigmoid", VALUES, (), {}),
    ("relu", VALUES, (), {}),
    ("leaky_relu", VALUES, (0.2,), {}),
    ("softplus", VALUES, (), {}),
    ("clip", VALUES, (-0.5, 1.0), {}),
    ("sum", VALUES, (), {"axis": 0}),
    ("mean", VALUES, (), {"axis": 1, "keepdims": True}),
    ("max", VALUES, (), {"axis": 1}),
    ("min", VALUES, (), {}),
    ("var", VALUES, (), {"axis": 0}),
    ("std", VALUES, (), {}),
    ("logsumexp", VALUES, (), {"axis": -1}),
    ("reshape", VALUES, ((3, 2),), {}),
    ("transpose", VALUES, (), {}),
    ("flatten", VALUES, (), {}),
    ("squeeze", VALUES.reshape(1, 2, 3), (), {}),
    ("unsqueeze", VALUES, (1,), {}),
    ("broadcast_to", VALUES, ((4, 2, 3),), {}),
    ("pad", VALUES, (1,), {}),
    ("maximum", VALUES, (0.3,), {}),
    ("minimum", VALUES, (0.3,), {}),
]


@pytest.mark.parametrize(
    ("name", "values", "args", "kwargs"), METHOD_CASES, ids=[c[0] for c in METHOD_CASES]
)
def test_op_is_function_and_method(name, values, args, kwargs):
    x = tg.tensor(values, requires_grad=True)
    by_function = getattr(tg, name)(x, *args, **kwargs)
    by_method = getattr(x, name)(*args, **kwargs)
    assert isinstance(by_function, tg.Tensor) and isinstance(by_method, tg.Tensor)
    assert by_method.shape == by_function.shape
    np.testing.assert_array_equal(by_method.data, by_function.data)
    by_method.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_split_is_function_and_method():
    x = tg.tensor(np.arange(12.0).reshape(2, 6))
    by_function = tg.split(x, 3, axis=1)
    by_method = x.split(3, axis=1)
    assert len(by_function) == len(by_method) == 3
    for f, m in zip(by_function, by_method):
        np.testing.assert_array_equal(f.data, m.data)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_return_plain_arrays(name):
    values = np.array([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]])
    x = tg.tensor(values, requires_grad=True)
    for result, expected in (
        (getattr(tg, name)(x, axis=1), getattr(np, name)(values, axis=1)),
        (getattr(x, name)(axis=0), getattr(np, name)(values, axis=0)),
    ):
        assert type(result) is np.ndarray
        np.testing.assert_array_equal(result, expected)
    assert getattr(x, name)() == getattr(np, name)(values)


def test_ops_match_numpy_values():
    x = tg.tensor(VALUES)
    np.testing.assert_allclose(x.exp().data, np.exp(VALUES))
    np.testing.assert_allclose(tg.sigmoid(x).data, 1 / (1 + np.exp(-VALUES)))
    np.testing.assert_allclose(tg.softplus(x).data, np.log1p(np.exp(VALUES)))
    np.testing.assert_allclose(x.leaky_relu(0.2).data, np.where(VALUES > 0, VALUES, 0.2 * VALUES))
    np.testing.assert_allclose(x.clip(-0.5, 1.0).data, np.clip(VALUES, -0.5, 1.0))
    np.testing.assert_allclose(x.max(axis=1).data, VALUES.max(axis=1))
    np.testing.assert_allclose(x.min().data, VALUES.min())
    np.testing.assert_allclose(x.logsumexp(axis=-1).data, np.log(np.exp(VALUES).sum(axis=-1)))
    np.testing.assert_allclose(tg.maximum(x, 0.3).data, np.maximum(VALUES, 0.3))
    np.testing.assert_allclose(tg.minimum(x, 0.3).data, np.minimum(VALUES, 0.3))


def test_every_op_is_a_method_too() -> None:
    x = tg.tensor([[1.0, 2.0]])
    for name in [
        "softmax", "log_softmax", "expand_dims", "add", "sub", "mul", "div", "pow", "neg",
        "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    ]:  # fmt: skip
        assert callable(getattr(x, name)), name
    assert x.expand_dims(0).shape == (1, 1, 2)
    np.testing.assert_allclose(x.softmax().data, tg.softmax(x).data)


# --- NumPy meanings -----------------------------------------------------------------------


def test_transpose_forms():
    values = np.arange(24.0).reshape(2, 3, 4)
    x = tg.tensor(values)
    assert x.transpose().shape == (4, 3, 2)
    np.testing.assert_array_equal(x.transpose().data, values.transpose())
    np.testing.assert_array_equal(x.transpose(1, 0, 2).data, values.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose((1, 0, 2)).data, values.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose([2, 0, 1]).data, values.transpose(2, 0, 1))
    np.testing.assert_array_equal(tg.transpose(x, (1, 0, 2)).data, values.transpose(1, 0, 2))
    np.testing.assert_array_equal(tg.transpose(x).data, values.transpose())
    np.testing.assert_array_equal(tg.transpose(x, axes=None).data, values.transpose())


def test_transpose_gradient():
    values = np.arange(24.0).reshape(2, 3, 4)
    x = tg.tensor(values, requires_grad=True)
    weights = np.arange(24.0).reshape(3, 4, 2) ** 2
    (x.transpose(1, 2, 0) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.transpose(2, 0, 1))


def test_var_std_default_ddof_zero():
    values = np.array([[1.0, 2.0, 4.0], [3.0, 7.0, 8.0]])
    x = tg.tensor(values)
    np.testing.assert_allclose(x.var().data, np.var(values))
    np.testing.assert_allclose(tg.var(x, axis=1).data, np.var(values, axis=1))
    np.testing.assert_allclose(x.std(axis=0).data, np.std(values, axis=0))
    np.testing.assert_allclose(x.var(ddof=1).data, np.var(values, ddof=1))
    np.testing.assert_allclose(tg.std(x, axis=1, ddof=1).data, np.std(values, axis=1, ddof=1))
    np.testing.assert_allclose(tg.var(tg.tensor([1.0, 2.0, 3.0, 4.0])).data, 1.25)


def test_split_has_numpy_meaning():
    values = np.arange(12.0).reshape(6, 2)
    x = tg.tensor(values, requires_grad=True)
    pieces = tg.split(x, 3)
    assert len(pieces) == 3
    for piece, expected in zip(pieces, np.split(values, 3)):
        np.testing.assert_array_equal(piece.data, expected)
    pieces = x.split([1, 4])
    assert [p.shape for p in pieces] == [(1, 2), (3, 2), (2, 2)]
    for piece, expected in zip(pieces, np.split(values, [1, 4])):
        np.testing.assert_array_equal(piece.data, expected)
    cols = tg.split(x, 2, axis=1)
    for piece, expected in zip(cols, np.split(values, 2, axis=1)):
        np.testing.assert_array_equal(piece.data, expected)
    (pieces[0].sum() + 3 * pieces[2].sum()).backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [0, 0], [0, 0], [0, 0], [3, 3], [3, 3]])


def test_pad_takes_numpy_pad_width():
    values = np.arange(6.0).reshape(2, 3)
    x = tg.tensor(values, requires_grad=True)
    for width in (1, (1, 2), ((0, 1), (2, 0)), [[1, 0], [0, 3]]):
        np.testing.assert_array_equal(tg.pad(x, width).data, np.pad(values, width))
    padded = x.pad(((1, 1), (0, 2)), constant_values=-1.0)
    np.testing.assert_array_equal(
        padded.data, np.pad(values, ((1, 1), (0, 2)), constant_values=-1.0)
    )
    weights = np.arange(float(padded.size)).reshape(padded.shape)
    (padded * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights[1:3, 0:3])


def test_len_iteration_and_indexing():
    values = np.arange(6.0).reshape(3, 2)
    x = tg.tensor(values, requires_grad=True)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3
    np.testing.assert_array_equal(rows[1].data, values[1])
    np.testing.assert_array_equal(x[1:, 0].data, values[1:, 0])
    np.testing.assert_array_equal(x[[0, 0, 2]].data, values[[0, 0, 2]])
    x[[0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 2], [0, 0], [1, 1]])


def test_numpy_scalar_op_tensor_returns_tensor():
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    out = np.float64(3.0) * t
    assert isinstance(out, tg.Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0, 3.0])


def test_transpose_with_negative_axes_has_the_right_gradient() -> None:
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    weights = np.arange(24.0).reshape(4, 2, 3)
    (tg.transpose(x, (-1, 0, 1)) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, np.transpose(weights, (1, 2, 0)))
    assert tg.gradcheck(
        lambda t: t.transpose(-1, 0, 1), [np.random.default_rng(0).random((2, 3, 4))]
    )


def test_lists_are_arrays_not_python_sequences() -> None:
    assert tg.add([1.0, 2.0], [3.0, 4.0]).tolist() == [4.0, 6.0]
    assert tg.mul([1.0, 2.0], 3).tolist() == [3.0, 6.0]
    assert tg.sub([1.0], [3.0]).tolist() == [-2.0]
    assert tg.neg([1.0, 2.0]).tolist() == [-1.0, -2.0]
    assert (tg.tensor([1.0, 2.0]) + [1.0, 1.0]).tolist() == [2.0, 3.0]


def test_min_of_unsigned_and_bool_tensors() -> None:
    assert tg.tensor(np.array([0, 5], np.uint8)).min().item() == 0
    assert tg.tensor(np.array([True, False])).min().item() is False


def test_numpy_compatible_edges() -> None:
    assert tg.pad(tg.tensor(3.0), 1).item() == 3.0  # numpy.pad leaves a 0-d array alone
    assert [p.shape for p in tg.split(tg.zeros(0), 2)] == [(0,), (0,)]
    joined = tg.concatenate([tg.ones((2, 2)), tg.zeros(3)], axis=None)
    assert joined.tolist() == [1.0] * 4 + [0.0] * 3
    assert tg.broadcast_to(tg.tensor(1.0), 3).shape == (3,)
