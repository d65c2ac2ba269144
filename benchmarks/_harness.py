"""Shared timing, checking and reporting helpers for the scripts in ``benchmarks/``.

Import this module *before* NumPy. On import it pins the BLAS / OpenMP thread pools to
one thread (``os.environ.setdefault``, so a value you export yourself wins), because
the pools are sized when NumPy loads and single-threaded timings are the most
reproducible on a small machine.

How a comparison is measured (:func:`time_interleaved`):

* every competitor runs in the same process, after a few warm-up repetitions;
* repetitions are interleaved round-robin (A, B, A, B, ...), so a slow patch of the
  machine (another process, a CPU clock change) hits every competitor alike;
* the reported time per step is the median over repetitions, which ignores the odd
  outlier; the garbage collector stays enabled, because collecting the objects a
  step allocates is part of what that step costs;
* glibc's malloc is asked to keep the memory it frees for reuse (:func:`keep_freed_memory`).
  By default it hands large blocks back to the system and faults them in again on the
  next step, and how often depends on what the other competitors allocated in between:
  on the 784-512-256-10 MLP step that was a fifth of the time, and moved the ratio
  between 0.96x and 1.12x with the order of the competitors alone.

A script builds a :class:`Report`, adds one row per measurement (each with its target
and PASS/FAIL), and calls :meth:`Report.finish`, which prints aligned tables and
writes the same results as JSON to ``benchmarks/results/<script>.json``. Missing a
target is a measurement, not an error (exit code 0); a failed correctness check raises
:class:`CorrectnessError`, which :func:`run_main` turns into exit code 1.

A script may also add tables of its own (:meth:`Report.add_table`), free-form JSON
data (``Report.data``) and a figure (:func:`pyplot`, then :meth:`Report.save_figure`,
which writes ``<results dir>/<script>.png``). matplotlib is imported only when a plot
is made, with the headless Agg backend; without it the plot is skipped with a note.
"""

from __future__ import annotations

import cProfile
import ctypes
import datetime
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# None of the standard-library modules above loads NumPy, so it is not too late to size
# its thread pools here.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
for _variable in THREAD_VARIABLES:
    os.environ.setdefault(_variable, "1")
if "numpy" in sys.modules:  # too late: the BLAS pool was sized when NumPy loaded
    print(
        "warning: NumPy was imported before benchmarks/_harness.py, so the thread "
        "variables it sets have no effect; import _harness first",
        file=sys.stderr,
    )

import numpy as np  # noqa: E402  (after the thread variables are set)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent
# A benchmark measures this checkout's tensorgrad, pip-installed or not: the scripts, and
# the subprocesses they start (which import this module too), find it here first.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(1, str(REPO_ROOT))

Step = Callable[[], object]


class CorrectnessError(AssertionError):
    """Two implementations disagree: the timings would compare different computations."""


# --- progress on stderr -----------------------------------------------------------------


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A one-line ``label: done/total`` counter on stderr; yields ``update(done)``.

    On a terminal the line is rewritten in place; otherwise (a log file) only the
    start and the end are written, so the log stays readable.
    """
    live = sys.stderr.isatty()
    width = len(str(total))

    def update(done: int) -> None:
        if live:
            sys.stderr.write(f"\r  {label}: {done:>{width}}/{total}")
            sys.stderr.flush()

    if not live:
        sys.stderr.write(f"  {label}: {total} repetitions ...")
        sys.stderr.flush()
    start = time.perf_counter()
    update(0)
    try:
        yield update
    finally:
        elapsed = time.perf_counter() - start
        if live:
            sys.stderr.write(f"\r  {label}: {total}/{total} done in {elapsed:.1f} s\n")
        else:
            sys.stderr.write(f" done in {elapsed:.1f} s\n")
        sys.stderr.flush()


def status(message: str) -> None:
    """One line of progress on stderr (stdout is kept for the results)."""
    print(message, file=sys.stderr, flush=True)


# --- timing -----------------------------------------------------------------------------


@dataclass
class Timing:
    """Seconds per step of one competitor, one sample per repetition."""

    name: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


_malloc_keeps_freed_memory = False  # set by keep_freed_memory(), reported by environment()


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed blocks of up to 32 MB for reuse (``mallopt``), rather
    than return them to the system; False where that is not available (not glibc)."""
    global _malloc_keeps_freed_memory
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter already uses
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    kept = bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 64 << 20))
    _malloc_keeps_freed_memory = kept
    return kept


