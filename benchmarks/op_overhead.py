"""How much does tensorgrad add on top of NumPy when the arrays are tiny?

With 10-element arrays NumPy itself does almost no work, so what is measured is
tensorgrad's bookkeeping per operation: wrapping results in tensors, recording graph
nodes, and walking the graph backwards. Four measurements:

(a) 1,000 elementwise ops on a 10-element float64 vector, alternating ``x + c``,
    ``x * c2`` and ``tanh(x)``, then ``.sum()`` and ``backward()``, against the same
    forward and a hand-written backward in NumPy. Target: at most 2.5x NumPy's time.
(b) One training step (forward, MSE loss, backward, ``W <- W - lr * grad``) of a
    2-16-16-1 tanh MLP on a batch of 8, float64, against the same step written by
    hand in NumPy. Target: at most 2.0x.
(c) The same chain with 100,000 ops must backpropagate at Python's default recursion
    limit, and the peak memory during backward (tracemalloc) must not exceed the peak
    memory read at the end of the forward pass. The memory the graph still holds when
    the forward ends is reported too: backward exceeds it only by its first few
    temporaries (the seed gradient), a constant that does not grow with the chain.
(d) ``import tensorgrad`` in a fresh interpreter: median of 5 runs under 0.2 s, and
    no heavy library (matplotlib, scipy, pandas, torch, ...) imported along with it.

Before anything is timed, tensorgrad's gradients are compared with NumPy's; if they
differ the script stops with exit code 1. Missed targets are reported, exit code 0.

Run:  .venv/bin/python benchmarks/op_overhead.py [--profile]
(``--profile`` also prints cProfile's top functions for (a) and (b), by own time.)
Results: printed as tables and written to benchmarks/results/op_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import numpy as np
from _harness import CorrectnessError, Report, check_close, format_megabytes, format_seconds

import tensorgrad as tg

VECTOR_SIZE = 10
SHORT_CHAIN = 1_000
LONG_CHAIN = 100_000
DEFAULT_RECURSION_LIMIT = 1_000
MLP_SIZES = (2, 16, 16, 1)
MLP_BATCH = 8
LEARNING_RATE = 0.01
IMPORT_RUNS = 5
IMPORT_TARGET_S = 0.2
HEAVY_MODULES = ("matplotlib", "scipy", "pandas", "torch", "tensorflow", "jax", "IPython")

Layers = list[tuple[np.ndarray, np.ndarray]]  # (weight, bias) per layer, NumPy side
TensorLayers = list[tuple[tg.Tensor, tg.Tensor]]  # the same, tensorgrad side


# --- (a) and (c): a long chain of elementwise ops -------------------------------------
#
# Op i is ``x + shift`` when i % 3 == 0, ``x * scale`` when i % 3 == 1, ``tanh(x)``
# otherwise. The constants stay close to 0 and 1 so that the gradient neither
# vanishes nor explodes over a thousand ops, which keeps the gradient check meaningful.


def chain_constants(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The starting vector and the two constant arrays ``shift`` and ``scale``."""
    x0 = rng.uniform(-1.0, 1.0, VECTOR_SIZE)
    shift = rng.uniform(-1e-4, 1e-4, VECTOR_SIZE)
    scale = rng.uniform(0.9999, 1.0001, VECTOR_SIZE)
    return x0, shift, scale


def tensorgrad_chain(x: tg.Tensor, shift: np.ndarray, scale: np.ndarray, n_ops: int) -> tg.Tensor:
    """The forward chain on a tensor; tensorgrad records every op for backward."""
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            x = x + shift
        elif kind == 1:
            x = x * scale
        else:
            x = tg.tanh(x)
    return x


def tensorgrad_chain_grad(
    x0: np.ndarray, shift: np.ndarray, scale: np.ndarray, n_ops: int
) -> tuple[float, np.ndarray]:
    """The loss ``sum(chain(x0))`` and its gradient with respect to ``x0``, by tensorgrad."""
    x = tg.Tensor(x0, requires_grad=True)
    loss = tensorgrad_chain(x, shift, scale, n_ops).sum()
    loss.backward()
    return loss.item(), x.grad


