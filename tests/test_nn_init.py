"""tensorgrad.nn.init: gains, the fan-based and plain initialisers (bounds, spread and
mean from their formulas), in-place edits, and rng= (an int seed, a Generator or None)
everywhere tensorgrad draws random numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from nn_helpers import DTYPES, rng_for

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn
from tensorgrad.autograd import version
from tensorgrad.nn import init

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
