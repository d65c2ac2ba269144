"""A realistic training step: is tensorgrad as fast as NumPy written by hand?

The model is a 784-512-256-10 ReLU MLP (MNIST-sized) trained on a batch of 256, in
float32 and in float64. One step is

    forward   logits = relu(relu(X @ W1 + b1) @ W2 + b2) @ W3 + b3
    loss      cross-entropy from the log-softmax,
              logp = log_softmax(logits, axis=1), loss = -mean(logp[i, label_i])
    backward  the gradient of every weight and bias (not of X, which is data)
    update    W <- W - lr * grad, done by hand on the arrays

tensorgrad builds the loss from tensor ops and gets the gradients from ``backward()``;
the competitor is the same step in plain NumPy with the backward written by hand.
The arrays are large, so nearly all the time is spent in matrix products; the target
is that tensorgrad's bookkeeping adds at most 5% (ratio <= 1.05x) in both dtypes.

Before timing, the first step's gradients are compared (rtol 1e-4 in float32, 1e-10 in
float64); if they differ the script stops with exit code 1. Missed targets are
reported, exit code 0.

Run:  .venv/bin/python benchmarks/mlp_step.py
Results: printed as a table and written to benchmarks/results/mlp_step.json.
"""

from __future__ import annotations

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import numpy as np
from _harness import CorrectnessError, Report, check_close

import tensorgrad as tg

SIZES = (784, 512, 256, 10)
BATCH = 256
LEARNING_RATE = 0.01
TARGET_RATIO = 1.05
HVP_TARGET_RATIO = 3.0  # a Hessian-vector product may cost up to three gradients
# rtol of the gradient check; atol is the same fraction of each gradient's largest entry,
# so that entries close to zero are judged at the scale of the gradient they belong to.
RTOL = {"float32": 1e-4, "float64": 1e-10}
REPEATS = {"float32": 200, "float64": 120}

Params = list[np.ndarray]  # W1, b1, W2, b2, W3, b3


def init_params(rng: np.random.Generator, dtype: np.dtype) -> Params:
    """He (Kaiming) normal weights, std sqrt(2 / fan_in), and zero biases."""
    params: Params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))
        params += [weight.astype(dtype), np.zeros(fan_out, dtype=dtype)]
    return params


# --- tensorgrad -------------------------------------------------------------------------


def tensorgrad_backward(params: list[tg.Tensor], x: tg.Tensor, labels: np.ndarray) -> tg.Tensor:
    """Forward, cross-entropy from tensor ops, and ``backward()`` into every ``.grad``."""
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = tg.relu(h)
    log_probs = tg.log_softmax(h, axis=1)
    loss = -log_probs[np.arange(len(labels)), labels].mean()
    loss.backward()
    return loss


def tensorgrad_step(params: list[tg.Tensor], x: tg.Tensor, labels: np.ndarray) -> None:
    """One training step; the update is done by hand on ``.data``."""
    tensorgrad_backward(params, x, labels)
    for param in params:
        param.data -= LEARNING_RATE * param.grad
        param.grad = None


# --- NumPy by hand ----------------------------------------------------------------------


def numpy_grads(params: Params, x: np.ndarray, labels: np.ndarray) -> tuple[float, Params]:
    """The same forward in NumPy and its backward by hand: the loss and dW1, db1, ..., db3."""
    n_layers = len(params) // 2
    inputs = []  # the input of each layer, kept for the weight gradients
    h = x
    for i in range(n_layers):
        inputs.append(h)
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = np.maximum(h, 0)
    shifted = h - h.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_probs[rows, labels].mean()

    # d loss / d logits = (softmax - one_hot(labels)) / batch
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    grad /= len(labels)
    grads: Params = [np.empty(0)] * len(params)
    for i in reversed(range(n_layers)):
        grads[2 * i] = inputs[i].T @ grad
        grads[2 * i + 1] = grad.sum(axis=0)
        if i > 0:  # back through the weight, then through the ReLU that made inputs[i]
            grad = (grad @ params[2 * i].T) * (inputs[i] > 0)
    return float(loss), grads


def numpy_step(params: Params, x: np.ndarray, labels: np.ndarray) -> None:
    """One training step, updating the arrays in place."""
    _, grads = numpy_grads(params, x, labels)
    for param, grad in zip(params, grads):
        param -= LEARNING_RATE * grad


# --- the measurement --------------------------------------------------------------------


