"""Three ways to improve a circuit's output, and what each costs as the circuit grows.

A circuit is a function from real inputs to one real output. To raise its output (or
lower a loss) we must find which way to nudge the inputs. The founding tutorials of
backpropagation compare three strategies, and so does this script, on real circuits:

1. random local search: try ``TRIALS`` (100) random perturbations, every input moved
   uniformly within ``[-step, step]``, and keep the best. ``TRIALS`` forward
   evaluations whatever the circuit, and what it finds is a direction, not a gradient;
2. the numerical gradient: central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h``,
   one input at a time, by ``tg.numerical_grad`` (h = 1e-6, float64): 2N forward
   evaluations for N inputs;
3. the analytic gradient: one forward pass recorded by tensorgrad and one
   ``backward()``, a small constant number of forward passes' worth of work, whatever N.

The circuits: the multiply gate ``x*y`` at (x, y) = (-2, 3); the two-layer circuit
``(x+y)*z`` at (-2, 5, -4); a neuron ``sigmoid(a*x + b*y + c)`` at a=1, b=2, c=-3,
x=-1, y=3; and the mean squared error of an MLP ``tanh(X @ W1 + b1) @ W2 + b2`` on a
batch of 4, a function of its N = 10, 100, 1,000, 10,000 and 100,000 parameters
(shapes chosen so that N is exact). Every numerical gradient, N = 100,000 included
(200,000 forward passes), is computed in full: nothing is extrapolated.

Measured, for each circuit and strategy:

* cost: forward evaluations, counted by wrapping the circuit (not computed from a
  formula), and wall time (median of interleaved repetitions; the numerical gradient
  of the largest MLP is timed once). For the analytic gradient the table also
  gives its time in forward passes: (forward + backward time) / (one forward's time);
* accuracy: the relative error of the numerical gradient against the analytic one, in
  float64, ``max |numerical - analytic| / max(max |analytic|, max |numerical|)``
  over all inputs (``_harness.relative_error``). The analytic gradients of the small
  circuits are also checked against their closed forms (x*y at (-2, 3) gives (3, -2));
* for the small circuits, how far one step of each strategy raises the output, with
  the same step size 0.01: ``x + 0.01 * gradient`` for (2) and (3), the best of the
  100 perturbations for (1), as in the tutorials. Random search's steps are usually
  the longer ones, so each strategy is also stepped as far as random search went,
  along its own direction: the gain at equal length;
* for every circuit, the cosine between the step taken and the gradient (random
  search's best step points ever more sideways as N grows, about
  ``sqrt(2 ln 100 / N)``).

Checks (exit code 1 if one fails, after the results are written): the closed forms;
numerical against analytic within 1e-6; exactly 2N forward evaluations for the
numerical gradient and one for the analytic gradient at every N. Target (reported,
exit code 0 either way): the analytic gradient costs at most 5 forward passes' time.

Run:  .venv/bin/python benchmarks/gradient_strategies.py [--quick] [--sizes 10 100 ...]
(``--quick``: N up to 1,000 and fewer repetitions, a few seconds.) Progress goes to
stderr, the tables to stdout. Results: benchmarks/results/gradient_strategies.json and
benchmarks/results/gradient_strategies.png (cost against N, log-log), or in the folder
given by ``--results DIR``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import numpy as np
from _harness import (
    CorrectnessError,
    Report,
    as_vector,
    check_close,
    format_seconds,
    relative_error,
)

import tensorgrad as tg

STEP = 0.01  # the step size of every strategy
TRIALS = 100  # random local search: perturbations tried per step
EPS = 1e-6  # the central-difference step h of the numerical gradient
BATCH = 4  # MLP examples: kept tiny so that 200,000 forward passes fit the time budget
SIZES = (10, 100, 1_000, 10_000, 100_000)
QUICK_SIZES = (10, 100, 1_000)
MAX_RELATIVE_ERROR = 1e-6  # numerical against analytic, float64
MAX_FORWARD_EQUIVALENTS = 5.0  # analytic gradient: (forward + backward) / forward time

Point = list[np.ndarray]


@dataclass
class Circuit:
    """A scalar function of named float64 inputs, at a point, with the way to improve it.

    ``goal`` is +1 when a higher output is better and -1 for a loss; ``closed_form``
    is the gradient at ``point`` worked out by hand, when there is one.
    """

    name: str
    function: Callable[..., tg.Tensor]
    names: tuple[str, ...]
    point: Point
    goal: float = 1.0
    closed_form: Point | None = None

    @property
    def n_params(self) -> int:
        return sum(x.size for x in self.point)

    def value(self, point: Point) -> float:
        """The output at ``point``, without recording a graph."""
        with tg.no_grad():
            return self.function(*(tg.Tensor(x) for x in point)).item()


class Counted:
    """A circuit function that counts its calls: each call is one forward evaluation."""

    def __init__(self, function: Callable[..., tg.Tensor]) -> None:
        self.function = function
        self.calls = 0

    def __call__(self, *inputs: Any) -> tg.Tensor:
        self.calls += 1
        return self.function(*inputs)


# --- the circuits -----------------------------------------------------------------------


def scalars(*values: float) -> Point:
    return [np.array(v, dtype=np.float64) for v in values]


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s))


def small_circuits() -> list[Circuit]:
    """The tutorials' circuits, each with its gradient worked out by hand."""
    neuron_slope = sigmoid(2.0) * (1 - sigmoid(2.0))  # sigma'(a*x + b*y + c), which is 2
    return [
        Circuit(
            "x*y",
            lambda x, y: x * y,
            ("x", "y"),
            scalars(-2, 3),
            closed_form=scalars(3, -2),  # d(xy)/dx = y, d(xy)/dy = x
        ),
        Circuit(
            "(x+y)*z",
            lambda x, y, z: (x + y) * z,
            ("x", "y", "z"),
            scalars(-2, 5, -4),
            closed_form=scalars(-4, -4, 3),  # z, z, x + y
        ),
        Circuit(
            "sigmoid(a*x+b*y+c)",
            lambda a, b, c, x, y: tg.sigmoid(a * x + b * y + c),
            ("a", "b", "c", "x", "y"),
            scalars(1, 2, -3, -1, 3),
            # sigma' times x, y, 1, a, b
            closed_form=[neuron_slope * np.float64(v) for v in (-1, 3, 1, 1, 2)],
        ),
    ]


