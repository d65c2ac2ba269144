"""The engines that ``benchmarks/engines.py`` compares, each behind one small adapter.

Every adapter turns a workload into a :class:`Case`: ``gradients()`` (the loss and the
gradient of every parameter at the starting point, as NumPy values, for the correctness
check) and ``step()`` (what is timed: one training step, or one forward and backward
pass when the workload has no update).

* ``numpy`` and ``tensorgrad`` run the workloads' own code, imported from
  ``op_overhead.py`` and ``mlp_step.py`` (``Workload.numpy_case`` / ``tensorgrad_case``),
  so that these numbers and those scripts' numbers measure the same thing.
* The other engines run one loss function per workload, written once against the
  operators they share (``@``, ``+``, ``*``, ``.mean()``, indexing) and the few functions
  each adapter supplies under the same names: ``tanh``, ``relu`` and ``log_softmax``
  (over axis 1). Each engine is used the way its documentation recommends: PyTorch and
  MyGrad record a tape and call ``backward()``; HIPS autograd and JAX transform the loss
  function with ``value_and_grad``. Tape engines update their parameters in place (as
  tensorgrad and the hand-written version do); JAX's arrays are immutable, so it makes
  new ones.

An engine that cannot be imported is skipped by :func:`load_engines` with the reason,
never an error.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import _harness  # noqa: F401  (sets the BLAS thread variables before NumPy is imported)
import numpy as np


@dataclass
class Case:
    """One engine set up for one workload."""

    gradients: Callable[[], tuple[float, list[np.ndarray]]]
    step: Callable[[], object]
    # Work to do once before the first call of either, if any: JAX's jit compiles here.
    # Its time is reported, never timed; a memory probe's baseline leaves it out.
    setup: Callable[[], None] | None = None


class Workload(Protocol):
    """What a workload in ``engines.py`` provides."""

    key: str  # a short name for results and file names
    title: str  # for tables
    short: str  # for the plot's axis
    params: list[np.ndarray]  # the starting parameters; every engine copies them
    data: tuple[np.ndarray, ...]  # inputs that need no gradient
    learning_rate: float | None  # None: a step is the gradient alone, with no update
    target: float | None  # tensorgrad's largest allowed ratio to NumPy by hand, if any
    rtol: float  # of the gradient check
    budget_s: float  # roughly how long its timing may take
    inner: int  # steps per timed call

    def loss(self, ops: Any, params: list[Any], *data: Any) -> Any:
        """The loss, written with the operators and the ``ops`` functions every engine has."""

    def numpy_case(self) -> Case:
        """The hand-written NumPy version."""

    def tensorgrad_case(self) -> Case:
        """tensorgrad, running the same code as the other benchmark scripts."""


class Engine:
    """An engine under test: its name, how to import it and how to run a workload."""

    name = ""  # the key used in results and on the command line
    label = ""  # the column heading
    module = ""  # what must import for the engine to run (when ``load`` is not overridden)
    version = ""

    def load(self, threads: int) -> None:
        """Import the engine (``ImportError`` when it is missing) and set its thread count."""
        module = importlib.import_module(self.module)
        self.version = getattr(module, "__version__", "unknown")

    def skip_reason(self, workload: Workload) -> str | None:
        """Why this engine does not run ``workload`` (``None``: it runs)."""
        return None

    def build(self, workload: Workload) -> Case:
        raise NotImplementedError(f"{type(self).__name__}.build")


class HandWrittenNumPy(Engine):
    """The reference: forward and backward written by hand with NumPy arrays."""

    name = "numpy"
    label = "NumPy by hand"
    module = "numpy"

    def build(self, workload: Workload) -> Case:
        return workload.numpy_case()


class Tensorgrad(Engine):
    name = label = module = "tensorgrad"

    def build(self, workload: Workload) -> Case:
        """The workload's own tensorgrad code, as the other benchmark scripts run it."""
        return workload.tensorgrad_case()


