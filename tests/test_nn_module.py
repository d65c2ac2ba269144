"""tensorgrad.nn's Module: what it registers and in which order, how assignment and del
change that, train/eval, zero_grad, repr; Parameter; the Sequential and ModuleList
containers. Saving and loading parameters is in test_nn_state_dict.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from nn_helpers import DTYPES, OUTER_PARAMETERS, Inner, Outer, rng_for

import tensorgrad as tg
from tensorgrad import nn

# =====================================================================================
# Module: registration, traversal, modes
# =====================================================================================


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
