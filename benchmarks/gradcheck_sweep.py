"""How closely do tensorgrad's analytic gradients match numerical ones, op by op?

Every differentiable op in the op registry (``tensorgrad.ops.registry.OPS``) is run on
several broadcasting patterns -- same shapes, size-1 axes, missing leading axes,
scalars (for matmul: batches with size-1 axes, matrix @ vector, vector @ vector) --
with inputs drawn from the registry's input kinds, so that they lie in the op's
domain and away from its kinks, each pattern with ``--draws`` random draws of values
and of the op's other arguments, and a random upstream gradient ``g``. The gradient
checked is that of ``sum(op(inputs) * g)`` with respect to every floating input.

The central-difference step ``eps`` is swept from 1e-2 down to 1e-10. As it shrinks,
the truncation error of ``(f(x + eps) - f(x - eps)) / 2 eps`` falls like eps**2 and
the rounding error grows like (machine epsilon) / eps: the error against the
analytic gradient draws the classic V, with its floor near eps = 1e-5 in float64 and
1e-2 to 1e-3 in float32. Three comparisons:

* float64: float64 analytic gradients (``tensorgrad.gradcheck.analytic_grad``) against
  float64 central differences (``tg.numerical_grad``);
* float32: analytic gradients computed in float32 against central differences of the
  op evaluated in float32 (its inputs cast to float32 inside the function that
  ``tg.numerical_grad`` differentiates);
* the float32 gap, reported apart: float32 analytic gradients against float64
  central differences at the op's best float64 eps -- the error the analytic
  gradient makes by computing in float32, whatever the numerical error.

All inputs are rounded to float32 values first, so both dtypes are checked at the
same points.

The relative error of one input's gradient is measured against the scale of that
gradient, not element by element: ``max |a - n| / max(max |a|, max |n|)`` over the
input's elements (``_harness.relative_error``; 0 when both are exactly zero, at most
2), so an entry that happens to be near zero does not inflate it. An op's error at
one eps is the largest over its inputs, patterns and draws; its best eps is the one
where that error is smallest.

Check: every op's float64 error at its best eps must be at most 1e-6; otherwise the
script exits with code 1 (after printing and writing everything), naming the ops.

Run:  .venv/bin/python benchmarks/gradcheck_sweep.py [--quick] [--ops exp log ...]
(``--quick``: eps in whole decades and one draw per pattern.) Progress goes to
stderr, the tables to stdout. Results: benchmarks/results/gradcheck_sweep.json and
benchmarks/results/gradcheck_sweep.png (error against eps, log-log: a few
representative ops and the medians over ops, float64 and float32), or in the folder
given by ``--results DIR``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import numpy as np
from _harness import Report, relative_error

import tensorgrad as tg
from tensorgrad.gradcheck import analytic_grad
from tensorgrad.ops.registry import OPS, OpInfo, draw_values

EPS_GRID = tuple(10.0 ** -np.arange(2, 10.25, 0.5))  # 1e-2, 10**-2.5, ..., 1e-10
QUICK_EPS_GRID = tuple(10.0 ** -np.arange(2, 11))  # 1e-2, 1e-3, ..., 1e-10
THRESHOLD = 1e-6  # float64 error allowed at the best eps
REPRESENTATIVE = ("exp", "log", "div", "tanh", "softmax", "matmul")
Shapes = list[tuple[int, ...]]

# Broadcasting patterns, by how many inputs an op takes. An op whose inputs all share
# one shape ("same" in the registry, or a single input) gets the shapes of UNARY.
UNARY: dict[str, tuple[int, ...]] = {
    "2-D": (3, 4),
    "size-1 axis": (3, 1),
    "3-D": (2, 3, 4),
    "scalar": (),
}
BROADCAST: dict[int, dict[str, Shapes]] = {
    2: {
        "same shape": [(3, 4), (3, 4)],
        "size-1 axes": [(3, 1), (1, 4)],
        "missing leading axes": [(2, 3, 4), (4,)],
        "scalar, array": [(), (3, 4)],
        "array, scalar": [(3, 4), ()],
    },
    3: {
        "same shape": [(3, 4), (3, 4), (3, 4)],
        "size-1 axes": [(3, 1), (1, 4), (3, 4)],
        "missing leading axes": [(2, 3, 4), (4,), (3, 4)],
        "array, scalars": [(3, 4), (), ()],
        "scalar, arrays": [(), (3, 1), (1, 4)],
    },
}
MATMUL: dict[str, Shapes] = {
    "matrix @ matrix": [(3, 4), (4, 2)],
    "batch with size-1 axes": [(2, 1, 3, 4), (3, 4, 2)],
    "missing leading axes": [(2, 3, 4), (4, 2)],
    "matrix @ vector": [(3, 4), (4,)],
    "vector @ vector": [(4,), (4,)],
}


def patterns(info: OpInfo) -> dict[str, Shapes]:
    """The broadcasting patterns for ``info``, keeping those with ``min_dims`` axes."""
    arity = len(info.inputs)
    if info.shapes == "matmul":
        table = MATMUL
    elif info.shapes == "same" or arity == 1:
        table = {name: [shape] * arity for name, shape in UNARY.items()}
    else:
        table = BROADCAST[arity]
    return {
        name: shapes
        for name, shapes in table.items()
        if all(len(shape) >= info.min_dims for shape in shapes)
    }


# --- inputs, as the registry's input kinds define them ----------------------------------

def draw_input(
    kind: str, shape: tuple[int, ...], rng: np.random.Generator, position: int,
    kinks: Sequence[float],
) -> np.ndarray:  # fmt: skip
    """Values of one input kind, off the kinks (as the tests draw them), rounded to
    float32 so that both dtypes see the same inputs."""
    x = draw_values(kind, shape, rng, position, tuple(kinks))
    return x if kind == "bool" else float32_values(x)


def float32_values(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to the nearest float32 values, kept as float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


@dataclass
class Case:
    """One call of an op: a pattern's shapes, inputs, other arguments, upstream gradient."""

    pattern: str
    shapes: Shapes
    inputs: list[np.ndarray]
    params: dict[str, Any]
    grad_output: np.ndarray


