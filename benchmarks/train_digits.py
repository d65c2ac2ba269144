"""The demo's training, epoch for epoch: tensorgrad against the same loop written in NumPy.

The model is the `make demo` one: a 64-256-128-10 ReLU MLP trained on the bundled
digits (1,437 training images, batches of 32, 45 steps an epoch) with Adam at
lr 1e-3, in float64. tensorgrad runs the demo's own code path: ``nn.MLP``,
``F.cross_entropy``, ``loss.backward()``, ``optim.Adam.step()``. The competitor is the
same epoch in plain NumPy: the forward, the backward written by hand (shared with
``mlp_step.py``) and Adam's update written by hand with PyTorch's formula. Both visit
the batches in the same order.

Before timing, both train one epoch from the same weights and their weights must then
agree (rtol 1e-9); otherwise the script stops with exit code 1. Target: a tensorgrad
epoch takes at most 1.15x the NumPy epoch (median of interleaved repetitions).

Run:  .venv/bin/python benchmarks/train_digits.py
Results: printed as a table and written to benchmarks/results/train_digits.json.
"""

from __future__ import annotations

import math

import _harness  # sets the BLAS thread variables, so it must be imported before NumPy
import numpy as np
from _harness import Report, check_close
from mlp_step import numpy_grads

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.data import load_digits, train_test_split

SIZES = [64, 256, 128, 10]
BATCH = 32
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
TARGET_RATIO = 1.15
REPEATS = 25


class NumpyAdam:
    """Adam on a list of arrays, updated in place (PyTorch's formula)."""

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        (b1, b2), t = BETAS, self.t
        step_size, root = LR / (1 - b1**t), math.sqrt(1 - b2**t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= step_size * m / (np.sqrt(v) / root + EPS)


def numpy_epoch(adam: NumpyAdam, X: np.ndarray, y: np.ndarray, order: np.ndarray) -> None:
    for start in range(0, len(order), BATCH):
        rows = order[start : start + BATCH]
        _, grads = numpy_grads(adam.params, X[rows], y[rows])
        adam.step(grads)


def tensorgrad_epoch(
    model: tg.nn.Module, optimizer: tg.optim.Optimizer, X: np.ndarray, y: np.ndarray,
    order: np.ndarray,
) -> None:  # fmt: skip
    for start in range(0, len(order), BATCH):
        rows = order[start : start + BATCH]
        loss = F.cross_entropy(model(X[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main() -> None:
    report = Report("train_digits", "the demo's training epoch: tensorgrad vs NumPy by hand")
    _harness.status("train_digits: checking one epoch agrees, then timing (progress below)")
    X, y = load_digits()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, rng=0)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X_train))

    tg.manual_seed(0)
    model = tg.nn.MLP(SIZES)
    optimizer = tg.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    adam = NumpyAdam([p.data.copy() for p in model.parameters()])

    tensorgrad_epoch(model, optimizer, X_train, y_train, order)
    numpy_epoch(adam, X_train, y_train, order)
    for (name, param), expected in zip(model.named_parameters(), adam.params):
        atol = 1e-9 * float(np.abs(expected).max())
        check_close(f"after one epoch: {name}", param.data, expected, rtol=1e-9, atol=atol)

    timings = _harness.time_interleaved(
        {
            "tensorgrad": lambda: tensorgrad_epoch(model, optimizer, X_train, y_train, order),
            "numpy": lambda: numpy_epoch(adam, X_train, y_train, order),
        },
        label="epoch",
        repeats=REPEATS,
        warmup=2,
    )
    steps = math.ceil(len(order) / BATCH)
    report.add_comparison(
        f"64-256-128-10 MLP epoch on digits ({steps} steps of {BATCH}), Adam, float64",
        timings["tensorgrad"],
        timings["numpy"],
        max_ratio=TARGET_RATIO,
    )
    report.finish(
        notes=[
            "Times are medians per epoch over interleaved repetitions; ratio = tensorgrad / "
            "numpy.",
            "An epoch is forward, cross-entropy, backward and an Adam update per batch.",
        ]
    )


if __name__ == "__main__":
    _harness.run_main(main)