def measure(report: Report, name: str) -> None:
    """Check one step's gradients agree in dtype ``name``, then time steps interleaved."""
    dtype = np.dtype(name)
    rng = np.random.default_rng(0)
    params = init_params(rng, dtype)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    labels = rng.integers(0, SIZES[-1], BATCH)

    tensor_params = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
    x_t = tg.Tensor(x)  # data, so no gradient: the engine must not compute dL/dX
    loss = tensorgrad_backward(tensor_params, x_t, labels)
    expected_loss, expected_grads = numpy_grads(params, x, labels)
    check_close(f"{name} step 1: loss", loss.item(), expected_loss, rtol=RTOL[name])
    if x_t.grad is not None:
        raise CorrectnessError(f"{name}: X does not require grad, yet X.grad was set")
    for i, (param, expected) in enumerate(zip(tensor_params, expected_grads)):
        what = f"{name} step 1: d loss / d {'W' if i % 2 == 0 else 'b'}{i // 2 + 1}"
        atol = RTOL[name] * float(np.abs(expected).max())
        check_close(what, param.grad, expected, rtol=RTOL[name], atol=atol)
        param.grad = None

    timings = _harness.time_interleaved(
        {
            "tensorgrad": lambda: tensorgrad_step(tensor_params, x_t, labels),
            "numpy": lambda: numpy_step(params, x, labels),
        },
        label=f"{name} step",
        repeats=REPEATS[name],
        warmup=3,
    )
    report.add_comparison(
        f"784-512-256-10 ReLU MLP step, batch {BATCH}, {name}",
        timings["tensorgrad"],
        timings["numpy"],
        max_ratio=TARGET_RATIO,
    )


def measure_hvp(report: Report) -> None:
    """Time a Hessian-vector product of the loss against one gradient of it (float64).

    Both are taken with respect to all six parameters, as functions (``tg.hvp`` and
    ``tg.grad``). Before timing, the product is checked against central differences of
    the gradient, ``(g(w + h v) - g(w - h v)) / 2h`` (rtol 1e-4).
    """
    rng = np.random.default_rng(1)
    params = tuple(tg.Tensor(p) for p in init_params(rng, np.dtype(np.float64)))
    x = tg.Tensor(rng.standard_normal((BATCH, SIZES[0])))
    labels = rng.integers(0, SIZES[-1], BATCH)
    directions = tuple(rng.standard_normal(p.shape) for p in params)

    def loss(*weights: tg.Tensor) -> tg.Tensor:
        h = x
        for i in range(0, len(weights), 2):
            h = h @ weights[i] + weights[i + 1]
            if i + 2 < len(weights):
                h = tg.relu(h)
        return -tg.log_softmax(h, axis=1)[np.arange(BATCH), labels].mean()

    gradient = tg.grad(loss, argnums=tuple(range(len(params))))
    products = tg.hvp(loss, params, directions)
    # A small step: with 1e-5 some ReLU inputs change sign between w - hv and w + hv, and
    # the jump in the gradient swamps the difference quotient.
    step = 1e-7
    plus = gradient(*(tg.Tensor(p.data + step * v) for p, v in zip(params, directions)))
    minus = gradient(*(tg.Tensor(p.data - step * v) for p, v in zip(params, directions)))
    for i, (product, a, b) in enumerate(zip(products, plus, minus)):
        expected = (a.data - b.data) / (2 * step)
        atol = 1e-4 * float(np.abs(expected).max())
        check_close(f"hvp, parameter {i}", product.data, expected, rtol=1e-4, atol=atol)

    timings = _harness.time_interleaved(
        {
            "hvp": lambda: tg.hvp(loss, params, directions),
            "gradient": lambda: gradient(*params),
        },
        label="hvp vs gradient",
        repeats=40,
        warmup=3,
    )
    report.add_comparison(
        f"hvp of the 784-512-256-10 MLP loss vs one gradient, batch {BATCH}, float64",
        timings["hvp"],
        timings["gradient"],
        max_ratio=HVP_TARGET_RATIO,
    )


def main() -> None:
    report = Report("mlp_step", "tensorgrad training step vs hand-written NumPy (large arrays)")
    _harness.status("mlp_step: checking gradients, then timing (progress below)")
    for name in ("float32", "float64"):
        measure(report, name)
    measure_hvp(report)
    report.finish(
        notes=[
            "Times are medians per step over interleaved repetitions; ratio = tensorgrad / numpy.",
            "A step is forward, cross-entropy, backward and the update W <- W - lr * grad.",
            "The hvp row puts tg.hvp in the tensorgrad column and one tg.grad of the same "
            "loss in the numpy column.",
        ]
    )


if __name__ == "__main__":
    _harness.run_main(main)
