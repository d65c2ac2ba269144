"""Vanishing gradients: why a deep sigmoid network barely learns and a ReLU one does.

Four 10-layer MLPs (2-32-...-32-2) learn the two moons with plain full-batch SGD, and a
``tg.viz.GradientMonitor`` records every layer's gradient norm at every step:

- sigmoid, He (Kaiming) initialisation: ``nn.MLP(..., activation="sigmoid",
  init="kaiming")``. The sigmoid's slope is at most 1/4, so each layer passes back at
  most a quarter of the gradient it receives (times the weights' gain): after nine
  layers the first one gets about 1e-5 of what the last one gets, and the net stays at
  chance level.
- ReLU, He initialisation (the default for ReLU): the slope is 1 where a unit is active
  and the He gain sqrt(2) makes up for the inactive half, so the gradient keeps its size
  from the last layer to the first, and the net learns.
- sigmoid, Glorot initialisation (``nn.MLP``'s default for sigmoid): Glorot's weights
  are smaller than He's, so the gradient shrinks even faster. Glorot's argument assumes
  a slope of 1 at zero, as tanh has; the sigmoid's 1/4 defeats it.
- tanh, Glorot initialisation: what Glorot was designed for; the gradient survives.

The script prints the ratio of the first layer's gradient norm to the last layer's at
the first step, and the loss each net reaches.

Run:    .venv/bin/python examples/vanishing_gradients.py [--steps N] [--out DIR]
Writes: DIR/gradient_norms_by_depth.png (all four nets: gradient norm per layer at the
        first step, and the training loss), and DIR/monitor_<net>.png for each net (the
        monitor's own plot: norms and update ratios per layer over the steps)
        (DIR defaults to results/vanishing_gradients/)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import numpy as np

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.data import make_moons

matplotlib.use("Agg")  # headless: writes files, needs no display

SIZES = [2] + [32] * 9 + [2]  # ten Linear layers
NETS = {  # name: (activation, init, legend)
    "sigmoid_he": ("sigmoid", "kaiming", "sigmoid, He init"),
    "relu_he": ("relu", "kaiming", "ReLU, He init"),
    "sigmoid_glorot": ("sigmoid", "xavier", "sigmoid, Glorot init"),
    "tanh_glorot": ("tanh", "xavier", "tanh, Glorot init"),
}


def train(
    activation: str, init: str, X: np.ndarray, y: np.ndarray, steps: int, seed: int = 0
) -> tuple[tg.viz.GradientMonitor, list[float]]:
    """Full-batch SGD on ``(X, y)``; return the gradient monitor and the loss per step."""
    tg.manual_seed(seed)  # the same random draws for every net
    model = tg.nn.MLP(SIZES, activation=activation, init=init)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    monitor = tg.viz.GradientMonitor(model)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        monitor.record()  # after step(): gradient norms and how far each layer moved
        losses.append(loss.item())
    return monitor, losses


def plot_comparison(results: dict, path: Path) -> Path:
    """Gradient norm by depth at the first step, and the loss per step, for every net."""
    import matplotlib.pyplot as plt

    fig, (by_depth, loss_ax) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    for colour, (name, (monitor, losses)) in zip(["C3", "C2", "C1", "C0"], results.items()):
        norms = [monitor.grad_norms[layer][0] for layer in monitor.names]
        depth = np.arange(1, len(norms) + 1)
        by_depth.semilogy(depth, norms, marker="o", color=colour, label=NETS[name][2])
        loss_ax.plot(np.arange(1, len(losses) + 1), losses, color=colour, label=NETS[name][2])
    by_depth.set(xticks=depth, xlabel="layer (1 = next to the input, 10 = output)",
                 ylabel="||gradient|| (log scale)",
                 title="Gradient norm per layer at the first step")  # fmt: skip
    loss_ax.axhline(np.log(2), color="grey", linestyle="--", linewidth=1,
                    label="chance level (ln 2)")  # fmt: skip
    loss_ax.set(xlabel="step (full-batch SGD, lr 0.1)", ylabel="cross-entropy",
                title="Training loss")  # fmt: skip
    for ax in (by_depth, loss_ax):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(f"Ten-layer MLPs {'-'.join(map(str, SIZES[:3]))}-...-32-2 on the two moons")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(
    steps: int = 200, out: Path = Path("results/vanishing_gradients"), quiet: bool = False
) -> dict:
    """Train the four nets; save the plots into ``out``; return ratios, losses and paths."""
    X, y = make_moons(200, rng=0)
    results = {
        name: train(activation, init, X, y, steps)
        for name, (activation, init, _) in NETS.items()
    }  # fmt: skip
    paths = [plot_comparison(results, out / "gradient_norms_by_depth.png")]
    ratios, final_losses = {}, {}
    for name, (monitor, losses) in results.items():
        first, last = monitor.names[0], monitor.names[-1]
        ratios[name] = monitor.grad_norms[first][0] / monitor.grad_norms[last][0]
        final_losses[name] = losses[-1]
        path = out / f"monitor_{name}.png"
        monitor.plot(path, title=f"{NETS[name][2]}: gradient flow through 10 layers")
        paths.append(path)
    if not quiet:
        print("first-layer / last-layer gradient norm at the first step, and the final loss:")
        for name, ratio in ratios.items():
            print(f"  {NETS[name][2]:22s} {ratio:9.2e}   loss {final_losses[name]:.3f} "
                  f"after {steps} steps")  # fmt: skip
        for path in paths:
            print(f"saved {path.resolve()}")
    return {"ratios": ratios, "final_losses": final_losses, "plots": paths}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="full-batch SGD steps")
    parser.add_argument("--out", type=Path, default=Path("results/vanishing_gradients"))
    args = parser.parse_args()
    main(args.steps, args.out)
