"""tensorgrad.nn: modules, parameters, layers, initialisation, gradient clipping, losses.

Every expected value is worked out here from its formula in NumPy (or by hand), never by
calling the code under test a second way. Losses are checked for every reduction and for
float64 and float32; their gradients against central differences (``tg.gradcheck``, with
a random upstream gradient) and their second derivatives as Hessian-vector products
against central differences of the gradient.
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
from hypothesis.extra import numpy as hnp

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn
from tensorgrad.autograd import version
from tensorgrad.nn import init

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]
SEEDS = st.integers(0, 2**32 - 1)


def tolerance(dtype: Any) -> dict[str, float]:
    """How close a result in ``dtype`` must come to the float64 formula."""
    if np.dtype(dtype) == np.float32:
        return {"rtol": 2e-5, "atol": 2e-6}
    return {"rtol": 1e-11, "atol": 1e-12}


def rng_for(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)



# =====================================================================================
# Module: registration, traversal, modes
# =====================================================================================


class Inner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 3, rng=rng_for(1))
        self.gamma = nn.Parameter(np.ones(3))

    def forward(self, x: Any) -> Any:
        return self.lin(x) * self.gamma


class Outer(nn.Module):
    """Parameters and modules assigned interleaved, to pin down the order."""

    def __init__(self) -> None:
        super().__init__()
        self.alpha = nn.Parameter(np.zeros(1))
        self.inner = Inner()
        self.act = nn.ReLU()
        self.head = nn.Linear(3, 1, rng=rng_for(2))
        self.beta = nn.Parameter(np.ones(1))

    def forward(self, x: Any) -> Any:
        return self.head(self.act(self.inner(x))) * self.beta + self.alpha


OUTER_PARAMETERS = [
    # a module's own parameters (in assignment order), then each sub-module's, depth first
    "alpha",
    "beta",
    "inner.gamma",
    "inner.lin.weight",
    "inner.lin.bias",
    "head.weight",
    "head.bias",
]


def test_parameters_are_registered_in_order_with_dotted_names():
    model = Outer()
    names = [name for name, _ in model.named_parameters()]
    assert names == OUTER_PARAMETERS
    params = list(model.parameters())
    assert [p is q for p, (_, q) in zip(params, model.named_parameters())] == [True] * 7
    assert params[3] is model.inner.lin.weight and params[0] is model.alpha
    assert all(isinstance(p, nn.Parameter) for p in params)


def test_modules_named_modules_and_children_walk_the_tree_in_order():
    model = Outer()
    named = list(model.named_modules())
    assert [name for name, _ in named] == ["", "inner", "inner.lin", "act", "head"]
    assert named[0][1] is model and named[2][1] is model.inner.lin
    assert [m for m in model.modules()] == [m for _, m in named]
    assert list(model.children()) == [model.inner, model.act, model.head]
    assert list(model.inner.children()) == [model.inner.lin]
    assert list(nn.ReLU().children()) == [] and list(nn.ReLU().named_parameters()) == []


def test_a_shared_parameter_appears_once():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Linear(3, 3, rng=rng_for(0))
            self.decoder = nn.Linear(3, 3, rng=rng_for(1))
            self.decoder.weight = self.encoder.weight

        def forward(self, x: Any) -> Any:
            return self.decoder(self.encoder(x))

    model = Tied()
    assert [name for name, _ in model.named_parameters()] == [
        "encoder.weight",
        "encoder.bias",
        "decoder.bias",
    ]
    assert len(list(model.parameters())) == 3
    # both uses of the shared weight add up in its one gradient: d/dW of sum(G * x W W)
    rng = rng_for(3)
    x, grad = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    W = model.encoder.weight.data
    model(tg.Tensor(x)).backward(grad)
    expected = x.T @ (grad @ W.T) + (x @ W).T @ grad
    np.testing.assert_allclose(model.encoder.weight.grad, expected, rtol=1e-12)


def test_a_shared_module_appears_once():
    relu = nn.ReLU()
    linear = nn.Linear(2, 2, rng=rng_for(0))
    model = nn.Sequential(linear, relu, linear, relu)
    assert len(model) == 4
    assert list(model.modules()) == [model, linear, relu]
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    assert list(model.children()) == [linear, relu]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_assigning_none_unregisters_a_parameter_or_module():
    model = Outer()
    model.alpha = None
    assert model.alpha is None
    assert "alpha" not in dict(model.named_parameters())
    model.head = None
    assert [name for name, _ in model.named_modules()] == ["", "inner", "inner.lin", "act"]
    assert [name for name, _ in model.named_parameters()] == OUTER_PARAMETERS[1:5]
    model.alpha = 3.0  # no longer registered: a plain attribute
    assert model.alpha == 3.0 and "alpha" not in dict(model.named_parameters())


@pytest.mark.parametrize(
    "value", [tg.tensor([1.0], requires_grad=True), tg.tensor([1.0]), np.ones(1), 3.0, "w"]
)
def test_assigning_a_non_parameter_over_a_parameter_is_a_type_error(value: Any):
    # It used to unregister the parameter silently: lin.weight = tg.tensor(...) dropped
    # the weight from parameters(), state_dict() and so from the optimizer.
    model = Outer()
    alpha = model.alpha
    kind = type(value).__name__
    with pytest.raises(
        TypeError,
        match=rf"Outer: cannot assign {kind} as parameter 'alpha' \(nn\.Parameter or None "
        r"expected\); wrap it: nn\.Parameter\(value\)",
    ):
        model.alpha = value
    assert model.alpha is alpha
    assert [name for name, _ in model.named_parameters()] == OUTER_PARAMETERS
    linear = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"Linear: cannot assign Tensor as parameter 'weight'"):
        linear.weight = tg.tensor(np.ones((3, 2)), requires_grad=True)
    assert list(linear.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("value", [tg.tensor([1.0]), 3.0, lambda x: x])
def test_assigning_a_non_module_over_a_module_is_a_type_error(value: Any):
    model = Outer()
    head = model.head
    with pytest.raises(
        TypeError,
        match=rf"Outer: cannot assign {type(value).__name__} as child module 'head' "
        r"\(nn\.Module or None expected\)",
    ):
        model.head = value
    assert model.head is head
    assert [name for name, _ in model.named_parameters()] == OUTER_PARAMETERS
    del model.head  # a deliberate removal frees the name
    model.head = value
    assert model.head is value and "head" not in dict(model.named_modules())


def test_reassigning_switches_between_parameter_and_module():
    model = Outer()
    model.alpha = nn.Linear(1, 1)
    assert "alpha" not in dict(model.named_parameters())
    assert "alpha.weight" in dict(model.named_parameters())
    model.alpha = nn.Parameter(np.ones(2))
    assert "alpha" in dict(model.named_parameters())
    assert "alpha" not in dict(model.named_modules())


def test_replacing_a_parameter_or_module_keeps_its_place():
    model = Outer()
    new_alpha = nn.Parameter(np.full(1, 7.0))
    model.alpha = new_alpha
    model.inner = Inner()
    assert [name for name, _ in model.named_parameters()] == OUTER_PARAMETERS
    assert next(iter(model.parameters())) is new_alpha
    assert [name for name, _ in model.named_modules()][1] == "inner"


def test_del_unregisters():
    model = Outer()
    del model.beta
    del model.inner
    assert [name for name, _ in model.named_parameters()] == ["alpha", "head.weight", "head.bias"]
    assert [name for name, _ in model.named_modules()] == ["", "act", "head"]
    with pytest.raises(AttributeError):
        model.beta  # noqa: B018
    with pytest.raises(AttributeError):
        del model.beta


def test_assigning_before_super_init_is_a_helpful_runtime_error():
    class Early(nn.Module):
        def __init__(self) -> None:
            self.weight = nn.Parameter(np.ones(2))
            super().__init__()

    with pytest.raises(RuntimeError, match=r"Early.*'weight'.*super\(\)\.__init__\(\)"):
        Early()


def test_plain_settings_may_be_assigned_before_super_init():
    class Configured(nn.Module):
        def __init__(self) -> None:
            self.hidden = 3  # not a parameter or module: nothing to register
            super().__init__()
            self.layer = nn.Linear(2, self.hidden)

    model = Configured()
    assert model.hidden == 3
    assert [name for name, _ in model.named_parameters()] == ["layer.weight", "layer.bias"]


def test_slicing_a_container_gives_a_container_of_the_same_modules():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)]
    head = nn.Sequential(*layers)[1:]
    assert type(head) is nn.Sequential and list(head) == layers[1:]
    assert head(tg.ones((4, 2))).shape == (4, 1)
    assert type(nn.MLP([2, 3, 1])[:1]) is nn.Sequential
    sliced = nn.ModuleList(layers)[::2]
    assert type(sliced) is nn.ModuleList and list(sliced) == layers[::2]


def test_a_module_without_forward_raises_not_implemented():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward must define forward"):
        NoForward()(tg.ones(2))
    with pytest.raises(NotImplementedError, match="Module"):
        nn.Module()(tg.ones(2))


def test_call_runs_forward_with_its_arguments():
    class Affine(nn.Module):
        def forward(self, x: Any, scale: float = 1.0, *, shift: float = 0.0) -> Any:
            return x * scale + shift

    out = Affine()(tg.tensor([1.0, 2.0]), 3.0, shift=1.0)
    np.testing.assert_array_equal(out.data, [4.0, 7.0])


def test_zero_grad_sets_every_grad_to_none():
    model = Outer()
    model(tg.ones((2, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.zero_grad() is None
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_are_recursive_and_return_self():
    model = Outer()
    model.inner.drop = nn.Sequential(nn.Dropout(0.5))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    assert model.train(False) is model
    assert not any(m.training for m in model.modules())
    # a sub-module can be switched on its own
    model.inner.train()
    assert model.inner.drop[0].training and not model.training and not model.head.training


# =====================================================================================
# state_dict / load_state_dict
# =====================================================================================


def test_state_dict_names_every_parameter_in_order_with_copies_of_the_values():
    model = Outer()
    state = model.state_dict()
    assert list(state) == OUTER_PARAMETERS
    for name, param in model.named_parameters():
        value = np.asarray(state[name])
        np.testing.assert_array_equal(value, param.data)
        assert value.dtype == param.dtype
        assert not np.shares_memory(value, param.data)
        assert not getattr(state[name], "requires_grad", False)


def test_state_dict_is_not_changed_by_training_on():
    model = Outer()
    state = model.state_dict()
    saved = {name: np.array(value) for name, value in state.items()}
    model(tg.ones((2, 2))).sum().backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad + 1.0  # every value changes
    model.head.weight.data[0, 0] = 123.0  # a write straight into the array, too
    for name, value in state.items():
        np.testing.assert_array_equal(np.asarray(value), saved[name])


def test_state_dict_keeps_float32():
    model = nn.MLP([3, 4, 2], dtype=np.float32)
    assert all(np.asarray(v).dtype == np.float32 for v in model.state_dict().values())


def test_load_state_dict_round_trip():
    source, target = Outer(), Outer()
    for p in source.parameters():
        p.data = p.data + rng_for(5).normal(size=p.shape)
    before = {name: p for name, p in target.named_parameters()}
    result = target.load_state_dict(source.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, p), (_, q) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert q is before[name]  # the same Parameter objects, so an optimizer keeps them
        assert not np.shares_memory(p.data, q.data)
    x = tg.Tensor(rng_for(6).normal(size=(3, 2)))
    np.testing.assert_array_equal(source(x).data, target(x).data)


def test_load_state_dict_copies_the_values_and_accepts_arrays_and_lists():
    model = nn.Linear(2, 2)
    weight = np.array([[1.0, 2.0], [3.0, 4.0]])
    model.load_state_dict({"weight": weight, "bias": [5.0, 6.0]})
    weight[0, 0] = -1.0
    np.testing.assert_array_equal(model.weight.data, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(model.bias.data, [5.0, 6.0])


def test_load_state_dict_bumps_the_version_so_an_old_graph_refuses_to_backward():
    model = nn.Linear(2, 1)
    out = model(tg.ones((1, 2))).sum()
    model.load_state_dict(nn.Linear(2, 1).state_dict())
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


def test_load_state_dict_strict_names_missing_and_unexpected_keys():
    model = Outer()
    state = model.state_dict()
    del state["head.bias"]
    state["extra.weight"] = np.zeros(2)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match="load_state_dict") as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "'head.bias'" in message and "'extra.weight'" in message and "strict=False" in message
    for p, old in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, old)


@pytest.mark.parametrize("key", ["inner.gamma", "unknown"])
def test_load_state_dict_strict_fails_on_one_missing_or_unexpected_key(key: str):
    model = Outer()
    state = model.state_dict()
    if key in state:
        del state[key]
    else:
        state[key] = np.zeros(1)
    with pytest.raises(ValueError, match=f"'{key}'"):
        model.load_state_dict(state)


def test_load_state_dict_non_strict_loads_what_matches_and_reports_the_rest():
    model = Outer()
    state = {"alpha": np.array([4.0]), "head.bias": np.array([5.0]), "extra": np.ones(3)}
    result = model.load_state_dict(state, strict=False)
    assert isinstance(result, nn.IncompatibleKeys)
    assert result.missing_keys == [n for n in OUTER_PARAMETERS if n not in state]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.alpha.data, [4.0])
    np.testing.assert_array_equal(model.head.bias.data, [5.0])


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_shape_mismatch_names_the_key_and_changes_nothing(strict: bool):
    model = Outer()
    before = [p.data.copy() for p in model.parameters()]
    state = {name: np.full(np.shape(v), 9.0) for name, v in model.state_dict().items()}
    state["head.weight"] = np.zeros((1, 3))  # the model's is (3, 1)
    with pytest.raises(ValueError, match=r"'head\.weight'.*\(1, 3\).*\(3, 1\)"):
        model.load_state_dict(state, strict=strict)
    for p, old in zip(model.parameters(), before):  # alpha, ... come first: still untouched
        np.testing.assert_array_equal(p.data, old)


def test_load_state_dict_non_numeric_value_is_a_type_error_and_changes_nothing():
    model = nn.Linear(2, 2)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(TypeError, match="'bias'"):
        model.load_state_dict({"weight": np.ones((2, 2)), "bias": np.array(["a", "b"])})
    for p, old in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, old)


@pytest.mark.parametrize("dtype", DTYPES)
def test_load_state_dict_casts_to_each_parameters_dtype(dtype: Any):
    model = nn.Linear(2, 3, dtype=dtype)
    other = np.float32 if dtype == np.float64 else np.float64
    weight = rng_for(0).normal(size=(2, 3)).astype(other)
    model.load_state_dict({"weight": weight, "bias": np.array([1, 2, 3])})  # ints too
    assert model.weight.dtype == dtype and model.bias.dtype == dtype
    np.testing.assert_array_equal(model.weight.data, weight.astype(dtype))
    np.testing.assert_array_equal(model.bias.data, np.array([1.0, 2.0, 3.0], dtype))
    assert model.weight.requires_grad


@pytest.mark.parametrize("state", [[("weight", np.ones((2, 2)))], None, np.ones(3)])
def test_load_state_dict_needs_a_mapping(state: Any):
    with pytest.raises(TypeError, match="load_state_dict.*mapping"):
        nn.Linear(2, 2).load_state_dict(state)


# =====================================================================================
# repr
# =====================================================================================


def test_repr_of_an_mlp():
    assert repr(nn.MLP([2, 3, 1], activation="tanh")) == (
        "MLP(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
        ")"
    )


def test_repr_of_a_nested_custom_module():
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(2, 2, bias=False)
            self.act = nn.LeakyReLU(0.2)
            self.drop = nn.Dropout(0.1)
            self.scale = nn.Parameter(np.ones(2))  # parameters are not listed

    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = Block()
            self.head = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
            self.loss = nn.CrossEntropyLoss(reduction="sum")

        def extra_repr(self) -> str:
            return "factor=2.0"

    assert repr(Scaled()) == (
        "Scaled(\n"
        "  factor=2.0\n"
        "  (block): Block(\n"
        "    (lin): Linear(in_features=2, out_features=2, bias=False)\n"
        "    (act): LeakyReLU(negative_slope=0.2)\n"
        "    (drop): Dropout(p=0.1)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=1, bias=True)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        "  (loss): CrossEntropyLoss(reduction='sum')\n"
        ")"
    )
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"


# =====================================================================================
# Parameter
# =====================================================================================


def test_parameter_requires_grad_and_is_a_leaf_tensor():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf and p.grad is None
    assert p.dtype == np.float64
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_parameter_wraps_an_array_without_copying(dtype: Any):
    array = np.arange(6, dtype=dtype).reshape(2, 3)
    p = nn.Parameter(array)
    assert p.data is array and p.dtype == dtype
    array[0, 0] = 5.0
    assert p.data[0, 0] == 5.0


def test_parameter_from_a_tensor_shares_its_data():
    t = tg.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert np.shares_memory(p.data, t.data) and p.requires_grad and p.is_leaf


@pytest.mark.parametrize(
    "data", [[1, 2], np.array([True, False]), np.arange(3, dtype=np.int32), ["a"]]
)
def test_parameter_of_non_float_data_is_a_type_error(data: Any):
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(data)


def test_parameter_repr():
    assert repr(nn.Parameter([1.0, 2.0])) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    )
    assert repr(nn.Parameter(np.array([[0.5]], dtype=np.float32))) == (
        "Parameter containing:\ntensor([[0.5]], dtype=float32, requires_grad=True)"
    )


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
    seed=SEEDS,
)
def test_linear_gradients_pass_gradcheck(batch, in_features, out_features, bias, seed):
    rng = rng_for(seed)
    layer = nn.Linear(in_features, out_features, bias=bias, rng=rng)
    inputs = [rng.normal(size=(batch, in_features)), layer.weight.data.copy()]
    if bias:
        inputs.append(rng.normal(size=out_features))

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

    grad_output = rng.standard_normal((batch, out_features))
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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "relu": (nn.ReLU(), F.relu, lambda x: np.maximum(x, 0)),
    "tanh": (nn.Tanh(), F.tanh, np.tanh),
    "sigmoid": (nn.Sigmoid(), F.sigmoid, _sigmoid),
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


# =====================================================================================
# Sequential and ModuleList
# =====================================================================================


@pytest.mark.parametrize("container", [nn.Sequential, lambda *m: nn.ModuleList(m)])
def test_container_indexing_len_and_iteration(container: Callable[..., Any]):
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = container(a, b, c)
    assert len(seq) == 3
    assert seq[0] is a and seq[1] is b and seq[2] is c
    assert seq[-1] is c and seq[-3] is a
    assert list(seq) == [a, b, c]
    name = type(seq).__name__
    for index in (3, -4, 100):
        with pytest.raises(IndexError, match=rf"{name}: index {index} is out of range for 3"):
            seq[index]


@pytest.mark.parametrize("container", [nn.Sequential, nn.ModuleList])
def test_container_append_registers_and_rejects_non_modules(container: type):
    seq = container()
    assert len(seq) == 0 and list(seq) == []
    first = nn.Linear(2, 2)
    assert seq.append(first) is seq  # chainable
    seq.append(nn.Tanh()).append(nn.Linear(2, 1))
    assert len(seq) == 3
    assert [name for name, _ in seq.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    assert seq[0] is first
    for bad in (3, nn.Parameter([1.0]), lambda x: x, "ReLU"):
        with pytest.raises(TypeError, match=f"{container.__name__}: expected a Module"):
            seq.append(bad)
    assert len(seq) == 3


def test_container_constructors_reject_non_modules():
    with pytest.raises(TypeError, match="Sequential: expected a Module, got int"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(TypeError, match="ModuleList: expected a Module, got str"):
        nn.ModuleList([nn.ReLU(), "tanh"])
    with pytest.raises(TypeError, match="ModuleList: expected a Module"):
        nn.ModuleList().extend([nn.ReLU(), None])


def test_modulelist_extend_and_nested_registration():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    assert layers.extend(nn.Linear(2, 2) for _ in range(2)) is layers
    assert len(layers) == 3

    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = layers

        def forward(self, x: Any) -> Any:
            for block in self.blocks:
                x = block(x)
            return x

    model = Stack()
    assert [name for name, _ in model.named_parameters()] == [
        f"blocks.{i}.{p}" for i in range(3) for p in ("weight", "bias")
    ]
    x = rng_for(0).normal(size=(2, 2))
    expected = x
    for block in layers:
        expected = expected @ block.weight.data + block.bias.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="ModuleList"):
        layers(x)


def test_sequential_applies_its_modules_in_order():
    seq = nn.Sequential(nn.Linear(3, 2, rng=rng_for(0)), nn.Tanh(), nn.LeakyReLU(0.5))
    x = rng_for(1).normal(size=(4, 3))
    h = np.tanh(x @ seq[0].weight.data)
    np.testing.assert_allclose(seq(x).data, np.where(h > 0, h, 0.5 * h), rtol=1e-12)
    x_tensor = tg.tensor([1.0, -2.0])
    assert nn.Sequential()(x_tensor) is x_tensor


# =====================================================================================
# init
# =====================================================================================


@pytest.mark.parametrize(
    "name, param, expected",
    [
        ("linear", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", 0, math.sqrt(2)),
        ("leaky_relu", 1.0, 1.0),
    ],
)
def test_calculate_gain(name: str, param: float | None, expected: float):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_unknown_nonlinearity():
    with pytest.raises(ValueError, match=r"calculate_gain.*'gelu'.*relu.*tanh"):
        init.calculate_gain("gelu")


SHAPE = (200, 800)  # fan_in = 200 (axis 0, tensorgrad's (in, out) layout), fan_out = 800
FAN_IN, FAN_OUT = SHAPE


def _check_uniform(w: np.ndarray, bound: float) -> None:
    assert np.abs(w).max() <= bound * (1 + 1e-7)  # float32 rounding may touch the edge
    assert np.abs(w).max() > 0.999 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.01)
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)


def _check_normal(w: np.ndarray, std: float, mean: float = 0.0) -> None:
    np.testing.assert_allclose(w.std(), std, rtol=0.01)
    assert abs(w.mean() - mean) < 5 * std / math.sqrt(w.size)


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_uniform(gain: float):
    w = init.xavier_uniform_(tg.zeros(SHAPE), gain=gain, rng=rng_for(0)).data
    _check_uniform(w, gain * math.sqrt(6 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_normal(gain: float):
    w = init.xavier_normal_(tg.zeros(SHAPE), gain=gain, rng=rng_for(0)).data
    _check_normal(w, gain * math.sqrt(2 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize(
    "kwargs, fan, gain",
    [
        ({}, FAN_IN, math.sqrt(2)),  # leaky_relu with slope 0: the ReLU gain
        ({"mode": "fan_out"}, FAN_OUT, math.sqrt(2)),
        ({"nonlinearity": "relu"}, FAN_IN, math.sqrt(2)),
        ({"a": 0.2}, FAN_IN, math.sqrt(2 / 1.04)),
        ({"nonlinearity": "tanh", "mode": "fan_out"}, FAN_OUT, 5 / 3),
        ({"nonlinearity": "linear"}, FAN_IN, 1.0),
    ],
)
def test_kaiming_uniform_and_normal(kwargs: dict, fan: int, gain: float):
    w = init.kaiming_uniform_(tg.zeros(SHAPE), rng=rng_for(0), **kwargs).data
    _check_uniform(w, gain * math.sqrt(3 / fan))
    w = init.kaiming_normal_(tg.zeros(SHAPE), rng=rng_for(1), **kwargs).data
    _check_normal(w, gain / math.sqrt(fan))


def test_fans_of_a_tensor_with_a_receptive_field():
    # (in, out, k1, k2): fan_in = in * k1 * k2, fan_out = out * k1 * k2
    w = init.kaiming_uniform_(tg.zeros((30, 50, 4, 5)), rng=rng_for(0)).data
    _check_uniform(w, math.sqrt(6 / (30 * 20)))
    w = init.xavier_normal_(tg.zeros((30, 50, 4, 5)), rng=rng_for(0)).data
    _check_normal(w, math.sqrt(2 / (80 * 20)))


@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (5.0, 0.1), (-2.0, 3.0)])
def test_normal(mean: float, std: float):
    w = init.normal_(tg.zeros(SHAPE), mean, std, rng=rng_for(0)).data
    _check_normal(w, std, mean)
    default = init.normal_(tg.zeros(SHAPE), rng=rng_for(1)).data
    _check_normal(default, 1.0, 0.0)


def test_uniform():
    w = init.uniform_(tg.zeros(SHAPE), -3.0, 5.0, rng=rng_for(0)).data
    assert w.min() >= -3.0 and w.max() < 5.0
    assert w.min() < -2.99 and w.max() > 4.99
    np.testing.assert_allclose(w.mean(), 1.0, atol=5 * 8 / math.sqrt(12 * w.size))
    default = init.uniform_(tg.zeros(1000), rng=rng_for(1)).data
    assert default.min() >= 0.0 and default.max() < 1.0


def test_zeros():
    t = tg.Tensor(rng_for(0).normal(size=(3, 4)), requires_grad=True)
    assert init.zeros_(t) is t
    np.testing.assert_array_equal(t.data, np.zeros((3, 4)))
    one_d = init.zeros_(tg.ones(5))
    np.testing.assert_array_equal(one_d.data, np.zeros(5))


ALL_INITS = {
    "xavier_uniform_": init.xavier_uniform_,
    "xavier_normal_": init.xavier_normal_,
    "kaiming_uniform_": init.kaiming_uniform_,
    "kaiming_normal_": init.kaiming_normal_,
    "normal_": init.normal_,
    "uniform_": init.uniform_,
    "zeros_": init.zeros_,
}
FAN_INITS = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


@pytest.mark.parametrize("name", FAN_INITS)
@pytest.mark.parametrize("shape", [(5,), ()])
def test_fan_based_init_of_fewer_than_two_axes_is_a_value_error(name: str, shape: tuple):
    with pytest.raises(ValueError, match=rf"{name}.*at least 2 axes.*{re.escape(str(shape))}"):
        ALL_INITS[name](tg.zeros(shape))


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_rejects_an_unknown_mode(name: str):
    with pytest.raises(ValueError, match=f"{name}.*'fan_avg'"):
        ALL_INITS[name](tg.zeros((3, 3)), mode="fan_avg")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ALL_INITS))
def test_init_edits_in_place_keeps_dtype_and_bumps_the_version(name: str, dtype: Any):
    param = nn.Parameter(np.ones((4, 6), dtype=dtype))
    saved = param * param  # an op that saved the old values for backward
    before = version(param)
    assert ALL_INITS[name](param) is param
    assert param.dtype == dtype and param.shape == (4, 6) and param.requires_grad
    assert version(param) > before
    if name != "zeros_":
        assert len(np.unique(param.data)) > 1
    with pytest.raises(RuntimeError, match="modified in place"):
        saved.sum().backward()


@pytest.mark.parametrize("name", sorted(set(ALL_INITS) - {"zeros_"}))
def test_init_is_reproducible_with_a_seeded_rng(name: str):
    a = ALL_INITS[name](tg.zeros((5, 6)), rng=rng_for(3)).data
    b = ALL_INITS[name](tg.zeros((5, 6)), rng=rng_for(3)).data
    np.testing.assert_array_equal(a, b)
    tg.manual_seed(8)
    c = ALL_INITS[name](tg.zeros((5, 6))).data
    tg.manual_seed(8)
    np.testing.assert_array_equal(ALL_INITS[name](tg.zeros((5, 6))).data, c)


# --- rng=: an int seed, a Generator or None, everywhere --------------------------------
# `rng or default_rng()` once ignored the seed 0 (falsy) and crashed on other ints.

RANDOM_MAKERS: dict[str, Callable[[Any], np.ndarray]] = {
    **{
        name: (lambda rng, fn=fn: fn(tg.zeros((5, 6)), rng=rng).data)
        for name, fn in ALL_INITS.items() if name != "zeros_"
    },
    "Linear": lambda rng: nn.Linear(5, 6, rng=rng).weight.data,
    "MLP": lambda rng: np.concatenate(
        [p.data.ravel() for p in nn.MLP([3, 4, 2], rng=rng).parameters()]
    ),
    "dropout": lambda rng: F.dropout(tg.ones(40), 0.5, rng=rng).data,
    "Dropout": lambda rng: nn.Dropout(0.5, rng=rng)(tg.ones(40)).data,
    "rand": lambda rng: tg.rand(3, 4, rng=rng).data,
    "randn": lambda rng: tg.randn(3, 4, rng=rng).data,
}  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, np.int64(12)])
@pytest.mark.parametrize("name", sorted(RANDOM_MAKERS))
def test_an_int_seed_is_a_fresh_generator_whatever_the_global_seed(name: str, seed: Any):
    make = RANDOM_MAKERS[name]
    tg.manual_seed(100)
    a = make(seed)
    tg.manual_seed(200)  # the global generator plays no part
    np.testing.assert_array_equal(make(seed), a)
    np.testing.assert_array_equal(make(np.random.default_rng(int(seed))), a)
    assert not np.array_equal(make(int(seed) + 1), a)


@pytest.mark.parametrize("name", sorted(RANDOM_MAKERS))
def test_rng_none_draws_from_the_global_generator(name: str):
    make = RANDOM_MAKERS[name]
    tg.manual_seed(5)
    a = make(None)
    tg.manual_seed(5)
    np.testing.assert_array_equal(make(None), a)
    assert not np.array_equal(make(None), a)  # the generator moved on


@pytest.mark.parametrize("bad", [1.5, "0", True, [0], np.random.RandomState(0)])
@pytest.mark.parametrize("name", sorted(RANDOM_MAKERS))
def test_a_bad_rng_is_a_type_error_naming_the_function(name: str, bad: Any):
    with pytest.raises(TypeError, match=rf"^{name}: rng must be an int seed, a numpy\.random\."):
        RANDOM_MAKERS[name](bad)


def test_a_negative_seed_is_a_value_error():
    with pytest.raises(ValueError, match=r"MLP: a seed must be a non-negative int, got rng=-1"):
        nn.MLP([2, 2], rng=-1)


def test_dropout_layer_seeded_with_an_int_draws_a_new_mask_each_call():
    layer = nn.Dropout(0.5, rng=0)
    first, second = layer(tg.ones(64)).data, layer(tg.ones(64)).data
    assert not np.array_equal(first, second)
    generator = np.random.default_rng(0)
    for out in (first, second):
        np.testing.assert_array_equal(out, (generator.random(64) >= 0.5) * 2.0)


def test_mlp_layers_draw_one_after_another_from_one_seed():
    model = nn.MLP([3, 4, 2], rng=0)
    generator = np.random.default_rng(0)
    for layer in (model[0], model[2]):
        bound = math.sqrt(6.0 / layer.in_features)
        expected = generator.uniform(-bound, bound, layer.weight.shape)
        np.testing.assert_allclose(layer.weight.data, expected, rtol=1e-14)  # bound's rounding


# =====================================================================================
# clip_grad_norm_
# =====================================================================================


def _params_with_grads(rng: np.random.Generator, dtype: Any = np.float64, scale: float = 1.0):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    params = [nn.Parameter(np.zeros(s, dtype=dtype)) for s in shapes]
    for p in params:
        p.grad = (rng.normal(size=p.shape) * scale).astype(dtype)
    return params


def _concatenated(params: list) -> np.ndarray:
    return np.concatenate([p.grad.astype(np.float64).ravel() for p in params if p.grad is not None])


@pytest.mark.parametrize("norm_type", [2.0, float("inf"), 1.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_norm_returns_the_total_norm_and_clips_above_max(norm_type, dtype):
    params = _params_with_grads(rng_for(0), dtype, scale=3.0)
    grads = [p.grad.copy() for p in params]
    total = np.linalg.norm(_concatenated(params), norm_type)
    max_norm = total / 4
    returned = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(float(returned.item()), total, **tolerance(dtype))
    coef = max_norm / (total + 1e-6)
    for p, g in zip(params, grads):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, g.astype(np.float64) * coef, **tolerance(dtype))
    clipped = np.linalg.norm(_concatenated(params), norm_type)
    np.testing.assert_allclose(clipped, max_norm, rtol=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_clip_grad_norm_leaves_gradients_below_max_untouched(norm_type: float):
    params = _params_with_grads(rng_for(1))
    grads = [p.grad.copy() for p in params]
    total = np.linalg.norm(_concatenated(params), norm_type)
    returned = nn.utils.clip_grad_norm_(params, max_norm=total * 1.01, norm_type=norm_type)
    np.testing.assert_allclose(float(returned.item()), total, rtol=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad, g)


def test_clip_grad_norm_skips_parameters_without_a_gradient():
    params = _params_with_grads(rng_for(2))
    params[1].grad = None
    total = np.linalg.norm(_concatenated(params))
    returned = nn.utils.clip_grad_norm_(iter(params), max_norm=0.5)  # any iterable
    np.testing.assert_allclose(float(returned.item()), total, rtol=1e-12)
    assert params[1].grad is None
    np.testing.assert_allclose(np.linalg.norm(_concatenated(params)), 0.5, rtol=1e-5)
    nothing = nn.utils.clip_grad_norm_([nn.Parameter([1.0])], max_norm=1.0)
    assert float(nothing.item()) == 0.0


def test_clip_grad_norm_accepts_a_single_tensor_and_a_model():
    w = tg.tensor([0.0, 0.0], requires_grad=True)
    w.grad = np.array([3.0, 4.0])
    assert float(nn.utils.clip_grad_norm_(w, max_norm=1.0).item()) == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad, np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-12)
    model = nn.MLP([3, 4, 2], rng=rng_for(0))
    model(tg.ones((2, 3))).sum().backward()
    expected = np.linalg.norm(np.concatenate([p.grad.ravel() for p in model.parameters()]))
    returned = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e-3)
    np.testing.assert_allclose(float(returned.item()), expected, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_clip_grad_norm_error_if_nonfinite(bad: float, norm_type: float):
    params = _params_with_grads(rng_for(3))
    params[2].grad[1, 0, 1] = bad
    grads = [p.grad.copy() for p in params]
    with pytest.raises(RuntimeError, match="clip_grad_norm_.*(nan|inf)"):
        nn.utils.clip_grad_norm_(params, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    for p, g in zip(params, grads):  # raised before touching a gradient
        np.testing.assert_array_equal(p.grad, g)
    with np.errstate(invalid="ignore"):  # clipping an infinite norm scales inf by 0
        returned = nn.utils.clip_grad_norm_(params, 1.0, norm_type=norm_type)
    assert not np.isfinite(float(returned.item()))


@pytest.mark.parametrize("norm_type", [0, -1.0, float("nan"), "two", "", None, True, [2.0]])
def test_clip_grad_norm_rejects_a_bad_norm_type(norm_type: Any):
    params = _params_with_grads(rng_for(4))
    grads = [p.grad.copy() for p in params]
    with pytest.raises(ValueError, match=r"clip_grad_norm_: norm_type must be a positive number"):
        nn.utils.clip_grad_norm_(params, 1e-3, norm_type=norm_type)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("spelling", ["inf", "INF", float("inf"), np.inf])
def test_clip_grad_norm_takes_inf_as_a_float_or_a_string(spelling: Any):
    w = tg.tensor([0.0, 0.0, 0.0], requires_grad=True)
    w.grad = np.array([3.0, -4.0, 1.0])
    returned = nn.utils.clip_grad_norm_([w], max_norm=1.0, norm_type=spelling)
    assert float(returned.item()) == 4.0
    np.testing.assert_allclose(w.grad, np.array([3.0, -4.0, 1.0]) / (4.0 + 1e-6), rtol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_of_huge_float32_gradients_does_not_overflow(norm_type: float):
    # 3e19 squared overflows float32 (max ~3.4e38); the norm is taken in float64, so the
    # gradients are clipped to max_norm rather than scaled by 1 / inf = 0.
    w = tg.tensor(np.zeros(2, np.float32), requires_grad=True)
    w.grad = np.array([3e19, 4e19], np.float32)
    exact = np.linalg.norm(np.array([3e19, 4e19], np.float32).astype(np.float64), norm_type)
    returned = nn.utils.clip_grad_norm_([w], max_norm=1.0, norm_type=norm_type)
    assert returned.shape == () and returned.dtype == np.float64
    np.testing.assert_allclose(float(returned.item()), exact, rtol=1e-12)
    assert w.grad.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(w.grad.astype(np.float64), norm_type), 1.0, rtol=1e-6)


def test_clip_grad_norm_scales_gradients_in_place():
    w = tg.tensor(np.zeros(2, np.float32), requires_grad=True)
    held = np.array([3.0, 4.0], np.float32)
    w.grad = held
    assert float(nn.utils.clip_grad_norm_([w, w], max_norm=1.0).item()) == 5.0  # counted once
    assert w.grad is held
    np.testing.assert_allclose(held, [0.6, 0.8], rtol=1e-6)
    # A read-only gradient cannot be written: it is replaced by a scaled copy instead.
    frozen = np.array([3.0, 4.0])
    frozen.flags.writeable = False
    w2 = tg.tensor([0.0, 0.0], requires_grad=True)
    w2.grad = frozen
    nn.utils.clip_grad_norm_(w2, max_norm=1.0)
    np.testing.assert_array_equal(frozen, [3.0, 4.0])
    np.testing.assert_allclose(w2.grad, np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-12)


# =====================================================================================
# Losses: values against NumPy formulas
# =====================================================================================


def np_log_softmax(x: np.ndarray) -> np.ndarray:
    """The textbook formula, log(exp(x) / sum exp(x)); fine for the moderate logits used."""
    e = np.exp(np.asarray(x, np.float64))
    return np.log(e / e.sum(axis=-1, keepdims=True))


def np_softmax(x: np.ndarray) -> np.ndarray:
    return np.exp(np_log_softmax(x))


def np_reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](loss)


def np_pick(values: np.ndarray, labels: Any) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 0:
        return values[int(labels)]
    return values[np.arange(len(labels)), labels]


def _one_hot(labels: Any, classes: int) -> np.ndarray:
    return np.eye(classes)[np.asarray(labels)]


FUNCTIONS = {
    "mse": (F.mse_loss, nn.MSELoss, "mse_loss"),
    "cross_entropy": (F.cross_entropy, nn.CrossEntropyLoss, "cross_entropy"),
    "nll": (F.nll_loss, nn.NLLLoss, "nll_loss"),
    "bce": (
        F.binary_cross_entropy_with_logits,
        nn.BCEWithLogitsLoss,
        "binary_cross_entropy_with_logits",
    ),
}


def call_loss(kind: str, api: str, input: Any, target: Any, reduction: str) -> Any:
    function, module, _ = FUNCTIONS[kind]
    if api == "function":
        return function(input, target, reduction=reduction)
    return module(reduction=reduction)(input, target)


CLASSIFICATION = ("ce_labels", "ce_probs", "nll")  # one loss per row of logits


def loss_case(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> tuple:
    """(input, target) in float64 for the loss ``kind``, inputs of ``shape``."""
    if kind == "mse":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "bce":
        return rng.normal(size=shape) * 2, rng.uniform(0, 1, size=shape)
    x = rng.normal(size=shape) * 2
    if kind == "ce_probs":
        return x, rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return x, rng.integers(0, shape[-1], size=shape[:-1])  # labels


def loss_formula(kind: str, x: np.ndarray, target: Any) -> np.ndarray:
    """The unreduced loss of ``kind`` at (x, target), in float64."""
    if kind == "mse":
        return (x - target) ** 2
    if kind == "bce":
        s = _sigmoid(x)
        return -target * np.log(s) - (1 - target) * np.log(1 - s)
    if kind == "ce_labels":
        return -np_pick(np_log_softmax(x), target)
    if kind == "ce_probs":
        return -(target * np_log_softmax(x)).sum(axis=-1)
    return -np_pick(x, target)  # nll


def loss_derivative(kind: str, x: np.ndarray, target: Any) -> np.ndarray:
    """d (unreduced loss) / d x, elementwise (for a row of logits: the row's loss)."""
    if kind == "mse":
        return 2 * (x - target)
    if kind == "bce":
        return _sigmoid(x) - target
    if kind == "ce_labels":
        return np_softmax(x) - _one_hot(target, x.shape[-1])
    if kind == "ce_probs":
        return np_softmax(x) * target.sum(axis=-1, keepdims=True) - target
    return -_one_hot(target, x.shape[-1])  # nll


LOSS_KINDS = {  # case name -> (function family, shapes to test)
    "mse": ("mse", [(3, 4), (5,), ()]),
    "bce": ("bce", [(3, 4), (5,), ()]),
    "ce_labels": ("cross_entropy", [(4, 5), (5,), (3, 1)]),
    "ce_probs": ("cross_entropy", [(4, 5), (5,)]),
    "nll": ("nll", [(4, 5), (5,)]),
}
VALUE_CASES = [(kind, shape) for kind, (_, shapes) in LOSS_KINDS.items() for shape in shapes]


def _in_dtype(x: np.ndarray, target: Any, dtype: Any) -> tuple[np.ndarray, Any, np.ndarray, Any]:
    """The inputs in ``dtype``, and the float64 values of those (what the loss sees)."""
    x = x.astype(dtype)
    if np.asarray(target).dtype.kind == "f":  # a float target is cast to the input's dtype
        target = target.astype(dtype)
        return x, target, x.astype(np.float64), target.astype(np.float64)
    return x, target, x.astype(np.float64), target


@pytest.mark.parametrize("api", ["function", "module"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shape", VALUE_CASES, ids=str)
def test_loss_values_match_the_formula(kind, shape, reduction, dtype, api):
    x, target = loss_case(kind, shape, rng_for(0))
    # the float64 target goes in as it is: the loss casts it to the input's dtype
    _, _, x64, target64 = _in_dtype(x, target, dtype)
    expected = np_reduce(loss_formula(kind, x64, target64), reduction)
    out = call_loss(LOSS_KINDS[kind][0], api, tg.Tensor(x.astype(dtype)), target, reduction)
    assert isinstance(out, tg.Tensor)
    assert out.dtype == dtype and out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shape", VALUE_CASES, ids=str)
def test_loss_input_gradient_matches_the_formula(kind, shape, reduction, dtype):
    rng = rng_for(17)
    x, target = loss_case(kind, shape, rng)
    x, target, x64, target64 = _in_dtype(x, target, dtype)
    loss_shape = np.shape(loss_formula(kind, x64, target64))
    # a random upstream gradient: one per loss for "none", a scalar otherwise
    upstream = rng.normal(size=loss_shape if reduction == "none" else ()).astype(dtype)
    x_tensor = tg.Tensor(x, requires_grad=True)
    call_loss(LOSS_KINDS[kind][0], "function", x_tensor, target, reduction).backward(upstream)

    per_loss = np.broadcast_to(upstream.astype(np.float64), loss_shape)
    if reduction == "mean":
        per_loss = per_loss / max(int(np.prod(loss_shape)), 1)
    if kind in CLASSIFICATION:  # the row's weight reaches every logit in the row
        per_loss = per_loss[..., None]
    assert x_tensor.grad.dtype == dtype
    expected = loss_derivative(kind, x64, target64) * per_loss
    np.testing.assert_allclose(x_tensor.grad, expected, **tolerance(dtype))


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
def test_the_default_reduction_is_mean(kind: str):
    function, module, _ = FUNCTIONS[kind]
    classes = kind in ("cross_entropy", "nll")
    x = tg.Tensor(rng_for(0).normal(size=(4, 3)))
    target = [0, 2, 1, 1] if classes else rng_for(1).uniform(0, 1, (4, 3))
    mean = function(x, target, reduction="mean").item()
    assert function(x, target).item() == mean
    assert module()(x, target).item() == mean
    assert module().reduction == "mean"


LABELS = [[1, 2], np.array([1, 2], np.int32), np.array([1, 2], np.uint8), tg.tensor([1, 2])]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", LABELS, ids=["list", "int32", "uint8", "tensor"])
def test_labels_may_be_lists_integer_arrays_or_tensors(labels: Any, dtype: Any):
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype)
    log_p = np_log_softmax(x)
    out = F.cross_entropy(tg.Tensor(x), labels)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.item(), -(log_p[0, 1] + log_p[1, 2]) / 2, **tolerance(dtype))
    out = F.nll_loss(tg.Tensor(x), labels)
    np.testing.assert_allclose(out.item(), -(x[0, 1] + x[1, 2]) / 2, **tolerance(dtype))


@pytest.mark.parametrize("label", [1, np.int64(1), np.array(1)], ids=["int", "int64", "0-d"])
def test_one_sample_takes_a_scalar_label(label: Any):
    x = np.array([1.0, 2.0, 0.5])
    for reduction in REDUCTIONS:
        out = F.cross_entropy(tg.Tensor(x), label, reduction=reduction)
        assert out.shape == ()
        np.testing.assert_allclose(out.item(), -np_log_softmax(x)[1], rtol=1e-12)
        np.testing.assert_allclose(F.nll_loss(tg.Tensor(x), label).item(), -2.0, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_target_may_be_a_list_or_a_tensor(dtype: Any):
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype)
    target = [[0.5, 1.0, -1.0], [2.0, 0.0, 0.25]]
    expected = ((x.astype(np.float64) - target) ** 2).sum()
    for t in (target, tg.Tensor(np.array(target, dtype))):
        out = F.mse_loss(tg.Tensor(x), t, reduction="sum")
        assert out.dtype == dtype
        np.testing.assert_allclose(out.item(), expected, **tolerance(dtype))


@pytest.mark.parametrize(
    "kind, target_dtype, requires_grad",
    [(kind, dtype, requires_grad)
     for kind in ("mse", "bce", "cross_entropy")
     for dtype in (np.float64, np.float32, np.int64)
     for requires_grad in (False, True)
     # integer tensors cannot require grad; integer cross_entropy targets are labels
     if dtype != np.int64 or not (requires_grad or kind == "cross_entropy")],
)  # fmt: skip
def test_a_tensor_target_is_cast_to_the_inputs_dtype_like_an_array(kind, target_dtype,
                                                                   requires_grad):
    # A float64 Tensor target once turned a float32 model's loss into float64, while the
    # same values as an ndarray kept it float32. Only a target that requires grad is left
    # as it is (its own gradient is wanted).
    function = FUNCTIONS[kind][0]
    x = tg.Tensor(np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]], np.float32))
    values = np.array([[0.25, 0.5, 0.25], [1.0, 0.0, 0.0]])
    if target_dtype == np.int64:
        values = np.array([[0, 1, 0], [1, 0, 0]])
    target = tg.Tensor(values.astype(target_dtype), requires_grad=requires_grad)
    out = function(x, target)
    reference = function(x, values.astype(target_dtype))  # the ndarray path
    expected_dtype = np.float64 if requires_grad and target_dtype == np.float64 else np.float32
    assert out.dtype == expected_dtype and reference.dtype == np.float32
    np.testing.assert_allclose(out.item(), reference.item(), rtol=1e-6)
    assert target.dtype == target_dtype  # the caller's tensor is not changed
    if requires_grad:
        out.backward()
        assert target.grad is not None and target.grad.dtype == target_dtype


