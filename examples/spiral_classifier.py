"""Three interleaved spirals: a small MLP draws a curved decision boundary.

No straight line separates the arms of `tg.data.make_spirals`, but a 2-64-64-3 tanh MLP
trained with full-batch Adam (every step sees all training points) learns regions that
follow them. It prints the loss and training accuracy as it goes and the accuracy on
held-out test points at the end, then colours the plane by the class the model predicts
at each point, with the data on top (``tg.viz.plot_decision_boundary``), plots the loss
per step, and shows how the gradient flowed through the three layers during training
(``tg.viz.GradientMonitor``: gradient norms and update-to-weight ratios per layer).

Run:    .venv/bin/python examples/spiral_classifier.py [--epochs N] [--seed S] [--out DIR]
Writes: DIR/decision_boundary.png, DIR/loss.png and DIR/gradient_norms.png (DIR defaults
        to results/spiral_classifier/)
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


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """The class with the largest logit for each row of ``X``."""
    with tg.no_grad():  # only forward passes: recording a graph would waste memory
        return model(X).data.argmax(axis=1)


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
    monitor = tg.viz.GradientMonitor(model)

    losses = []
    for epoch in range(1, epochs + 1):
        loss = F.cross_entropy(model(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        monitor.record()  # each layer's gradient norm, and how far its weights moved
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
    import matplotlib

    matplotlib.use("Agg")  # headless: writes files, needs no display
    boundary_path = out / "decision_boundary.png"
    tg.viz.plot_decision_boundary(
        model, X_train, y_train, X_test, y_test, labels=("$x_1$", "$x_2$"), path=boundary_path
    )
    loss_path = plot_loss(losses, out / "loss.png")
    gradients_path = out / "gradient_norms.png"
    monitor.plot(gradients_path, title="Spirals: gradient flow through a 2-64-64-3 tanh MLP")
    return {
        "losses": losses,
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "plots": [boundary_path, loss_path, gradients_path],
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
