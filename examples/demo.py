"""The `make demo` job: train a small MLP on 2-D spirals with raw tensor operations.

Everything here is the engine itself: parameters are tensors that require gradients,
the forward pass is matrix products and tanh, the loss is the cross-entropy computed
from `tg.log_softmax`, `loss.backward()` fills every `.grad`, and the update is the
plain gradient-descent rule `W <- W - lr * grad`. It prints the loss as it falls,
the accuracy on held-out points, and saves the loss curve as a PNG.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import tensorgrad as tg

OUT_DIR = Path("results")


def spirals(
    n_per_class: int, classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Points on ``classes`` interleaved noisy spiral arms, with their arm as the label."""
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), classes)
    label = np.repeat(np.arange(classes), n_per_class)
    angle = label * (2 * np.pi / classes) + radius * 4.0 + rng.normal(0, 0.25, radius.size)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return points, label


def main() -> None:
    rng = np.random.default_rng(0)
    x, y = spirals(300, 3, rng)
    order = rng.permutation(len(y))
    train, test = order[:700], order[700:]

    sizes = [2, 64, 64, 3]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = tg.randn(fan_in, fan_out, rng=rng) * np.sqrt(1.0 / fan_in)
        params += [tg.Tensor(w.data, requires_grad=True), tg.zeros(fan_out, requires_grad=True)]

    def logits(inputs: np.ndarray) -> tg.Tensor:
        h = tg.Tensor(inputs)
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.tanh()
        return h

    lr, steps, losses = 0.5, 600, []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        log_probs = tg.log_softmax(logits(x[train]), axis=1)
        loss = -log_probs[np.arange(len(train)), y[train]].mean()
        for p in params:
            p.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.item())
        if step % 60 == 0 or step == 1:
            print(f"step {step:5d}/{steps}  loss {loss.item():.4f}", flush=True)

    with tg.no_grad():
        predicted = tg.argmax(logits(x[test]), axis=1)
    accuracy = float((predicted == y[test]).mean())
    print(f"trained in {time.perf_counter() - start:.1f} s; test accuracy {accuracy:.1%}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT_DIR.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(losses)
    ax.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="MLP on spirals")
    fig.tight_layout()
    path = OUT_DIR / "demo_loss.png"
    fig.savefig(path, dpi=100)
    print(f"saved the loss curve to {path}")


if __name__ == "__main__":
    main()
