"""Regression tests for engine findings of a code review, one test per finding."""

from __future__ import annotations

import copy
import gc
import weakref

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import run_backward


def test_second_derivatives_are_not_cut_by_the_guard() -> None:
    """f = sqrt(x) (x - 1): f''(1) = 1, even though f'' is infinite at the other entry."""
    x = tg.tensor([1.0, 0.0], requires_grad=True)
    (g,) = run_backward([(tg.sqrt(x) * (x - 1)).sum()], [np.ones(())], True, True, [x])
    (h,) = run_backward([g.sum()], [np.ones(())], inputs=[x])
    assert h[0] == pytest.approx(1.0)


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


def test_roots_are_checked() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match="shape"):
        run_backward([x * 2], [np.ones((3, 3))])
    with pytest.raises(ValueError, match="2 gradients"):
        run_backward([x * 2], [np.ones(3), np.ones(3)])
    with pytest.raises(RuntimeError, match="does not require grad"):
        run_backward([tg.tensor([1.0])], [np.ones(1)])


def test_results_never_share_memory() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    z = tg.tensor([3.0, 4.0], requires_grad=True)
    seed = np.ones(2)
    gx, gz = run_backward([x + z], [seed], inputs=[x, z])
    assert not np.shares_memory(gx, gz) and not np.shares_memory(gx, seed)


def test_editing_where_condition_or_index_after_the_forward_changes_nothing() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = tg.tensor([True, False, True])
    y = tg.where(mask, x, 0.0).sum()
    mask[:] = False
    y.backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]
    x.grad = None
    index = tg.tensor([0, 0])
    y = x[index].sum()
    index[:] = 2
    y.backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0]


def test_second_order_with_list_operands() -> None:
    x = tg.tensor([2.0, 3.0], requires_grad=True)
    (g,) = run_backward([(x ** [2.0, 3.0]).sum()], [np.ones(())], True, True, [x])
    (h,) = run_backward([g.sum()], [np.ones(())], inputs=[x])
    np.testing.assert_allclose(h, [2.0, 6.0 * 3.0])  # d2/dx2 x^2 = 2, x^3 = 6x


def test_a_copy_made_by_fancy_indexing_is_not_a_view() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    w = tg.tensor(np.ones((2, 2)), requires_grad=True)
    y = (w * x[:, [0, 1]]).sum()
    x[1, 2] = 5.0  # x changes, but the product saved a copy
    y.backward()
    np.testing.assert_array_equal(w.grad, [[0.0, 1.0], [3.0, 4.0]])


def test_changing_the_shape_of_a_parameter_through_data_is_refused() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        x.data = np.zeros(5)


def test_deepcopy_of_a_leaf_copies_and_of_a_node_is_refused() -> None:
    x = tg.tensor([1.0], requires_grad=True)
    x.grad = np.array([2.0])
    clone = copy.deepcopy(x)
    assert clone.requires_grad and clone.grad.tolist() == [2.0]
    assert not np.shares_memory(clone.data, x.data)
    with pytest.raises(RuntimeError, match="deepcopy"):
        copy.deepcopy(x * 2)


def test_where_over_a_matrix_product_lets_no_nan_through() -> None:
    x = tg.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)  # log(0) = -inf in row 0
    w = tg.tensor([[1.0], [2.0]], requires_grad=True)
    keep = np.array([[False], [True]])
    tg.where(keep, tg.log(x) @ w, 0.0).sum().backward()
    assert np.isfinite(w.grad).all() and np.isfinite(x.grad).all()
    np.testing.assert_allclose(w.grad, np.log([[2.0], [3.0]]))
    np.testing.assert_allclose(x.grad, [[0.0, 0.0], [1 / 2, 2 / 3]])


def test_a_detached_tensor_does_not_keep_the_graph_alive() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    t = w.exp()
    saved = weakref.ref(t.data)  # exp saves its output: the graph holds this array
    detached = (t * w).detach()
    del t
    gc.collect()
    assert saved() is None
    np.testing.assert_allclose(detached.data, np.exp([1.0, 2.0]) * [1.0, 2.0])


def test_an_edit_through_a_detached_tensor_is_seen_by_the_op_that_saved_the_memory() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # saves its output
    z = y + 1  # keeps exp's node, not the tensor y
    detached = y.detach()
    del y
    detached += 1
    with pytest.raises(RuntimeError, match="exp: its output"):
        z.sum().backward()
