"""The workloads of ``benchmarks/engines.py``: what every engine computes, and how.

Each workload holds its data (built when it is created, the same for every engine) and
gives the engines three ways to run it: ``numpy_case`` and ``tensorgrad_case`` call the
code of ``mlp_step.py`` and ``op_overhead.py``, so that those scripts and this one time
the same thing; ``loss`` is the same computation written once for the other engines,
with the operators they share and the functions their adapters supply
(``_engine_adapters.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import _harness  # noqa: F401  (sets the BLAS thread variables before NumPy is imported)
import mlp_step
import numpy as np
import op_overhead
from _engine_adapters import Case, Workload

import tensorgrad as tg


def dense_forward(layers: list[tuple[Any, Any]], x: Any, activation: Any) -> Any:
    """``activation(x @ W + b)`` through every layer but the last, which has none."""
    *hidden, (last_weight, last_bias) = layers
    for weight, bias in hidden:
        x = activation(x @ weight + bias)
    return x @ last_weight + last_bias


def layer_pairs(params: Sequence[Any]) -> list[tuple[Any, Any]]:
    """``[W1, b1, W2, b2, ...]`` -> ``[(W1, b1), (W2, b2), ...]``."""
    return list(zip(params[::2], params[1::2]))


def collect_grads(tensors: Sequence[tg.Tensor]) -> list[np.ndarray]:
    """Each tensor's ``.grad``, which is then cleared for the next step."""
    grads = [t.grad for t in tensors]
    for tensor in tensors:
        tensor.grad = None
    return grads


class MLPStep:
    """784-512-256-10 ReLU MLP, cross-entropy, one SGD step (``mlp_step.py``)."""

    learning_rate: float | None = mlp_step.LEARNING_RATE
    target: float | None = mlp_step.TARGET_RATIO
    inner = 1

    def __init__(self, dtype: str, batch: int = mlp_step.BATCH) -> None:
        self.key = f"mlp_{dtype}"
        self.title = f"784-512-256-10 MLP step, batch {batch}, {dtype}"
        self.short = f"MLP step\n{dtype}"
        self.rtol = mlp_step.RTOL[dtype]
        self.budget_s = 10.0 if dtype == "float32" else 12.0
        rng = np.random.default_rng(0)
        self.params = mlp_step.init_params(rng, np.dtype(dtype))
        self.x = rng.standard_normal((batch, mlp_step.SIZES[0])).astype(dtype)
        self.labels = rng.integers(0, mlp_step.SIZES[-1], batch)
        self.data: tuple[np.ndarray, ...] = (self.x, np.arange(batch), self.labels)

    @staticmethod
    def loss(ops: Any, params: list[Any], x: Any, rows: Any, labels: Any) -> Any:
        logits = dense_forward(layer_pairs(params), x, ops.relu)
        return -ops.log_softmax(logits)[rows, labels].mean()

    def numpy_case(self) -> Case:
        params = [p.copy() for p in self.params]
        return Case(
            gradients=lambda: mlp_step.numpy_grads(params, self.x, self.labels),
            step=lambda: mlp_step.numpy_step(params, self.x, self.labels),
        )

    def tensorgrad_case(self) -> Case:
        params = [tg.Tensor(p.copy(), requires_grad=True) for p in self.params]
        x = tg.Tensor(self.x)

        def gradients() -> tuple[float, list[np.ndarray]]:
            loss = mlp_step.tensorgrad_backward(params, x, self.labels)
            return loss.item(), collect_grads(params)

        return Case(gradients, lambda: mlp_step.tensorgrad_step(params, x, self.labels))


