"""tensorgrad.nn against PyTorch, where PyTorch is installed (it is not a dependency).

The losses (values and gradients, every reduction, both dtypes), dropout's scaling,
``calculate_gain``, the init bounds and ``Linear``'s forward and backward must agree with
PyTorch's. tensorgrad keeps a linear weight as ``(in, out)`` (``y = x @ W + b``), so it is
transposed into PyTorch's ``(out, in)`` layout before comparing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def tolerance(dtype: Any) -> dict[str, float]:
    if np.dtype(dtype) == np.float32:
        return {"rtol": 1e-5, "atol": 1e-6}
    return {"rtol": 1e-12, "atol": 1e-13}


def make_case(kind: str, shape: tuple[int, ...], rng: np.random.Generator, scale: float):
    """(logits or predictions, target, whether the target is differentiable)."""
    x = rng.normal(size=shape) * scale
    if kind == "mse":
        return x, rng.normal(size=shape), True
    if kind == "bce":
        return x, rng.uniform(0, 1, size=shape), True
    if kind == "ce_probs":
        return x, rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]), True
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    if kind == "nll":
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))  # log-probabilities, as nll expects
    return x, labels, False


TG_LOSSES = {
    "mse": F.mse_loss,
    "bce": F.binary_cross_entropy_with_logits,
    "ce_labels": F.cross_entropy,
    "ce_probs": F.cross_entropy,
    "nll": F.nll_loss,
}
TORCH_LOSSES = {
    "mse": TF.mse_loss,
    "bce": TF.binary_cross_entropy_with_logits,
    "ce_labels": TF.cross_entropy,
    "ce_probs": TF.cross_entropy,
    "nll": TF.nll_loss,
}
CASES = [
    ("mse", (3, 4)),
    ("mse", ()),
    ("bce", (3, 4)),
    ("bce", (5,)),
    ("ce_labels", (4, 5)),
    ("ce_labels", (5,)),
    ("ce_probs", (4, 5)),
    ("ce_probs", (5,)),
    ("nll", (4, 5)),
    ("nll", (5,)),
]


def _run_tensorgrad(kind, x, target, differentiable, reduction, upstream, dtype):
    xt = tg.Tensor(x.astype(dtype), requires_grad=True)
    tt = tg.Tensor(target.astype(dtype), requires_grad=True) if differentiable else target
    out = TG_LOSSES[kind](xt, tt, reduction=reduction)
    out.backward(upstream.astype(dtype))
    return out.data, xt.grad, (tt.grad if differentiable else None)


def _run_torch(kind, x, target, differentiable, reduction, upstream, dtype):
    xt = torch.tensor(x, dtype=TORCH_DTYPE[dtype], requires_grad=True)
    if differentiable:
        tt = torch.tensor(target, dtype=TORCH_DTYPE[dtype], requires_grad=True)
    else:
        tt = torch.tensor(target, dtype=torch.int64)
    out = TORCH_LOSSES[kind](xt, tt, reduction=reduction)
    out.backward(torch.tensor(upstream, dtype=TORCH_DTYPE[dtype]))
    target_grad = tt.grad.numpy() if differentiable else None
    return out.detach().numpy(), xt.grad.numpy(), target_grad


# logits of size 1e4 where a log-sum-exp or softplus could overflow
SCALED = [(kind, shape, 1.0) for kind, shape in CASES] + [
    (kind, shape, 1e4) for kind, shape in CASES if kind in ("bce", "ce_labels", "ce_probs")
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, shape, scale", SCALED, ids=str)
def test_losses_match_torch(kind, shape, scale, reduction, dtype):
    rng = np.random.default_rng(0)
    x, target, differentiable = make_case(kind, shape, rng, scale)
    out_shape = np.shape(target)[: len(shape) - 1] if kind.startswith(("ce", "nll")) else shape
    upstream = rng.normal(size=out_shape if reduction == "none" else ())
    ours = _run_tensorgrad(kind, x, target, differentiable, reduction, upstream, dtype)
    theirs = _run_torch(kind, x, target, differentiable, reduction, upstream, dtype)
    tol = tolerance(dtype)
    # losses of size 1e4 are compared relative to that size; gradients stay within [-1, 1]
    loss_tol = {"rtol": tol["rtol"], "atol": tol["atol"] * scale}
    for name, a, b in zip(("loss", "input grad", "target grad"), ours, theirs):
        if b is None:
            continue
        assert np.shape(a) == np.shape(b), name
        assert np.all(np.isfinite(a)), name
        np.testing.assert_allclose(a, b, err_msg=name, **(loss_tol if name == "loss" else tol))
    assert ours[0].dtype == dtype and ours[1].dtype == dtype


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_modules_match_torch_modules(reduction: str):
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    pairs = [
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, labels),
        (nn.NLLLoss, torch.nn.NLLLoss, labels),
        (nn.MSELoss, torch.nn.MSELoss, rng.normal(size=(4, 3))),
        (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, rng.uniform(size=(4, 3))),
    ]
    for ours, theirs, target in pairs:
        expected = theirs(reduction=reduction)(torch.tensor(x), torch.tensor(target)).numpy()
        got = ours(reduction=reduction)(tg.Tensor(x), target).data
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=ours.__name__)


# --- dropout -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.75, 0.9])
def test_dropout_scales_like_torch(p: float, dtype: Any):
    x = np.random.default_rng(2).uniform(1.0, 2.0, size=(40, 50)).astype(dtype)
    upstream = np.random.default_rng(3).normal(size=x.shape).astype(dtype)

    xt = tg.Tensor(x, requires_grad=True)
    ours = nn.Dropout(p, rng=np.random.default_rng(4))(xt)
    ours.backward(upstream)
    torch.manual_seed(0)
    xth = torch.tensor(x, requires_grad=True)
    theirs = torch.nn.Dropout(p)(xth)
    theirs.backward(torch.tensor(upstream))

    # The masks differ (different generators); what a kept unit becomes must not.
    for out, x_grad in ((ours.data, xt.grad), (theirs.detach().numpy(), xth.grad.numpy())):
        kept = out != 0
        assert 0 < kept.sum() < kept.size
        np.testing.assert_allclose(out[kept] / x[kept], 1 / (1 - p), **tolerance(dtype))
        np.testing.assert_allclose(x_grad[kept], upstream[kept] / (1 - p), **tolerance(dtype))
        assert (x_grad[~kept] == 0).all()
    ours_scale = (ours.data[ours.data != 0] / x[ours.data != 0]).astype(np.float64)
    theirs_out = theirs.detach().numpy()
    theirs_scale = (theirs_out[theirs_out != 0] / x[theirs_out != 0]).astype(np.float64)
    np.testing.assert_allclose(ours_scale.mean(), theirs_scale.mean(), **tolerance(dtype))


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities_like_torch(p: float):
    x = np.random.default_rng(5).normal(size=(6, 7))
    ours = nn.Dropout(p)(tg.Tensor(x)).data
    theirs = torch.nn.Dropout(p)(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_dropout_in_eval_mode_like_torch():
    x = np.random.default_rng(6).normal(size=(6, 7))
    ours = nn.Dropout(0.5).eval()(tg.Tensor(x)).data
    theirs = torch.nn.Dropout(0.5).eval()(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, x)


# --- init --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 0),
        ("leaky_relu", 3.0),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity: str, param: float | None):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


FAN_IN, FAN_OUT = 150, 600


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("xavier_uniform_", {}),
        ("xavier_uniform_", {"gain": 2.0}),
        ("kaiming_uniform_", {}),
        ("kaiming_uniform_", {"mode": "fan_out"}),
        ("kaiming_uniform_", {"a": 0.3, "nonlinearity": "leaky_relu"}),
        ("kaiming_uniform_", {"nonlinearity": "tanh"}),
    ],
)
def test_uniform_init_bounds_match_torch(name: str, kwargs: dict):
    shape = (FAN_IN, FAN_OUT)
    ours = getattr(nn.init, name)(tg.zeros(shape), rng=np.random.default_rng(0), **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape[::-1], dtype=torch.float64), **kwargs)
    ours_max, theirs_max = np.abs(ours.data).max(), theirs.abs().max().item()
    # 90,000 uniform draws come within 0.1% of the bound; the two bounds must agree
    np.testing.assert_allclose(ours_max, theirs_max, rtol=2e-3)


@pytest.mark.parametrize(
    "name, kwargs",
    [("xavier_normal_", {}), ("kaiming_normal_", {}), ("kaiming_normal_", {"mode": "fan_out"})],
)
def test_normal_init_stds_match_torch(name: str, kwargs: dict):
    shape = (FAN_IN, FAN_OUT)
    ours = getattr(nn.init, name)(tg.zeros(shape), rng=np.random.default_rng(0), **kwargs)
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape[::-1], dtype=torch.float64), **kwargs)
    np.testing.assert_allclose(ours.data.std(), theirs.std().item(), rtol=0.02)


# --- Linear ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_with_the_weight_transposed(bias: bool, dtype: Any):
    rng = np.random.default_rng(7)
    ours = nn.Linear(5, 3, bias=bias, rng=rng, dtype=dtype)
    if bias:
        ours.bias.data = rng.normal(size=3).astype(dtype)
    theirs = torch.nn.Linear(5, 3, bias=bias, dtype=TORCH_DTYPE[dtype])
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data.T))
        if bias:
            theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = rng.normal(size=(4, 5)).astype(dtype)
    upstream = rng.normal(size=(4, 3)).astype(dtype)

    xt = tg.Tensor(x, requires_grad=True)
    out = ours(xt)
    out.backward(upstream)
    xth = torch.tensor(x, requires_grad=True)
    expected = theirs(xth)
    expected.backward(torch.tensor(upstream))

    tol = tolerance(dtype)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    np.testing.assert_allclose(xt.grad, xth.grad.numpy(), **tol)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy().T, **tol)
    if bias:
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), **tol)
