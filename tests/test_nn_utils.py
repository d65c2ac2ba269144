"""tensorgrad.nn.utils.clip_grad_norm_: the total norm it returns, how it clips, and the
arguments it refuses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from nn_helpers import DTYPES, rng_for, tolerance

import tensorgrad as tg
from tensorgrad import nn

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


@pytest.mark.parametrize("max_norm", [-1.0, float("nan")])
def test_clip_grad_norm_refuses_a_negative_or_nan_max_norm(max_norm: float):
    w = tg.tensor([1.0], requires_grad=True)
    w.grad = np.array([3.0])
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be >= 0"):
        nn.utils.clip_grad_norm_([w], max_norm)
    assert w.grad[0] == 3.0