def time_interleaved(
    competitors: dict[str, Step],
    *,
    label: str,
    repeats: int,
    warmup: int = 3,
    inner: int = 1,
    max_seconds: float | None = None,
) -> dict[str, Timing]:
    """Time each competitor's step, interleaved round-robin, after ``warmup`` repetitions.

    One repetition calls every competitor's step ``inner`` times in a row (in the
    order of ``competitors``) and records the mean time of one call; use ``inner > 1``
    when a single step is too short to time reliably. With ``max_seconds``, no new
    repetition starts once that long has passed and one has been timed (a busy machine
    then costs repetitions, not minutes).
    """
    keep_freed_memory()
    timings = {name: Timing(name) for name in competitors}
    clock = time.perf_counter
    deadline = clock() + max_seconds if max_seconds is not None else None
    with progress(label, warmup + repeats) as update:
        for repetition in range(warmup + repeats):
            if deadline is not None and repetition > warmup and clock() > deadline:
                break
            for name, step in competitors.items():
                start = clock()
                for _ in range(inner):
                    step()
                elapsed = (clock() - start) / inner
                if repetition >= warmup:
                    timings[name].samples.append(elapsed)
            update(repetition + 1)
    return timings


def format_seconds(seconds: float) -> str:
    """``0.000123`` -> ``'123 us'``: three significant figures in a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_megabytes(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.3f} MB"


def as_vector(x: Any) -> np.ndarray:
    """An array, or a list or tuple of arrays, flattened into one float64 vector."""
    parts = x if isinstance(x, list | tuple) else [x]
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts] or [[]])


def relative_error(actual: Any, reference: Any) -> float:
    """``max |actual - reference| / max(max |reference|, max |actual|)``, in float64.

    One number for a whole array, measured against the array's scale rather than
    element by element, so that an entry that happens to be near zero does not make a
    tiny absolute difference look large. It lies in ``[0, 2]``: 0 when the arrays are
    equal (two all-zero arrays included), about 1 or more when they have nothing in
    common. A NaN anywhere gives ``inf``. A list of arrays (one per input) counts as
    one vector, so the scale is that of the whole gradient.
    """
    actual, reference = as_vector(actual), as_vector(reference)
    if actual.size == 0:
        return 0.0
    difference = float(np.max(np.abs(actual - reference)))
    scale = max(float(np.max(np.abs(reference))), float(np.max(np.abs(actual))))
    if np.isnan(difference) or np.isnan(scale):
        return float("inf")
    return difference / scale if scale > 0 else 0.0


# --- correctness ------------------------------------------------------------------------


def check_close(what: str, actual: Any, expected: Any, *, rtol: float, atol: float = 0.0) -> None:
    """Raise :class:`CorrectnessError` unless ``np.allclose(actual, expected, rtol, atol)``.

    Shapes and dtypes must match too, so that a silently promoted float32 result or a
    broadcast gradient is caught rather than timed.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        raise CorrectnessError(
            f"{what}: got shape {actual.shape} dtype {actual.dtype}, expected shape "
            f"{expected.shape} dtype {expected.dtype}"
        )
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
        raise CorrectnessError(
            f"{what}: not close (rtol={rtol:g}, atol={atol:g}); worst element {worst}: "
            f"got {float(actual[worst])!r}, expected {float(expected[worst])!r} "
            f"(|difference| {error[worst]:.3g})"
        )


