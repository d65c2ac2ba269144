"""In-place edits and the version counter.

An edit of anything an op saved for backward (an input, a constant operand or its output),
made through the tensor itself, .data, an index, a view, a slice or a detached alias, is
caught when backward would use it, and the error names the op. Edits of what no op saved
go through, a tensor that requires grad refuses in-place operators, and what an op copied
(a where condition, an index, a fancy-indexed operand) is immune to later edits.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


def test_inplace_operator_on_saved_tensor_raises_naming_the_op():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w * c).sum()
    c += 1
    with pytest.raises(RuntimeError, match="mul"):
        y.backward()


def test_data_iadd_on_saved_tensor_raises():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w * c).sum()
    c.data += 1
    with pytest.raises(RuntimeError, match="mul"):
        y.backward()


def test_data_assignment_on_saved_tensor_raises():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w / c).sum()
    c.data = np.array([5.0, 6.0])
    with pytest.raises(RuntimeError, match="div"):
        y.backward()


def test_setitem_on_saved_tensor_raises():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = tg.matmul(w, c)
    c[0] = 10.0
    with pytest.raises(RuntimeError, match="matmul"):
        y.backward()


def test_editing_saved_leaf_data_before_backward_raises():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w * c).sum()
    w.data -= 1.0
    with pytest.raises(RuntimeError, match="mul"):
        y.backward()


def test_editing_saved_output_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = tg.exp(x)
    y = h.sum()
    h.data += 1.0
    with pytest.raises(RuntimeError, match="exp"):
        y.backward()


def test_inplace_on_unsaved_tensor_does_not_raise():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (x + c).sum()  # add saves nothing
    c += 1
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0])


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.__iadd__(1.0),
        lambda t: t.__isub__(1.0),
        lambda t: t.__imul__(2.0),
        lambda t: t.__itruediv__(2.0),
        lambda t: t.__setitem__(0, 1.0),
    ],
    ids=["iadd", "isub", "imul", "itruediv", "setitem"],
)
def test_inplace_operators_on_requires_grad_tensor_raise(edit):
    x = tg.tensor([5.0, 6.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        edit(x)
    np.testing.assert_array_equal(x.data, [5.0, 6.0])
    y = x * 2.0
    with pytest.raises(RuntimeError):
        edit(y)
    np.testing.assert_array_equal(y.data, [10.0, 12.0])


def test_augmented_assignment_statements_raise_on_requires_grad():
    x = tg.tensor([5.0, 6.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        x += 1
    with pytest.raises(RuntimeError):
        x[0] = 1.0
    np.testing.assert_array_equal(x.data, [5.0, 6.0])


def test_inplace_on_plain_tensor_is_in_place():
    c = tg.tensor([1.0, 2.0])
    original = c
    c += 1
    c *= 3
    c[1] = -1.0
    assert c is original
    np.testing.assert_array_equal(c.data, [6.0, -1.0])


def test_parameter_update_through_data_on_leaf():
    p = tg.tensor([1.0, -2.0], requires_grad=True)
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad, [2.0, -4.0])
    p.data -= 0.1 * p.grad
    np.testing.assert_allclose(p.data, [0.8, -1.6])
    assert p.is_leaf and p.requires_grad
    p.zero_grad()
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad, [1.6, -3.2])
    p.data = np.array([0.0, 1.0])
    np.testing.assert_array_equal(p.data, [0.0, 1.0])
    assert p.requires_grad


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


def test_a_copy_made_by_fancy_indexing_is_not_a_view() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    w = tg.tensor(np.ones((2, 2)), requires_grad=True)
    y = (w * x[:, [0, 1]]).sum()
    x[1, 2] = 5.0  # x changes, but the product saved a copy
    y.backward()
    np.testing.assert_array_equal(w.grad, [[0.0, 1.0], [3.0, 4.0]])


def test_an_edit_through_a_detached_tensor_is_seen_by_the_op_that_saved_the_memory() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # saves its output
    z = y + 1  # keeps exp's node, not the tensor y
    detached = y.detach()
    del y
    detached += 1
    with pytest.raises(RuntimeError, match="exp: its output"):
        z.sum().backward()


ALIAS_EDITS = {
    "detach_iadd": lambda x: x.detach().__iadd__(1.0),
    "detach_setitem": lambda x: x.detach().__setitem__(0, 10.0),
    "view_under_no_grad": lambda x: _under_no_grad(lambda: x.reshape(-1).__iadd__(1.0)),
    "slice_view": lambda x: _under_no_grad(lambda: x[:1].__imul__(0.0)),
}


def _under_no_grad(edit):
    with tg.no_grad():
        edit()


@pytest.mark.parametrize("name", sorted(ALIAS_EDITS))
def test_an_edit_through_an_alias_is_caught_by_the_version_counter(name: str) -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    ALIAS_EDITS[name](x)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_an_edit_of_a_view_of_a_saved_constant_is_caught() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w * c).sum()
    c[:] += 1.0
    with pytest.raises(RuntimeError, match="mul"):
        y.backward()


def test_an_edit_of_a_saved_output_through_detach_is_caught() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    e = tg.exp(x)
    y = e.sum()
    d = e.detach()
    d *= 0.0
    with pytest.raises(RuntimeError, match="exp"):
        y.backward()
