"""``benchmarks/engines.py`` on small sizes: its correctness checks pass for tensorgrad,
catch a wrong gradient, and an engine that is not installed is skipped, not an error.

The benchmark is a script, not a package, so it is imported from the benchmarks folder.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

engines = importlib.import_module("engines")
adapters = importlib.import_module("_engine_adapters")
workloads = importlib.import_module("_engine_workloads")
report = importlib.import_module("_engine_report")
harness = importlib.import_module("_harness")


def small_workloads() -> list:
    return [
        workloads.MLPStep("float32", batch=4),
        workloads.MLPStep("float64", batch=4),
        workloads.TinyMLPStep(),
        workloads.Chain(30),
    ]


def loaded(*classes: type) -> list:
    found, skipped = adapters.load_engines([cls() for cls in classes], threads=1)
    assert skipped == {}
    return found


@pytest.mark.parametrize("workload", small_workloads(), ids=lambda w: w.key)
def test_tensorgrad_matches_the_hand_written_numpy_version(workload) -> None:
    pair = loaded(adapters.HandWrittenNumPy, adapters.Tensorgrad)
    cases, compile_s = engines.checked_cases(workload, pair, skipped={})
    assert set(cases) == {"numpy", "tensorgrad"} and compile_s == {}
    for case in cases.values():
        case.step()  # a timed step runs too


def test_a_wrong_gradient_fails_the_check() -> None:
    workload = workloads.Chain(30)
    numpy_engine, tensorgrad_engine = loaded(adapters.HandWrittenNumPy, adapters.Tensorgrad)
    right = numpy_engine.build(workload).gradients()
    loss, (grad,) = tensorgrad_engine.build(workload).gradients()
    engines.check_gradients("tensorgrad", workload, (loss, [grad]), right)
    with pytest.raises(harness.CorrectnessError, match="gradient 0"):
        engines.check_gradients("tensorgrad", workload, (loss, [grad * 1.001]), right)


class NotInstalled(adapters.Engine):
    name = "not_installed"
    label = "Not installed"
    module = "tensorgrad_no_such_engine_anywhere"


def test_an_engine_that_is_not_installed_is_skipped_with_a_reason() -> None:
    found, skipped = adapters.load_engines(
        [adapters.HandWrittenNumPy(), NotInstalled(), adapters.Tensorgrad()], threads=1
    )
    assert [e.name for e in found] == ["numpy", "tensorgrad"]
    assert set(skipped) == {"not_installed"}
    assert "not installed" in skipped["not_installed"]
    assert "tensorgrad_no_such_engine_anywhere" in skipped["not_installed"]
    # The skip reaches the notes that the report prints.
    workload = workloads.Chain(30)
    cases, _ = engines.checked_cases(workload, found, skipped)
    timings = {workload.key: {name: harness.Timing(name, [1.0]) for name in cases}}
    notes = report.explain(skipped, [workload], timings, {}, {}, threads=1, memory_steps=3)
    assert any(note.startswith("Skipped not_installed: not installed") for note in notes)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_peak_memory_is_this_process_high_water_mark() -> None:
    def resident_bytes() -> int:
        status = Path("/proc/self/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    resident = resident_bytes()
    # 80 MB, every page touched: above the 32 MB up to which the timings (run earlier in
    # this process by other tests) have malloc reuse freed memory, so these are new pages.
    block = np.ones(10_000_000)
    assert engines.peak_rss_bytes() >= resident + 0.9 * block.nbytes


def test_a_memory_probe_reports_its_peak_or_why_it_failed() -> None:
    peak = engines.run_probe("numpy", "chain_1000", "baseline", threads=1)
    assert isinstance(peak, int) and peak > 10_000_000  # Python, NumPy and tensorgrad
    failure = engines.run_probe("numpy", "no_such_workload", "baseline", threads=1)
    assert isinstance(failure, str) and "no_such_workload" in failure