class TinyMLPStep:
    """2-16-16-1 tanh MLP, mean squared error, one SGD step, batch 8 (``op_overhead.py`` b)."""

    key = "tiny_mlp"
    title = f"2-16-16-1 MLP step, batch {op_overhead.MLP_BATCH}, float64"
    short = "tiny MLP\nstep"
    target: float | None = 2.0
    rtol = 1e-10
    budget_s = 6.0
    inner = 10
    learning_rate: float | None = op_overhead.LEARNING_RATE

    def __init__(self) -> None:
        self.layers, _, self.x, self.y = op_overhead.tiny_mlp_problem()
        self.params = [array for layer in self.layers for array in layer]
        self.data: tuple[np.ndarray, ...] = (self.x, self.y)

    @staticmethod
    def loss(ops: Any, params: list[Any], x: Any, y: Any) -> Any:
        diff = dense_forward(layer_pairs(params), x, ops.tanh) - y
        return (diff * diff).mean()

    def numpy_case(self) -> Case:
        layers = [(w.copy(), b.copy()) for w, b in self.layers]

        def gradients() -> tuple[float, list[np.ndarray]]:
            loss, grads = op_overhead.numpy_tiny_grads(layers, self.x, self.y)
            return loss, [g for layer in grads for g in layer]

        return Case(gradients, lambda: op_overhead.numpy_tiny_step(layers, self.x, self.y))

    def tensorgrad_case(self) -> Case:
        layers = op_overhead.as_tensor_layers(self.layers)
        params = [t for layer in layers for t in layer]
        x, y = tg.Tensor(self.x), tg.Tensor(self.y)

        def gradients() -> tuple[float, list[np.ndarray]]:
            loss = op_overhead.tensorgrad_tiny_grads(layers, x, y)
            return loss.item(), collect_grads(params)

        return Case(gradients, lambda: op_overhead.tensorgrad_tiny_step(layers, x, y))


class Chain:
    """``n_ops`` elementwise ops on a 10-vector, then ``sum``, forward and backward.

    The ops cycle through ``x + shift``, ``x * scale`` and ``tanh(x)`` (``op_overhead.py``).
    """

    learning_rate: float | None = None  # only the gradient is computed
    inner = 1
    rtol = 1e-10

    def __init__(self, n_ops: int, target: float | None = None, budget_s: float = 8.0) -> None:
        self.n_ops = n_ops
        self.key = f"chain_{n_ops}"
        self.title = f"{n_ops:,}-op chain, fwd+bwd, float64"
        self.short = f"{n_ops:,}-op\nchain"
        self.target = target
        self.budget_s = budget_s
        x0, self.shift, self.scale = op_overhead.chain_constants(np.random.default_rng(0))
        self.params = [x0]
        self.data: tuple[np.ndarray, ...] = (self.shift, self.scale)

    def loss(self, ops: Any, params: list[Any], shift: Any, scale: Any) -> Any:
        step_kinds = (lambda v: v + shift, lambda v: v * scale, ops.tanh)
        x = params[0]
        for i in range(self.n_ops):
            x = step_kinds[i % 3](x)
        return x.sum()

    def _case(self, chain_grad: Any) -> Case:
        def gradients() -> tuple[float, list[np.ndarray]]:
            loss, grad = chain_grad(self.params[0], self.shift, self.scale, self.n_ops)
            return loss, [grad]

        return Case(gradients, gradients)

    def numpy_case(self) -> Case:
        return self._case(op_overhead.numpy_chain_grad)

    def tensorgrad_case(self) -> Case:
        return self._case(op_overhead.tensorgrad_chain_grad)


# Each builds its data when called, so that a memory probe builds only the one it measures.
WORKLOADS: dict[str, Callable[[], Workload]] = {
    "mlp_float32": lambda: MLPStep("float32"),
    "mlp_float64": lambda: MLPStep("float64"),
    "tiny_mlp": TinyMLPStep,
    "chain_1000": lambda: Chain(1_000, target=2.5, budget_s=8.0),
    "chain_20000": lambda: Chain(20_000, budget_s=20.0),
}

# tensorgrad's two targets that are not a ratio to NumPy by hand on one workload's time.
CHAIN_VS_TORCH = "chain_20000"  # its ratio must be below PyTorch's
MEMORY_TARGET = ("mlp_float64", 1.2)  # peak memory above the baseline, ratio to NumPy's