def numpy_chain_grad(
    x0: np.ndarray, shift: np.ndarray, scale: np.ndarray, n_ops: int
) -> tuple[float, np.ndarray]:
    """The same loss and gradient by hand: the forward keeps the tanh outputs for backward.

    ``x + shift`` passes the gradient through, ``x * scale`` multiplies it by ``scale``,
    and ``t = tanh(x)`` multiplies it by ``1 - t**2``.
    """
    x = x0
    tanh_outputs = []
    for i in range(n_ops):
        kind = i % 3
        if kind == 0:
            x = x + shift
        elif kind == 1:
            x = x * scale
        else:
            x = np.tanh(x)
            tanh_outputs.append(x)
    loss = x.sum()
    grad = np.ones_like(x)  # d sum(x) / dx
    for i in reversed(range(n_ops)):
        kind = i % 3
        if kind == 2:
            t = tanh_outputs.pop()
            # 1.0, as in tensorgrad's rule: NumPy is slower with a Python int operand.
            grad = grad * (1.0 - t * t)
        elif kind == 1:
            grad = grad * scale
    return float(loss), grad


def measure_short_chain(report: Report) -> None:
    """(a): check the gradients agree, then time both implementations interleaved."""
    x0, shift, scale = chain_constants(np.random.default_rng(0))
    loss, grad = tensorgrad_chain_grad(x0, shift, scale, SHORT_CHAIN)
    expected_loss, expected_grad = numpy_chain_grad(x0, shift, scale, SHORT_CHAIN)
    check_close(f"{SHORT_CHAIN}-op chain: loss", loss, expected_loss, rtol=1e-12)
    check_close(f"{SHORT_CHAIN}-op chain: dL/dx", grad, expected_grad, rtol=1e-10)
    timings = _harness.time_interleaved(
        {
            "tensorgrad": lambda: tensorgrad_chain_grad(x0, shift, scale, SHORT_CHAIN),
            "numpy": lambda: numpy_chain_grad(x0, shift, scale, SHORT_CHAIN),
        },
        label=f"(a) {SHORT_CHAIN}-op chain",
        repeats=400,
        warmup=10,
    )
    report.add_comparison(
        f"(a) {SHORT_CHAIN:,}-op chain, fwd+bwd",
        timings["tensorgrad"],
        timings["numpy"],
        max_ratio=2.5,
    )


def measure_long_chain(report: Report) -> None:
    """(c): 100,000 ops at the default recursion limit, and backward's peak memory."""
    limit = sys.getrecursionlimit()
    if limit != DEFAULT_RECURSION_LIMIT:
        raise CorrectnessError(
            f"the recursion limit is {limit}, not Python's default {DEFAULT_RECURSION_LIMIT}; "
            "this measurement is only meaningful at the default"
        )
    x0, shift, scale = chain_constants(np.random.default_rng(1))
    name = f"(c) {LONG_CHAIN:,}-op chain"

    _harness.status(f"  {name}: forward + backward (untraced) ...")
    start = time.perf_counter()
    try:
        x = tg.Tensor(x0, requires_grad=True)
        loss = tensorgrad_chain(x, shift, scale, LONG_CHAIN).sum()
        forward_s = time.perf_counter() - start
        loss.backward()
        backward_s = time.perf_counter() - start - forward_s
    except RecursionError as exc:
        report.add_check(f"{name} completes", f"RecursionError: {exc}", "no RecursionError", False)
        return
    report.add_check(
        f"{name} completes",
        f"fwd {format_seconds(forward_s)}, bwd {format_seconds(backward_s)}",
        f"recursion limit {limit}",
        True,
        forward_s=forward_s,
        backward_s=backward_s,
        recursion_limit=limit,
    )
    expected_loss, expected_grad = numpy_chain_grad(x0, shift, scale, LONG_CHAIN)
    check_close(f"{name}: loss", loss.item(), expected_loss, rtol=1e-10)
    check_close(f"{name}: dL/dx", x.grad, expected_grad, rtol=1e-8)
    del x, loss, expected_grad  # so that the traced run below starts from a clean slate

    _harness.status(f"  {name}: forward + backward under tracemalloc ...")
    tracemalloc.start()
    try:
        x = tg.Tensor(x0, requires_grad=True)
        loss = tensorgrad_chain(x, shift, scale, LONG_CHAIN).sum()
        forward_end, forward_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        loss.backward()
        backward_end, backward_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    excess = backward_peak - forward_end
    report.add_check(
        f"{name} backward peak memory",
        f"bwd peak {format_megabytes(backward_peak)}, fwd peak "
        f"{format_megabytes(forward_peak)}, held at fwd end {format_megabytes(forward_end)} "
        f"({excess:+d} B)",
        "bwd peak <= fwd peak",
        backward_peak <= forward_peak,
        forward_end_bytes=forward_end,
        forward_peak_bytes=forward_peak,
        backward_peak_bytes=backward_peak,
        backward_end_bytes=backward_end,
        backward_peak_minus_forward_end_bytes=excess,
    )


