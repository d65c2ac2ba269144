"""Helpers shared by the test_nn_*.py files: the dtypes tested and their tolerances,
seeded generators, NumPy's sigmoid, and a small model whose parameter order is pinned down
by the module and state_dict tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad import nn

DTYPES = [np.float64, np.float32]


def tolerance(dtype: Any) -> dict[str, float]:
    """How close a result in ``dtype`` must come to the float64 formula."""
    if np.dtype(dtype) == np.float32:
        return {"rtol": 2e-5, "atol": 2e-6}
    return {"rtol": 1e-11, "atol": 1e-12}


def rng_for(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


class Inner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 3, rng=rng_for(1))
        self.gamma = nn.Parameter(np.ones(3))

    def forward(self, x: Any) -> Any:
        return self.lin(x) * self.gamma


class Outer(nn.Module):
    """Parameters and modules assigned interleaved, to pin down the order."""

    def __init__(self) -> None:
        super().__init__()
        self.alpha = nn.Parameter(np.zeros(1))
        self.inner = Inner()
        self.act = nn.ReLU()
        self.head = nn.Linear(3, 1, rng=rng_for(2))
        self.beta = nn.Parameter(np.ones(1))

    def forward(self, x: Any) -> Any:
        return self.head(self.act(self.inner(x))) * self.beta + self.alpha


OUTER_PARAMETERS = [
    # a module's own parameters (in assignment order), then each sub-module's, depth first
    "alpha",
    "beta",
    "inner.gamma",
    "inner.lin.weight",
    "inner.lin.bias",
    "head.weight",
    "head.bias",
]