class LossFunctionEngine(Engine):
    """An engine driven through the workload's ``loss(ops, params, *data)``.

    Subclasses supply ``leaf`` (a parameter), ``constant`` (data), ``value_and_grad``
    (a function of the parameter list returning the loss and its gradients) and
    ``update`` (the step ``p <- p - lr * grad``, returning the parameters).
    """

    def leaf(self, array: np.ndarray) -> Any:
        return array.copy()

    def constant(self, array: np.ndarray) -> Any:
        return array

    def value_and_grad(self, loss: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        raise NotImplementedError

    def update(self, params: list[Any], grads: Sequence[Any], learning_rate: float) -> list[Any]:
        for param, grad in zip(params, grads):
            param -= learning_rate * grad
        return params

    def wait(self, value: Any) -> None:
        """Block until ``value`` is computed (only engines that dispatch asynchronously)."""

    def build(self, workload: Workload) -> Case:
        params = [self.leaf(p) for p in workload.params]
        data = [self.constant(d) for d in workload.data]
        loss_and_grads = self.value_and_grad(lambda ps: workload.loss(self, ps, *data))
        learning_rate = workload.learning_rate
        state = {"params": params}

        def gradients() -> tuple[float, list[np.ndarray]]:
            value, grads = loss_and_grads(params)
            return float(value), [np.asarray(g) for g in grads]

        def step() -> None:
            value, grads = loss_and_grads(state["params"])
            if learning_rate is not None:
                state["params"] = self.update(state["params"], grads, learning_rate)
            self.wait((value, state["params"]))

        return Case(gradients, step)


class PyTorch(LossFunctionEngine):
    """Leaf tensors with ``requires_grad``, ``backward()``, an in-place update under ``no_grad``."""

    name = "torch"
    label = "PyTorch"

    def load(self, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):  # allowed once, before any parallel work
            torch.set_num_interop_threads(threads)
        self.torch = torch
        self.tanh, self.relu = torch.tanh, torch.relu
        self.version = torch.__version__

    def log_softmax(self, h: Any) -> Any:
        return self.torch.log_softmax(h, dim=1)

    def leaf(self, array: np.ndarray) -> Any:
        return self.torch.tensor(array, requires_grad=True)

    def constant(self, array: np.ndarray) -> Any:
        return self.torch.from_numpy(array)

    def value_and_grad(self, loss: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        def run(params: list[Any]) -> tuple[Any, list[Any]]:
            value = loss(params)
            value.backward()
            grads = [p.grad for p in params]
            for param in params:
                param.grad = None
            return value.detach(), grads

        return run

    def update(self, params: list[Any], grads: Sequence[Any], learning_rate: float) -> list[Any]:
        with self.torch.no_grad():
            for param, grad in zip(params, grads):
                param.sub_(grad, alpha=learning_rate)
        return params


class HipsAutograd(LossFunctionEngine):
    """``autograd.value_and_grad`` of the loss, on plain NumPy arrays updated in place.

    autograd's NumPy wrapper has no ``relu`` or ``log_softmax``, so they are written out
    (the latter as the hand-written version computes it).
    """

    name = "autograd"
    label = "autograd"

    def load(self, threads: int) -> None:
        import autograd
        import autograd.numpy as anp

        self.autograd, self.np = autograd, anp
        self.tanh = anp.tanh
        self.version = _distribution_version("autograd")

    def relu(self, h: Any) -> Any:
        return self.np.maximum(h, 0.0)

    def log_softmax(self, h: Any) -> Any:
        anp = self.np
        shifted = h - anp.max(h, axis=1, keepdims=True)
        return shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))

    def value_and_grad(self, loss: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        return self.autograd.value_and_grad(loss)


class MyGrad(LossFunctionEngine):
    """Tensors, ``backward()`` and MyGrad's ``nnet`` activations; ``.data`` updated in place.

    MyGrad's memory guard (which locks arrays a graph still uses) is left on, as shipped.
    """

    name = "mygrad"
    label = "MyGrad"

    def load(self, threads: int) -> None:
        import mygrad
        from mygrad.nnet.activations import logsoftmax, relu

        self.mygrad, self.relu, self.logsoftmax = mygrad, relu, logsoftmax
        self.tanh = mygrad.tanh
        self.version = mygrad.__version__

    def log_softmax(self, h: Any) -> Any:
        return self.logsoftmax(h, axis=1)

    def leaf(self, array: np.ndarray) -> Any:
        return self.mygrad.tensor(array)  # copies

    def value_and_grad(self, loss: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        def run(params: list[Any]) -> tuple[Any, list[Any]]:
            value = loss(params)
            value.backward()
            return value, [p.grad for p in params]

        return run

    def update(self, params: list[Any], grads: Sequence[Any], learning_rate: float) -> list[Any]:
        for param, grad in zip(params, grads):
            param.data -= learning_rate * grad
        return params


# JAX's unrolled 20,000-op chain is left out: measured on the 2-core machine these
# scripts target, one eager step took about 6 s and compiling it with jit about 80 s.
JAX_MAX_CHAIN_OPS = 5_000


class JaxEager(LossFunctionEngine):
    """JAX op by op: each primitive is dispatched on its own, as in a define-by-run engine."""

    name = "jax"
    label = "JAX (eager)"

    def load(self, threads: int) -> None:
        self.jax = load_jax(threads)
        self.tanh, self.relu = self.jax.numpy.tanh, self.jax.nn.relu
        self.version = self.jax.__version__

    def skip_reason(self, workload: Workload) -> str | None:
        n_ops = getattr(workload, "n_ops", 0)
        if n_ops > JAX_MAX_CHAIN_OPS:
            return (
                f"not run on chains over {JAX_MAX_CHAIN_OPS:,} ops: the unrolled program is "
                "too slow here (about 6 s per eager step, about 80 s to jit-compile)"
            )
        return None

    def log_softmax(self, h: Any) -> Any:
        return self.jax.nn.log_softmax(h, axis=1)

    def leaf(self, array: np.ndarray) -> Any:
        return self.jax.numpy.array(array)

    def constant(self, array: np.ndarray) -> Any:
        return self.jax.numpy.asarray(array)

    def value_and_grad(self, loss: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        return self.jax.value_and_grad(loss)

    def update(self, params: list[Any], grads: Sequence[Any], learning_rate: float) -> list[Any]:
        return [param - learning_rate * grad for param, grad in zip(params, grads)]

    def wait(self, value: Any) -> None:
        self.jax.block_until_ready(value)


class JaxJit(JaxEager):
    """JAX as it is meant to be used: the whole step (gradient and update) under ``jax.jit``.

    Compiling happens in ``Case.setup``, before the check and the timing.
    """

    name = "jax_jit"
    label = "JAX (jit)"

    def build(self, workload: Workload) -> Case:
        jax = self.jax
        params = [self.leaf(p) for p in workload.params]
        data = [self.constant(d) for d in workload.data]
        learning_rate = workload.learning_rate
        loss_and_grads = jax.value_and_grad(lambda ps, data: workload.loss(self, ps, *data))
        gradients_jit = jax.jit(loss_and_grads)

        def train(ps: list[Any], data: list[Any]) -> tuple[Any, list[Any]]:
            assert learning_rate is not None
            value, grads = loss_and_grads(ps, data)
            return value, self.update(ps, grads, learning_rate)

        step_jit = gradients_jit if learning_rate is None else jax.jit(train)
        state = {"params": params}

        def setup() -> None:  # compile both functions by calling them once
            jax.block_until_ready(gradients_jit(params, data))
            if learning_rate is not None:
                jax.block_until_ready(step_jit(params, data))

        def gradients() -> tuple[float, list[np.ndarray]]:
            value, grads = gradients_jit(params, data)
            return float(value), [np.asarray(g) for g in grads]

        def step() -> None:
            value, new_params = step_jit(state["params"], data)
            if learning_rate is not None:
                state["params"] = new_params
            jax.block_until_ready((value, new_params))

        return Case(gradients, step, setup)


def load_jax(threads: int) -> Any:
    """Import JAX on the CPU with ``threads`` threads in XLA's pool, and float64 enabled.

    XLA's CPU client ignores ``OMP_NUM_THREADS`` and the old ``XLA_FLAGS`` thread options;
    it sizes its thread pool from the CPUs the process may run on when the client is
    created. So the calling thread is held to ``threads`` CPUs while the client starts,
    then every thread of the process is given back all the CPUs it had. With one thread,
    asynchronous dispatch is turned off too: it would run the computation on a second
    thread while Python dispatches the next operation.
    """
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64
    jax.config.update("jax_cpu_enable_async_dispatch", threads > 1)
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if allowed is None or len(allowed) <= threads:
        jax.devices()
        return jax
    os.sched_setaffinity(0, sorted(allowed)[:threads])
    try:
        jax.devices()  # creates the CPU client and its thread pool
    finally:
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), allowed)
    return jax


def _distribution_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


ENGINES: tuple[type[Engine], ...] = (
    HandWrittenNumPy,
    Tensorgrad,
    PyTorch,
    HipsAutograd,
    MyGrad,
    JaxEager,
    JaxJit,
)
ENGINE_NAMES = tuple(engine.name for engine in ENGINES)
# How to get an engine that is missing, for the "skipped" note.
INSTALL = {
    "torch": "a CPU build of torch (an unpinned `pip install torch` may pull CUDA packages)",
    "autograd": "pip install autograd, or tensorgrad[bench]",
    "mygrad": "pip install mygrad, or tensorgrad[bench]",
    "jax": "pip install jax (the CPU build)",
    "jax_jit": "pip install jax (the CPU build)",
}


def load_engines(engines: Sequence[Engine], threads: int) -> tuple[list[Engine], dict[str, str]]:
    """The engines that import, and for each one that does not, why it is skipped."""
    loaded: list[Engine] = []
    skipped: dict[str, str] = {}
    for engine in engines:
        try:
            engine.load(threads)
        except ImportError as exc:
            hint = f"; install: {INSTALL[engine.name]}" if engine.name in INSTALL else ""
            skipped[engine.name] = f"not installed ({exc}){hint}"
        except Exception as exc:  # noqa: BLE001  (a broken install is a skip, not a crash)
            skipped[engine.name] = f"failed to load: {type(exc).__name__}: {exc}"
        else:
            loaded.append(engine)
    return loaded, skipped
