"""The backward engine: accumulation, graph lifetime, grad mode, anomalies, the where guard,
dtypes and broadcasting of gradients, defining an op, and run_backward's roots and inputs.

In-place edits and the version counter are in test_inplace.py."""

from __future__ import annotations

import gc
import inspect
import os
import re
import sys
import weakref

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function, _Spec, run_backward

THIS_FILE = os.path.basename(__file__)


def _next_line() -> int:
    """The line number just after the caller's line (where the op under test is called)."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


# --- accumulation -----------------------------------------------------------------------


def test_tensor_used_twice_gets_the_sum():
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_tensor_used_on_two_paths_gets_the_sum():
    x = tg.tensor([0.5, 2.0], requires_grad=True)
    y = x * 3.0
    (y + x + tg.exp(x)).sum().backward()
    np.testing.assert_allclose(x.grad, 4.0 + np.exp(x.data))


def test_two_backward_calls_with_retain_graph_accumulate():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, 3 * x.data**2)
    y.backward()
    np.testing.assert_allclose(x.grad, 6 * x.data**2)


def test_two_separate_graphs_accumulate_into_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad, [7.0, 7.0])


def test_non_leaf_tensors_keep_no_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = tg.exp(y)
    out = (z * 3.0).sum()
    out.backward()
    assert not y.is_leaf and not z.is_leaf and not out.is_leaf
    assert y.grad is None
    assert z.grad is None
    assert out.grad is None
    np.testing.assert_allclose(x.grad, 6.0 * np.exp(2.0 * x.data))


def test_leaf_that_does_not_require_grad_gets_no_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad, c.data)


# --- deep graphs ------------------------------------------------------------------------


@pytest.fixture
def default_recursion_limit():
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def test_chain_of_100000_ops_backpropagates(default_recursion_limit):
    scale, shift, pairs = 1.00001, 0.5, 50_000
    x = tg.tensor([0.3], requires_grad=True)
    y = x
    for _ in range(pairs):
        y = y * scale
        y = y + shift
    y.sum().backward()
    # y = scale**N x + const, so dy/dx = scale**N.
    np.testing.assert_allclose(x.grad, [scale**pairs], rtol=1e-9)


def test_chain_of_100000_mixed_ops_matches_numpy_loop(default_recursion_limit):
    x0 = np.array([0.2, -0.7, 1.1])
    w = np.array([0.9, 1.05, -1.0])
    x = tg.tensor(x0, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = tg.sin(y)
        y = y * w
    y.sum().backward()

    value, derivative = x0.copy(), np.ones_like(x0)
    for _ in range(50_000):
        derivative = derivative * np.cos(value) * w
        value = np.sin(value) * w
    np.testing.assert_allclose(y.data, value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, derivative, rtol=1e-8, atol=1e-300)


# --- graph lifetime -----------------------------------------------------------------------


def test_saved_buffers_released_after_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = x * c
    h = tg.exp(y)
    mul_node, exp_node = y.grad_fn, h.grad_fn
    assert mul_node.inputs is not None
    assert exp_node.out is not None
    h.sum().backward()
    assert mul_node.inputs is None
    assert exp_node.out is None


def test_intermediate_array_dies_after_backward_without_gc():
    x = tg.tensor(np.linspace(-1, 1, 50), requires_grad=True)
    h = tg.exp(x)  # saves its output
    ref = weakref.ref(h.data)
    y = (h * 2.0).sum()  # saves h as an input
    del h
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        assert ref() is not None  # the graph keeps it for backward
        y.backward()
        assert ref() is None
    finally:
        if was_enabled:
            gc.enable()
    np.testing.assert_allclose(x.grad, 2.0 * np.exp(x.data))


def test_buffers_released_during_backward_before_earlier_nodes_run():
    refs: list[weakref.ref] = []
    seen: list[bool] = []

    class Probe(Function):
        def forward(ctx, x):
            return x.copy()

        def backward(ctx, grad, xp):
            seen.append(refs[0]() is None)
            return (grad,)

    x = tg.tensor([0.1, 0.2, 0.3], requires_grad=True)
    p = Probe.apply(x)
    h = tg.exp(p)
    refs.append(weakref.ref(h.data))
    y = (h * 3.0).sum()
    del h
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        y.backward()
    finally:
        if was_enabled:
            gc.enable()
    # By the time the first op's rule runs, the later ops have released their buffers.
    assert seen == [True]
    np.testing.assert_allclose(x.grad, 3.0 * np.exp(x.data))


def test_retain_graph_keeps_buffers_and_second_backward_doubles():
    x = tg.tensor([0.5, -1.5], requires_grad=True)
    h = tg.exp(x)
    y = (h * x).sum()
    y.backward(retain_graph=True)
    assert h.grad_fn.out is not None
    first = x.grad.copy()
    np.testing.assert_allclose(first, np.exp(x.data) * (1 + x.data))
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_second_backward_on_freed_graph_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (tg.exp(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_after_retain_then_free_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.data)


def test_backward_through_freed_shared_subgraph_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = tg.exp(x)
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 2.0).sum().backward()


def test_a_detached_tensor_does_not_keep_the_graph_alive() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    t = w.exp()
    saved = weakref.ref(t.data)  # exp saves its output: the graph holds this array
    detached = (t * w).detach()
    del t
    gc.collect()
    assert saved() is None
    np.testing.assert_allclose(detached.data, np.exp([1.0, 2.0]) * [1.0, 2.0])


# --- grad mode --------------------------------------------------------------------------


def test_no_grad_records_nothing():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = tg.exp(x * 2.0).sum()
    assert tg.is_grad_enabled()
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert y.is_leaf
    np.testing.assert_allclose(y.data, np.exp(2 * x.data).sum())


def test_enable_grad_inside_no_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            z = (x * 3.0).sum()
        assert not tg.is_grad_enabled()
        w = x * 3.0
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad and w.grad_fn is None
    z.backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_grad_mode_restored_after_exceptions():
    with pytest.raises(KeyError):
        with tg.no_grad():
            raise KeyError("boom")
    assert tg.is_grad_enabled()
    with tg.no_grad():
        with pytest.raises(KeyError):
            with tg.enable_grad():
                raise KeyError("boom")
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_errors_inside_ops_do_not_leave_grad_disabled():
    with pytest.raises(ValueError):
        with tg.no_grad():
            tg.ones((2, 3)) + tg.ones((4,))
    assert tg.is_grad_enabled()


# --- detect_anomaly ---------------------------------------------------------------------


def test_detect_anomaly_forward_names_op_and_user_line():
    x = tg.tensor([-1.0, 2.0])
    with np.errstate(invalid="ignore"), tg.detect_anomaly():
        line = _next_line()
        with pytest.raises(FloatingPointError) as info:
            tg.log(x)
    message = str(info.value)
    assert "log" in message
    assert "NaN" in message
    assert THIS_FILE in message
    # The op call is the line after the `with pytest.raises` line.
    assert f"line {line + 1}" in message


def test_detect_anomaly_forward_infinity():
    x = tg.tensor([1000.0], requires_grad=True)
    with np.errstate(over="ignore"), tg.detect_anomaly():
        with pytest.raises(FloatingPointError, match="exp") as info:
            tg.exp(x)
    assert THIS_FILE in str(info.value)
    assert "inf" in str(info.value)


def test_detect_anomaly_backward_names_op_and_creation_line():
    x = tg.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"), tg.detect_anomaly():
        line = _next_line()
        y = tg.sqrt(x).sum()
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert "sqrt" in message
    assert "backward" in message
    assert THIS_FILE in message
    assert f"line {line}" in message


def test_no_anomaly_error_outside_detect_anomaly():
    with np.errstate(all="ignore"):
        assert np.isnan(tg.log(tg.tensor([-1.0])).data).all()
        x = tg.tensor([0.0], requires_grad=True)
        tg.sqrt(x).sum().backward()
    assert np.isinf(x.grad).all()


def test_detect_anomaly_mode_ends_with_the_block():
    with tg.detect_anomaly():
        tg.log(tg.tensor([2.0]))
    with np.errstate(invalid="ignore"):
        out = tg.log(tg.tensor([-2.0]))
    assert np.isnan(out.data).all()


def test_detect_anomaly_restored_after_exception():
    with pytest.raises(FloatingPointError):
        with np.errstate(invalid="ignore"), tg.detect_anomaly():
            tg.sqrt(tg.tensor([-1.0]))
    with np.errstate(invalid="ignore"):
        assert np.isnan(tg.sqrt(tg.tensor([-1.0])).data).all()


def test_detect_anomaly_passes_finite_computations():
    x = tg.tensor([0.5, 2.0], requires_grad=True)
    with tg.detect_anomaly():
        (tg.log(x) * tg.sqrt(x)).sum().backward()
    expected = np.sqrt(x.data) / x.data + np.log(x.data) / (2 * np.sqrt(x.data))
    np.testing.assert_allclose(x.grad, expected)


def test_detect_anomaly_sees_an_infinite_gradient_of_a_0d_tensor() -> None:
    x = tg.tensor(0.0, requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="sqrt"):
        tg.sqrt(x).backward()


# --- the where NaN policy ---------------------------------------------------------------

POINTS = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])


def _where_grad(build, points=POINTS):
    x = tg.tensor(points, requires_grad=True)
    with np.errstate(all="ignore"):
        build(x).sum().backward()
    return x.grad


def test_where_sqrt_gradient_is_finite_everywhere():
    grad = _where_grad(lambda x: tg.where(x > 0, tg.sqrt(x), 0))
    expected = np.where(POINTS > 0, 0.5 / np.sqrt(np.abs(POINTS) + (POINTS <= 0)), 0)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, expected)


def test_where_log_gradient_is_finite_everywhere():
    grad = _where_grad(lambda x: tg.where(x > 0, tg.log(x), 0))
    expected = np.array([0.0, 0.0, 0.0, 2.0, 1 / 3])
    np.testing.assert_allclose(grad, expected)


def test_where_division_gradient_is_finite_everywhere():
    grad = _where_grad(lambda x: tg.where(x != 0, 1 / x, 0))
    safe = np.where(POINTS != 0, POINTS, 1.0)
    expected = np.where(POINTS != 0, -1 / safe**2, 0)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, expected)


def test_where_sinc_gradient_is_finite_at_zero():
    grad = _where_grad(lambda x: tg.where(x != 0, tg.sin(x) / x, 1.0))
    safe = np.where(POINTS != 0, POINTS, 1.0)
    expected = np.where(POINTS != 0, (safe * np.cos(safe) - np.sin(safe)) / safe**2, 0)
    np.testing.assert_allclose(grad, expected)


def test_where_exp_overflow_gradient_is_finite():
    points = np.array([1000.0, 1.0, -3.0])
    grad = _where_grad(lambda x: tg.where(x < 100, tg.exp(x), 0), points)
    np.testing.assert_allclose(grad, [0.0, np.e, np.exp(-3.0)])


def test_where_pow_gradient_is_finite_everywhere():
    grad = _where_grad(lambda x: tg.where(x > 0, x**0.5, 0))
    expected = np.array([0.0, 0.0, 0.0, 0.5 / np.sqrt(0.5), 0.5 / np.sqrt(3.0)])
    np.testing.assert_allclose(grad, expected)


def test_where_pow_with_tensor_exponent_gradient_is_finite():
    grad = _where_grad(lambda x: tg.where(x > 0, x**x, 1.0))
    safe = np.where(POINTS > 0, POINTS, 1.0)
    expected = np.where(POINTS > 0, safe**safe * (np.log(safe) + 1), 0)
    np.testing.assert_allclose(grad, expected)


def test_where_with_bool_array_condition_and_false_branch():
    x = tg.tensor(POINTS, requires_grad=True)
    mask = POINTS <= 0
    with np.errstate(all="ignore"):
        tg.where(mask, 0.0, tg.log(x)).sum().backward()
    expected = np.where(POINTS > 0, 1 / np.where(POINTS > 0, POINTS, 1.0), 0)
    np.testing.assert_allclose(x.grad, expected)


def test_where_x_log_x_gradient_is_finite_everywhere():
    # The entropy term x log x, guarded at x <= 0: the unselected branch multiplies
    # 0 by log(0) = -inf (and by NaN for x < 0) in the product rule.
    grad = _where_grad(lambda x: tg.where(x > 0, x * tg.log(x), 0))
    safe = np.where(POINTS > 0, POINTS, 1.0)
    expected = np.where(POINTS > 0, np.log(safe) + 1, 0)
    assert np.isfinite(grad).all(), grad
    np.testing.assert_allclose(grad, expected)


def test_where_exp_overflow_times_x_gradient_is_finite():
    points = np.array([1000.0, 1.0])
    grad = _where_grad(lambda x: tg.where(x < 100, tg.exp(x) * x, 0), points)
    assert np.isfinite(grad).all(), grad
    np.testing.assert_allclose(grad, [0.0, 2 * np.e])


def test_where_over_a_matrix_product_lets_no_nan_through() -> None:
    x = tg.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)  # log(0) = -inf in row 0
    w = tg.tensor([[1.0], [2.0]], requires_grad=True)
    keep = np.array([[False], [True]])
    tg.where(keep, tg.log(x) @ w, 0.0).sum().backward()
    assert np.isfinite(w.grad).all() and np.isfinite(x.grad).all()
    np.testing.assert_allclose(w.grad, np.log([[2.0], [3.0]]))
    np.testing.assert_allclose(x.grad, [[0.0, 0.0], [1 / 2, 2 / 3]])


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


# --- dtypes, aliasing, broadcasting -----------------------------------------------------


def test_float32_leaf_gets_float32_grad_from_float64_op():
    a = tg.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    b = np.array([0.5, 0.25, 2.0])  # float64
    y = (a * b).sum()
    assert y.dtype == np.float64
    y.backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad, b)


def test_float32_leaf_gets_float32_grad_through_astype_and_float64_tensor():
    a = tg.tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)  # float64
    y = (tg.exp(a.astype(np.float64)) * w + a * w).sum()
    assert y.dtype == np.float64
    y.backward()
    assert a.grad.dtype == np.float32
    assert w.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, (np.exp(a.data.astype(np.float64)) + 1) * w.data, rtol=1e-6)


def test_leaf_grads_are_not_aliased():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 10.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(a.grad, [11.0, 11.0])


def test_leaf_grads_are_not_aliased_with_user_grad_or_each_other():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    upstream = np.array([1.0, 2.0])
    (a + b).backward(upstream)
    assert not np.shares_memory(a.grad, upstream)
    assert not np.shares_memory(b.grad, upstream)
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])
    np.testing.assert_array_equal(upstream, [1.0, 2.0])


def test_leaf_grad_is_writable_after_sum():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a.sum().backward()
    a.grad[0, 0] = 5.0
    np.testing.assert_array_equal(a.grad, [[5.0, 1.0], [1.0, 1.0]])


def test_broadcasting_is_undone_in_leaf_grads():
    a_values = np.array([[1.0], [2.0], [3.0]])
    b_values = np.array([0.5, -1.0, 2.0, 4.0])
    a = tg.tensor(a_values, requires_grad=True)
    b = tg.tensor(b_values, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad, np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad, np.full(4, 3.0))

    a.zero_grad()
    b.zero_grad()
    upstream = np.arange(12.0).reshape(3, 4)
    (a * b).backward(upstream)
    np.testing.assert_allclose(a.grad, (upstream * b_values).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(b.grad, (upstream * a_values).sum(axis=0))


def test_broadcasting_of_scalar_and_leading_axes():
    s = tg.tensor(2.0, requires_grad=True)
    m = tg.tensor(np.ones((1, 3)), requires_grad=True)
    x = np.arange(24.0).reshape(2, 4, 3)
    (s * m * x).sum().backward()
    assert s.grad.shape == () and m.grad.shape == (1, 3)
    np.testing.assert_allclose(s.grad, x.sum())
    np.testing.assert_allclose(m.grad, 2.0 * x.sum(axis=(0, 1)).reshape(1, 3))


# --- defining an op: what ctx is, what apply accepts, what is released ------------------


def _all_ops() -> list[type[Function]]:
    found, stack = [], list(Function.__subclasses__())
    while stack:
        op = stack.pop()
        found.append(op)
        stack.extend(op.__subclasses__())
    return [op for op in found if op.__module__.startswith("tensorgrad.")]


@pytest.mark.parametrize("op", _all_ops(), ids=lambda op: op.__name__)
def test_every_builtin_op_names_what_forward_keeps_on_ctx(op: type[Function]) -> None:
    source = inspect.getsource(op.forward)
    kept = set(re.findall(r"ctx\.(\w+)\s*=[^=]", source))
    kept |= {m for pair in re.findall(r"ctx\.(\w+), ctx\.(\w+) =", source) for m in pair}
    spec = _Spec(op)
    assert kept <= set(spec.constants), f"{op.__name__} keeps {kept - set(spec.constants)}"
    # An op that says it keeps nothing leaves the node's __dict__ alone: no cost per node.
    assert spec.clears == bool(spec.constants)


class _Scale(Function):
    """d/dx (factor * x) = factor: a parameter kept on ctx without declaring it."""

    gain = 1.0

    def forward(ctx, x, factor):
        ctx.factor = np.asarray(factor * ctx.op.gain)
        return x * ctx.factor

    def backward(ctx, grad, xp):  # factor is an input when passed by position
        return (grad * ctx.factor,) + (None,) * (len(ctx.parents) - 1)


class _OldStyle(Function):
    """relu, with its mask declared the older way, in __slots__."""

    __slots__ = ("mask",)

    def forward(ctx, x):
        ctx.mask = (x > 0).astype(x.dtype)
        return x * ctx.mask

    def backward(ctx, grad, xp):
        return (grad * ctx.mask,)


def test_apply_takes_parameters_by_keyword_and_ctx_reaches_the_class_through_op() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = _Scale.apply(x, factor=3.0)
    np.testing.assert_array_equal(y.data, [3.0, 6.0])
    assert y.grad_fn.op is _Scale and y.grad_fn.name == "_scale"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert tg.ops.shape.Reshape.apply(x, shape=(2, 1)).shape == (2, 1)


def test_apply_with_the_wrong_number_of_operands_names_the_op() -> None:
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^neg: .*input shapes \(2,\), \(2,\)"):
        tg.ops.elementwise.Neg.apply(x, x)


@pytest.mark.parametrize("op", [_Scale, _OldStyle], ids=lambda op: op.__name__)
def test_what_an_op_keeps_on_ctx_is_released_even_if_undeclared(op: type[Function]) -> None:
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    y = op.apply(x, 2.0) if op is _Scale else op.apply(x)
    kept = weakref.ref(y.grad_fn.factor if op is _Scale else y.grad_fn.mask)
    y.sum().backward()
    gc.collect()
    assert kept() is None, "a constant kept on ctx outlived the backward"
    np.testing.assert_array_equal(x.grad, [2.0, 2.0] if op is _Scale else [1.0, 0.0])


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


# --- run_backward: roots, inputs and create_graph -----------------------------------------


def test_roots_are_checked() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match="shape"):
        run_backward([x * 2], [np.ones((3, 3))])
    with pytest.raises(ValueError, match="2 gradients"):
        run_backward([x * 2], [np.ones(3), np.ones(3)])
    with pytest.raises(RuntimeError, match="does not require grad"):
        run_backward([tg.tensor([1.0])], [np.ones(1)])


def test_create_graph_without_inputs_is_refused() -> None:
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="create_graph=True needs inputs"):
        run_backward([x * x], [np.ones(1)], create_graph=True)


def test_a_repeated_input_gets_its_gradient_each_time() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    first, second, third = run_backward([(h * x).sum()], [np.ones(())], inputs=[x, h, x])
    np.testing.assert_allclose(first, 6 * x.data)
    np.testing.assert_allclose(third, 6 * x.data)
    np.testing.assert_allclose(second, x.data)


def test_results_never_share_memory() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    z = tg.tensor([3.0, 4.0], requires_grad=True)
    seed = np.ones(2)
    gx, gz = run_backward([x + z], [seed], inputs=[x, z])
    assert not np.shares_memory(gx, gz) and not np.shares_memory(gx, seed)


def test_second_derivatives_are_not_cut_by_the_guard() -> None:
    """f = sqrt(x) (x - 1): f''(1) = 1, even though f'' is infinite at the other entry."""
    x = tg.tensor([1.0, 0.0], requires_grad=True)
    (g,) = run_backward([(tg.sqrt(x) * (x - 1)).sum()], [np.ones(())], True, True, [x])
    (h,) = run_backward([g.sum()], [np.ones(())], inputs=[x])
    assert h[0] == pytest.approx(1.0)


def test_second_order_with_list_operands() -> None:
    x = tg.tensor([2.0, 3.0], requires_grad=True)
    (g,) = run_backward([(x ** [2.0, 3.0]).sum()], [np.ones(())], True, True, [x])
    (h,) = run_backward([g.sum()], [np.ones(())], inputs=[x])
    np.testing.assert_allclose(h, [2.0, 6.0 * 3.0])  # d2/dx2 x^2 = 2, x^3 = 6x
