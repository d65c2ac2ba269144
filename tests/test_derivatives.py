"""Derivatives as functions: autograd.grad, tg.grad / value_and_grad, hvp, jvp, jacobian,
hessian and gradgradcheck.

Closed forms pin down third derivatives, Hessians and Jacobians; the rest pins down
autograd.grad's contract: what it returns, what it walks, what it frees and what it
leaves alone. Every op's second derivatives are checked in test_second_order.py, the
losses' in test_nn_losses.py.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import autograd
from tensorgrad.autograd import Function

F = tg.nn.functional


def _shares_memory(a: Any, b: Any) -> bool:
    return np.shares_memory(np.asarray(a), np.asarray(b))


# --- closed forms ----------------------------------------------------------------------------


def _sigmoid(x: float) -> float:
    return 1 / (1 + np.exp(-x))


# f, then its first three derivatives written by hand.
CLOSED_FORMS = {
    "tanh": (
        tg.tanh,
        lambda x: 1 - np.tanh(x) ** 2,
        lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
        lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2),
    ),
    "sigmoid": (
        tg.sigmoid,
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 6 * _sigmoid(x) + 6 * _sigmoid(x) ** 2),
    ),
    "cube": (lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x, lambda x: 6 + 0 * x),
    "exp": (tg.exp, np.exp, np.exp, np.exp),
    "log": (tg.log, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
}
POINTS = (-1.7, -0.4, 0.3, 1.1, 2.5)


def _point(name: str, x: float) -> float:
    return abs(x) if name == "log" else x


@pytest.mark.parametrize("x", POINTS)
@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_nested_grad_matches_closed_forms_to_third_order(name: str, x: float) -> None:
    f, *derivatives = CLOSED_FORMS[name]
    x = _point(name, x)
    d = f
    for order, expected in enumerate(derivatives, start=1):
        d = tg.grad(d)  # grad(f), then grad(grad(f)), then grad(grad(grad(f)))
        value = d(x)
        assert isinstance(value, tg.Tensor) and value.shape == ()
        assert not value.requires_grad and value.grad_fn is None
        np.testing.assert_allclose(
            value.data, expected(x), rtol=1e-12, atol=1e-12, err_msg=f"order {order}"
        )


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_nested_grad_of_sums_gives_elementwise_derivatives(name: str) -> None:
    # An elementwise f has a diagonal Jacobian, so grad(sum(f')) is f'' at every point.
    f, *derivatives = CLOSED_FORMS[name]
    x = np.array([_point(name, p) for p in POINTS])
    d = f
    for expected in derivatives:
        d = tg.grad(lambda t, d=d: d(t).sum())
        np.testing.assert_allclose(d(x).data, expected(x), rtol=1e-12, atol=1e-12)


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose() -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    assert not np.allclose(A, A.T)
    hessian = tg.hessian(lambda x: x @ A @ x)
    for _ in range(3):
        H = hessian(rng.standard_normal(4))
        assert H.shape == (4, 4) and not H.requires_grad
        np.testing.assert_allclose(H.data, A + A.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_a_matrix_argument_has_shape_in_plus_in() -> None:
    # f(X) = sum X^3: d2f / dX[i,j] dX[k,l] = 6 X[i,j] when (i,j) == (k,l), else 0.
    X = np.random.default_rng(1).standard_normal((2, 3))
    H = tg.hessian(lambda X: (X**3).sum())(X)
    assert H.shape == (2, 3, 2, 3)
    expected = np.einsum("ij,ik,jl->ijkl", 6 * X, np.eye(2), np.eye(3))
    np.testing.assert_allclose(H.data, expected, rtol=1e-12, atol=1e-12)


def test_jacobian_of_a_matrix_function_has_shape_out_plus_in() -> None:
    # f(X) = W @ X: d f[i,j] / d X[k,l] = W[i,k] when j == l, else 0.
    rng = np.random.default_rng(2)
    W, X = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    J = tg.jacobian(lambda X: W @ X)(X)
    assert J.shape == (4, 2, 3, 2)
    np.testing.assert_allclose(J.data, np.einsum("ik,jl->ijkl", W, np.eye(2)), atol=1e-12)
    # and of a scalar function: shape () + in
    assert tg.jacobian(lambda X: (X * X).sum())(X).shape == (3, 2)


_A = np.random.default_rng(3).standard_normal((3, 4))
VECTOR_FUNCTIONS = {
    "tanh_of_linear": lambda x: tg.tanh(_A @ x),
    "times_its_sum": lambda x: x * x.sum(),
    "softmax": lambda x: tg.softmax(x),
    "products_of_slices": lambda x: (x[:3] * x[1:]).exp(),
}


@pytest.mark.parametrize("name", sorted(VECTOR_FUNCTIONS))
def test_jvp_is_the_jacobian_times_the_tangent(name: str) -> None:
    f = VECTOR_FUNCTIONS[name]
    rng = np.random.default_rng(4)
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    out, product = tg.jvp(f, tg.tensor(x), tg.tensor(v))
    np.testing.assert_allclose(out.data, f(tg.tensor(x)).data, rtol=1e-15)
    J = tg.jacobian(f)(x)
    np.testing.assert_allclose(product.data, J.data @ v, rtol=1e-10, atol=1e-12)
    assert not out.requires_grad and not product.requires_grad


def test_jvp_of_a_matrix_function() -> None:
    rng = np.random.default_rng(5)
    W, X, V = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))

    def f(X: Any) -> Any:
        return tg.tanh(W @ X)

    out, product = tg.jvp(f, X, V)
    J = tg.jacobian(f)(X)
    np.testing.assert_allclose(out.data, np.tanh(W @ X), rtol=1e-15)
    np.testing.assert_allclose(product.data, np.tensordot(J.data, V, axes=2), atol=1e-12)


SCALAR_FUNCTIONS = {
    "cubes": lambda x: (x**3).sum(),
    "logsumexp": lambda x: tg.logsumexp(x),
    "tanh_times_reversed": lambda x: (tg.tanh(x) * x[::-1]).sum(),
    "log_of_norm": lambda x: tg.log(1 + (x * x).sum()),
}


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
def test_hvp_is_the_hessian_times_the_vector(name: str) -> None:
    f = SCALAR_FUNCTIONS[name]
    rng = np.random.default_rng(6)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    product = tg.hvp(f, tg.tensor(x), tg.tensor(v))
    assert product.shape == (5,) and not product.requires_grad
    np.testing.assert_allclose(product.data, tg.hessian(f)(x).data @ v, rtol=1e-10, atol=1e-12)


# --- autograd.grad ---------------------------------------------------------------------------


def test_autograd_grad_returns_one_tensor_per_input_and_touches_no_grad() -> None:
    rng = np.random.default_rng(7)
    x = tg.tensor(rng.standard_normal((3, 1)), requires_grad=True)
    y = tg.tensor(rng.standard_normal(4), requires_grad=True)
    w = tg.tensor(rng.standard_normal(4), requires_grad=True)  # a leaf not asked for
    out = (x * y * w).sum()
    grads = autograd.grad(out, [x, y])
    assert type(grads) is tuple and len(grads) == 2
    for g, t in zip(grads, (x, y)):
        assert isinstance(g, tg.Tensor) and g.shape == t.shape and g.dtype == t.dtype
    np.testing.assert_allclose(grads[0].data, (y.data * w.data).sum() * np.ones((3, 1)))
    np.testing.assert_allclose(grads[1].data, x.data.sum() * w.data)
    assert x.grad is None and y.grad is None and w.grad is None
    # a single tensor as inputs still gives a tuple
    (gx,) = autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(gx.data, 2 * x.data)
    assert x.grad is None


def test_autograd_grad_with_several_outputs_sums_their_weighted_gradients() -> None:
    rng = np.random.default_rng(8)
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    g1, g2 = rng.standard_normal(3), rng.standard_normal(())
    y1, y2 = x * x, x.exp().sum()
    expected = 2 * x.data * g1 + np.exp(x.data) * g2
    (arrays,) = autograd.grad([y1, y2], [x], grad_outputs=[g1, g2], retain_graph=True)
    (tensors,) = autograd.grad(
        [y1, y2], x, grad_outputs=[tg.tensor(g1), tg.tensor(g2)], retain_graph=True
    )
    (mixed,) = autograd.grad([y1, y2], x, grad_outputs=[g1, None])  # None: the scalar's 1
    np.testing.assert_allclose(arrays.data, expected, rtol=1e-14)
    np.testing.assert_allclose(tensors.data, expected, rtol=1e-14)
    np.testing.assert_allclose(mixed.data, 2 * x.data * g1 + np.exp(x.data), rtol=1e-14)


def test_autograd_grad_refuses_bad_arguments() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad_outputs"):
        autograd.grad(x * 2, x)  # a non-scalar output without grad_outputs
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), [x, tg.tensor([1.0])])
    with pytest.raises(TypeError, match="outputs must be tensors"):
        autograd.grad([np.float64(1.0)], x)
    with pytest.raises(TypeError, match="outputs must be tensors, got float"):
        autograd.grad(1.0, x)
    with pytest.raises(TypeError, match="inputs must be tensors, got ndarray"):
        autograd.grad(x.sum(), x.data)
    with pytest.raises(TypeError, match="inputs must be tensors"):
        autograd.grad(x.sum(), [x.data])
    with pytest.raises(ValueError):
        autograd.grad(x * 2, x, grad_outputs=np.ones(3))  # the wrong shape
    with pytest.raises(ValueError):
        autograd.grad([x * 2, x.sum()], x, grad_outputs=[np.ones(2)])  # one too few
    assert x.grad is None


def test_autograd_grad_gives_zeros_for_an_input_the_outputs_do_not_use() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    unused = tg.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    gx, gu = autograd.grad((x * x).sum(), [x, unused])
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    assert gu.shape == (2, 3) and gu.dtype == np.float32 and not gu.data.any()
    # an output off the graph contributes nothing at all
    (g,) = autograd.grad(tg.tensor(3.0), x)
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def test_autograd_grad_with_respect_to_intermediate_tensors() -> None:
    x = tg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = x * 2
    z = y.exp()
    loss = (z * y).sum()
    gy, gz, gx = autograd.grad(loss, [y, z, x])
    np.testing.assert_allclose(gy.data, np.exp(y.data) * (y.data + 1))
    np.testing.assert_allclose(gz.data, y.data)
    np.testing.assert_allclose(gx.data, 2 * np.exp(y.data) * (y.data + 1))
    assert x.grad is None
    # the output itself, weighted (a fresh graph: the call above freed that one)
    weights = np.array([1.0, 2.0, 3.0])
    y = x * 2
    (itself,) = autograd.grad(y, y, grad_outputs=weights)
    np.testing.assert_array_equal(itself.data, weights)


def _counting_function(raise_in_backward: bool = False) -> type[Function]:
    class Doubling(Function):
        """d/dx 2x = 2, counting the calls of the rule"""

        calls = 0

        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad, xp):
            ctx.op.calls += 1
            if raise_in_backward:
                raise AssertionError("this rule should not have run")
            return (grad * 2,)

    return Doubling


def test_autograd_grad_walks_only_what_leads_to_the_inputs() -> None:
    Doubling = _counting_function()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    loss = (Doubling.apply(w).exp() * x).sum() + (x * x).sum()
    (gx,) = autograd.grad(loss, x, retain_graph=True)
    np.testing.assert_allclose(gx.data, np.exp(2 * w.data) + 2 * x.data)
    assert Doubling.calls == 0  # the branch through w was not walked
    (gw,) = autograd.grad(loss, w, retain_graph=True)
    np.testing.assert_allclose(gw.data, 2 * np.exp(2 * w.data) * x.data)
    assert Doubling.calls == 1
    loss.backward()  # a plain backward walks everything
    assert Doubling.calls == 2
    np.testing.assert_allclose(w.grad, gw.data)

    # A rule that would fail is never reached when the input lies on another branch.
    Tripwire = _counting_function(raise_in_backward=True)
    loss = (Tripwire.apply(w) * x).sum()
    (gx,) = autograd.grad(loss, x, retain_graph=True)
    np.testing.assert_allclose(gx.data, 2 * w.data)
    with pytest.raises(AssertionError, match="should not have run"):
        loss.backward()


def test_autograd_grad_does_not_run_the_rule_of_an_intermediate_input() -> None:
    # The gradient with respect to y is complete when y's node is reached: the rule that
    # carries it on to y's own inputs has nothing to deliver.
    Doubling = _counting_function(raise_in_backward=True)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = Doubling.apply(x)
    (gy,) = autograd.grad((y * y).sum(), y)
    np.testing.assert_allclose(gy.data, 2 * y.data)
    assert Doubling.calls == 0


def test_retain_graph_defaults_to_create_graph() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x**3).sum()
    autograd.grad(loss, x)  # create_graph=False: buffers freed
    with pytest.raises(RuntimeError, match="freed"):
        autograd.grad(loss, x)

    loss = (x**3).sum()
    (first,) = autograd.grad(loss, x, create_graph=True)  # the graph is kept
    (second,) = autograd.grad(loss, x)
    np.testing.assert_allclose(first.data, second.data)
    np.testing.assert_allclose(second.data, 3 * x.data**2)
    with pytest.raises(RuntimeError, match="freed"):
        autograd.grad(loss, x)  # the second call did free it

    loss = (x**3).sum()
    autograd.grad(loss, x, retain_graph=True)
    (again,) = autograd.grad(loss, x)
    np.testing.assert_allclose(again.data, 3 * x.data**2)


def test_create_graph_gives_gradients_that_differentiate_again() -> None:
    x = tg.tensor([0.5, -1.5], requires_grad=True)
    (g,) = autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data)
    assert x.grad is None
    # grad_outputs that require grad are differentiated too: d/dv <grad, v> = grad
    v = tg.tensor([2.0, 3.0], requires_grad=True)
    (g,) = autograd.grad(x * x, x, grad_outputs=v, create_graph=True)
    gx, gv = autograd.grad(g.sum(), [x, v])
    np.testing.assert_allclose(gx.data, 2 * v.data)
    np.testing.assert_allclose(gv.data, 2 * x.data)


# --- create_graph=False leaves nothing behind ------------------------------------------------


def test_create_graph_false_releases_every_walked_node() -> None:
    x = tg.tensor([0.5, 1.0, 2.0], requires_grad=True)
    a = x.tanh()  # saves its output
    b = a * a  # saves its inputs
    loss = b.sum()
    saved = weakref.ref(a.data)
    nodes = [loss.grad_fn, b.grad_fn, a.grad_fn]
    del a, b
    (g,) = autograd.grad(loss, x)
    gc.collect()
    assert saved() is None, "a saved array outlived the backward"
    for node in nodes:
        assert node.parents is None, node
        for name in ("inputs", "_args", "out", *node.op.constants):
            assert getattr(node, name, None) is None, (node, name)
    assert not g.requires_grad and g.grad_fn is None and g.is_leaf
    np.testing.assert_allclose(g.data, 2 * np.tanh(x.data) * (1 - np.tanh(x.data) ** 2))
    assert not _shares_memory(g.data, x.data)


def test_create_graph_true_keeps_the_graph_for_the_next_derivative() -> None:
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    a = x.tanh()
    loss = (a * a).sum()
    (g,) = autograd.grad(loss, x, create_graph=True)
    assert a.grad_fn.parents is not None and a.grad_fn.out is not None
    (gg,) = autograd.grad(g.sum(), x)  # the second derivative frees what it walked
    gc.collect()
    assert a.grad_fn.parents is None and a.grad_fn.out is None
    t = np.tanh(x.data)
    np.testing.assert_allclose(gg.data, 2 * (1 - t**2) ** 2 - 4 * t**2 * (1 - t**2))


def test_gradients_share_memory_with_no_input_and_no_other_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    seed = np.array([1.0, 5.0])
    cases = [
        ((x + y).sum(), [x, y], None),  # add hands the same gradient to both
        (x + y, [x, y], seed),
        (x.reshape(2, 1) + 0.0, [x], np.ones((2, 1))),  # a view on the way
        (x, [x], seed),  # the output is the input
    ]
    a, b = x * 2, x * 3
    cases.append((a + b, [a, b], seed))  # intermediate inputs, fed by one add
    cases.append((a + b, [a, b, x], seed))
    s = a.reshape(2, 1)
    cases.append((s, [s, a], np.ones((2, 1))))
    for out, inputs, grad_output in cases:
        grads = autograd.grad(out, inputs, grad_outputs=grad_output, retain_graph=True)
        arrays = [g.data for g in grads]
        for i, g in enumerate(arrays):
            assert g.flags.writeable
            others = arrays[:i] + arrays[i + 1 :] + [t.data for t in inputs] + [x.data, y.data]
            if grad_output is not None:
                others.append(grad_output)
            assert not any(_shares_memory(g, o) for o in others), (out, i)


# --- tg.grad and tg.value_and_grad -----------------------------------------------------------


def test_grad_argnums_int_tuple_and_negative() -> None:
    def f(a: Any, b: Any, c: Any) -> Any:
        return (a * b**2 + c).sum()

    a, b, c = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 0.5])
    np.testing.assert_allclose(tg.grad(f)(a, b, c).data, b**2)
    np.testing.assert_allclose(tg.grad(f, argnums=1)(a, b, c).data, 2 * a * b)
    np.testing.assert_allclose(tg.grad(f, argnums=-1)(a, b, c).data, [1.0, 1.0])
    grads = tg.grad(f, argnums=(0, -2))(a, b, c)
    assert type(grads) is tuple and len(grads) == 2
    np.testing.assert_allclose(grads[0].data, b**2)
    np.testing.assert_allclose(grads[1].data, 2 * a * b)
    for argnums in (3, -4, (0, 3)):
        with pytest.raises(ValueError, match="argnums"):
            tg.grad(f, argnums=argnums)(a, b, c)


def test_grad_needs_a_scalar_function() -> None:
    with pytest.raises(RuntimeError, match="scalar"):
        tg.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(RuntimeError, match="scalar"):
        tg.value_and_grad(lambda x: x * 2)(np.ones(3))
    # size 1 of any shape counts as a scalar
    np.testing.assert_allclose(tg.grad(lambda x: x * 2)(np.ones((1, 1))).data, [[2.0]])


@pytest.mark.parametrize(
    "x", [3.0, 3, np.float64(3.0), np.array(3.0), np.array([3.0, -1.0]), [3.0, -1.0]]
)
def test_grad_accepts_numbers_and_arrays(x: Any) -> None:
    g = tg.grad(lambda t: (t**2).sum())(x)
    assert isinstance(g, tg.Tensor) and g.dtype == np.float64 and g.shape == np.shape(x)
    np.testing.assert_allclose(g.data, 2 * np.asarray(x, dtype=float))
    assert not g.requires_grad and g.grad_fn is None


def test_value_and_grad_detaches_the_value_unless_nested() -> None:
    value, g = tg.value_and_grad(lambda t: (t**3).sum())(np.array([1.0, 2.0]))
    assert isinstance(value, tg.Tensor) and value.shape == ()
    assert not value.requires_grad and value.grad_fn is None
    np.testing.assert_allclose(value.data, 9.0)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    assert not g.requires_grad

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    value, g = tg.value_and_grad(lambda t: (t**3).sum())(x)
    assert value.requires_grad and g.requires_grad  # an outer derivative can use both
    (g.sum() + value).backward()
    np.testing.assert_allclose(x.grad, 6 * x.data + 3 * x.data**2)


def test_grad_of_a_tensor_that_requires_grad_stays_on_the_graph() -> None:
    x = tg.tensor(2.0, requires_grad=True)
    g = tg.grad(lambda t: t**3)(x)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.data, 12.0)
    g.backward()
    np.testing.assert_allclose(x.grad, 12.0)  # d/dx 3 x^2 = 6 x


def test_grad_of_a_function_that_ignores_its_argument_is_zero() -> None:
    for f in (lambda x: tg.tensor(5.0), lambda x: 5.0, lambda x: x.detach().sum()):
        g = tg.grad(f)(np.array([1.0, 2.0]))
        np.testing.assert_array_equal(g.data, [0.0, 0.0])
        assert g.shape == (2,)
    assert tg.grad(tg.grad(lambda x: 3 * x))(2.0).item() == 0.0
    assert tg.grad(tg.grad(tg.grad(lambda x: x**2)))(2.0).item() == 0.0
    value, g = tg.value_and_grad(lambda x, y: (y * y).sum(), argnums=0)(1.0, np.ones(2))
    assert value.item() == 2.0 and g.item() == 0.0


def test_grad_and_hvp_with_several_arguments() -> None:
    def f(x: Any, y: Any) -> Any:
        return (x * x * y).sum() + tg.tanh(y).sum()

    rng = np.random.default_rng(9)
    x, y, vx, vy = rng.standard_normal((4, 3))
    gx, gy = tg.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.data, 2 * x * y)
    np.testing.assert_allclose(gy.data, x * x + 1 - np.tanh(y) ** 2)
    hx, hy = tg.hvp(f, (x, y), (vx, vy))
    np.testing.assert_allclose(hx.data, 2 * y * vx + 2 * x * vy)
    t = np.tanh(y)
    np.testing.assert_allclose(hy.data, 2 * x * vx - 2 * t * (1 - t**2) * vy)


# --- gradgradcheck catches a wrong second derivative -----------------------------------------


class SineWithFrozenCosine(Function):
    """d/dx sin(x) = cos(x), but cos(x) is computed in forward and kept as a constant:
    right at first order, while its second derivative comes out as 0 instead of -sin(x)."""

    constants = ("cosine",)

    def forward(ctx, x):
        ctx.cosine = np.cos(x)
        return np.sin(x)

    def backward(ctx, grad, xp):
        return (grad * ctx.cosine,)


class Sine(Function):
    """d/dx sin(x) = cos(x), computed from the saved input through xp."""

    save_inputs = True

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, grad, xp):
        return (grad * xp.cos(ctx.inputs[0]),)


def test_gradgradcheck_catches_a_rule_that_is_only_right_at_first_order() -> None:
    x = np.random.default_rng(10).uniform(0.5, 2.5, (2, 3))
    assert tg.gradcheck(lambda t: SineWithFrozenCosine.apply(t), [x])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradgradcheck(lambda t: SineWithFrozenCosine.apply(t), [x])
    assert type(info.value) is tg.GradcheckError  # a wrong rule, not a kink
    assert "gradgradcheck" in str(info.value) and "input 0" in str(info.value)


def test_gradgradcheck_passes_the_correct_rule() -> None:
    x = np.random.default_rng(10).uniform(0.5, 2.5, (2, 3))
    assert tg.gradcheck(lambda t: Sine.apply(t), [x])
    assert tg.gradgradcheck(lambda t: Sine.apply(t), [x])
    assert tg.gradgradcheck(lambda t, u: Sine.apply(t * u), [x, x[::-1].copy()])


# --- nn layers, twice differentiated ---------------------------------------------------------


def test_hvp_through_an_mlp_loss_matches_differences_of_gradients() -> None:
    rng = np.random.default_rng(11)
    model = tg.nn.MLP([4, 6, 3], activation="tanh", rng=rng)
    x, v = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    labels = rng.integers(0, 3, 5)

    def loss(inputs: Any) -> Any:
        return F.cross_entropy(model(inputs), labels)

    product = tg.hvp(loss, tg.tensor(x), tg.tensor(v))
    h = 1e-5
    gradient = tg.grad(loss)
    differences = (gradient(x + h * v).data - gradient(x - h * v).data) / (2 * h)
    # The loss depends on the model's parameters, which require grad: the product stays on
    # the graph, so that a penalty built from it can be differentiated with respect to them.
    assert product.shape == x.shape and product.requires_grad
    assert np.abs(product.data).max() > 1e-3  # not trivially zero
    np.testing.assert_allclose(product.data, differences, rtol=1e-5, atol=1e-8)
    assert all(p.grad is None for p in model.parameters())
    for p in model.parameters():  # frozen parameters: nothing outside the call needs a graph
        p.requires_grad = False
    frozen = tg.hvp(loss, tg.tensor(x), tg.tensor(v))
    assert not frozen.requires_grad and frozen.grad_fn is None
    np.testing.assert_allclose(frozen.data, product.data, rtol=1e-12)


def test_hessian_vector_product_with_respect_to_mlp_parameters() -> None:
    rng = np.random.default_rng(12)
    model = tg.nn.MLP([3, 5, 4, 2], rng=rng)  # ReLU between the layers
    x, labels = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    params = list(model.parameters())
    vs = [rng.standard_normal(p.shape) for p in params]

    def loss() -> Any:
        return F.cross_entropy(model(x), labels)

    grads = autograd.grad(loss(), params, create_graph=True)
    products = autograd.grad(grads, params, grad_outputs=vs)

    h = 1e-5
    originals = [p.data.copy() for p in params]

    def gradient_at(sign: float) -> list[np.ndarray]:
        for p, p0, v in zip(params, originals, vs):
            p.data = p0 + sign * h * v
        return [g.data for g in autograd.grad(loss(), params)]

    plus, minus = gradient_at(1.0), gradient_at(-1.0)
    for p, p0 in zip(params, originals):
        p.data = p0
    for product, g_plus, g_minus in zip(products, plus, minus):
        np.testing.assert_allclose(product.data, (g_plus - g_minus) / (2 * h), rtol=1e-5, atol=1e-8)
    assert all(p.grad is None for p in params)


# --- nesting: each call has variables of its own ------------------------------------------


def test_an_outer_variable_reaching_the_inner_call_through_another_argument() -> None:
    def f(x: Any, y: Any) -> Any:
        return x**2 * y**3

    # d/dy (d/dx x^2 y^3) = 6 x y^2 = 108 at (2, 3), and the result carries no graph.
    result = tg.grad(tg.grad(f, 0), 1)(tg.tensor(2.0), tg.tensor(3.0))
    assert result.item() == pytest.approx(108.0) and not result.requires_grad


def test_a_closure_over_the_same_tensor_is_not_the_variable() -> None:
    x = tg.tensor(3.0, requires_grad=True)
    # d/dy (x * y) = x, even when y is given the very tensor x.
    assert tg.grad(lambda y: x * y)(x).item() == pytest.approx(3.0)
    # d/dx [x * d/dy (x y)] = d/dx x^2 = 2x ("perturbation confusion" would give 4x).
    nested = tg.grad(lambda x: x * tg.grad(lambda y: x * y)(x))
    assert nested(tg.tensor(1.0)).item() == pytest.approx(2.0)
    assert tg.grad(lambda x: x * tg.grad(lambda y: x * y)(3.0))(1.0).item() == pytest.approx(2.0)


@pytest.mark.parametrize("transform", ["hvp", "jacobian", "jvp"])
def test_a_closed_over_outer_variable_is_differentiated_through(transform: str) -> None:
    x0, v = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0])
    inner = {
        "hvp": lambda s: tg.hvp(lambda x: s * (x**4).sum(), x0, v).sum(),  # 12 x^2 . v
        "jacobian": lambda s: tg.jacobian(lambda x: s * x**2)(x0).sum(),  # sum 2x
        "jvp": lambda s: tg.jvp(lambda x: s * x**2, x0, v)[1].sum(),  # 2x . v
    }[transform]
    expected = {"hvp": 60.0, "jacobian": 6.0, "jvp": 6.0}[transform]
    assert tg.grad(inner)(tg.tensor(1.5)).item() == pytest.approx(expected)


def test_a_gradient_penalty_has_the_right_gradient_for_the_weights() -> None:
    rng = np.random.default_rng(20)
    x = tg.tensor(rng.standard_normal((4, 3)))

    def penalty(w: Any) -> Any:
        slope = tg.grad(lambda inputs: (inputs @ w).tanh().sum())(x)
        return (slope**2).sum()

    w = rng.standard_normal((3, 1))
    assert tg.gradcheck(penalty, [w])
    weights = tg.tensor(w, requires_grad=True)
    value = penalty(weights)  # closes over nothing: the weights are passed in
    assert value.requires_grad
    value.backward()
    (numerical,) = tg.numerical_grad(penalty, [w])
    np.testing.assert_allclose(weights.grad, numerical, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("returned", [[1.0], (1.0,), None, "1.0"], ids=repr)
def test_a_function_returning_no_tensor_is_a_type_error(returned: Any) -> None:
    with pytest.raises(TypeError, match="grad: the function returned a"):
        tg.grad(lambda x: returned)(tg.tensor(1.0))
    with pytest.raises(TypeError, match="jacobian: the function returned a"):
        tg.jacobian(lambda x: returned)(tg.tensor(1.0))


def test_argnums_errors_name_the_function() -> None:
    with pytest.raises(TypeError, match="jacobian: argnums must be one int"):
        tg.jacobian(lambda x, y: x * y, argnums=(0, 1))(1.0, 2.0)
    with pytest.raises(ValueError, match="value_and_grad: argnums 2 is out of range"):
        tg.value_and_grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TypeError, match="grad: argnums must be an int"):
        tg.grad(lambda x: x, argnums=0.5)(1.0)
    assert tg.grad(lambda x: x**2, argnums=np.int64(0))(3.0).item() == pytest.approx(6.0)


@pytest.mark.parametrize("create_graph", [False, True])
def test_returned_gradients_never_share_memory(create_graph: bool) -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    seed = tg.tensor([1.0, 1.0]) if create_graph else np.ones(2)
    # add hands its gradient on unchanged to both inputs; the input a is listed twice.
    results = autograd.grad(a + b, [a, b, a], seed, create_graph=create_graph)
    arrays = [r.data for r in results] + [np.asarray(seed.data if create_graph else seed)]
    for i, first in enumerate(arrays):
        for second in arrays[i + 1 :]:
            assert not np.shares_memory(first, second)
    assert all(np.array_equal(r.data, [1.0, 1.0]) for r in results)


def test_a_seed_of_another_dtype_keeps_the_output_dtype_under_create_graph() -> None:
    y = tg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (g,) = autograd.grad(y * 2, y, tg.tensor([1.0, 1.0]), create_graph=True)
    assert g.dtype == np.float32
