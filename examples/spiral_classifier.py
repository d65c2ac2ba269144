"""Three interleaved spirals: a small MLP draws a curved decision boundary.

No straight line separates the arms of `tg.data.make_spirals`, but a 2-64-64-3 tanh MLP
trained with full-batch Adam (every step sees all training points) learns regions that
follow them. It prints the loss and training accuracy as it goes and the accuracy on
held-out test points at the end, then colours the plane by the class the model predicts
at each point, with the data on top, and plots the loss per step.

Run:    .venv/bin/python examples/spiral_classifier.py [--epochs N] [--seed S] [--out DIR]
Writes: DIR/decision_boundary.png and DIR/loss.png (DIR defaults to
        results/spiral_classifier/)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn, optim
from tensorgrad.data import make_spirals, train_test_split

CLASS_COLOURS = ["tab:blue", "tab:orange", "tab:green"]


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """The class with the largest logit for each row of ``X``."""
    with tg.no_grad():  # only forward passes: recording a graph would waste memory
        return model(X).data.argmax(axis=1)


def plot_decision_boundary(
    model: nn.Module,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    path: Path,
) -> Path:
    """Colour a grid over the plane by the predicted class; draw the points on top."""
    import matplotlib

    matplotlib.use("Agg")  # headless: writes files, needs no display
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    # One forward pass over a 300x300 grid of points gives the class of every pixel.
    X_all = np.concatenate([X_train, X_test])
    low, high = X_all.min(axis=0) - 0.2, X_all.max(axis=0) + 0.2
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300))
    regions = predict(model, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)

    fig, ax = plt.subplots(figsize=(6, 6))
    n_classes = len(CLASS_COLOURS)
    ax.contourf(
        xx,
        yy,
        regions,
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=ListedColormap(CLASS_COLOURS),
        alpha=0.25,
    )
    for label, colour in enumerate(CLASS_COLOURS):
        ax.scatter(
            *X_train[y_train == label].T,
            s=18,
            color=colour,
            edgecolors="k",
            linewidths=0.4,
            label=f"class {label} (training)",
        )
        ax.scatter(
            *X_test[y_test == label].T,
            s=40,
            color=colour,
            marker="^",
            edgecolors="k",
            linewidths=0.6,
            label=f"class {label} (test)",
        )
    ax.set(
        xlabel="$x_1$",
        ylabel="$x_2$",
        aspect="equal",
        title="Predicted class regions of a 2-64-64-3 tanh MLP",
    )
    # Below the axes, so that the legend hides no point.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_loss(losses: list[float], path: Path) -> Path:
    """Save the full-batch training loss per step, on a log scale, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(np.arange(1, len(losses) + 1), losses, label="training loss")
    ax.axhline(np.log(3), color="grey", linestyle="--", label="chance level (ln 3)")
    ax.set(
        xlabel="epoch (one full-batch Adam step)",
        ylabel="cross-entropy (log scale)",
        title="Spirals: training loss",
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def train(
    epochs: int = 300,
    out: Path = Path("results/spiral_classifier"),
    seed: int = 0,
    quiet: bool = False,
) -> dict:
    """Train on the spirals, plot; return the accuracies, losses and paths written.

    An epoch is one step: with 225 training points the whole set fits in one batch.
    """
    tg.manual_seed(seed)  # the initial weights
    X, y = make_spirals(n_per_class=100, n_classes=3, noise=0.2, rng=seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=True, rng=seed
    )

    # tanh gives smooth boundaries; ReLU works as well but draws them from straight pieces.
    model = nn.MLP([2, 64, 64, 3], activation="tanh")
    optimizer = optim.Adam(model.parameters(), lr=0.01)

    losses = []
    for epoch in range(1, epochs + 1):
        loss = F.cross_entropy(model(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if not quiet and (epoch % 50 == 0 or epoch == epochs):
            train_accuracy = (predict(model, X_train) == y_train).mean()
            print(
                f"epoch {epoch:4d}/{epochs}  loss {losses[-1]:.4f}  "
                f"training accuracy {100 * train_accuracy:.1f}%"
            )

    train_accuracy = float((predict(model, X_train) == y_train).mean())
    test_accuracy = float((predict(model, X_test) == y_test).mean())
    out.mkdir(parents=True, exist_ok=True)
    boundary_path = plot_decision_boundary(
        model, X_train, y_train, X_test, y_test, out / "decision_boundary.png"
    )
    loss_path = plot_loss(losses, out / "loss.png")
    return {
        "losses": losses,
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "plots": [boundary_path, loss_path],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=300, help="full-batch steps")
    parser.add_argument("--seed", type=int, default=0, help="other spirals and initial weights")
    parser.add_argument("--out", type=Path, default=Path("results/spiral_classifier"))
    args = parser.parse_args()
    start = time.perf_counter()
    result = train(args.epochs, args.out, seed=args.seed)
    seconds = time.perf_counter() - start
    print(
        f"training accuracy {100 * result['train_accuracy']:.1f}%, "
        f"test accuracy {100 * result['test_accuracy']:.1f}% on held-out points ({seconds:.1f} s)"
    )
    for path in result["plots"]:
        print(f"saved {path.resolve()}")


if __name__ == "__main__":
    main()