@pytest.mark.parametrize(
    "shape, labels", [((3, 4), np.array([0.0, 1.0, 3.0])), ((4,), 2.0), ((2, 3), [1.0, 0.0])]
)
def test_float_class_labels_get_the_astype_hint(shape, labels):
    # Labels of the right shape but a float dtype once got a hint to reshape them.
    hint = r"class labels must be integers: use y\.astype\(np\.int64\)"
    for target in (labels, tg.tensor(labels)):
        with pytest.raises(ValueError, match=rf"cross_entropy: .*{hint}") as info:
            F.cross_entropy(tg.ones(shape), target)
        assert "reshape" not in str(info.value)
        with pytest.raises(TypeError, match=rf"nll_loss: .*{hint}"):
            F.nll_loss(tg.ones(shape), target)
    with pytest.raises(TypeError, match=rf"nll_loss: .*{hint}"):  # bools too
        F.nll_loss(tg.ones((2, 3)), np.array([True, False]))


def test_cross_entropy_probabilities_need_not_sum_to_one():
    x = np.array([[0.3, -1.2, 2.0]])
    t = np.array([[0.5, 0.5, 1.0]])  # e.g. label smoothing gone wrong: still the formula
    out = F.cross_entropy(tg.Tensor(x), t, reduction="sum")
    np.testing.assert_allclose(out.item(), -(t * np_log_softmax(x)).sum(), rtol=1e-12)