def mlp_shape(n_params: int) -> tuple[int, int]:
    """(inputs d, hidden units h) with exactly ``n_params`` = d*h + h + h + 1 parameters.

    ``h`` is the divisor of ``n_params - 1`` nearest its square root that leaves
    ``d >= 1``, so the network is about as wide as it is tall.
    """
    if n_params < 4:
        raise ValueError(f"mlp_shape: an MLP needs at least 4 parameters, not {n_params}")
    rest = n_params - 1  # h * (d + 2)
    divisors = [h for h in range(1, rest + 1) if rest % h == 0 and rest // h - 2 >= 1]
    hidden = min(divisors, key=lambda h: abs(h - math.sqrt(rest)))
    return rest // hidden - 2, hidden


def mlp_circuit(n_params: int, rng: np.random.Generator) -> Circuit:
    """The MSE of a d-h-1 tanh MLP on a fixed batch, as a function of its parameters."""
    inputs, hidden = mlp_shape(n_params)
    x = tg.Tensor(rng.standard_normal((BATCH, inputs)))
    y = tg.Tensor(rng.standard_normal((BATCH, 1)))

    def loss(w1: tg.Tensor, b1: tg.Tensor, w2: tg.Tensor, b2: tg.Tensor) -> tg.Tensor:
        diff = tg.tanh(x @ w1 + b1) @ w2 + b2 - y
        return (diff * diff).mean()

    point = [
        rng.normal(0.0, 1 / math.sqrt(inputs), (inputs, hidden)),
        rng.normal(0.0, 0.1, hidden),
        rng.normal(0.0, 1 / math.sqrt(hidden), (hidden, 1)),
        rng.normal(0.0, 0.1, 1),
    ]
    name = f"MLP {inputs}-{hidden}-1 loss"
    return Circuit(name, loss, ("W1", "b1", "W2", "b2"), point, goal=-1.0)


# --- the three strategies ---------------------------------------------------------------


@dataclass
class Search:
    """What random local search found: the best point tried, its output, the cost."""

    point: Point
    value: float
    evaluations: int


def random_local_search(
    circuit: Circuit, rng: np.random.Generator, step: float = STEP, trials: int = TRIALS
) -> Search:
    """Strategy 1: ``trials`` random perturbations within ``[-step, step]``; keep the best."""
    f = Counted(circuit.function)
    best: Search | None = None
    with tg.no_grad():
        for _ in range(trials):
            candidate = [x + step * rng.uniform(-1.0, 1.0, x.shape) for x in circuit.point]
            value = f(*(tg.Tensor(c) for c in candidate)).item()
            if best is None or circuit.goal * value > circuit.goal * best.value:
                best = Search(candidate, value, 0)
    assert best is not None
    best.evaluations = f.calls
    return best


def numerical_gradient(circuit: Circuit, eps: float = EPS) -> tuple[Point, int]:
    """Strategy 2: central differences by ``tg.numerical_grad``; (gradient, evaluations)."""
    f = Counted(circuit.function)
    grads = tg.numerical_grad(f, circuit.point, eps=eps)
    return grads, f.calls


def analytic_gradient(circuit: Circuit) -> tuple[Point, int]:
    """Strategy 3: one recorded forward pass and ``backward()``; (gradient, evaluations)."""
    f = Counted(circuit.function)
    leaves = [tg.Tensor(x, requires_grad=True) for x in circuit.point]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves], f.calls