def run_main(main: Callable[[], None]) -> None:
    """Run ``main`` and exit: 0 when it finishes (targets met or not), 1 when a check fails."""
    try:
        main()
    except CorrectnessError as exc:
        print(f"\nCORRECTNESS CHECK FAILED: {exc}", file=sys.stderr)
        print(
            "Stopped: timing two implementations that disagree would be meaningless.",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    raise SystemExit(0)


# --- profiling --------------------------------------------------------------------------


def profile_step(step: Step, calls: int, top: int = 15) -> str:
    """cProfile ``calls`` calls of ``step``; the ``top`` functions by own time, as text."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- the report -------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """Plain text with aligned columns; the columns in ``numeric`` are right-aligned."""
    lines = [headers, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]

    def render(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(headers), rule, *(render(row) for row in rows)])


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def pyplot() -> Any | None:
    """``matplotlib.pyplot`` on the headless Agg backend, imported now (not at start-up).

    Returns ``None``, with a note on stderr, when matplotlib is not installed, so that a
    benchmark still prints and saves its numbers.
    """
    try:
        import matplotlib
    except ImportError:
        status("note: matplotlib is not installed, so no plot is made (pip install matplotlib)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@dataclass
class Report:
    """One script's results: speed comparisons and other checks, each against a target.

    ``finish`` prints them as two tables and writes them as JSON.
    """

    script: str
    title: str
    comparisons: list[tuple[str, ...]] = field(default_factory=list)
    checks: list[tuple[str, ...]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    # Tables of the script's own design, printed before the standard ones: (heading, text).
    extra_tables: list[tuple[str, str]] = field(default_factory=list)
    # Written to the JSON as it is under "data" (JSON types only).
    data: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    results_dir: Path = RESULTS_DIR

    def add_table(
        self,
        heading: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        numeric: set[int] | None = None,
    ) -> None:
        """A table of the script's own, printed under ``heading`` (``numeric`` right-aligned)."""
        self.extra_tables.append((heading, format_table(headers, rows, numeric or set())))

    def save_figure(self, figure: Any) -> Path:
        """Write a matplotlib figure to ``<results dir>/<script>.png`` and close it."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.results_dir / f"{self.script}.png"
        figure.savefig(path, dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(figure)
        self.figures.append(str(path))
        return path

    def add_comparison(
        self, measurement: str, tensorgrad: Timing, numpy: Timing, max_ratio: float
    ) -> None:
        """A tensorgrad-versus-NumPy row: median times, their ratio and the target ratio."""
        ratio = tensorgrad.median / numpy.median
        passed = ratio <= max_ratio
        self.comparisons.append((
            measurement,
            format_seconds(tensorgrad.median),
            format_seconds(numpy.median),
            f"{ratio:.2f}x",
            f"<= {max_ratio:g}x",
            verdict(passed),
        ))  # fmt: skip
        self.records.append({
            "measurement": measurement,
            "kind": "comparison",
            "tensorgrad_median_s": tensorgrad.median,
            "numpy_median_s": numpy.median,
            "ratio": ratio,
            "target_max_ratio": max_ratio,
            "passed": passed,
            "repeats": len(tensorgrad.samples),
            "tensorgrad_samples_s": tensorgrad.samples,
            "numpy_samples_s": numpy.samples,
        })  # fmt: skip

    def add_check(
        self, measurement: str, value: str, target: str, passed: bool, **data: Any
    ) -> None:
        """A row that is not a ratio (memory, import time): its value, target and verdict."""
        self.checks.append((measurement, value, target, verdict(passed)))
        self.records.append({
            "measurement": measurement,
            "kind": "check",
            "value": value,
            "target": target,
            "passed": passed,
            **data,
        })  # fmt: skip

    def tables(self) -> str:
        """The comparisons and the checks as aligned plain-text tables."""
        parts = [f"{heading}\n{table}" for heading, table in self.extra_tables]
        if self.comparisons:
            columns = ("measurement", "tensorgrad", "numpy", "ratio", "target", "result")
            parts.append(format_table(columns, self.comparisons, numeric={1, 2, 3}))
        if self.checks:
            check_columns = ("check", "measured", "target", "result")
            parts.append(format_table(check_columns, self.checks, numeric=set()))
        return "\n\n".join(parts)

    def finish(self, notes: Sequence[str] = ()) -> Path:
        """Print the title, the tables and ``notes``; write the JSON; return its path."""
        print(f"\n{self.title}")
        print(f"({environment_summary()})\n")
        print(self.tables())
        if notes:
            print()
        for note in notes:
            print(note)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.results_dir / f"{self.script}.json"
        payload = {
            "script": self.script,
            "title": self.title,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "environment": environment(),
            "all_passed": all(record["passed"] for record in self.records),
            "results": self.records,
            "notes": list(notes),
        }
        if self.data:
            payload["data"] = self.data
        if self.figures:
            payload["figures"] = self.figures
        path.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nResults written to {path}")
        for figure in self.figures:
            print(f"Plot written to {figure}")
        return path


def environment() -> dict[str, Any]:
    """What the numbers depend on: versions, machine and thread settings."""
    import tensorgrad

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorgrad": getattr(tensorgrad, "__version__", "unknown"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "malloc_keeps_freed_memory": _malloc_keeps_freed_memory,
        "git_commit": git_commit(),
    }


def git_commit() -> str | None:
    """The commit, with ``+dirty`` when ``tensorgrad/`` differs from it (None outside git)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "tensorgrad")
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def environment_summary() -> str:
    env = environment()
    return (
        f"Python {env['python']}, NumPy {env['numpy']}, tensorgrad {env['tensorgrad']}, "
        f"{env['cpu_count']} CPUs, OMP_NUM_THREADS={env['threads']['OMP_NUM_THREADS']}, "
        + ("malloc keeps freed memory, " if env["malloc_keeps_freed_memory"] else "")
        + f"commit {env['git_commit']}"
    )
