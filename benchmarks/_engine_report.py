"""How ``benchmarks/engines.py`` shows its results: tables, targets, notes and the plot.

Every ratio is to the hand-written NumPy version. The tables are printed through
``_harness.Report`` and written as Markdown (``engines.md``, which the README and the
docs include); the plot is a grouped bar chart on a log scale.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _harness
from _engine_adapters import ENGINES, Engine, Workload
from _engine_workloads import CHAIN_VS_TORCH, MEMORY_TARGET
from _harness import Report, Timing, format_seconds


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


def explain(
    skipped: dict[str, str],
    workloads: Sequence[Workload],
    timings: dict[str, dict[str, Timing]],
    cpu_per_wall: dict[str, dict[str, float]],
    compile_s: dict[str, dict[str, float]],
    threads: int,
    memory_steps: int,
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
        f"the data and runs {memory_steps} steps, minus that of a fresh process that does all "
        "but the steps. It includes what an engine sets up on its first step (thread pools, "
        "JAX's compilation); differences under about a megabyte are approximate.",
    ]
    engines_run = {name for row in timings.values() for name in row}
    if len(engines_run) > 2:
        notes.append(
            "Interleaving many engines makes every step of the small workloads (the tiny MLP, "
            "the chains) slower by about the same absolute time for NumPy and tensorgrad "
            "alike (the other engines' steps in between leave the caches and the allocator "
            "cold), which lowers tensorgrad's ratios there. For the strict figures run "
            "`benchmarks/engines.py --engines tensorgrad` (NumPy and tensorgrad only) or "
            "`benchmarks/op_overhead.py`."
        )
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
    if threads > 1:
        notes.append(
            f"With {threads} threads every engine's BLAS or thread pool waits at each step for "
            "its slowest thread, so another busy process on the machine slows the large "
            "steps many times over (seen here as CPU / wall near 1): compare these numbers "
            "only when taken on a quiet machine."
        )
    key = "mlp_float64"
    if key in cpu_per_wall:
        ratios = ", ".join(f"{labels[e]} {r:.2f}" for e, r in cpu_per_wall[key].items())
        notes.append(
            f"Threads: {threads}; CPU time / wall time while calibrating the float64 "
            f"MLP step (at most {threads} if the setting held): {ratios}."
        )
    return notes
