"""Every user mistake raises the documented exception type, naming the op and what is involved."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tensorgrad as tg


def _raises(exc_type, fn):
    """Run ``fn`` expecting ``exc_type``; return the message."""
    with pytest.raises(exc_type) as info:
        fn()
    return str(info.value)


def _has_shape(message: str, shape: tuple[int, ...]) -> bool:
    """Whether ``shape`` appears in the message, as (2, 3) or NumPy's (2,3)."""
    spaced = re.escape(str(shape))
    compact = re.escape(str(shape).replace(" ", ""))
    return re.search(f"{spaced}|{compact}", message) is not None


# --- shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", tg.maximum),
        ("minimum", tg.minimum),
        ("less", lambda a, b: a < b),
    ],
)
def test_shapes_that_do_not_broadcast(name, fn):
    a = tg.ones((2, 3), requires_grad=True)
    b = tg.ones((4,))
    message = _raises(ValueError, lambda: fn(a, b))
    assert re.search(rf"\b{name}\b", message), message
    assert _has_shape(message, (2, 3))
    assert _has_shape(message, (4,))


def test_where_shapes_that_do_not_broadcast():
    cond = tg.ones((2, 3)) > 0
    message = _raises(ValueError, lambda: tg.where(cond, tg.ones((4,)), 0.0))
    assert "where" in message
    assert _has_shape(message, (2, 3)) and _has_shape(message, (4,))


def test_broadcast_to_incompatible_shape():
    message = _raises(ValueError, lambda: tg.broadcast_to(tg.ones((2, 3)), (4, 3)))
    assert "broadcast_to" in message
    assert _has_shape(message, (2, 3)) and _has_shape(message, (4, 3))


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((2, 3), (4, 5)), ((2, 2, 3), (3, 4, 5)), ((3,), (4,)), ((2, 3), (2,))],
)
def test_matmul_inner_mismatch(a_shape, b_shape):
    a = tg.ones(a_shape, requires_grad=True)
    b = tg.ones(b_shape)
    message = _raises(ValueError, lambda: a @ b)
    assert "matmul" in message
    assert _has_shape(message, a_shape) and _has_shape(message, b_shape)


def test_matmul_with_scalar_operand():
    message = _raises(ValueError, lambda: tg.matmul(tg.ones((2, 2)), tg.tensor(2.0)))
    assert "matmul" in message


def test_reshape_to_incompatible_shape():
    message = _raises(ValueError, lambda: tg.ones((2, 3), requires_grad=True).reshape(4))
    assert "reshape" in message
    assert _has_shape(message, (2, 3)) and _has_shape(message, (4,))


def test_split_into_unequal_sections():
    message = _raises(ValueError, lambda: tg.split(tg.ones(5), 2))
    assert "split" in message
    assert "5" in message and "2" in message
    message = _raises(ValueError, lambda: tg.ones((2, 7)).split(3, axis=1))
    assert "split" in message and "7" in message and "3" in message


def test_squeeze_of_non_unit_axis():
    message = _raises(ValueError, lambda: tg.ones((2, 3)).squeeze(1))
    assert "squeeze" in message
    assert "axis 1" in message
    assert _has_shape(message, (2, 3))


def test_concatenate_and_stack_mismatch():
    message = _raises(
        ValueError, lambda: tg.concatenate([tg.ones((2, 3)), tg.ones((2, 4))], axis=0)
    )
    assert "concatenate" in message
    assert _has_shape(message, (2, 3)) and _has_shape(message, (2, 4))
    message = _raises(ValueError, lambda: tg.stack([tg.ones((2, 3)), tg.ones((2, 4))]))
    assert "stack" in message
    assert _has_shape(message, (2, 3)) and _has_shape(message, (2, 4))


def test_transpose_with_wrong_axes():
    message = _raises(ValueError, lambda: tg.ones((2, 3)).transpose(0, 1, 2))
    assert "transpose" in message


def test_item_of_many_elements():
    message = _raises(ValueError, lambda: tg.ones((3,)).item())
    assert "item" in message and _has_shape(message, (3,))


def test_error_messages_list_input_shapes_only_and_say_what_to_do() -> None:
    with pytest.raises(ValueError) as info:
        tg.ones((2, 3)).reshape(4, 2)
    message = str(info.value)
    assert message.startswith("reshape:") and "input shapes (2, 3))" in message
    assert "-1" in message  # the hint
    with pytest.raises(IndexError, match=r"getitem: .*\[-n, n\)"):
        tg.ones((2, 3))[5]