# =====================================================================================
# Losses: stability for huge logits
# =====================================================================================


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_is_exact_for_logits_of_size_1e4(reduction: str, dtype: Any):
    x = tg.Tensor(
        np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4], [1e4, 0.0, 0.0]], dtype),
        requires_grad=True,
    )
    labels = [1, 0, 2, 0]
    # loss = logsumexp(row) - row[label]; every other exp(gap) with gap <= -1e4 is exactly 0
    # in floating point, so logsumexp is the max plus log(number of entries tied at it).
    loss = np.array([1e4 + 1e4, 1e4 + math.log(2), math.log(3), 0.0])
    softmax = np.array([[1, 0, 0], [0, 0.5, 0.5], [1 / 3] * 3, [1, 0, 0]])
    out = F.cross_entropy(x, labels, reduction=reduction)
    np.testing.assert_allclose(out.data, np_reduce(loss, reduction), **tolerance(dtype))
    out.backward(np.ones(out.shape, dtype))
    weight = 1 / 4 if reduction == "mean" else 1.0
    expected = (softmax - _one_hot(labels, 3)) * weight
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, expected, **tolerance(dtype))

    # the same logits against class probabilities
    x.grad = None
    t = np.array([[0.25, 0.75, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0]])
    log_softmax = np.array(
        [
            [0.0, -2e4, -1e4],
            [-1e4 - math.log(2), -math.log(2), -math.log(2)],
            [-math.log(3)] * 3,
            [0.0, -1e4, -1e4],
        ]
    )
    loss = -(t * log_softmax).sum(axis=1)
    out = F.cross_entropy(x, t, reduction=reduction)
    np.testing.assert_allclose(out.data, np_reduce(loss, reduction), **tolerance(dtype))
    out.backward(np.ones(out.shape, dtype))
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, (softmax - t) * weight, **tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_is_exact_for_logits_of_size_1e4(reduction: str, dtype: Any):
    x = tg.Tensor(np.array([1e4, -1e4, 1e4, -1e4, 1e4], dtype), requires_grad=True)
    t = np.array([1.0, 1.0, 0.0, 0.25, 0.5])
    # loss = log(1 + exp(x)) - t x, and log(1 + exp(x)) is exactly max(x, 0) at |x| = 1e4
    loss = np.maximum(x.data.astype(np.float64), 0) - t * x.data
    np.testing.assert_allclose(loss, [0.0, 1e4, 1e4, 2500.0, 5000.0])
    out = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
    assert np.isfinite(out.data).all()
    np.testing.assert_allclose(out.data, np_reduce(loss, reduction), **tolerance(dtype))
    out.backward(np.ones(out.shape, dtype))
    weight = 1 / 5 if reduction == "mean" else 1.0
    sigmoid = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, (sigmoid - t) * weight, **tolerance(dtype))