def forward(circuit: Circuit) -> float:
    """One forward evaluation without a graph: the unit the costs are counted in."""
    return circuit.value(circuit.point)


def step_along(circuit: Circuit, gradient: Point, step: float = STEP) -> Point:
    """``x + step * gradient`` uphill (``goal`` +1) or downhill (a loss)."""
    return [x + circuit.goal * step * g for x, g in zip(circuit.point, gradient)]


def cosine(step: Point, gradient: Point) -> float:
    """The cosine between a step and the gradient, both flattened into one vector."""
    a, b = as_vector(step), as_vector(gradient)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def gain_at_length(circuit: Circuit, direction: Point, length: float) -> float:
    """How much a step of ``length`` along ``direction`` improves the output."""
    scale = length / np.linalg.norm(as_vector(direction))
    point = [x + circuit.goal * scale * d for x, d in zip(circuit.point, direction)]
    return circuit.goal * (circuit.value(point) - circuit.value(circuit.point))


def displacement(circuit: Circuit, point: Point) -> Point:
    """``point - circuit.point``, the step taken, signed so that +cosine means improving."""
    return [circuit.goal * (p - x) for p, x in zip(point, circuit.point)]


# --- measurements -----------------------------------------------------------------------


@dataclass
class Check:
    """A check; a failed correctness check (not a missed target) makes the exit code 1."""

    name: str
    value: str
    target: str
    passed: bool
    is_target: bool = False  # a performance target: missing it is reported, not fatal


def measure_small_circuit(
    circuit: Circuit, rng: np.random.Generator, repeats: int
) -> tuple[list[dict[str, Any]], list[Check]]:
    """All three strategies on one small circuit: cost, accuracy and one step's gain."""
    analytic, analytic_calls = analytic_gradient(circuit)
    checks = []
    if circuit.closed_form is not None:
        error = relative_error(analytic, circuit.closed_form)
        check_close(f"{circuit.name}: analytic gradient", analytic, circuit.closed_form, rtol=1e-12)
        checks.append(
            Check(
                f"{circuit.name}: analytic gradient = closed form",
                f"({', '.join(f'{float(g):.6g}' for g in analytic)}), rel. error {error:.1e}",
                "rel. error <= 1e-12",
                True,
            )
        )
    numerical, numerical_calls = numerical_gradient(circuit)
    search = random_local_search(circuit, rng)
    timings = _harness.time_interleaved(
        {
            "random": lambda: random_local_search(circuit, np.random.default_rng(0)),
            "numerical": lambda: numerical_gradient(circuit),
            "analytic": lambda: analytic_gradient(circuit),
        },
        label=f"{circuit.name}: the three strategies",
        repeats=repeats,
    )
    start = forward(circuit)
    # Random search's best step is usually longer than 0.01 * gradient; every strategy is
    # also stepped that same length along its own direction, for a like-for-like gain.
    length = float(np.linalg.norm(as_vector(displacement(circuit, search.point))))
    # (point after one step, forward evaluations, gradient, what it is checked against)
    outcomes = {
        "random": (search.point, search.evaluations, None, None),
        "numerical": (step_along(circuit, numerical), numerical_calls, numerical, analytic),
        "analytic": (
            step_along(circuit, analytic), analytic_calls, analytic, circuit.closed_form
        ),
    }  # fmt: skip
    rows = []
    for strategy, (point, calls, gradient, reference) in outcomes.items():
        after = circuit.value(point)
        direction = displacement(circuit, point)
        rows.append({
            "circuit": circuit.name,
            "inputs": dict(zip(circuit.names, (float(x) for x in circuit.point))),
            "strategy": strategy,
            "forward_evaluations": calls,
            "backward_passes": int(strategy == "analytic"),
            "median_s": timings[strategy].median,
            "gradient": None if gradient is None else [float(g) for g in gradient],
            "reference": {"numerical": "analytic", "analytic": "closed form"}.get(strategy),
            "relative_error": (
                None if reference is None else relative_error(gradient, reference)
            ),
            "output_before": start,
            "output_after_one_step": after,
            "gain": circuit.goal * (after - start),
            "step_length": float(np.linalg.norm(as_vector(direction))),
            "gain_at_random_search_length": gain_at_length(circuit, direction, length),
            "cosine_step_gradient": cosine(direction, analytic),
        })  # fmt: skip
    error = rows[1]["relative_error"]
    checks.append(
        Check(
            f"{circuit.name}: numerical vs analytic",
            f"rel. error {error:.1e}",
            f"<= {MAX_RELATIVE_ERROR:g}",
            error <= MAX_RELATIVE_ERROR,
        )
    )
    return rows, checks


