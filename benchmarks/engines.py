"""tensorgrad against a hand-written NumPy version and against other autodiff engines.

Engines: the hand-written NumPy version (the reference every ratio is taken to),
tensorgrad, and, when they are installed, PyTorch (CPU), HIPS autograd, MyGrad and JAX
(CPU). An engine that is not installed is skipped with a note; ``pip install -e
".[bench]"`` adds autograd and MyGrad. JAX runs twice: eager (each primitive dispatched
on its own, as a define-by-run engine does) and under ``jax.jit`` (the whole step
compiled into one XLA program, which is how JAX is meant to be used and so the fair
comparison; compile time is reported, not timed). JAX's unrolled 20,000-op chain is
left out because it is too slow to run here either way (see ``_engine_adapters.py``).

Workloads (the code of tensorgrad and of the NumPy version is imported from
``mlp_step.py`` and ``op_overhead.py``; the other engines run the same loss written once
against their common operators):

* the 784-512-256-10 ReLU MLP training step, batch 256, in float32 and in float64;
* the 2-16-16-1 tanh MLP training step, batch 8 (float64);
* the 1,000-op and the 20,000-op elementwise chain, forward and backward (float64).

How it is measured:

* Before anything is timed, each engine's first gradients are compared with the
  hand-written NumPy version's; a mismatch stops the run with exit code 1.
* All engines run in this one process. A few calibration steps per engine warm it up
  and size the number of repetitions to a time budget per workload; then the steps
  are timed interleaved round-robin (``_harness.time_interleaved``) and the median is
  reported with its ratio to the hand-written version.
* Threads: single-threaded by default, ``--threads N`` for N, the same for every engine.
  BLAS pools are sized when NumPy is imported, so when the ``*_NUM_THREADS`` variables
  do not already say N the script re-runs itself in a subprocess with them set.
  PyTorch gets ``torch.set_num_threads(N)``. XLA ignores those variables and sizes its
  pool from the CPUs the process may use when JAX's CPU client starts, so the process
  is held to N CPUs for that moment; with N = 1, JAX's asynchronous dispatch (a second
  thread) is turned off as well. The CPU time over wall time of each engine's
  calibration steps is printed for the float64 MLP step and saved in the JSON: it
  shows whether the setting held.
* Peak memory: ``tracemalloc`` does not see the allocations of PyTorch or XLA, so each
  engine runs in a fresh subprocess that imports it, builds the data and runs
  a few steps, then reports its peak resident set size; a baseline subprocess does the
  same minus the steps. The difference is the engine's "peak memory above the
  baseline" for that workload, and its ratio is taken to the hand-written version's.
  It includes what an engine allocates lazily on its first step (thread pools, JAX's
  compilation). The peak is ``VmHWM`` from ``/proc/self/status`` on Linux:
  ``ru_maxrss`` would do, except that Linux carries it over from the parent process
  through fork and exec, so every probe would report at least this script's own peak.
  Memory that a baseline process allocated and freed while starting up (about a
  megabyte) can be reused by the steps unseen, so small differences are approximate.

Targets, for tensorgrad, single-threaded, as a ratio to the hand-written version: MLP
step <= 1.05x (float32 and float64); tiny MLP <= 2.0x; 1,000-op chain <= 2.5x; 20,000-op
chain below PyTorch's ratio in the same run; peak memory above the baseline (MLP step,
float64) <= 1.2x. A missed target is reported (exit code 0).

Run:  .venv/bin/python benchmarks/engines.py [--threads N] [--engines numpy,tensorgrad,...]
Results: printed, and written to benchmarks/results/engines.{md,json,png}
(``engines_threadsN.*`` for N > 1). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import mlp_step
import numpy as np
import op_overhead
from _engine_adapters import ENGINE_NAMES, ENGINES, Case, Engine, Workload, load_engines
from _harness import CorrectnessError, Report, Timing, check_close, format_seconds

import tensorgrad as tg

CALIBRATION_S = 0.25  # per engine and workload: warm-up, and the step time for the budget
# Timing stops at this multiple of a workload's time budget, should the machine be so busy
# that the calibrated step times were far too low.
DEADLINE_FACTOR = 2.0
MEMORY_STEPS = 3
MEMORY_WORKLOADS = ("mlp_float64", "chain_20000")
MEMORY_TARGET = ("mlp_float64", 1.2)
CHAIN_VS_TORCH = "chain_20000"
PROBE_TIMEOUT_S = 300
RERUN_MARK = "TENSORGRAD_ENGINES_RERUN"


# --- the workloads ----------------------------------------------------------------------


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


# --- checking and timing ----------------------------------------------------------------


def check_gradients(
    engine: str, workload: Workload, got: tuple[float, list[np.ndarray]], expected: Any
) -> None:
    """Raise ``CorrectnessError`` unless the loss and every gradient match the reference.

    ``atol`` is ``rtol`` times each gradient's largest entry, so entries near zero are
    judged at the scale of the gradient they belong to.
    """
    (loss, grads), (expected_loss, expected_grads) = got, expected
    what = f"{workload.title}, {engine}"
    check_close(f"{what}: loss", loss, expected_loss, rtol=workload.rtol)
    if len(grads) != len(expected_grads):
        raise CorrectnessError(f"{what}: {len(grads)} gradients, expected {len(expected_grads)}")
    for i, (grad, reference) in enumerate(zip(grads, expected_grads)):
        atol = workload.rtol * float(np.max(np.abs(reference)))
        check_close(f"{what}: gradient {i}", grad, reference, rtol=workload.rtol, atol=atol)


def checked_cases(
    workload: Workload, engines: Sequence[Engine], skipped: dict[str, str]
) -> tuple[dict[str, Case], dict[str, float]]:
    """Each engine's case for ``workload``, its first gradients checked against NumPy's.

    The first engine must be the hand-written NumPy version. Engines that do not run
    this workload are added to ``skipped``. Also returns compile seconds, where any.
    """
    if not engines or engines[0].name != "numpy":
        raise ValueError("the hand-written NumPy version must come first: it is the reference")
    cases: dict[str, Case] = {}
    compile_s: dict[str, float] = {}
    reference = None
    for engine in engines:
        reason = engine.skip_reason(workload)
        if reason:
            skipped[f"{engine.name}:{workload.key}"] = reason
            continue
        case = engine.build(workload)
        if case.setup is not None:
            start = time.perf_counter()
            case.setup()
            compile_s[engine.name] = time.perf_counter() - start
        got = case.gradients()
        if reference is None:
            reference = got
        else:
            check_gradients(engine.label, workload, got, reference)
        cases[engine.name] = case
    return cases, compile_s


def calibrate(case: Case) -> tuple[float, float]:
    """One warm-up step, then steps for about ``CALIBRATION_S``: seconds per step, CPU/wall.

    The warm-up step pays the first-call costs (lazy set-up, JAX compiling each
    primitive), which would otherwise inflate the estimate.
    """
    case.step()
    wall, cpu = time.perf_counter(), time.process_time()
    steps, elapsed = 0, 0.0
    while elapsed < CALIBRATION_S:
        case.step()
        steps += 1
        elapsed = time.perf_counter() - wall
    return elapsed / steps, (time.process_time() - cpu) / elapsed


def time_workload(
    workload: Workload, cases: dict[str, Case], min_repeats: int = 5, max_repeats: int = 300
) -> tuple[dict[str, Timing], dict[str, float]]:
    """Calibrate, then time all cases interleaved; the timings and each CPU/wall ratio."""
    estimates = {name: calibrate(case) for name, case in cases.items()}
    per_round = workload.inner * sum(seconds for seconds, _ in estimates.values())
    repeats = int(min(max(workload.budget_s / per_round, min_repeats), max_repeats))
    timings = _harness.time_interleaved(
        {name: case.step for name, case in cases.items()},
        label=workload.title,
        repeats=repeats,
        warmup=1,
        inner=workload.inner,
        max_seconds=DEADLINE_FACTOR * workload.budget_s,
    )
    return timings, {name: round(ratio, 2) for name, (_, ratio) in estimates.items()}


# --- peak memory in fresh subprocesses --------------------------------------------------


def peak_rss_bytes() -> int:
    """This process's peak resident set size, in bytes.

    On Linux it is ``VmHWM`` from ``/proc/self/status``, the high-water mark of this
    process's own memory map. ``ru_maxrss`` is not used there because the kernel carries
    it over from the parent through fork and exec: every probe would report at least the
    memory of the benchmark process that started it. Elsewhere ``ru_maxrss`` is all there
    is (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def memory_probe(engine_name: str, workload_key: str, phase: str, threads: int) -> None:
    """In a fresh process: import the engine, build the data, run steps unless ``baseline``."""
    engine = next(cls() for cls in ENGINES if cls.name == engine_name)
    engine.load(threads)
    workload = WORKLOADS[workload_key]()
    reason = engine.skip_reason(workload)
    if reason:
        raise SystemExit(f"{engine.label} does not run {workload.title}: {reason}")
    case = engine.build(workload)
    if phase == "run":
        if case.setup is not None:
            case.setup()
        for _ in range(MEMORY_STEPS):
            case.step()
    print(json.dumps({"peak_rss_bytes": peak_rss_bytes()}))


def run_probe(engine: str, workload: str, phase: str, threads: int) -> int:
    command = [
        sys.executable,
        __file__,
        "--threads",
        str(threads),
        "--probe",
        engine,
        workload,
        phase,
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
    )
    if completed.returncode != 0:
        raise CorrectnessError(
            f"memory probe {engine} / {workload} / {phase} failed:\n{completed.stderr[-2000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])["peak_rss_bytes"]


def measure_memory(
    engines: Sequence[Engine], workloads: Sequence[Workload], threads: int
) -> dict[str, dict[str, dict[str, int]]]:
    """``{workload: {engine: {baseline, peak, above}}}`` in bytes, two subprocesses at once."""
    jobs = [
        (engine.name, workload.key, phase)
        for workload in workloads
        for engine in engines
        if not engine.skip_reason(workload)
        for phase in ("baseline", "run")
    ]
    results: dict[tuple[str, str, str], int] = {}
    with _harness.progress("peak memory, fresh subprocesses", len(jobs)) as update:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {job: pool.submit(run_probe, *job, threads) for job in jobs}
            for done, (job, future) in enumerate(futures.items(), start=1):
                results[job] = future.result()
                update(done)
    memory: dict[str, dict[str, dict[str, int]]] = {}
    for (engine, workload, phase), value in results.items():
        entry = memory.setdefault(workload, {}).setdefault(engine, {})
        entry["baseline" if phase == "baseline" else "peak"] = value
        if len(entry) == 2:
            entry["above"] = entry["peak"] - entry["baseline"]
    return memory


# --- the report -------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table; every column but the first is right-aligned."""
    lines = ["| " + " | ".join(headers) + " |", "|---" + "|--:" * (len(headers) - 1) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def speed_rows(
    workloads: Sequence[Workload], engines: Sequence[Engine], medians: dict[str, dict[str, float]]
) -> list[list[str]]:
    rows = []
    for workload in workloads:
        reference = medians[workload.key]["numpy"]
        row = [workload.title]
        for engine in engines:
            median = medians[workload.key].get(engine.name)
            if median is None:
                row.append("—")
            else:
                row.append(f"{format_seconds(median)} ({median / reference:.2f}x)")
        rows.append(row)
    return rows


def memory_rows(
    workloads: Sequence[Workload], engines: Sequence[Engine], memory: dict[str, Any]
) -> list[list[str]]:
    rows = []
    for workload in workloads:
        if workload.key not in memory:
            continue
        by_engine = memory[workload.key]
        reference = by_engine["numpy"]["above"]
        row = [workload.title]
        for engine in engines:
            if engine.name not in by_engine:
                row.append("—")
                continue
            above = by_engine[engine.name]["above"]
            ratio = f"{above / reference:.2f}x" if reference > 0 else "n/a"
            row.append(f"{above / 1e6:.1f} MB ({ratio})")
        rows.append(row)
    return rows


def plot_ratios(
    report: Report,
    workloads: Sequence[Workload],
    engines: Sequence[Engine],
    medians: dict[str, dict[str, float]],
    memory: dict[str, Any],
    threads: int,
) -> None:
    """Grouped bars: each engine's ratio to the hand-written version, per workload (log y)."""
    plt = _harness.pyplot()
    if plt is None:
        return
    groups: list[tuple[str, dict[str, float]]] = []
    for workload in workloads:
        row = medians[workload.key]
        groups.append((workload.short, {e: t / row["numpy"] for e, t in row.items()}))
    for workload in workloads:
        if workload.key in memory and memory[workload.key]["numpy"]["above"] > 0:
            by_engine = memory[workload.key]
            reference = by_engine["numpy"]["above"]
            ratios = {e: max(v["above"], 1) / reference for e, v in by_engine.items()}
            groups.append((f"peak memory\n{workload.short}", ratios))
    others = [e for e in engines if e.name != "numpy"]
    figure, axes = plt.subplots(figsize=(max(8.0, 1.5 * len(groups)), 5.0))
    width = 0.8 / max(len(others), 1)
    colors = plt.get_cmap("tab10").colors
    for k, engine in enumerate(others):
        xs = [
            g + (k - (len(others) - 1) / 2) * width
            for g, (_, r) in enumerate(groups)
            if engine.name in r
        ]
        ys = [r[engine.name] for _, r in groups if engine.name in r]
        axes.bar(xs, ys, width, label=engine.label, color=colors[k % len(colors)])
    axes.axhline(1.0, color="black", linewidth=1, linestyle="--", label="NumPy by hand (1x)")
    if len(groups) > len(workloads):  # a line between the time groups and the memory groups
        axes.axvline(len(workloads) - 0.5, color="grey", linewidth=1, linestyle=":")
    axes.set_yscale("log")
    axes.set_xticks(range(len(groups)), [label for label, _ in groups])
    axes.set_ylabel("ratio to hand-written NumPy (log scale; lower is better)")
    axes.set_xlabel("workload (no bar: that engine did not run it; the notes say why)")
    mode = "single-threaded" if threads == 1 else f"{threads} threads"
    axes.set_title(f"Time per step and peak memory relative to NumPy by hand ({mode})")
    axes.grid(axis="y", which="both", alpha=0.3)
    axes.legend(fontsize="small", ncol=2)
    report.save_figure(figure)


def add_targets(
    report: Report,
    workloads: Sequence[Workload],
    timings: dict[str, dict[str, Timing]],
    memory: dict[str, Any],
    notes: list[str],
) -> list[list[str]]:
    """Add tensorgrad's targets to the report; the same rows for the Markdown table."""
    rows: list[list[str]] = []
    titles = {w.key: w.title for w in workloads}
    for workload in workloads:
        row = timings[workload.key]
        if workload.target is not None and "tensorgrad" in row:
            report.add_comparison(
                workload.title, row["tensorgrad"], row["numpy"], max_ratio=workload.target
            )
            ratio = row["tensorgrad"].median / row["numpy"].median
            passed = ratio <= workload.target
            rows.append(
                [
                    workload.title,
                    f"{ratio:.2f}x",
                    f"<= {workload.target:g}x",
                    _harness.verdict(passed),
                ]
            )
    chain = timings.get(CHAIN_VS_TORCH, {})
    if "tensorgrad" in chain and "torch" in chain:
        ours, torch = (chain[e].median / chain["numpy"].median for e in ("tensorgrad", "torch"))
        name = "20,000-op chain: tensorgrad's ratio vs PyTorch's"
        measured = f"{ours:.2f}x vs {torch:.2f}x"
        report.add_check(
            name,
            measured,
            "below PyTorch's",
            ours < torch,
            tensorgrad_ratio=ours,
            torch_ratio=torch,
        )
        rows.append([name, measured, "below PyTorch's", _harness.verdict(ours < torch)])
    elif "tensorgrad" in chain:
        notes.append(
            "The 20,000-op chain target (below PyTorch's ratio) was not evaluated: "
            "PyTorch did not run."
        )
    key, max_ratio = MEMORY_TARGET
    by_engine = memory.get(key, {})
    if "tensorgrad" in by_engine and by_engine["numpy"]["above"] > 0:
        ours, reference = by_engine["tensorgrad"]["above"], by_engine["numpy"]["above"]
        name = f"peak memory above the baseline, {titles[key]}"
        measured = f"{ours / reference:.2f}x ({ours / 1e6:.1f} MB vs {reference / 1e6:.1f} MB)"
        passed = ours <= max_ratio * reference
        report.add_check(
            name,
            measured,
            f"<= {max_ratio:g}x",
            passed,
            tensorgrad_bytes=ours,
            numpy_bytes=reference,
        )
        rows.append([name, measured, f"<= {max_ratio:g}x", _harness.verdict(passed)])
    return rows


def write_markdown(
    path: Path,
    heading: str,
    tables: Sequence[tuple[str, Sequence[str], list[list[str]]]],
    notes: Sequence[str],
) -> None:
    """The tables under their captions, then the notes as a list."""
    today = datetime.date.today().isoformat()
    parts = [
        f"<!-- generated by benchmarks/engines.py on {today}; do not edit by hand -->",
        "",
        heading,
    ]
    for caption, headers, rows in tables:
        if rows:
            parts += ["", caption, "", markdown_table(headers, rows)]
    parts += ["", *(f"- {note}" for note in notes)]
    path.write_text("\n".join(parts) + "\n")


# --- main -------------------------------------------------------------------------------


def run(threads: int, names: Sequence[str], workloads: Sequence[Workload] | None = None) -> None:
    """Check, time and measure every engine in ``names``; print and write the results."""
    suffix = "" if threads == 1 else f"_threads{threads}"
    mode = "single-threaded" if threads == 1 else f"{threads} threads"
    report = Report(f"engines{suffix}", f"tensorgrad against other engines ({mode})")
    _harness.status(f"engines: loading {', '.join(names)} ({mode})")
    engines, skipped = load_engines([cls() for cls in ENGINES if cls.name in names], threads)
    for name, reason in skipped.items():
        _harness.status(f"  skipped {name}: {reason}")
    workloads = list(workloads or (make() for make in WORKLOADS.values()))

    timings: dict[str, dict[str, Timing]] = {}
    cpu_per_wall: dict[str, dict[str, float]] = {}
    compile_s: dict[str, dict[str, float]] = {}
    for workload in workloads:
        _harness.status(f"{workload.title}: checking each engine's gradients against NumPy's")
        cases, compile_s[workload.key] = checked_cases(workload, engines, skipped)
        timings[workload.key], cpu_per_wall[workload.key] = time_workload(workload, cases)
        del cases  # free this workload's arrays before the next
    memory_workloads = [w for w in workloads if w.key in MEMORY_WORKLOADS]
    memory = measure_memory(engines, memory_workloads, threads)

    medians = {key: {e: t.median for e, t in row.items()} for key, row in timings.items()}
    headers = ["workload", *(e.label for e in engines)]
    speed = speed_rows(workloads, engines, medians)
    memory_table = memory_rows(memory_workloads, engines, memory)
    numeric = set(range(1, len(headers)))
    report.add_table("Time per step (median), and the ratio to NumPy by hand", headers, speed,
                     numeric)  # fmt: skip
    report.add_table("Peak memory above the baseline, and the ratio to NumPy by hand", headers,
                     memory_table, numeric)  # fmt: skip
    notes = explain(engines, skipped, workloads, timings, cpu_per_wall, compile_s, threads)
    target_rows = add_targets(report, workloads, timings, memory, notes)
    plot_ratios(report, workloads, engines, medians, memory, threads)
    report.data = {
        "threads": threads,
        "engines": {e.name: {"label": e.label, "version": e.version} for e in engines},
        "skipped": skipped,
        "time_per_step": {
            key: {
                name: {
                    "median_s": timing.median,
                    "ratio_to_numpy": timing.median / row["numpy"].median,
                    "repeats": len(timing.samples),
                    "cpu_per_wall": cpu_per_wall[key][name],
                    "samples_s": timing.samples,
                }
                for name, timing in row.items()
            }
            for key, row in timings.items()
        },
        "compile_s": compile_s,
        "memory_bytes": memory,
    }
    report.finish(notes)

    env = _harness.environment()
    versions = ", ".join(f"{e.label} {e.version}" for e in engines if e.name != "numpy")
    heading = (
        f"Measured by `benchmarks/engines.py` ({mode}) on {datetime.date.today().isoformat()}: "
        f"{env['platform']}, {env['cpu_count']} CPUs; Python {env['python']}, NumPy "
        f"{env['numpy']}; {versions}; commit {env['git_commit']}."
    )
    markdown = report.results_dir / f"{report.script}.md"
    targets_caption = (
        "tensorgrad's targets (single-threaded):"
        if threads == 1
        else f"tensorgrad's targets (defined single-threaded; shown at {threads} threads):"
    )
    write_markdown(
        markdown,
        heading,
        [
            (
                "Time per step: median over interleaved repetitions, and the ratio to the "
                "hand-written NumPy version (lower is better).",
                headers,
                speed,
            ),
            (
                "Peak memory above the baseline, and the ratio to the hand-written version's.",
                headers,
                memory_table,
            ),
            (targets_caption, ["target", "measured", "goal", "result"], target_rows),
        ],  # fmt: skip
        notes,
    )
    print(f"Markdown table written to {markdown}")


def explain(
    engines: Sequence[Engine],
    skipped: dict[str, str],
    workloads: Sequence[Workload],
    timings: dict[str, dict[str, Timing]],
    cpu_per_wall: dict[str, dict[str, float]],
    compile_s: dict[str, dict[str, float]],
    threads: int,
) -> list[str]:
    """The notes printed under the tables and listed under the Markdown tables."""
    labels = {cls.name: cls.label for cls in ENGINES}
    titles = {w.key: w.title for w in workloads}
    repeats = ", ".join(
        f"{w.key} {len(next(iter(timings[w.key].values())).samples)}" for w in workloads
    )
    notes = [
        f"Times are medians per step over interleaved repetitions ({repeats}); "
        "ratio = engine / NumPy by hand. A step is forward, loss, backward and the update "
        "W <- W - lr * grad; a chain step is forward and backward only.",
        "JAX (eager) dispatches every primitive on its own; JAX (jit) compiles the whole "
        "step once (compile time not included), which is how JAX is meant to be used.",
        f"Peak memory: peak RSS (VmHWM) of a fresh process that imports the engine, builds "
        f"the data and runs {MEMORY_STEPS} steps, minus that of a fresh process that does all "
        "but the steps; it includes what an engine sets up on its first step (thread pools, "
        "JAX's compilation).",
    ]
    compiled = {key: row for key, row in compile_s.items() if row}
    if compiled:
        notes.append(
            "JAX (jit) compile time: "
            + "; ".join(
                f"{titles[key]} {format_seconds(s)}" for key, row in compiled.items()
                for s in row.values()
            )
            + "."
        )  # fmt: skip
    by_reason: dict[str, list[str]] = {}
    for name, reason in skipped.items():
        engine, _, workload = name.partition(":")
        where = f" on the {titles.get(workload, workload)}" if workload else ""
        by_reason.setdefault(f"{where}: {reason}", []).append(labels.get(engine, engine))
    for where_reason, engines_skipped in by_reason.items():
        notes.append(f"Skipped {', '.join(engines_skipped)}{where_reason}.")
    key = "mlp_float64"
    if key in cpu_per_wall:
        ratios = ", ".join(f"{labels[e]} {r:.2f}" for e, r in cpu_per_wall[key].items())
        notes.append(
            f"Threads: {threads}; CPU time / wall time while calibrating the float64 "
            f"MLP step (at most {threads} if the setting held): {ratios}."
        )
    return notes


def rerun_with_threads(threads: int) -> int | None:
    """Re-run this script with the thread variables at ``threads``, unless they already are.

    The BLAS pool is sized when NumPy is imported, which has happened by now; only a new
    process can change it. Returns the subprocess's exit code, or ``None`` if not needed.
    """
    want = str(threads)
    if all(os.environ.get(name) == want for name in _harness.THREAD_VARIABLES):
        return None
    if os.environ.get(RERUN_MARK):
        raise SystemExit("error: the thread variables did not reach the re-run process")
    _harness.status(f"engines: re-running in a subprocess with the BLAS thread variables at {want}")
    env = {**os.environ, **dict.fromkeys(_harness.THREAD_VARIABLES, want), RERUN_MARK: "1"}
    return subprocess.call([sys.executable, __file__, *sys.argv[1:]], env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="threads per engine (default 1)")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINE_NAMES),
        help=f"comma-separated subset of {','.join(ENGINE_NAMES)} (numpy always runs)",
    )
    parser.add_argument("--probe", nargs=3, help=argparse.SUPPRESS)  # a memory subprocess
    args = parser.parse_args()
    if args.probe:
        engine_name, workload_key, phase = args.probe
        memory_probe(engine_name, workload_key, phase, threads=args.threads)
        return
    names = ["numpy", *(n for n in args.engines.split(",") if n and n != "numpy")]
    unknown = sorted(set(names) - set(ENGINE_NAMES))
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; choose from {ENGINE_NAMES}")
    code = rerun_with_threads(args.threads)
    if code is not None:
        raise SystemExit(code)
    run(args.threads, names)


if __name__ == "__main__":
    _harness.run_main(main)
