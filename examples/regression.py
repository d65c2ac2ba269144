"""Regression: a small MLP fits a noisy sine curve with SGD, momentum and a cosine schedule.

The data are 200 training and 200 test points with x drawn uniformly from [-1.5, 1.5]
and y = sin(3x) + Gaussian noise of standard deviation 0.1. A 1-64-64-1 tanh MLP is
trained on the mean squared error with mini-batch SGD (momentum 0.9) whose learning rate
follows a cosine from 0.05 down to 0 (`CosineAnnealingLR`). It prints the training and
test MSE as it goes; no model can beat the noise variance, 0.01, on unseen points.

Run:    .venv/bin/python examples/regression.py [--epochs N] [--out DIR]
Writes: DIR/fit.png and DIR/loss.png (DIR defaults to results/regression/)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn, optim
from tensorgrad.data import batches

NOISE = 0.1  # standard deviation of the noise on y


def true_function(x: np.ndarray) -> np.ndarray:
    return np.sin(3 * x)


def make_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy samples as column vectors ``(n, 1)``: the model maps 1 input to 1 output."""
    x = rng.uniform(-1.5, 1.5, size=(n, 1))
    return x, true_function(x) + NOISE * rng.standard_normal((n, 1))


def mse(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with tg.no_grad():  # evaluation only: no graph
        return F.mse_loss(model(x), y).item()


def train(
    epochs: int = 200, out: Path = Path("results/regression"), seed: int = 0, quiet: bool = False
) -> dict:
    """Fit the curve and plot it; return the MSE per epoch, the final ones and the paths."""
    tg.manual_seed(seed)  # the initial weights
    rng = np.random.default_rng(seed)  # one generator for the data and every epoch's shuffle
    x_train, y_train = make_data(200, rng)
    x_test, y_test = make_data(200, rng)

    model = nn.MLP([1, 64, 64, 1], activation="tanh")
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    # Large steps early to get near the curve fast, small ones late to settle on it.
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    history: dict[str, list[float]] = {"train_mse": [], "test_mse": [], "lr": []}
    for epoch in range(1, epochs + 1):
        history["lr"].append(optimizer.param_groups[0]["lr"])  # the rate this epoch used
        for x_batch, y_batch in batches(x_train, y_train, batch_size=32, rng=rng):
            loss = F.mse_loss(model(x_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()  # once per epoch, after the optimizer steps, as in PyTorch
        history["train_mse"].append(mse(model, x_train, y_train))
        history["test_mse"].append(mse(model, x_test, y_test))
        if not quiet and (epoch % 25 == 0 or epoch == epochs):
            print(
                f"epoch {epoch:3d}/{epochs}  lr {history['lr'][-1]:.1e}  "
                f"train MSE {history['train_mse'][-1]:.4f}  "
                f"test MSE {history['test_mse'][-1]:.4f}"
            )

    out.mkdir(parents=True, exist_ok=True)
    fit_path = plot_fit(model, x_train, y_train, x_test, y_test, out / "fit.png")
    loss_path = plot_history(history, out / "loss.png")
    result = {
        "history": history,
        "train_mse": history["train_mse"][-1],
        "test_mse": history["test_mse"][-1],
        "y_variance": float(y_test.var()),  # the MSE of always predicting the mean
        "plots": [fit_path, loss_path],
    }
    if not quiet:
        print(
            f"final training MSE {result['train_mse']:.4f}, test MSE {result['test_mse']:.4f} "
            f"(variance of y {result['y_variance']:.3f}, noise variance {NOISE**2:.3f})"
        )
        print(f"saved the fitted curve to {fit_path.resolve()}")
        print(f"saved the loss curves to {loss_path.resolve()}")
    return result


def plot_fit(
    model: nn.Module,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    path: Path,
) -> Path:
    """The data, the function they were drawn from, and the model's curve, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # headless: writes files, needs no display
    import matplotlib.pyplot as plt

    # A little past the data on both sides shows how the fit behaves where it saw nothing.
    grid = np.linspace(-1.8, 1.8, 400).reshape(-1, 1)
    with tg.no_grad():
        fitted = model(grid).data

    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.axvspan(-1.5, 1.5, color="0.95", label="range of the training data")
    ax.scatter(x_train, y_train, s=12, alpha=0.6, label="training data")
    ax.scatter(x_test, y_test, s=12, alpha=0.6, marker="x", label="test data")
    ax.plot(grid, true_function(grid), "k--", linewidth=1.5, label="true function sin(3x)")
    ax.plot(grid, fitted, color="tab:red", linewidth=2, label="MLP fit")
    ax.set(xlabel="x", ylabel="y", title="A 1-64-64-1 tanh MLP fits y = sin(3x) + noise")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: no point hidden
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_history(history: dict[str, list[float]], path: Path) -> Path:
    """Training and test MSE per epoch, and the learning rate on a second axis, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["lr"]) + 1)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.semilogy(epochs, history["train_mse"], label="training MSE")
    ax.semilogy(epochs, history["test_mse"], label="test MSE")
    ax.axhline(NOISE**2, color="grey", linestyle="--", label="noise variance (the floor)")
    ax.set(
        xlabel="epoch",
        ylabel="mean squared error (log scale)",
        title="Regression: loss, and the cosine learning-rate schedule",
    )
    ax.grid(alpha=0.3, which="both")
    lr_ax = ax.twinx()  # the learning rate has its own scale, on the right
    lr_ax.plot(epochs, history["lr"], color="tab:green", linestyle=":", label="learning rate")
    lr_ax.set_ylabel("learning rate")
    lr_ax.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    lr_lines = lr_ax.get_legend_handles_labels()
    ax.legend(lines[0] + lr_lines[0], lines[1] + lr_lines[1], loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200, help="passes over the training points")
    parser.add_argument(
        "--out", type=Path, default=Path("results/regression"), help="folder for the plots"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    train(args.epochs, args.out)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
