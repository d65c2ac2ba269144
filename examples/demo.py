"""The `make demo` job: an MLP learns to read handwritten digits.

The data is the UCI handwritten-digits set bundled with tensorgrad (1,797 images of
8x8 pixels, no download). A 64-256-128-10 ReLU MLP is trained with Adam and a cosine
learning-rate schedule on 80% of the images; after each epoch it is evaluated on the
other 20%. It prints a progress bar per epoch and the test accuracy, and saves the
training and test loss and accuracy per epoch as a PNG.

Run:  make demo    (or: .venv/bin/python examples/demo.py [--epochs N] [--out DIR])
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.data import batches, load_digits, train_test_split


def evaluate(model: tg.nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(X, y)``, without a graph."""
    model.eval()
    with tg.no_grad():
        logits = model(X)
        loss = F.cross_entropy(logits, y).item()
    model.train()
    return loss, float((logits.data.argmax(axis=1) == y).mean())


def train(epochs: int = 30, seed: int = 0, quiet: bool = False) -> tg.viz.History:
    """Train the demo model; return the per-epoch history of losses and accuracies."""
    tg.manual_seed(seed)
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=seed)

    model = tg.nn.MLP([64, 256, 128, 10])
    optimizer = tg.optim.Adam(model.parameters(), lr=1e-3)
    schedule = tg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if not quiet:
        print(f"digits: {len(X_train)} training and {len(X_test)} test images of 8x8 pixels")
        print(model)

    history = tg.viz.History()
    for epoch in range(1, epochs + 1):
        steps = tqdm(
            batches(X_train, y_train, batch_size=32),
            total=-(-len(X_train) // 32),
            desc=f"epoch {epoch:2d}/{epochs}",
            leave=False,
            disable=quiet,
        )
        for X_batch, y_batch in steps:
            loss = F.cross_entropy(model(X_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        schedule.step()
        train_loss, train_acc = evaluate(model, X_train, y_train)
        test_loss, test_acc = evaluate(model, X_test, y_test)
        history.append(epoch, train_loss=train_loss, test_loss=test_loss,
                       train_acc=train_acc, test_acc=test_acc)  # fmt: skip
        if not quiet:
            tqdm.write(
                f"epoch {epoch:2d}/{epochs}  train loss {history['train_loss'][-1]:.4f}  "
                f"test loss {history['test_loss'][-1]:.4f}  "
                f"test accuracy {100 * history['test_acc'][-1]:.2f}%"
            )
    return history


def plot(history: tg.viz.History, path: Path) -> Path:
    """Save loss (log scale) and accuracy per epoch, training against test, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed
    title = "MLP 64-256-128-10 on the UCI digits (Adam, cosine schedule)"
    tg.viz.plot_history(history, path, logy=True, title=title)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("results"), help="folder for the plot")
    args = parser.parse_args()

    start = time.perf_counter()
    history = train(args.epochs)
    seconds = time.perf_counter() - start
    path = plot(history, args.out / "demo_digits.png")
    print(
        f"test accuracy {100 * history['test_acc'][-1]:.2f}% after {args.epochs} epochs "
        f"({seconds:.1f} s)"
    )
    print(f"saved the loss and accuracy curves to {path.resolve()}")


if __name__ == "__main__":
    main()
