"""Handwritten digits with an MLP: the training loop written out, a checkpoint, a reload.

The readable version of `make demo`. It trains a 64-128-10 ReLU MLP with Adam on 80% of
the 1,797 bundled 8x8 digit images (no download), evaluates it on the other 20% after
every epoch, saves the model and optimizer to a checkpoint, loads that checkpoint into a
fresh model to show it scores exactly the same, and plots the loss per epoch.

Run:    .venv/bin/python examples/digits_mlp.py [--epochs N] [--out DIR]
Writes: DIR/checkpoint.npz and DIR/loss.png (DIR defaults to results/digits_mlp/)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn, optim
from tensorgrad.data import batches, load_digits, train_test_split

SIZES = [64, 128, 10]  # 8x8 pixels in, one logit per digit out


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of the images in ``X`` whose most likely digit is the label ``y``."""
    model.eval()  # evaluation mode; this MLP has no dropout, but the habit matters
    with tg.no_grad():  # no graph needed: we never call backward on these outputs
        predictions = model(X).data.argmax(axis=1)
    model.train()
    return float((predictions == y).mean())


def plot_loss(train_losses: list[float], path: Path) -> Path:
    """Save the mean training cross-entropy per epoch as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # headless: writes files, needs no display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(train_losses) + 1), train_losses, marker="o", label="training")
    ax.set(
        xlabel="epoch",
        ylabel="mean cross-entropy (log scale)",
        yscale="log",
        title="MLP 64-128-10 on the UCI digits (Adam, lr 3e-3)",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def train(
    epochs: int = 12, out: Path = Path("results/digits_mlp"), seed: int = 0, quiet: bool = False
) -> dict:
    """Train, checkpoint, reload and plot; return the numbers and the paths written."""
    say = (lambda *args: None) if quiet else print
    tg.manual_seed(seed)  # seeds the weights and the batch order: every run is the same
    X, y = load_digits()  # X: (1797, 64) pixels scaled to [0, 1]; y: digits 0..9
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=True, rng=seed
    )
    say(f"digits: {len(X_train)} training and {len(X_test)} test images")

    model = nn.MLP(SIZES)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)

    train_losses = []
    for epoch in range(1, epochs + 1):
        loss_sum = 0.0
        for X_batch, y_batch in batches(X_train, y_train, batch_size=32):
            loss = F.cross_entropy(model(X_batch), y_batch)
            optimizer.zero_grad()  # gradients accumulate, so clear last step's first
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y_batch)  # the last batch may be smaller
        train_losses.append(loss_sum / len(X_train))
        test_accuracy = accuracy(model, X_test, y_test)
        say(
            f"epoch {epoch:2d}/{epochs}  train loss {train_losses[-1]:.4f}  "
            f"test accuracy {100 * test_accuracy:.2f}%"
        )

    # The optimizer's moment estimates go in too, so training could resume where it stopped.
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out / "checkpoint.npz"
    tg.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epochs},
        checkpoint_path,
    )
    say(f"saved the model and optimizer to {checkpoint_path.resolve()}")

    # A fresh model starts from other random weights; loading the checkpoint replaces them.
    checkpoint = tg.load(checkpoint_path)
    restored = nn.MLP(SIZES)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer = optim.Adam(restored.parameters())
    restored_optimizer.load_state_dict(checkpoint["optimizer"])  # lr and moments: can resume
    reloaded_accuracy = accuracy(restored, X_test, y_test)
    say(
        f"reloaded after epoch {checkpoint['epoch']}: test accuracy "
        f"{100 * reloaded_accuracy:.2f}% (trained model: {100 * test_accuracy:.2f}%)"
    )

    plot_path = plot_loss(train_losses, out / "loss.png")
    say(f"saved the loss curve to {plot_path.resolve()}")
    return {
        "train_losses": train_losses,
        "test_accuracy": test_accuracy,
        "reloaded_accuracy": reloaded_accuracy,
        "checkpoint": checkpoint_path,
        "plot": plot_path,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=12, help="passes over the training images")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/digits_mlp"),
        help="folder for the checkpoint and the plot",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    result = train(args.epochs, args.out)
    print(
        f"test accuracy {100 * result['test_accuracy']:.2f}% after {args.epochs} epochs "
        f"({time.perf_counter() - start:.1f} s)"
    )


if __name__ == "__main__":
    main()