def test_axis_bounds_empty_means_and_truth_values_are_errors_naming_the_function() -> None:
    with pytest.raises(IndexError, match="swapaxes"):
        tg.swapaxes(tg.zeros((2, 3)), 0, 5)
    with pytest.raises(IndexError, match="flatten"):
        tg.flatten(tg.zeros((2, 3, 4)), 5)
    with pytest.raises(ValueError, match="flatten: start_axis 2 comes after"):
        tg.flatten(tg.zeros((2, 3, 4)), 2, 0)
    with pytest.raises(ValueError, match="mean: no elements"):
        tg.mean(tg.zeros(0))
    with pytest.raises(ValueError, match="clip: lo must not exceed hi"):
        tg.clip(tg.zeros(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="no single truth value"):
        bool(tg.zeros(2))
    with pytest.raises(TypeError, match="len: a 0-d tensor"):
        len(tg.tensor(1.0))


# --- axes and indices ---------------------------------------------------------------------


AXIS_CASES = [
    ("sum", lambda x: x.sum(axis=2), "2"),
    ("sum", lambda x: tg.sum(x, axis=(0, -3)), "-3"),
    ("max", lambda x: x.max(axis=5), "5"),
    ("logsumexp", lambda x: tg.logsumexp(x, axis=2), "2"),
    ("mean", lambda x: x.mean(axis=-3), "-3"),
    ("min", lambda x: x.min(axis=2), "2"),
    ("var", lambda x: tg.var(x, axis=3), "3"),
    ("std", lambda x: x.std(axis=3), "3"),
]


@pytest.mark.parametrize(
    ("name", "call", "axis"), AXIS_CASES, ids=[f"{c[0]}_{c[2]}" for c in AXIS_CASES]
)
def test_out_of_range_axis(name, call, axis):
    x = tg.ones((2, 3), requires_grad=True)
    with pytest.raises(np.exceptions.AxisError) as info:
        call(x)
    assert isinstance(info.value, IndexError)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert re.search(rf"\b{name}\b", message), message
    assert f"axis {axis}" in message


def test_out_of_range_axis_catchable_as_index_or_value_error():
    with pytest.raises(IndexError):
        tg.ones((2, 3)).sum(axis=2)
    with pytest.raises(ValueError):
        tg.ones((2, 3)).sum(axis=2)


@pytest.mark.parametrize(
    ("index", "bad"),
    [(5, "5"), (-4, "-4"), ([0, 3], "3"), ((slice(None), 2), "2")],
    ids=["int", "negative", "int_array", "second_axis"],
)
def test_out_of_range_index(index, bad):
    shape = (3,) if index != (slice(None), 2) else (3, 2)
    x = tg.ones(shape, requires_grad=True)
    message = _raises(IndexError, lambda: x[index])
    assert "getitem" in message
    assert bad in message
    assert _has_shape(message, shape)


def test_too_many_indices():
    message = _raises(IndexError, lambda: tg.ones(3)[0, 0])
    assert "getitem" in message


def test_a_mask_of_the_wrong_shape_is_an_index_error() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(IndexError, match="getitem"):
        x[np.array([True])]


# --- dtypes and types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: tg.tensor([1, 2], requires_grad=True),
        lambda: tg.Tensor(np.array([1, 2], dtype=np.int32), requires_grad=True),
        lambda: tg.tensor([True, False], requires_grad=True),
        lambda: tg.arange(3, requires_grad=True),
        lambda: tg.zeros(2, dtype=np.int64, requires_grad=True),
        lambda: tg.from_numpy(np.arange(3), requires_grad=True),
    ],
    ids=["tensor_int", "Tensor_int32", "bool", "arange", "zeros_int", "from_numpy"],
)
def test_non_float_tensor_cannot_require_grad(make):
    message = _raises(TypeError, make)
    assert "float" in message
    assert re.search(r"int32|int64|bool", message)


def test_setting_requires_grad_on_int_tensor():
    x = tg.tensor([1, 2])
    message = _raises(TypeError, lambda: setattr(x, "requires_grad", True))
    assert "float" in message and "int64" in message
    assert not x.requires_grad