# =====================================================================================
# Losses: gradients and second derivatives on hypothesis-drawn shapes
# =====================================================================================


@st.composite
def classification(draw: st.DrawFn) -> tuple[tuple[int, ...], np.random.Generator]:
    """(logits shape: (N, C) or (C,), generator)."""
    classes = draw(st.integers(1, 5))
    batched = draw(st.booleans())
    shape = (draw(st.integers(1, 4)), classes) if batched else (classes,)
    return shape, rng_for(draw(SEEDS))


@st.composite
def elementwise(draw: st.DrawFn) -> tuple[tuple[int, ...], np.random.Generator]:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    return shape, rng_for(draw(SEEDS))


def loss_problem(kind: str, shape: tuple[int, ...], rng: np.random.Generator, reduction: str):
    """(function of the differentiable inputs, those inputs, upstream gradient)."""
    x, target = loss_case(kind, shape, rng)
    function = FUNCTIONS[LOSS_KINDS[kind][0]][0]
    if kind in ("ce_labels", "nll"):  # integer labels are not differentiable
        inputs = [x]

        def f(x: Any) -> Any:
            return function(x, target, reduction=reduction)

    else:
        inputs = [x, target]

        def f(x: Any, t: Any) -> Any:
            return function(x, t, reduction=reduction)

    out_shape = np.shape(loss_formula(kind, x, target)) if reduction == "none" else ()
    return f, inputs, rng.standard_normal(out_shape)