def measure_mlp(n_params: int, rng: np.random.Generator, repeats: int) -> dict[str, Any]:
    """The three strategies on the MLP loss with ``n_params`` parameters: their costs, the
    numerical gradient's error and the direction random search finds."""
    circuit = mlp_circuit(n_params, rng)
    assert circuit.n_params == n_params, (circuit.n_params, n_params)
    analytic, analytic_calls = analytic_gradient(circuit)
    fast = _harness.time_interleaved(
        {"forward": lambda: forward(circuit), "analytic": lambda: analytic_gradient(circuit)},
        label=f"N={n_params:,}: forward and analytic gradient",
        repeats=repeats,
        inner=max(1, 2_000 // n_params),
    )
    # The numerical gradient is slow for large N: few repetitions, and the gradient is
    # kept from the timed runs rather than computed once more.
    kept: dict[str, tuple[Point, int]] = {}

    def run_numerical() -> None:
        kept["numerical"] = numerical_gradient(circuit)

    slow = _harness.time_interleaved(
        {"numerical": run_numerical},
        label=f"N={n_params:,}: numerical gradient ({2 * n_params:,} forward evaluations)",
        repeats=5 if n_params <= 1_000 else 3 if n_params <= 10_000 else 1,
        warmup=0,
    )
    numerical, numerical_calls = kept["numerical"]
    search = random_local_search(circuit, rng)
    forward_s = fast["forward"].median
    inputs, hidden = mlp_shape(n_params)
    return {
        "n_params": n_params,
        "circuit": circuit.name,
        "mlp_sizes": [inputs, hidden, 1],
        "batch": BATCH,
        "forward_median_s": forward_s,
        "numerical_forward_evaluations": numerical_calls,
        "numerical_s": slow["numerical"].median,
        "numerical_repeats": len(slow["numerical"].samples),
        "numerical_extrapolated": False,
        "analytic_forward_evaluations": analytic_calls,
        "analytic_backward_passes": 1,
        "analytic_s": fast["analytic"].median,
        "analytic_forward_equivalents": fast["analytic"].median / forward_s,
        "numerical_forward_equivalents": slow["numerical"].median / forward_s,
        "relative_error_vs_analytic": relative_error(numerical, analytic),
        "random_search_forward_evaluations": search.evaluations,
        "random_search_cosine": cosine(displacement(circuit, search.point), analytic),
        "numerical_cosine": cosine(numerical, analytic),
    }


def scaling_checks(rows: list[dict[str, Any]]) -> list[Check]:
    """Counted evaluations (2N and 1), accuracy, and the analytic cost target."""
    counts = [(r["n_params"], r["numerical_forward_evaluations"]) for r in rows]
    analytic_counts = sorted({r["analytic_forward_evaluations"] for r in rows})
    worst_error = max(r["relative_error_vs_analytic"] for r in rows)
    equivalents = max(r["analytic_forward_equivalents"] for r in rows)
    return [
        Check(
            "MLP: numerical gradient's forward evaluations",
            ", ".join(f"{count:,}" for _, count in counts),
            "2N for every N",
            all(count == 2 * n for n, count in counts),
        ),
        Check(
            "MLP: analytic gradient's forward evaluations",
            ", ".join(str(c) for c in analytic_counts) + " (+1 backward)",
            "1 for every N",
            analytic_counts == [1],
        ),
        Check(
            "MLP: numerical vs analytic, worst N",
            f"rel. error {worst_error:.1e}",
            f"<= {MAX_RELATIVE_ERROR:g}",
            worst_error <= MAX_RELATIVE_ERROR,
        ),
        Check(
            "MLP: analytic gradient in forward passes",
            f"at most {equivalents:.2f}",
            f"<= {MAX_FORWARD_EQUIVALENTS:g}",
            equivalents <= MAX_FORWARD_EQUIVALENTS,
            is_target=True,
        ),
    ]


# --- reporting --------------------------------------------------------------------------

STRATEGY_LABELS = {
    "random": f"random search ({TRIALS} tries)",
    "numerical": f"numerical (h={EPS:g})",
    "analytic": "analytic (backprop)",
}


def small_table(rows: list[dict[str, Any]]) -> list[list[str]]:
    table = []
    for i, row in enumerate(rows):
        first = i == 0 or rows[i - 1]["circuit"] != row["circuit"]
        names = ",".join(row["inputs"])
        point = ",".join(f"{v:g}" for v in row["inputs"].values())
        evaluations = f"{row['forward_evaluations']}" + (
            " + 1 bwd" if row["backward_passes"] else ""
        )
        error = row["relative_error"]
        table.append([
                f"{row['circuit']} at ({names})=({point})" if first else "",
            STRATEGY_LABELS[row["strategy"]],
            evaluations,
            format_seconds(row["median_s"]),
            "-" if error is None else f"{error:.1e}",
            f"{row['output_before']:.4f} -> {row['output_after_one_step']:.4f}",
            f"{row['step_length']:.4f}",
            f"{row['gain']:+.4f}",
            f"{row['gain_at_random_search_length']:+.4f}",
            f"{row['cosine_step_gradient']:.3f}",
        ])  # fmt: skip
    return table


def scaling_table(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            f"{r['n_params']:,}",
            "-".join(str(s) for s in r["mlp_sizes"]),
            f"{r['numerical_forward_evaluations']:,}",
            format_seconds(r["numerical_s"]),
            f"{r['analytic_forward_evaluations']} + 1 bwd",
            f"{r['analytic_forward_equivalents']:.2f}",
            format_seconds(r["analytic_s"]),
            f"{r['numerical_s'] / r['analytic_s']:,.0f}x",
            f"{r['relative_error_vs_analytic']:.1e}",
            f"{r['random_search_cosine']:.3f}",
        ]
        for r in rows
    ]


