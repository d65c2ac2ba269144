"""Module.state_dict and load_state_dict: names in order, copies, dtypes, strict and
non-strict loading, and refusals that leave the model unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from nn_helpers import DTYPES, OUTER_PARAMETERS, Outer, rng_for

import tensorgrad as tg
from tensorgrad import nn

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