def test_assigning_int_data_to_requires_grad_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    message = _raises(TypeError, lambda: setattr(x, "data", np.array([1, 2])))
    assert "float" in message and "int64" in message
    assert x.dtype == np.float64


def test_set_default_dtype_rejects_non_float():
    message = _raises(TypeError, lambda: tg.set_default_dtype(np.int32))
    assert "set_default_dtype" in message and "int32" in message
    assert tg.get_default_dtype() == np.float64


def test_from_numpy_rejects_non_array():
    message = _raises(TypeError, lambda: tg.from_numpy([1.0, 2.0]))
    assert "from_numpy" in message and "list" in message


def test_operand_of_wrong_type():
    message = _raises(TypeError, lambda: tg.ones(2, requires_grad=True) + "a")
    assert "add" in message


def test_complex_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        tg.tensor([1 + 1j], requires_grad=True)


def test_pad_refuses_a_constant_that_requires_grad() -> None:
    with pytest.raises(TypeError, match="pad: constant_values"):
        tg.pad(tg.ones(2), 1, constant_values=tg.tensor(1.0, requires_grad=True))


def test_in_place_operator_errors_name_the_operator() -> None:
    t = tg.tensor([1, 2])
    with pytest.raises(TypeError, match="__itruediv__"):
        t /= 2
    with pytest.raises(TypeError, match="__iadd__"):
        t += "a"


def test_numpy_refusals_come_back_naming_the_op() -> None:
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="add"):
        x + "a"
    with pytest.raises(TypeError, match="matmul"):
        x @ "a"
    with pytest.raises(IndexError, match="__setitem__"):
        tg.tensor([1.0])[5] = 1.0


# --- graph misuse -------------------------------------------------------------------------


def test_backward_on_non_scalar_without_grad():
    x = tg.ones((2, 3), requires_grad=True)
    message = _raises(RuntimeError, lambda: (x * 2).backward())
    assert "backward" in message
    assert _has_shape(message, (2, 3))
    assert x.grad is None


def test_backward_with_grad_of_wrong_shape():
    x = tg.ones((2, 3), requires_grad=True)
    message = _raises(ValueError, lambda: (x * 2).backward(np.ones(3)))
    assert "backward" in message
    assert _has_shape(message, (2, 3)) and _has_shape(message, (3,))
    assert x.grad is None


def test_backward_on_tensor_without_graph():
    message = _raises(RuntimeError, lambda: tg.tensor([1.0]).backward())
    assert "backward" in message and "requires_grad" in message


def test_second_backward_on_freed_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    message = _raises(RuntimeError, y.backward)
    assert "retain_graph" in message
    assert re.search(r"\b(sum|mul)\b", message)


def test_inplace_change_of_saved_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (x * c).sum()
    c += 1
    message = _raises(RuntimeError, y.backward)
    assert "mul" in message
    assert "in place" in message
    assert _has_shape(message, (2,))
    assert x.grad is None


def test_inplace_change_of_saved_tensor_through_data():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    c = tg.tensor([[3.0], [4.0]])
    y = (x @ c).sum()
    c.data = c.data * 2
    message = _raises(RuntimeError, y.backward)
    assert "matmul" in message
    assert _has_shape(message, (2, 1))


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("__iadd__", lambda t: t.__iadd__(1.0)),
        ("__isub__", lambda t: t.__isub__(1.0)),
        ("__imul__", lambda t: t.__imul__(2.0)),
        ("__itruediv__", lambda t: t.__itruediv__(2.0)),
        ("__setitem__", lambda t: t.__setitem__(0, 1.0)),
    ],
)
def test_inplace_op_on_requires_grad_tensor(name, edit):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    message = _raises(RuntimeError, lambda: edit(x))
    assert name in message
    assert "requires grad" in message
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_nan_under_detect_anomaly():
    with np.errstate(invalid="ignore"), tg.detect_anomaly():
        message = _raises(FloatingPointError, lambda: tg.sqrt(tg.tensor([-1.0, 4.0])))
    assert "sqrt" in message and "NaN" in message


def test_infinity_in_backward_under_detect_anomaly():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore"), tg.detect_anomaly():
        y = tg.log(x + 1.0).sum() + tg.sqrt(x).sum()
        message = _raises(FloatingPointError, y.backward)
    assert "sqrt" in message and "inf" in message