# --- (b): a training step of a tiny MLP -------------------------------------------------


def init_tiny_mlp(rng: np.random.Generator) -> Layers:
    """Glorot-scaled normal weights and zero biases for the sizes in ``MLP_SIZES``."""
    return [
        (rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), (n_in, n_out)), np.zeros(n_out))
        for n_in, n_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:])
    ]


def tensorgrad_tiny_grads(layers: TensorLayers, x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
    """Forward (tanh between layers, none after the last), MSE loss, backward; the loss."""
    h = x
    for i, (weight, bias) in enumerate(layers):
        h = h @ weight + bias
        if i < len(layers) - 1:
            h = tg.tanh(h)
    diff = h - y
    loss = (diff * diff).mean()
    loss.backward()
    return loss


def tensorgrad_tiny_step(layers: TensorLayers, x: tg.Tensor, y: tg.Tensor) -> None:
    """One training step: gradients, then ``W <- W - lr * grad`` by hand on ``.data``."""
    tensorgrad_tiny_grads(layers, x, y)
    for layer in layers:
        for param in layer:
            param.data -= LEARNING_RATE * param.grad
            param.grad = None


def numpy_tiny_grads(layers: Layers, x: np.ndarray, y: np.ndarray) -> tuple[float, Layers]:
    """The same forward in NumPy and its backward by hand: the loss, one (dW, db) per layer."""
    activations = [x]  # the input of each layer, then the network's output
    h = x
    for i, (weight, bias) in enumerate(layers):
        h = h @ weight + bias
        if i < len(layers) - 1:
            h = np.tanh(h)
        activations.append(h)
    diff = h - y
    loss = np.mean(diff * diff)
    grad = 2.0 * diff / diff.size  # d mean(diff**2) / d output
    grads: Layers = []
    for i in reversed(range(len(layers))):
        if i < len(layers) - 1:  # through the tanh: d tanh(z) / dz = 1 - tanh(z)**2
            out = activations[i + 1]
            grad = grad * (1.0 - out * out)
        grads.append((activations[i].T @ grad, grad.sum(axis=0)))
        if i > 0:
            grad = grad @ layers[i][0].T
    return float(loss), grads[::-1]


def numpy_tiny_step(layers: Layers, x: np.ndarray, y: np.ndarray) -> None:
    """One training step, updating the arrays in place."""
    _, grads = numpy_tiny_grads(layers, x, y)
    for (weight, bias), (d_weight, d_bias) in zip(layers, grads):
        weight -= LEARNING_RATE * d_weight
        bias -= LEARNING_RATE * d_bias


def as_tensor_layers(layers: Layers) -> TensorLayers:
    """Copies of the NumPy parameters as leaf tensors that require gradients."""
    return [
        (tg.Tensor(w.copy(), requires_grad=True), tg.Tensor(b.copy(), requires_grad=True))
        for w, b in layers
    ]


def tiny_mlp_problem() -> tuple[Layers, TensorLayers, np.ndarray, np.ndarray]:
    """Identical starting parameters for both sides, and one fixed batch."""
    rng = np.random.default_rng(2)
    layers = init_tiny_mlp(rng)
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0]))
    y = rng.standard_normal((MLP_BATCH, MLP_SIZES[-1]))
    return layers, as_tensor_layers(layers), x, y


def measure_tiny_mlp(report: Report) -> None:
    """(b): check one step's gradients agree, then time training steps interleaved."""
    layers, tensor_layers, x, y = tiny_mlp_problem()
    x_t, y_t = tg.Tensor(x), tg.Tensor(y)  # data: no gradient wanted
    loss = tensorgrad_tiny_grads(tensor_layers, x_t, y_t)
    expected_loss, expected_grads = numpy_tiny_grads(layers, x, y)
    check_close("tiny MLP: loss", loss.item(), expected_loss, rtol=1e-12)
    for i, ((w, b), (dw, db)) in enumerate(zip(tensor_layers, expected_grads)):
        check_close(f"tiny MLP: dL/dW{i + 1}", w.grad, dw, rtol=1e-10, atol=1e-14)
        check_close(f"tiny MLP: dL/db{i + 1}", b.grad, db, rtol=1e-10, atol=1e-14)
        w.grad = b.grad = None
    timings = _harness.time_interleaved(
        {
            "tensorgrad": lambda: tensorgrad_tiny_step(tensor_layers, x_t, y_t),
            "numpy": lambda: numpy_tiny_step(layers, x, y),
        },
        label="(b) tiny MLP step",
        repeats=300,
        warmup=10,
        inner=20,
    )
    report.add_comparison(
        "(b) 2-16-16-1 tanh MLP step, batch 8",
        timings["tensorgrad"],
        timings["numpy"],
        max_ratio=2.0,
    )


