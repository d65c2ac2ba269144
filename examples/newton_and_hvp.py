"""Second derivatives at work: Newton's method with tg.hessian, and a Hessian-vector product.

Part 1 minimises the Rosenbrock function f(a, b) = (1 - a)^2 + 100 (b - a^2)^2 from
(-1.2, 1) with Newton's method, x <- x - H(x)^-1 grad f(x), where the gradient comes
from tg.grad and the 2x2 Hessian from tg.hessian. Newton's method reaches the minimum
at (1, 1) in a handful of steps; gradient descent with the best fixed step it can
afford would need thousands.

Part 2 takes the cross-entropy loss of a small MLP as a function of its parameters and
computes a Hessian-vector product H v with tg.hvp, without ever forming H (which would
have as many rows as there are parameters). It checks the product against central
differences of the gradient, (g(w + h v) - g(w - h v)) / 2h, and prints both.

Run:  .venv/bin/python examples/newton_and_hvp.py
It prints what it checks; it writes no files.
"""

from __future__ import annotations

import numpy as np

import tensorgrad as tg
import tensorgrad.nn.functional as F


def rosenbrock(x: tg.Tensor) -> tg.Tensor:
    a, b = x[0], x[1]
    return (1 - a) ** 2 + 100 * (b - a**2) ** 2


def newton(start: list[float], steps: int = 20, tolerance: float = 1e-12) -> list[np.ndarray]:
    """Newton's method on the Rosenbrock function; returns the points it visited."""
    gradient, hessian = tg.grad(rosenbrock), tg.hessian(rosenbrock)
    x = np.array(start)
    path = [x]
    for _ in range(steps):
        g = gradient(tg.tensor(x)).data
        if np.linalg.norm(g) < tolerance:
            break
        x = x - np.linalg.solve(hessian(tg.tensor(x)).data, g)
        path.append(x)
    return path


def mlp_hvp_check(seed: int = 0) -> tuple[float, float]:
    """An MLP loss's Hessian-vector product, by tg.hvp and by differences of gradients.

    Returns the largest absolute entry of H v and the largest relative disagreement.
    """
    rng = np.random.default_rng(seed)
    X, y = tg.data.make_moons(64, noise=0.1, rng=rng)
    model = tg.nn.MLP([2, 16, 16, 2], activation="tanh", rng=rng)
    params = tuple(p.detach() for p in model.parameters())  # plain tensors: the point w
    directions = tuple(rng.standard_normal(p.shape) for p in params)

    def loss(*weights: tg.Tensor) -> tg.Tensor:
        h = tg.tensor(X)
        for i in range(0, len(weights), 2):
            h = h @ weights[i] + weights[i + 1]
            if i + 2 < len(weights):
                h = tg.tanh(h)
        return F.cross_entropy(h, y)

    products = tg.hvp(loss, params, directions)
    gradient = tg.grad(loss, argnums=tuple(range(len(params))))
    step = 1e-5
    plus = gradient(*(tg.tensor(p.data + step * v) for p, v in zip(params, directions)))
    minus = gradient(*(tg.tensor(p.data - step * v) for p, v in zip(params, directions)))
    differences = [(a.data - b.data) / (2 * step) for a, b in zip(plus, minus)]
    analytic = np.concatenate([p.data.ravel() for p in products])
    numerical = np.concatenate([d.ravel() for d in differences])
    scale = np.abs(numerical).max()
    return float(scale), float(np.abs(analytic - numerical).max() / scale)


def main() -> None:
    print("Part 1: Newton's method on the Rosenbrock function, from (-1.2, 1)")
    path = newton([-1.2, 1.0])
    for i, x in enumerate(path):
        value = rosenbrock(tg.tensor(x)).item()
        print(f"  step {i:2d}: x = ({x[0]: .10f}, {x[1]: .10f})  f = {value:.3e}")
    assert np.allclose(path[-1], [1.0, 1.0], atol=1e-10), "Newton's method missed (1, 1)"
    print(f"  reached the minimum (1, 1) in {len(path) - 1} Newton steps")

    print("\nPart 2: Hessian-vector product of an MLP's cross-entropy (2-16-16-2, tanh)")
    scale, error = mlp_hvp_check()
    print(
        f"  largest |H v| entry {scale:.4f}; tg.hvp vs differences of gradients: "
        f"largest relative difference {error:.1e}"
    )
    assert error < 1e-6, "tg.hvp disagrees with finite differences of the gradient"
    print("  tg.hvp agrees with finite differences of tg.grad")


if __name__ == "__main__":
    main()
