"""The benchmark scripts' core functions, on tiny sizes: what they measure must be true.

``benchmarks/gradient_strategies.py`` and ``benchmarks/gradcheck_sweep.py`` are scripts,
not a package; they are imported from the benchmarks folder (which also holds the
``_harness`` module they import) and run here in a few seconds.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tensorgrad.ops.registry import OPS, OpInfo

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

strategies = importlib.import_module("gradient_strategies")
sweep = importlib.import_module("gradcheck_sweep")


# --- gradient_strategies ----------------------------------------------------------------


def circuit(name: str):
    return next(c for c in strategies.small_circuits() if c.name == name)


def test_multiply_gate_gradient_and_one_step() -> None:
    gate = circuit("x*y")
    grads, evaluations = strategies.analytic_gradient(gate)
    assert [float(g) for g in grads] == [3.0, -2.0]
    assert evaluations == 1
    numerical, numerical_evaluations = strategies.numerical_gradient(gate)
    np.testing.assert_allclose(numerical, [3.0, -2.0], rtol=1e-8)
    assert numerical_evaluations == 4  # two per input
    # One step of 0.01 along the gradient: (-2 + 0.03) * (3 - 0.02) = -5.8706.
    assert gate.value(strategies.step_along(gate, grads)) == pytest.approx(-5.8706)


def test_random_search_improves_but_costs_its_trials() -> None:
    neuron = circuit("sigmoid(a*x+b*y+c)")
    search = strategies.random_local_search(neuron, np.random.default_rng(0), trials=30)
    assert search.evaluations == 30
    assert search.value > strategies.forward(neuron)
    steps = [abs(p - x) for p, x in zip(search.point, neuron.point)]
    assert max(float(s) for s in steps) <= strategies.STEP


@pytest.mark.parametrize("n_params", [10, 100, 1_000, 100_000])
def test_mlp_shape_has_exactly_n_parameters(n_params: int) -> None:
    inputs, hidden = strategies.mlp_shape(n_params)
    assert inputs * hidden + hidden + hidden + 1 == n_params


def test_numerical_cost_grows_linearly_while_analytic_stays_constant() -> None:
    rng = np.random.default_rng(0)
    sizes = [10, 40, 160]
    numerical_counts, analytic_counts = [], []
    for n in sizes:
        mlp = strategies.mlp_circuit(n, rng)
        numerical, numerical_calls = strategies.numerical_gradient(mlp)
        analytic, analytic_calls = strategies.analytic_gradient(mlp)
        assert strategies.relative_error(numerical, analytic) < 1e-6
        numerical_counts.append(numerical_calls)
        analytic_counts.append(analytic_calls)
    assert numerical_counts == [2 * n for n in sizes]
    assert analytic_counts == [1, 1, 1]


def test_strategies_run_writes_json_and_plot(tmp_path: Path) -> None:
    report, checks = strategies.run((10, 100), repeats=1, results_dir=tmp_path)
    assert all(check.passed for check in checks if not check.is_target)
    path = report.finish()
    payload = json.loads(path.read_text())
    rows = payload["data"]["mlp_scaling"]
    assert [r["numerical_forward_evaluations"] for r in rows] == [20, 200]
    assert [r["analytic_forward_evaluations"] for r in rows] == [1, 1]
    if report.figures:  # matplotlib installed
        assert Path(report.figures[0]).stat().st_size > 10_000


# --- gradcheck_sweep --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_gets_broadcasting_patterns_that_fit(name: str) -> None:
    info = OPS[name]
    table = sweep.patterns(info)
    assert len(table) >= 3
    for shapes in table.values():
        assert len(shapes) == len(info.inputs)
        if info.shapes == "broadcast":
            np.broadcast_shapes(*shapes)  # raises if they do not broadcast


@pytest.mark.parametrize("name", ["mul", "exp", "log", "div", "tanh", "matmul", "softmax"])
def test_sweep_best_float64_error_is_small(name: str) -> None:
    result = sweep.sweep_op(OPS[name], (1e-3, 1e-5, 1e-7), draws=1)
    eps, error = result.best("float64")
    assert error < 1e-6, (name, eps, error)
    assert result.gap < 1e-4  # float32 analytic vs float64 numerical


def test_sweep_draws_the_v() -> None:
    """exp: truncation error at a large eps, rounding error at a tiny one, small between."""
    result = sweep.sweep_op(OPS["exp"], (1e-2, 1e-5, 1e-10), draws=1)
    large, best, tiny = result.float64
    assert large > 100 * best and tiny > 100 * best
    assert result.best("float32")[0] == 1e-2  # float32's floor sits at a larger eps


def test_sweep_catches_a_wrong_gradient() -> None:
    """x * x.detach() has the values of x**2 but half its gradient."""
    wrong = OpInfo("half_square", lambda x: x * x.detach(), np.square)
    result = sweep.sweep_op(wrong, (1e-4, 1e-6), draws=1)
    assert result.best("float64")[1] > 0.1


def test_sweep_run_writes_json_and_plot(tmp_path: Path) -> None:
    report, results = sweep.run(["exp", "mul"], (1e-3, 1e-6), draws=1, results_dir=tmp_path)
    path = report.finish()
    payload = json.loads(path.read_text())
    assert payload["all_passed"]
    assert set(payload["data"]["ops"]) == {"exp", "mul"}