def make_case(info: OpInfo, pattern: str, shapes: Shapes, seed: int) -> Case | None:
    """Draw a case; ``None`` when no valid arguments turn up (``info.valid``) in 100 tries."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        params = info.params(rng, shapes) if info.params else {}
        if info.valid is None or info.valid(shapes, params):
            break
    else:
        return None
    inputs = [
        draw_input(kind, shape, rng, i, info.kinks)
        for i, (kind, shape) in enumerate(zip(info.inputs, shapes))
    ]
    out_shape = np.shape(info.reference(*inputs, **params))
    grad_output = float32_values(rng.standard_normal(out_shape))
    return Case(pattern, shapes, inputs, params, grad_output)


# --- gradients --------------------------------------------------------------------------


def float32_gradient(f: Callable[..., tg.Tensor], case: Case) -> list[np.ndarray | None]:
    """Backpropagated gradients with the floating inputs (and ``g``) in float32."""
    leaves = [
        tg.Tensor(x.astype(np.float32), requires_grad=True) if x.dtype.kind == "f" else x
        for x in case.inputs
    ]
    out = f(*leaves)
    out.backward(case.grad_output.astype(out.dtype))
    return [
        (np.zeros(leaf.shape) if leaf.grad is None else leaf.grad)
        if isinstance(leaf, tg.Tensor)
        else None
        for leaf in leaves
    ]


def evaluated_in_float32(f: Callable[..., tg.Tensor]) -> Callable[..., tg.Tensor]:
    """``f`` with its floating inputs cast to float32 first: float32 forward arithmetic."""

    def f32(*inputs: Any) -> tg.Tensor:
        return f(*(x.astype(np.float32) if isinstance(x, tg.Tensor) else x for x in inputs))

    return f32


def worst_error(analytic: Sequence[Any], numerical: Sequence[Any]) -> float:
    """The largest relative error over the inputs that have a gradient."""
    errors = [relative_error(a, n) for a, n in zip(analytic, numerical) if n is not None]
    return max(errors, default=0.0)


@dataclass
class CaseResult:
    """Errors of one case at every eps: float64, float32, and the float32 gap."""

    pattern: str
    shapes: Shapes
    params: dict[str, Any]
    float64: list[float] = field(default_factory=list)
    float32: list[float] = field(default_factory=list)
    gap: list[float] = field(default_factory=list)


def sweep_case(info: OpInfo, case: Case, eps_grid: Sequence[float]) -> CaseResult:
    """Analytic gradients once per dtype, central differences at every eps."""

    def f(*xs: Any) -> tg.Tensor:
        return info.function(*xs, **case.params)

    f32 = evaluated_in_float32(f)
    analytic64 = analytic_grad(f, case.inputs, case.grad_output)
    analytic32 = float32_gradient(f, case)
    result = CaseResult(case.pattern, case.shapes, jsonable(case.params))
    for eps in eps_grid:
        numerical64 = tg.numerical_grad(f, case.inputs, eps=eps, grad_output=case.grad_output)
        numerical32 = tg.numerical_grad(f32, case.inputs, eps=eps, grad_output=case.grad_output)
        result.float64.append(worst_error(analytic64, numerical64))
        result.float32.append(worst_error(analytic32, numerical32))
        result.gap.append(worst_error(analytic32, numerical64))
    return result


@dataclass
class OpResult:
    """One op over all its cases; errors per eps are the worst over the cases."""

    name: str
    eps_grid: list[float]
    cases: list[CaseResult]
    skipped: list[str]

    def _worst(self, dtype: str) -> np.ndarray:
        return np.max([getattr(case, dtype) for case in self.cases], axis=0)

    @property
    def float64(self) -> np.ndarray:
        return self._worst("float64")

    @property
    def float32(self) -> np.ndarray:
        return self._worst("float32")

    def best(self, dtype: str) -> tuple[float, float]:
        """(best eps, error there) for ``dtype`` ("float64" or "float32")."""
        errors = self._worst(dtype)
        i = int(np.argmin(errors))
        return self.eps_grid[i], float(errors[i])

    @property
    def gap(self) -> float:
        """float32 analytic against float64 numerical, at the best float64 eps."""
        i = int(np.argmin(self.float64))
        return float(np.max([case.gap[i] for case in self.cases]))

    @property
    def worst_pattern(self) -> str:
        """The pattern with the largest float64 error at the best float64 eps."""
        i = int(np.argmin(self.float64))
        return max(self.cases, key=lambda case: case.float64[i]).pattern


def sweep_op(info: OpInfo, eps_grid: Sequence[float], draws: int, seed: int = 0) -> OpResult:
    """Every pattern of ``info``, ``draws`` times each, at every eps."""
    cases, skipped = [], []
    for p, (pattern, shapes) in enumerate(patterns(info).items()):
        for draw in range(draws):
            case = make_case(info, pattern, shapes, seed=seed * 1_000 + p * 10 + draw)
            if case is None:
                skipped.append(pattern)
                continue
            cases.append(sweep_case(info, case, eps_grid))
    if not cases:
        raise ValueError(f"sweep_op: no valid case for {info.name!r} in any pattern")
    return OpResult(info.name, list(eps_grid), cases, sorted(set(skipped)))


def jsonable(value: Any) -> Any:
    """Params as JSON: arrays and tuples become lists, NumPy scalars Python numbers,
    anything else (a slice, an Ellipsis) its ``repr``."""
    if isinstance(value, dict):
        return {str(key): jsonable(v) for key, v in value.items()}
    if isinstance(value, np.ndarray | tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


# --- reporting --------------------------------------------------------------------------


def op_rows(results: list[OpResult]) -> list[list[str]]:
    rows = []
    for r in results:
        eps64, error64 = r.best("float64")
        eps32, error32 = r.best("float32")
        rows.append([
            r.name,
            ", ".join(OPS[r.name].inputs),
            str(len(r.cases)),
            f"{eps64:.0e}",
            f"{error64:.1e}",
            f"{eps32:.0e}",
            f"{error32:.1e}",
            f"{r.gap:.1e}",
            r.worst_pattern,
            _harness.verdict(error64 <= THRESHOLD),
        ])  # fmt: skip
    return rows


def curved(results: list[OpResult]) -> list[OpResult]:
    """The ops with a truncation error: at the largest eps, 100x their best float64 error.

    Those are the ops with curvature (exp, log, tanh, ...) and the few whose inputs can
    cross a tie or a bound within a step of 1e-2 (maximum, clip with tensor bounds).
    The others (add, mul, matmul, var, reshape, relu, ...) are linear, bilinear or
    quadratic in each input, or piecewise linear away from their kinks: central
    differences are exact for them but for rounding, the rising half of the V alone.
    """
    return [r for r in results if r.float64[0] > 100 * r.best("float64")[1]]


def eps_rows(results: list[OpResult], eps_grid: Sequence[float]) -> list[list[str]]:
    rows = []
    for i, eps in enumerate(eps_grid):
        row = [f"{eps:.0e}"]
        for dtype in ("float64", "float32"):
            everywhere = [getattr(r, dtype)[i] for r in results]
            with_curvature = [getattr(r, dtype)[i] for r in curved(results)] or [np.nan]
            row += [
                f"{np.median(everywhere):.1e}",
                f"{np.median(with_curvature):.1e}",
                f"{np.max(everywhere):.1e}",
            ]
        rows.append(row)
    return rows


def plot(report: Report, results: list[OpResult], eps_grid: Sequence[float]) -> None:
    """Error against eps, log-log, in two panels (float64, float32): the V-shaped curve."""
    plt = _harness.pyplot()
    if plt is None:
        return
    eps = np.asarray(eps_grid)
    shown = [r for r in results if r.name in REPRESENTATIVE]
    bent = curved(results)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.6), sharey=True)
    for axis, dtype in zip(axes, ("float64", "float32")):
        for i, r in enumerate(shown):
            axis.loglog(eps, getattr(r, dtype), "o-", ms=3, lw=1.2, color=f"C{i}", label=r.name)
        median = np.median([getattr(r, dtype) for r in results], axis=0)
        axis.loglog(
            eps, median, "-", color="0.45", lw=3, label=f"median over all {len(results)} ops"
        )
        if bent:
            median = np.median([getattr(r, dtype) for r in bent], axis=0)
            axis.loglog(
                eps,
                median,
                "k-",
                lw=3,
                label=f"median over the {len(bent)} ops with truncation error",
            )
        unit = float(np.finfo(dtype).eps)
        axis.loglog(eps, eps**2, ":", color="gray", label=r"truncation $\propto$ eps$^2$")
        axis.loglog(eps, unit / eps, "--", color="gray", label=r"rounding $\propto$ u / eps")
        if dtype == "float64":
            axis.axhline(THRESHOLD, color="red", lw=1, label=f"check: <= {THRESHOLD:g} at best eps")
        axis.set(
            xlabel="central-difference step eps (shrinking to the right)",
            title=f"{dtype}: analytic and differences both in {dtype} (u = {unit:.1e})",
            ylim=(1e-15, 10),
        )
        axis.invert_xaxis()
        axis.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("relative error, analytic vs numerical (worst case)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=9, frameon=False)
    fig.suptitle(
        "Analytic vs central-difference gradients of every registered op: "
        "truncation error falls with eps, rounding error rises"
    )
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    report.save_figure(fig)


def run(
    names: Sequence[str],
    eps_grid: Sequence[float],
    draws: int,
    results_dir: Path = _harness.RESULTS_DIR,
) -> tuple[Report, list[OpResult]]:
    """Sweep the ops and fill the report (tables, JSON data, plot)."""
    report = Report(
        "gradcheck_sweep",
        "Analytic vs numerical gradients of every op, eps swept",
        results_dir=results_dir,
    )
    results = []
    _harness.status(
        f"gradcheck_sweep: {len(names)} ops x broadcasting patterns x {draws} draw(s) x "
        f"{len(eps_grid)} eps x 2 dtypes"
    )
    with _harness.progress("ops swept", len(names)) as update:
        for i, name in enumerate(names):
            results.append(sweep_op(OPS[name], eps_grid, draws))
            update(i + 1)
    report.add_table(
        "Per op (error = worst relative error over inputs, patterns and draws)",
        ["op", "inputs", "cases", "f64 best eps", "f64 error", "f32 best eps", "f32 error",
         "f32 gap", "worst pattern (f64)", "result"],
        op_rows(results),
        numeric={2, 3, 4, 5, 6, 7},
    )  # fmt: skip
    report.add_table(
        f"Per eps (the V: truncation error falls, rounding error rises); curved: the "
        f"{len(curved(results))} ops with truncation error (at eps {eps_grid[0]:.0e}, 100x "
        "their best)",
        ["eps", "f64 median", "f64 median curved", "f64 max",
         "f32 median", "f32 median curved", "f32 max"],
        eps_rows(results, eps_grid),
        numeric={0, 1, 2, 3, 4, 5, 6},
    )  # fmt: skip
    worst = max(results, key=lambda r: r.best("float64")[1])
    failed = [r.name for r in results if r.best("float64")[1] > THRESHOLD]
    report.add_check(
        "every op, float64, at its best eps",
        f"worst {worst.name}: {worst.best('float64')[1]:.1e} at eps {worst.best('float64')[0]:.0e}"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        f"<= {THRESHOLD:g}",
        not failed,
    )
    report.data = {
        "relative_error": "per input max|a - n| / max(max|a|, max|n|); worst over inputs, "
        "patterns and draws",
        "eps_grid": list(eps_grid),
        "draws_per_pattern": draws,
        "threshold_float64": THRESHOLD,
        "ops": {
            r.name: {
                "inputs": list(OPS[r.name].inputs),
                "float64_best_eps": r.best("float64")[0],
                "float64_best_error": r.best("float64")[1],
                "float32_best_eps": r.best("float32")[0],
                "float32_best_error": r.best("float32")[1],
                "float32_gap_at_float64_best_eps": r.gap,
                "float64_errors": r.float64.tolist(),
                "float32_errors": r.float32.tolist(),
                "skipped_patterns": r.skipped,
                "cases": [vars(case) for case in r.cases],
            }
            for r in results
        },
    }
    plot(report, results, eps_grid)
    return report, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="eps in decades, one draw each")
    parser.add_argument("--ops", nargs="+", choices=sorted(OPS), help="only these ops")
    parser.add_argument("--draws", type=int, help="random draws per pattern (default 5, quick 1)")
    parser.add_argument(
        "--results", type=Path, default=_harness.RESULTS_DIR, help="folder for the JSON and PNG"
    )
    args = parser.parse_args()
    names = args.ops or sorted(OPS)
    eps_grid = QUICK_EPS_GRID if args.quick else EPS_GRID
    draws = args.draws or (1 if args.quick else 5)
    report, results = run(names, eps_grid, draws, results_dir=args.results)
    report.finish(
        notes=[
            "error: per input max|analytic - numerical| / max(max|analytic|, max|numerical|), "
            "the worst over inputs, patterns and draws.",
            "f64: float64 analytic vs float64 central differences; f32: both in float32; "
            "f32 gap: float32 analytic vs float64 central differences at the f64 best eps.",
            *(
                f"{r.name}: pattern {', '.join(r.skipped)} skipped (the registry's valid() "
                "rejects every draw: the op is not differentiable there)"
                for r in results
                if r.skipped
            ),
        ]
    )
    failed = [r for r in results if r.best("float64")[1] > THRESHOLD]
    if failed:
        worst = ", ".join(f"{r.name} {r.best('float64')[1]:.1e}" for r in failed)
        _harness.status(
            f"\nGRADIENT CHECK FAILED: float64 relative error above {THRESHOLD:g} at the best "
            f"eps: {worst}. Look at these ops' backward rules (cases in the JSON)."
        )
        raise SystemExit(1)


if __name__ == "__main__":
    _harness.run_main(main)