GRAD_KINDS = [("mse", elementwise), ("bce", elementwise)] + [
    (kind, classification) for kind in ("ce_labels", "ce_probs", "nll")
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shapes", GRAD_KINDS, ids=lambda v: getattr(v, "__name__", v))
@given(data=st.data())
def test_loss_gradients_pass_gradcheck(kind, shapes, reduction, data):
    shape, rng = data.draw(shapes())
    f, inputs, grad_output = loss_problem(kind, shape, rng, reduction)
    assert tg.gradcheck(f, inputs, grad_output=grad_output, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shapes", GRAD_KINDS, ids=lambda v: getattr(v, "__name__", v))
@given(data=st.data())
def test_loss_second_derivatives_pass_gradgradcheck(kind, shapes, reduction, data):
    shape, rng = data.draw(shapes())
    f, inputs, grad_output = loss_problem(kind, shape, rng, reduction)
    assert tg.gradgradcheck(f, inputs, grad_output=grad_output, atol=1e-6, rtol=1e-5)


def test_bce_hessian_is_sigmoid_times_one_minus_sigmoid():
    x = np.array([-3.0, -0.5, 0.0, 2.0, 1e4])

    def loss(logits: tg.Tensor) -> tg.Tensor:
        return F.binary_cross_entropy_with_logits(logits, np.full(5, 0.3), reduction="sum")

    # The Hessian is diagonal, so its product with ones is the diagonal.
    hessian_diagonal = tg.hvp(loss, x, np.ones(5)).data
    s = _sigmoid(x)
    np.testing.assert_allclose(hessian_diagonal, s * (1 - s), rtol=1e-12, atol=1e-300)


def test_cross_entropy_hessian_is_diag_p_minus_p_p_transpose():
    x = np.array([0.5, -1.0, 2.0, 0.0])
    v = np.array([1.0, -2.0, 0.5, 3.0])
    product = tg.hvp(lambda logits: F.cross_entropy(logits, 2, reduction="sum"), x, v)
    p = np_softmax(x)
    np.testing.assert_allclose(product.data, (np.diag(p) - np.outer(p, p)) @ v, rtol=1e-12)


# =====================================================================================
# Losses: errors
# =====================================================================================


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
@pytest.mark.parametrize("reduction", ["avg", "MEAN", None, ""])
def test_unknown_reduction_is_a_value_error_naming_the_op(kind: str, reduction: Any):
    function, module, name = FUNCTIONS[kind]
    x = tg.ones((2, 3))
    target = [0, 1] if kind in ("cross_entropy", "nll") else np.ones((2, 3))
    with pytest.raises(ValueError, match=rf"{name}: unknown reduction {reduction!r}"):
        function(x, target, reduction=reduction)
    with pytest.raises(ValueError, match=rf"{module.__name__}: unknown reduction"):
        module(reduction=reduction)


@pytest.mark.parametrize("function", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize(
    "shape, labels",
    [((3, 4), [[0], [1], [2]]), ((3, 4), [0, 1]), ((3, 4), [0, 1, 2, 3]), ((3, 4), 1), ((4,), [1])],
)
def test_wrong_label_shape_is_a_value_error(function, shape, labels):
    name = function.__name__
    expected = re.escape(str(shape[:-1]))
    with pytest.raises(ValueError, match=rf"{name}.*labels of shape {expected}"):
        function(tg.ones(shape), labels)


@pytest.mark.parametrize("function", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("bad", [-1, 4, 7, -100])
def test_out_of_range_labels_are_an_index_error_naming_the_label(function, bad: int):
    name = function.__name__
    labels = [0, 3, bad]
    with pytest.raises(IndexError, match=rf"{name}: label {bad} at position \(2,\).*4 classes"):
        function(tg.ones((3, 4)), labels)
    with pytest.raises(IndexError, match=rf"{name}: label {bad}"):
        function(tg.ones(4), bad)


@pytest.mark.parametrize("function", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize(
    "target", [np.array([True, False]), [True, False], np.array(["a", "b"]), ["0", "1"]]
)
def test_bool_or_str_labels_are_a_type_error(function, target):
    with pytest.raises(TypeError, match=rf"{function.__name__}: target must hold"):
        function(tg.ones((2, 3)), target)


@pytest.mark.parametrize(
    "function", [F.mse_loss, F.binary_cross_entropy_with_logits, F.cross_entropy]
)
@pytest.mark.parametrize("target", [np.array(["a", "b", "c"]), ["x", "y", "z"]])
def test_str_targets_are_a_type_error(function, target):
    with pytest.raises(TypeError, match=rf"{function.__name__}: target must hold"):
        function(tg.ones(3), target)


def test_float_target_to_nll_loss_is_a_type_error():
    with pytest.raises(TypeError, match="nll_loss: target must hold integer class labels"):
        F.nll_loss(tg.ones((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="nll_loss"):
        F.nll_loss(tg.ones((2, 3)), np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("kind", ["mse", "bce", "cross_entropy"])
@pytest.mark.parametrize(
    "shapes", [((3, 1), (3,)), ((3,), (3, 1)), ((2, 3), (2, 4)), ((2, 3), (3,))]
)
def test_mismatched_shapes_are_a_value_error(kind: str, shapes: tuple):
    function, module, name = FUNCTIONS[kind]
    input_shape, target_shape = shapes
    message = rf"{name}: input has shape {re.escape(str(input_shape))} but target has shape"
    with pytest.raises(ValueError, match=message):
        function(tg.ones(input_shape), np.full(target_shape, 0.5))
    with pytest.raises(ValueError, match=name):
        module()(tg.ones(input_shape), tg.Tensor(np.full(target_shape, 0.5)))


@pytest.mark.parametrize("function", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 1, 1, 2), ()])
def test_logits_must_be_one_or_two_dimensional(function, shape: tuple):
    with pytest.raises(ValueError, match=rf"{function.__name__}: input must have shape \(N, C\)"):
        function(tg.ones(shape), np.zeros(shape[:-1], dtype=np.int64))


@pytest.mark.parametrize("max_norm", [-1.0, float("nan")])
def test_clip_grad_norm_refuses_a_negative_or_nan_max_norm(max_norm: float):
    w = tg.tensor([1.0], requires_grad=True)
    w.grad = np.array([3.0])
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be >= 0"):
        nn.utils.clip_grad_norm_([w], max_norm)
    assert w.grad[0] == 3.0