def plot(report: Report, rows: list[dict[str, Any]]) -> None:
    """Three log-log panels against N: forward evaluations, wall time, step direction."""
    plt = _harness.pyplot()
    if plt is None:
        return
    n = np.array([r["n_params"] for r in rows], dtype=float)

    def column(key: str) -> np.ndarray:
        return np.array([r[key] for r in rows], dtype=float)

    fig, (counts, times, cosines) = plt.subplots(1, 3, figsize=(16, 4.8))
    counts.loglog(n, column("numerical_forward_evaluations"), "o-", label="numerical (counted)")
    counts.loglog(
        n, column("numerical_forward_equivalents"), "o:", color="C0", alpha=0.6,
        label="numerical (time / one forward)",
    )  # fmt: skip
    counts.loglog(
        n, column("analytic_forward_equivalents"), "s-", color="C1",
        label="analytic (fwd + bwd time / one forward)",
    )  # fmt: skip
    counts.loglog(
        n, column("analytic_forward_evaluations"), "s--", color="C1", alpha=0.6,
        label="analytic (counted forwards)",
    )  # fmt: skip
    counts.loglog(n, np.full_like(n, TRIALS), "^:", color="C2", label=f"random search ({TRIALS})")
    counts.set(
        xlabel="parameters N", ylabel="forward evaluations per step",
        title="Cost in forward passes",
    )  # fmt: skip
    times.loglog(n, column("numerical_s"), "o-", label="numerical gradient")
    times.loglog(n, column("analytic_s"), "s-", label="analytic gradient")
    times.loglog(n, column("forward_median_s"), "x--", color="gray", label="one forward pass")
    times.set(xlabel="parameters N", ylabel="wall time per gradient (s)", title="Wall time")
    cosines.loglog(
        n, column("random_search_cosine"), "^-", color="C2",
        label=f"random search, best of {TRIALS}",
    )  # fmt: skip
    cosines.loglog(
        n, np.sqrt(2 * math.log(TRIALS) / n), ":", color="gray",
        label=rf"$\sqrt{{2 \ln {TRIALS} \,/\, N}}$",
    )  # fmt: skip
    cosines.loglog(n, column("numerical_cosine"), "o-", color="C0", label="numerical gradient")
    cosines.set(
        xlabel="parameters N", ylabel="cosine(step, gradient)",
        title="Direction of the step found",
    )  # fmt: skip
    for axis in (counts, times, cosines):
        axis.grid(True, which="major", alpha=0.3)
        axis.legend(fontsize=8, loc="best")
    fig.suptitle(
        f"Improving an MLP's loss (d-h-1 tanh, batch {BATCH}, float64): "
        "numerical cost grows like N, analytic stays a few forward passes"
    )
    fig.tight_layout()
    report.save_figure(fig)


