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

This file is the measurement; the workloads are in ``_engine_workloads.py``, the
adapters for each engine in ``_engine_adapters.py``, and the tables, notes and plot in
``_engine_report.py``.
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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import numpy as np
from _engine_adapters import ENGINE_NAMES, ENGINES, Case, Engine, Workload, load_engines
from _engine_report import (
    add_targets,
    explain,
    memory_rows,
    plot_ratios,
    speed_rows,
    write_markdown,
)
from _engine_workloads import WORKLOADS
from _harness import CorrectnessError, Report, Timing, check_close

CALIBRATION_S = 0.25  # per engine and workload: warm-up, and the step time for the budget
# Timing stops at this multiple of a workload's time budget, should the machine be so busy
# that the calibrated step times were far too low.
DEADLINE_FACTOR = 2.0
MEMORY_STEPS = 3
MEMORY_WORKLOADS = ("mlp_float64", "chain_20000")
PROBE_TIMEOUT_S = 300
RERUN_MARK = "TENSORGRAD_ENGINES_RERUN"


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


def run_probe(engine: str, workload: str, phase: str, threads: int) -> int | str:
    """A probe's peak RSS in bytes, or why it failed (the last line it wrote to stderr)."""
    command = [sys.executable, __file__, "--threads", str(threads), "--probe"]
    try:
        completed = subprocess.run(
            [*command, engine, workload, phase],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"took over {PROBE_TIMEOUT_S} s"
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"]
        return lines[-1]
    return json.loads(completed.stdout.strip().splitlines()[-1])["peak_rss_bytes"]


def measure_memory(
    engines: Sequence[Engine], workloads: Sequence[Workload], threads: int, skipped: dict[str, str]
) -> dict[str, dict[str, dict[str, int]]]:
    """``{workload: {engine: {baseline, peak, above}}}`` in bytes, two subprocesses at once.

    A probe that fails is reported in ``skipped``, not raised: the timings still stand.
    A workload whose hand-written probe failed is left out (nothing to compare with).
    """
    jobs = [
        (engine.name, workload.key, phase)
        for workload in workloads
        for engine in engines
        if not engine.skip_reason(workload)
        for phase in ("baseline", "run")
    ]
    results: dict[tuple[str, str, str], int | str] = {}
    with _harness.progress("peak memory, fresh subprocesses", len(jobs)) as update:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {job: pool.submit(run_probe, *job, threads) for job in jobs}
            for done, (job, future) in enumerate(futures.items(), start=1):
                results[job] = future.result()
                update(done)
    memory: dict[str, dict[str, dict[str, int]]] = {}
    for (engine, workload, phase), value in results.items():
        if isinstance(value, str):
            skipped[f"{engine}:{workload}"] = f"its {phase} memory probe failed: {value}"
            _harness.status(f"  memory probe {engine} / {workload} / {phase} failed: {value}")
            continue
        entry = memory.setdefault(workload, {}).setdefault(engine, {})
        entry["baseline" if phase == "baseline" else "peak"] = value
    for workload, by_engine in list(memory.items()):
        for engine, entry in list(by_engine.items()):
            if len(entry) == 2:
                entry["above"] = entry["peak"] - entry["baseline"]
            else:
                del by_engine[engine]
        if "numpy" not in by_engine:
            del memory[workload]
    return memory


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
    memory = measure_memory(engines, memory_workloads, threads, skipped)

    medians = {key: {e: t.median for e, t in row.items()} for key, row in timings.items()}
    headers = ["workload", *(e.label for e in engines)]
    speed = speed_rows(workloads, engines, medians)
    memory_table = memory_rows(memory_workloads, engines, memory)
    numeric = set(range(1, len(headers)))
    report.add_table("Time per step (median), and the ratio to NumPy by hand", headers, speed,
                     numeric)  # fmt: skip
    report.add_table("Peak memory above the baseline, and the ratio to NumPy by hand", headers,
                     memory_table, numeric)  # fmt: skip
    notes = explain(skipped, workloads, timings, cpu_per_wall, compile_s, threads, MEMORY_STEPS)
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
