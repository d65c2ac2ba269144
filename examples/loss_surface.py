"""Loss surfaces of the smallest network: non-convex, with plateaus where gradients vanish.

The 1-1-1 network ``y_hat = sigmoid(w2 * sigmoid(w1 * x))`` has two weights, so its loss
on one sample (x = 1, target y = 1) is a surface over the plane (w1, w2) that can be
looked at whole. Two losses, side by side:

- squared error ``(y_hat - y)^2``;
- cross-entropy ``-log(y_hat)``, computed stably as ``softplus(-w2 * sigmoid(w1))``.

Neither is convex in the weights, although both are convex in ``y_hat`` or in the
logit: the script computes the Hessian at every grid point (four nested
``tg.grad`` calls over the whole grid at once, since each point's loss depends on that
point's weights only) and hatches where it has a negative eigenvalue. It also runs
gradient descent from the same start, ``(w1, w2) = (4, -6)``, where the output is
confidently wrong (``y_hat`` about 0.003): on the squared error the sigmoid's
saturation makes the gradient tiny and descent stalls on a plateau; the
cross-entropy's gradient stays large, and descent walks off to a low loss.

Run:    .venv/bin/python examples/loss_surface.py [--out DIR]
Writes: DIR/loss_surfaces.png (DIR defaults to results/loss_surface/)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import numpy as np

import tensorgrad as tg

matplotlib.use("Agg")  # headless: writes files, needs no display

X, Y = 1.0, 1.0  # the one training sample
RANGE = (-6.0, 6.0)  # of each weight
START = (4.0, -6.0)  # where gradient descent starts: a confidently wrong output


def squared_error(w1, w2):
    """``(sigmoid(w2 sigmoid(w1 x)) - y)^2``; works on numbers, arrays or tensors alike."""
    return (tg.sigmoid(w2 * tg.sigmoid(w1 * X)) - Y) ** 2


def cross_entropy(w1, w2):
    """``-log sigmoid(z) = softplus(-z)`` for ``z = w2 sigmoid(w1 x)`` (and y = 1)."""
    return tg.softplus(-(w2 * tg.sigmoid(w1 * X)))


LOSSES = {"squared error": squared_error, "cross-entropy": cross_entropy}


def smallest_curvature(loss_fn, W1: np.ndarray, W2: np.ndarray) -> np.ndarray:
    """The smaller eigenvalue of the Hessian of ``loss_fn`` at every grid point.

    Each grid point's loss depends on its own weights only, so differentiating the sum
    over the grid gives every point's derivatives at once, and nesting ``tg.grad``
    gives the second derivatives.
    """
    gradient = tg.grad(lambda a, b: loss_fn(a, b).sum(), argnums=(0, 1))
    row1 = tg.grad(lambda a, b: gradient(a, b)[0].sum(), argnums=(0, 1))
    row2 = tg.grad(lambda a, b: gradient(a, b)[1].sum(), argnums=(0, 1))
    w1, w2 = tg.tensor(W1), tg.tensor(W2)
    (h11, h12), (_, h22) = row1(w1, w2), row2(w1, w2)
    a, b, d = h11.data, h12.data, h22.data
    return (a + d) / 2 - np.sqrt(((a - d) / 2) ** 2 + b**2)


def descend(loss_fn, start: tuple[float, float], steps: int = 40, lr: float = 0.5) -> np.ndarray:
    """Plain gradient descent on ``loss_fn``; return the points visited, shape (steps+1, 2)."""
    value_and_grad = tg.value_and_grad(lambda w: loss_fn(w[0], w[1]))
    path = [np.array(start)]
    for _ in range(steps):
        _, gradient = value_and_grad(tg.tensor(path[-1]))
        path.append(path[-1] - lr * gradient.data)
    return np.array(path)


def main(out: Path = Path("results/loss_surface"), resolution: int = 81,
         quiet: bool = False) -> dict:  # fmt: skip
    """Draw both surfaces into ``out``; return the paths, losses and non-convex fractions."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 10), layout="constrained")
    grid = np.linspace(*RANGE, resolution)
    W1, W2 = np.meshgrid(grid, grid)
    result: dict = {"non_convex_fraction": {}, "final_loss": {}}
    for row, (name, loss_fn) in enumerate(LOSSES.items()):
        contour_ax = fig.add_subplot(2, 2, 2 * row + 1)
        surface_ax = fig.add_subplot(2, 2, 2 * row + 2, projection="3d")
        path = descend(loss_fn, START)
        tg.viz.plot_loss_surface(
            loss_fn, grid, grid, vectorized=True, trajectory=path,
            labels=("w1", "w2"), axes=[contour_ax, surface_ax],
        )  # fmt: skip
        curvature = smallest_curvature(loss_fn, W1, W2)
        with plt.rc_context({"hatch.color": "#dddddd", "hatch.linewidth": 0.4}):
            contour_ax.contourf(W1, W2, curvature, levels=[-np.inf, 0], colors="none",
                                hatches=["//"])  # fmt: skip
        final = float(loss_fn(*path[-1]).item())
        contour_ax.set_title(f"{name}: gradient descent from {START} ends at loss "
                             f"{final:.3f}\nhatched: a negative Hessian eigenvalue "
                             "(not convex there)", fontsize=10)  # fmt: skip
        surface_ax.set_title(f"{name} over (w1, w2)", fontsize=10)
        result["non_convex_fraction"][name] = float((curvature < 0).mean())
        result["final_loss"][name] = final
    fig.suptitle("Loss of y_hat = sigmoid(w2 sigmoid(w1 x)) on the sample x = 1, y = 1")
    out.mkdir(parents=True, exist_ok=True)
    result["plots"] = [out / "loss_surfaces.png"]
    fig.savefig(result["plots"][0], dpi=110)
    plt.close(fig)
    if not quiet:
        for name in LOSSES:
            print(f"{name:14s} Hessian has a negative eigenvalue on "
                  f"{100 * result['non_convex_fraction'][name]:.0f}% of the plane; gradient "
                  f"descent from {START}: loss {result['final_loss'][name]:.3f} "
                  "after 40 steps")  # fmt: skip
        print(f"saved {result['plots'][0].resolve()}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("results/loss_surface"))
    main(parser.parse_args().out)
