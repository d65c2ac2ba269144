"""tensorgrad.nn's layers: Linear, the activation modules, Dropout and MLP.

Every expected value is worked out here from its formula in NumPy (or by hand), never
by calling the code under test a second way, for float64 and float32.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nn_helpers import DTYPES, np_sigmoid, rng_for, tolerance
from strategies import input_values, upstream

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn

# =====================================================================================
# Linear
# =====================================================================================


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_forward_is_x_at_w_plus_b(dtype: Any):
    layer = nn.Linear(4, 3, rng=rng_for(0), dtype=dtype)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (3,)
    assert layer.weight.dtype == dtype and layer.bias.dtype == dtype
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))  # the bias starts at zero
    layer.bias.data = rng_for(1).normal(size=3).astype(dtype)
    x = rng_for(2).normal(size=(5, 4)).astype(dtype)
    W, b = layer.weight.data.astype(np.float64), layer.bias.data.astype(np.float64)
    out = layer(tg.Tensor(x))
    assert out.dtype == dtype and out.shape == (5, 3)
    np.testing.assert_allclose(out.data, x.astype(np.float64) @ W + b, **tolerance(dtype))
    # one sample without a batch axis, and a plain array as input
    np.testing.assert_allclose(
        layer(x[0]).data, x[0].astype(np.float64) @ W + b, **tolerance(dtype)
    )
    # leading batch axes
    x3 = rng_for(3).normal(size=(2, 5, 4)).astype(dtype)
    np.testing.assert_allclose(layer(x3).data, x3.astype(np.float64) @ W + b, **tolerance(dtype))


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False, rng=rng_for(0))
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = rng_for(1).normal(size=(4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data, rtol=1e-12)
    assert list(layer.state_dict()) == ["weight"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_backward_gives_the_matrix_calculus_gradients(dtype: Any):
    rng = rng_for(4)
    layer = nn.Linear(3, 2, rng=rng, dtype=dtype)
    x = tg.Tensor(rng.normal(size=(5, 3)).astype(dtype), requires_grad=True)
    grad = rng.normal(size=(5, 2)).astype(dtype)
    layer(x).backward(grad)
    W, G, X = (a.astype(np.float64) for a in (layer.weight.data, grad, x.data))
    for got, expected in [
        (layer.weight.grad, X.T @ G),
        (layer.bias.grad, G.sum(0)),
        (x.grad, G @ W.T),
    ]:
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, **tolerance(dtype))


@given(
    batch=st.integers(1, 4),
    in_features=st.integers(1, 4),
    out_features=st.integers(1, 4),
    bias=st.booleans(),
    data=st.data(),
)
def test_linear_gradients_pass_gradcheck(batch, in_features, out_features, bias, data):
    layer = nn.Linear(in_features, out_features, bias=bias, rng=0)
    shapes = [(batch, in_features), (in_features, out_features)]
    if bias:
        shapes.append((out_features,))
    inputs = [data.draw(input_values("real", shape)) for shape in shapes]

    # gradcheck hands in its own (float64) tensors and the layer's forward reads them:
    # unregister the parameters first, since a plain tensor may not replace a Parameter.
    del layer.weight
    if bias:
        del layer.bias

    def f(x: Any, weight: Any, *rest: Any) -> Any:
        layer.weight = weight
        if rest:
            layer.bias = rest[0]
        return layer(x)

    grad_output = data.draw(upstream((batch, out_features)))
    assert tg.gradcheck(f, inputs, grad_output=grad_output, atol=1e-7, rtol=1e-6)


def test_linear_default_init_is_he_uniform():
    fan_in = 500
    w = nn.Linear(fan_in, 400, rng=rng_for(0)).weight.data
    bound = math.sqrt(6 / fan_in)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.999 * bound  # 200,000 draws reach the edge
    np.testing.assert_allclose(w.std(), math.sqrt(2 / fan_in), rtol=0.01)
    assert abs(w.mean()) < 5 * math.sqrt(2 / fan_in) / math.sqrt(w.size)


def test_linear_xavier_init_is_glorot_uniform():
    w = nn.Linear(300, 500, rng=rng_for(0), init="xavier").weight.data
    bound = math.sqrt(6 / (300 + 500))
    assert bound * 0.999 < np.abs(w).max() <= bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.01)


def test_linear_float32_init_stays_within_its_bound():
    w = nn.Linear(200, 300, rng=rng_for(0), dtype=np.float32).weight.data
    assert w.dtype == np.float32
    assert np.abs(w).max() <= np.float32(math.sqrt(6 / 200))


def test_linear_follows_the_default_dtype(float32_default):
    layer = nn.Linear(3, 2)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer(tg.ones((1, 3))).dtype == np.float32
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64


def test_a_float32_model_refuses_float64_input_instead_of_computing_in_float64():
    model = nn.MLP([4, 8, 3], dtype=np.float32, rng=rng_for(0))
    X = rng_for(1).standard_normal((5, 4))
    with pytest.raises(TypeError) as error:
        model(X)
    message = str(error.value)
    assert message.startswith("Linear(in_features=4, out_features=8, bias=True): ")
    assert "input is float64" in message and "parameters are float32" in message
    assert "X.astype(np.float32)" in message
    with pytest.raises(TypeError, match="input is float64"):
        model(tg.tensor(X))
    with pytest.raises(TypeError, match="input is int64"):  # NumPy: int64 with float32 -> float64
        model(np.ones((5, 4), dtype=np.int64))
    assert model(X.astype(np.float32)).dtype == np.float32
    assert model(np.ones((5, 4), dtype=np.int8)).dtype == np.float32  # no widening
    assert model([[0.5, 1.0, 2.0, 3.0]]).dtype == np.float32  # Python floats never widen


def test_a_float64_model_takes_narrower_input_and_stays_float64():
    model = nn.MLP([4, 8, 3], rng=rng_for(0))
    for X in (np.ones((2, 4), np.float32), np.ones((2, 4), np.int64), [[1, 2, 3, 4]]):
        assert model(X).dtype == np.float64


def test_linear_initialisation_is_reproducible():
    a = nn.Linear(5, 4, rng=rng_for(7))
    b = nn.Linear(5, 4, rng=rng_for(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    tg.manual_seed(11)
    c = nn.Linear(5, 4)
    tg.manual_seed(11)
    d = nn.Linear(5, 4)
    np.testing.assert_array_equal(c.weight.data, d.weight.data)
    tg.manual_seed(12)
    assert not np.array_equal(c.weight.data, nn.Linear(5, 4).weight.data)


@pytest.mark.parametrize("sizes", [(0, 3), (3, 0), (-1, 2), (2, -5)])
def test_linear_rejects_non_positive_sizes(sizes: tuple[int, int]):
    with pytest.raises(ValueError, match=r"Linear.*positive"):
        nn.Linear(*sizes)


@pytest.mark.parametrize(
    "sizes, bad", [((2.5, 3), "in_features must be an int, got float 2.5"),
                   ((2, 3.0), "out_features must be an int, got float 3.0"),
                   (("2", 3), "in_features must be an int, got str '2'"),
                   ((True, 3), "in_features must be an int, got bool True"),
                   ((None, 3), "in_features must be an int, got NoneType None")],
)  # fmt: skip
def test_linear_sizes_must_be_ints(sizes: tuple, bad: str):
    with pytest.raises(TypeError, match=rf"^Linear: {re.escape(bad)}$"):
        nn.Linear(*sizes)
    layer = nn.Linear(np.int64(2), np.int32(3))  # NumPy ints are ints
    assert (type(layer.in_features), type(layer.out_features)) == (int, int)
    assert layer.weight.shape == (2, 3)


def test_linear_rejects_an_unknown_init():
    with pytest.raises(ValueError, match=r"Linear.*'orthogonal'.*kaiming.*he.*xavier.*glorot"):
        nn.Linear(2, 2, init="orthogonal")


@pytest.mark.parametrize(
    "spelling, same_as", [("he", "kaiming"), ("He", "kaiming"), ("KAIMING", "kaiming"),
                          ("glorot", "xavier"), ("Glorot", "xavier"), ("Xavier", "xavier")],
)  # fmt: skip
def test_linear_and_mlp_take_either_name_of_an_init(spelling: str, same_as: str):
    # the docstrings and the README say "He or Glorot": both names work, in any case
    expected = nn.Linear(30, 40, rng=rng_for(3), init=same_as).weight.data
    layer = nn.Linear(30, 40, rng=rng_for(3), init=spelling)
    np.testing.assert_array_equal(layer.weight.data, expected)
    mlp = nn.MLP([30, 40], rng=rng_for(3), init=spelling)
    np.testing.assert_array_equal(mlp[0].weight.data, expected)


def test_linear_repr():
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"


# =====================================================================================
# Activations and Dropout
# =====================================================================================


ACTIVATIONS = {
    "relu": (nn.ReLU(), F.relu, lambda x: np.maximum(x, 0)),
    "tanh": (nn.Tanh(), F.tanh, np.tanh),
    "sigmoid": (nn.Sigmoid(), F.sigmoid, np_sigmoid),
    "leaky_relu": (nn.LeakyReLU(), F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_modules_equal_their_functions_and_formulas(name: str, dtype: Any):
    module, function, formula = ACTIVATIONS[name]
    x = rng_for(0).normal(size=(4, 5)).astype(dtype) * 3
    out = module(tg.Tensor(x))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, function(tg.Tensor(x)).data)
    np.testing.assert_allclose(out.data, formula(x.astype(np.float64)), **tolerance(dtype))


@pytest.mark.parametrize("slope", [0.01, 0.2, 1.5])
def test_leaky_relu_slope_and_gradient(slope: float):
    layer = nn.LeakyReLU(slope) if slope != 0.01 else nn.LeakyReLU()
    assert layer.negative_slope == slope
    x = tg.tensor([-2.0, -0.5, 0.5, 3.0], requires_grad=True)
    out = layer(x)
    np.testing.assert_allclose(out.data, [-2.0 * slope, -0.5 * slope, 0.5, 3.0], rtol=1e-15)
    grad = np.array([1.0, 2.0, 3.0, 4.0])
    out.backward(grad)
    np.testing.assert_allclose(x.grad, grad * [slope, slope, 1.0, 1.0], rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_p0_is_the_identity_and_p1_gives_zeros(dtype: Any):
    x = tg.Tensor(rng_for(0).normal(size=(10, 10)).astype(dtype), requires_grad=True)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    zeros = nn.Dropout(1.0)(x)
    assert zeros.dtype == dtype
    np.testing.assert_array_equal(zeros.data, np.zeros((10, 10)))
    zeros.backward(np.ones((10, 10), dtype))
    np.testing.assert_array_equal(x.grad, np.zeros((10, 10)))


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_dropout_in_eval_mode_is_the_identity(p: float):
    x = tg.Tensor(rng_for(0).normal(size=(100,)))
    layer = nn.Dropout(p, rng=rng_for(1)).eval()
    np.testing.assert_array_equal(layer(x).data, x.data)
    np.testing.assert_array_equal(F.dropout(x, p, training=False).data, x.data)
    assert layer.train().training
    if p > 0:  # back in training mode, units are dropped again
        assert (layer(x).data == 0).any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.5, 0.75, 0.2, 0.9])
def test_dropout_scales_kept_units_by_one_over_one_minus_p(p: float, dtype: Any):
    x = rng_for(0).uniform(0.5, 2.0, size=(50, 40)).astype(dtype)  # never zero
    out = nn.Dropout(p, rng=rng_for(1))(tg.Tensor(x)).data
    assert out.dtype == dtype
    kept = out != 0
    assert kept.any() and not kept.all()
    scale = 1 / (1 - p)
    if p in (0.5, 0.75):  # 1 / (1 - p) is 2 or 4: exact in every dtype
        np.testing.assert_array_equal(out[kept], x[kept] * dtype(scale))
    np.testing.assert_allclose(out[kept], x[kept].astype(np.float64) * scale, **tolerance(dtype))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_about_one_minus_p_of_the_units(p: float):
    n = 200_000
    out = F.dropout(tg.ones(n), p, rng=rng_for(2)).data
    kept = np.mean(out != 0)
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    # so the expected output equals the input
    assert abs(out.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_gradient_is_mask_times_scale(dtype: Any):
    p = 0.3
    rng = rng_for(3)
    x = tg.Tensor(rng.uniform(1.0, 2.0, size=(30, 7)).astype(dtype), requires_grad=True)
    out = nn.Dropout(p, rng=rng)(x)
    mask = out.data != 0
    grad = rng.normal(size=x.shape).astype(dtype)
    out.backward(grad)
    assert x.grad.dtype == dtype
    expected = grad.astype(np.float64) * mask / (1 - p)
    np.testing.assert_allclose(x.grad, expected, **tolerance(dtype))
    np.testing.assert_array_equal(x.grad == 0, ~mask)


@pytest.mark.parametrize("p", [-0.1, 1.01, 2.0, float("nan")])
def test_dropout_rejects_p_outside_0_1(p: float):
    with pytest.raises(ValueError, match=r"Dropout: p must lie in \[0, 1\]"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"dropout: p must lie in \[0, 1\]"):
        F.dropout(tg.ones(3), p)


def test_dropout_is_reproducible_with_a_seeded_rng():
    x = tg.ones((8, 8))
    a = nn.Dropout(0.5, rng=rng_for(9))
    b = nn.Dropout(0.5, rng=rng_for(9))
    first, second = a(x).data, b(x).data
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(a(x).data, first)  # the generator moves on: a new mask
    tg.manual_seed(4)
    c = F.dropout(x, 0.5).data
    tg.manual_seed(4)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, c)


# =====================================================================================
# MLP
# =====================================================================================


def test_mlp_puts_the_activation_between_layers_and_none_after_the_last():
    model = nn.MLP([3, 5, 4, 2], rng=rng_for(0))
    assert [type(m) for m in model] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 5), (5, 4), (4, 2)]
    assert isinstance(model, nn.Sequential) and len(model) == 5
    # it returns logits: negative values survive the last layer
    x = tg.Tensor(rng_for(1).normal(size=(6, 3)))
    W = [m.weight.data for m in linears]
    for m in linears:
        m.bias.data = rng_for(2).normal(size=m.out_features)
    b = [m.bias.data for m in linears]
    h = np.maximum(x.data @ W[0] + b[0], 0)
    h = np.maximum(h @ W[1] + b[1], 0)
    out = model(x).data
    np.testing.assert_allclose(out, h @ W[2] + b[2], rtol=1e-12)
    assert (out < 0).any()
    assert [type(m) for m in nn.MLP([3, 2])] == [nn.Linear]


@pytest.mark.parametrize(
    "activation, layer",
    [("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid)],
)
def test_mlp_activation_names(activation: str, layer: type):
    model = nn.MLP([2, 3, 3, 1], activation=activation)
    assert type(model[1]) is layer and type(model[3]) is layer
    assert sum(isinstance(m, layer) for m in model) == 2


def _max_weight_over_bound(model: nn.Module, bound: Callable[[int, int], float]) -> list[float]:
    return [
        float(np.abs(m.weight.data).max() / bound(m.in_features, m.out_features))
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]


def he_bound(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6 / fan_in)


def glorot_bound(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6 / (fan_in + fan_out))


@pytest.mark.parametrize(
    "activation, init_name, bound",
    [
        ("relu", None, he_bound),
        ("leaky_relu", None, he_bound),
        ("tanh", None, glorot_bound),
        ("sigmoid", None, glorot_bound),
        ("tanh", "kaiming", he_bound),
        ("relu", "xavier", glorot_bound),
    ],
)
def test_mlp_init_follows_the_activation_unless_overridden(activation, init_name, bound):
    # for these sizes the He and Glorot bounds differ by 29% and 73%: far beyond 0.5%
    model = nn.MLP([300, 200, 400], activation=activation, init=init_name, rng=rng_for(0))
    for ratio in _max_weight_over_bound(model, bound):
        assert 0.995 < ratio <= 1.0


def test_mlp_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match=r"MLP.*'gelu'.*leaky_relu.*relu.*sigmoid.*tanh"):
        nn.MLP([2, 3, 1], activation="gelu")


@pytest.mark.parametrize("sizes", [[], [4]])
def test_mlp_needs_at_least_two_sizes(sizes: list[int]):
    with pytest.raises(ValueError, match="MLP"):
        nn.MLP(sizes)


def test_mlp_names_itself_for_a_bad_init_or_size():
    with pytest.raises(ValueError, match=r"^MLP: unknown init 'lecun'; use 'kaiming' \(or 'he'\)"):
        nn.MLP([2, 3, 1], init="lecun")
    with pytest.raises(TypeError, match=r"^MLP: sizes\[1\] must be an int, got float 3\.5$"):
        nn.MLP([2, 3.5, 1])  # once truncated to 3 without a word
    assert [m.out_features for m in nn.MLP(np.array([2, 3, 1]))[::2]] == [3, 1]


def test_mlp_rejects_a_non_positive_size():
    with pytest.raises(ValueError, match="positive"):
        nn.MLP([3, 0, 1])


def test_mlp_dtype_and_rng():
    model = nn.MLP([3, 4, 2], dtype=np.float32, rng=rng_for(5))
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model(tg.ones((2, 3), dtype=np.float32)).dtype == np.float32
    again = nn.MLP([3, 4, 2], dtype=np.float32, rng=rng_for(5))
    for p, q in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def _gradient_descent(model: nn.Module, loss_fn: Callable[[], Any], steps: int, lr: float):
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = loss_fn()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.item())
    return losses


def test_mlp_learns_xor_with_plain_gradient_descent():
    X = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.MLP([2, 8, 1], activation="tanh", rng=rng_for(0))
    losses = _gradient_descent(
        model, lambda: F.binary_cross_entropy_with_logits(model(X), y), steps=400, lr=0.5
    )
    assert losses[0] > 0.5 and losses[-1] < 0.05
    predictions = (model(X).data > 0).astype(float)
    np.testing.assert_array_equal(predictions, y.data)


def test_mlp_fits_a_small_regression():
    rng = rng_for(1)
    x = np.linspace(-1, 1, 32).reshape(-1, 1)
    X, y = tg.Tensor(x), tg.Tensor(np.sin(3 * x))
    model = nn.MLP([1, 16, 16, 1], activation="tanh", rng=rng)
    losses = _gradient_descent(model, lambda: F.mse_loss(model(X), y), steps=300, lr=0.1)
    assert losses[-1] < 0.05 * losses[0]