# --- (d): import time -------------------------------------------------------------------

# Runs in a fresh interpreter: time the import alone (not the interpreter's start-up),
# then list which of the heavy modules came along with it.
IMPORT_PROBE = """
import json, sys, time
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
heavy = [name for name in {heavy!r} if name in sys.modules]
print(json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""


def import_once(module: str) -> tuple[float, list[str]]:
    """Seconds to import ``module`` in a fresh interpreter, and the heavy modules loaded."""
    code = IMPORT_PROBE.format(module=module, heavy=HEAVY_MODULES)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=_harness.REPO_ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise CorrectnessError(
            f"`import {module}` failed in a fresh interpreter:\n{completed.stderr}"
        )
    result = json.loads(completed.stdout)
    return result["seconds"], result["heavy"]


def measure_import(report: Report) -> None:
    """(d): ``import tensorgrad`` in fresh interpreters, with ``import numpy`` for scale."""
    seconds: dict[str, list[float]] = {"tensorgrad": [], "numpy": []}
    heavy: set[str] = set()
    with _harness.progress("(d) import time", IMPORT_RUNS) as update:
        for run in range(IMPORT_RUNS):
            for module in seconds:  # interleaved, like the other measurements
                elapsed, loaded = import_once(module)
                seconds[module].append(elapsed)
                if module == "tensorgrad":
                    heavy.update(loaded)
            update(run + 1)
    median = float(np.median(seconds["tensorgrad"]))
    numpy_median = float(np.median(seconds["numpy"]))
    report.add_check(
        "(d) import tensorgrad, fresh process",
        f"{format_seconds(median)} (numpy alone {format_seconds(numpy_median)}); "
        f"heavy modules loaded: {', '.join(sorted(heavy)) or 'none'}",
        f"< {IMPORT_TARGET_S:g} s, no matplotlib etc.",
        median < IMPORT_TARGET_S and not heavy,
        median_s=median,
        samples_s=seconds["tensorgrad"],
        numpy_alone_median_s=numpy_median,
        numpy_alone_samples_s=seconds["numpy"],
        heavy_modules_loaded=sorted(heavy),
    )


# --- profiling (optional) ---------------------------------------------------------------


def print_profiles() -> None:
    """cProfile's top functions, by own time, for tensorgrad's side of (a) and (b)."""
    x0, shift, scale = chain_constants(np.random.default_rng(0))
    _, tensor_layers, x, y = tiny_mlp_problem()
    x_t, y_t = tg.Tensor(x), tg.Tensor(y)
    steps: list[tuple[str, Callable[[], object], int]] = [
        (
            f"(a) {SHORT_CHAIN}-op chain",
            lambda: tensorgrad_chain_grad(x0, shift, scale, SHORT_CHAIN),
            100,
        ),
        ("(b) tiny MLP step", lambda: tensorgrad_tiny_step(tensor_layers, x_t, y_t), 2000),
    ]
    for label, step, calls in steps:
        print(f"\ncProfile of tensorgrad, {label}, {calls} calls, sorted by tottime:")
        print(_harness.profile_step(step, calls).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile", action="store_true", help="also print cProfile output for (a) and (b)"
    )
    args = parser.parse_args()

    report = Report("op_overhead", "tensorgrad per-op overhead vs hand-written NumPy")
    _harness.status("op_overhead: checking gradients, then timing (progress below)")
    measure_short_chain(report)
    measure_tiny_mlp(report)
    measure_long_chain(report)
    measure_import(report)
    report.finish(
        notes=[
            "Times are medians per step over interleaved repetitions; ratio = tensorgrad / numpy.",
            "(c) compares tracemalloc's peak during backward with its peak at the end of the",
            "    forward; in parentheses, backward's peak minus the memory held at that point.",
        ]
    )
    if args.profile:
        print_profiles()


if __name__ == "__main__":
    _harness.run_main(main)