def run(
    sizes: tuple[int, ...], repeats: int, results_dir: Path = _harness.RESULTS_DIR
) -> tuple[Report, list[Check]]:
    """Measure everything and fill the report; return it with the correctness checks."""
    report = Report(
        "gradient_strategies",
        "Three strategies for improving a circuit: random search, numerical, analytic",
        results_dir=results_dir,
    )
    rng = np.random.default_rng(0)
    small_rows: list[dict[str, Any]] = []
    checks: list[Check] = []
    _harness.status("gradient_strategies: the small circuits")
    for circuit in small_circuits():
        rows, circuit_checks = measure_small_circuit(circuit, rng, repeats)
        small_rows += rows
        checks += circuit_checks
    _harness.status(f"gradient_strategies: the MLP loss for N = {', '.join(map(str, sizes))}")
    scaling_rows = [measure_mlp(n, rng, repeats) for n in sizes]
    checks += scaling_checks(scaling_rows)

    report.add_table(
        f"Small circuits, float64: one step of size {STEP}; gain = output after - before; "
        "equal length: a step as long as random search's, along each strategy's direction",
        ["circuit", "strategy", "fwd evals", "time", "grad error", "output: one step",
         "step length", "gain", "gain, equal length", "cos(step, grad)"],
        small_table(small_rows),
        numeric={2, 3, 4, 6, 7, 8, 9},
    )  # fmt: skip
    report.add_table(
        f"MLP loss against its N parameters (batch {BATCH}, float64; fwd-equiv = "
        "analytic time / one forward's time)",
        ["N", "MLP", "numerical fwd evals", "numerical time", "analytic evals",
         "fwd-equiv", "analytic time", "speed-up", "grad error", "random cos"],
        scaling_table(scaling_rows),
        numeric={0, 2, 3, 5, 6, 7, 8, 9},
    )  # fmt: skip
    for check in checks:
        report.add_check(check.name, check.value, check.target, check.passed)
    report.data = {
        "step": STEP,
        "random_search_trials": TRIALS,
        "numerical_eps": EPS,
        "relative_error": "max|numerical - analytic| / max(max|analytic|, max|numerical|)",
        "small_circuits": small_rows,
        "mlp_scaling": scaling_rows,
    }
    plot(report, scaling_rows)
    return report, checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N up to 1,000, fewer repetitions")
    parser.add_argument(
        "--sizes", type=int, nargs="+", help=f"parameter counts N (default {SIZES})"
    )
    parser.add_argument(
        "--results", type=Path, default=_harness.RESULTS_DIR, help="folder for the JSON and PNG"
    )
    args = parser.parse_args()
    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else SIZES))
    report, checks = run(sizes, repeats=10 if args.quick else 50, results_dir=args.results)
    report.finish(
        notes=[
            "fwd evals are counted calls of the circuit; '+ 1 bwd' is the one backward pass.",
            "grad error: max|numerical - analytic| / max(max|analytic|, max|numerical|); in the",
            "    small circuits' analytic rows, the analytic gradient against its closed form.",
            f"Random search moves every input uniformly within +-{STEP} and keeps the best of "
            f"{TRIALS}; numerical and analytic steps are x + {STEP} * gradient.",
            "random cos: cosine between random search's best step and the gradient (about "
            f"sqrt(2 ln {TRIALS} / N)); every numerical gradient is computed in full.",
        ]
    )
    failed = [check.name for check in checks if not (check.passed or check.is_target)]
    if failed:
        raise CorrectnessError("; ".join(failed))


if __name__ == "__main__":
    _harness.run_main(main)
