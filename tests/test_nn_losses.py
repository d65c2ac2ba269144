"""tensorgrad.nn's losses (mse, binary cross-entropy with logits, cross-entropy on labels
or probabilities, nll), as functions and modules.

Values are checked against NumPy formulas for every reduction, in float64 and float32;
stability at logits of size 1e4 exactly; gradients against central differences
(``tg.gradcheck``, with a random upstream gradient) and second derivatives as
Hessian-vector products against central differences of the gradient
(``tg.gradgradcheck``), on inputs drawn by hypothesis; then the errors.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from nn_helpers import DTYPES, np_sigmoid, rng_for, tolerance
from strategies import input_values, upstream

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn

REDUCTIONS = ["mean", "sum", "none"]


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
        s = np_sigmoid(x)
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
        return np_sigmoid(x) - target
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
def test_a_tensor_target_is_cast_to_the_inputs_dtype_like_an_array(
    kind, target_dtype, requires_grad
):
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
# Losses: gradients and second derivatives on hypothesis-drawn inputs
# =====================================================================================


@st.composite
def classification(draw: st.DrawFn) -> tuple[int, ...]:
    """A logits shape: (N, C) or (C,)."""
    classes = draw(st.integers(1, 5))
    batched = draw(st.booleans())
    return (draw(st.integers(1, 4)), classes) if batched else (classes,)


@st.composite
def elementwise(draw: st.DrawFn) -> tuple[int, ...]:
    return draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))


@st.composite
def loss_inputs(draw: st.DrawFn, kind: str, shape: tuple[int, ...]) -> tuple[np.ndarray, Any]:
    """(input, target) for the loss ``kind``, inputs of ``shape``: "real" values (as the op
    registry's, tests/strategies.py) for predictions and logits; a target in [0, 1] for
    bce, rows of positive weights that sum to 1 for ce_probs, labels in [0, C)."""
    x = draw(input_values("real", shape))
    if kind == "mse":
        return x, draw(input_values("real", shape))
    if kind == "bce":
        return x, draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1), fill=st.nothing()))
    if kind == "ce_probs":
        weights = draw(input_values("positive", shape))
        return x, weights / weights.sum(axis=-1, keepdims=True)
    labels = st.integers(0, shape[-1] - 1)
    return x, draw(hnp.arrays(np.int64, shape[:-1], elements=labels, fill=st.nothing()))


def loss_problem(data: st.DataObject, kind: str, shape: tuple[int, ...], reduction: str):
    """(function of the differentiable inputs, those inputs, upstream gradient), drawn."""
    x, target = data.draw(loss_inputs(kind, shape))
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
    return f, inputs, data.draw(upstream(out_shape))


GRAD_KINDS = [("mse", elementwise), ("bce", elementwise)] + [
    (kind, classification) for kind in ("ce_labels", "ce_probs", "nll")
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shapes", GRAD_KINDS, ids=lambda v: getattr(v, "__name__", v))
@given(data=st.data())
def test_loss_gradients_pass_gradcheck(kind, shapes, reduction, data):
    f, inputs, grad_output = loss_problem(data, kind, data.draw(shapes()), reduction)
    assert tg.gradcheck(f, inputs, grad_output=grad_output, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shapes", GRAD_KINDS, ids=lambda v: getattr(v, "__name__", v))
@given(data=st.data())
def test_loss_second_derivatives_pass_gradgradcheck(kind, shapes, reduction, data):
    # Float targets are differentiated too (mixed second derivatives); int labels are not.
    f, inputs, grad_output = loss_problem(data, kind, data.draw(shapes()), reduction)
    assert tg.gradgradcheck(f, inputs, grad_output=grad_output, atol=1e-6, rtol=1e-5)


def test_bce_hessian_is_sigmoid_times_one_minus_sigmoid():
    x = np.array([-3.0, -0.5, 0.0, 2.0, 1e4])

    def loss(logits: tg.Tensor) -> tg.Tensor:
        return F.binary_cross_entropy_with_logits(logits, np.full(5, 0.3), reduction="sum")

    # The Hessian is diagonal, so its product with ones is the diagonal.
    hessian_diagonal = tg.hvp(loss, x, np.ones(5)).data
    s = np_sigmoid(x)
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
