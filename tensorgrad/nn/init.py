"""Weight initialisation, in place, with PyTorch's names and formulas.

tensorgrad stores a linear layer's weight as ``(in_features, out_features)`` (so that
``y = x @ W + b``), the transpose of PyTorch's layout: ``fan_in`` is the size of the
first axis and ``fan_out`` of the second. For more than two axes the extra ones count
as a receptive field that multiplies both fans.

Every random function takes an optional ``rng``: an int seed, a
``numpy.random.Generator``, or ``None`` for tensorgrad's global generator, which
``tg.manual_seed`` seeds.
"""

from __future__ import annotations

import math

import numpy as np

from ..creation import as_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_GAINS = {
    "linear": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``.

    ``relu``: sqrt(2); ``leaky_relu`` with slope ``param`` (default 0.01):
    sqrt(2 / (1 + param^2)); ``tanh``: 5/3; ``linear`` and ``sigmoid``: 1.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> round(tg.nn.init.calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of "
            f"{sorted([*_GAINS, 'leaky_relu'])}"
        )
    return _GAINS[nonlinearity]


def _fans(t: Tensor, fn: str) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(
            f"{fn}: fan-in and fan-out need a weight with at least 2 axes, got shape "
            f"{t.shape}; initialise biases with zeros_ or normal_"
        )
    receptive = math.prod(t.shape[2:])
    return t.shape[0] * receptive, t.shape[1] * receptive


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    # Assigning .data (rather than writing into the array) records the edit, so a graph
    # that saved the old weights notices.
    t.data = values.astype(t.dtype, copy=False)
    return t


def uniform_(
    t: Tensor, a: float = 0.0, b: float = 1.0, rng: int | np.random.Generator | None = None
) -> Tensor:
    """Fill ``t`` with values drawn uniformly from ``[a, b)``.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.nn.init.uniform_(tg.zeros((2, 2)), -1, 1, rng=np.random.default_rng(0))
    >>> bool((abs(w.data) <= 1).all())
    True
    """
    return _fill(t, as_generator(rng, "uniform_").uniform(a, b, t.shape))


def normal_(
    t: Tensor, mean: float = 0.0, std: float = 1.0,
    rng: int | np.random.Generator | None = None,
) -> Tensor:  # fmt: skip
    """Fill ``t`` with values drawn from ``N(mean, std^2)``.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.nn.init.normal_(tg.zeros((1000,)), 5.0, 0.1, rng=np.random.default_rng(0))
    >>> round(float(w.data.mean()))
    5
    """
    return _fill(t, as_generator(rng, "normal_").normal(mean, std, t.shape))


def zeros_(t: Tensor) -> Tensor:
    """Fill ``t`` with zeros.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.init.zeros_(tg.ones((2,)))
    tensor([0., 0.])
    """
    return _fill(t, np.zeros(t.shape))


def xavier_uniform_(
    t: Tensor, gain: float = 1.0, rng: int | np.random.Generator | None = None
) -> Tensor:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Keeps the variance of activations and of gradients roughly equal across layers of
    tanh or sigmoid units.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.nn.init.xavier_uniform_(tg.zeros((3, 5)), rng=np.random.default_rng(0))
    >>> bool((abs(w.data) <= (6 / 8) ** 0.5).all())
    True
    """
    generator = as_generator(rng, "xavier_uniform_")
    fan_in, fan_out = _fans(t, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, generator)


def xavier_normal_(
    t: Tensor, gain: float = 1.0, rng: int | np.random.Generator | None = None
) -> Tensor:
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.nn.init.xavier_normal_(tg.zeros((300, 500)), rng=np.random.default_rng(0))
    >>> round(float(w.data.std()), 3)
    0.05
    """
    generator = as_generator(rng, "xavier_normal_")
    fan_in, fan_out = _fans(t, "xavier_normal_")
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, fn: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t, fn)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: int | np.random.Generator | None = None,
) -> Tensor:
    """He uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``.

    ``gain = calculate_gain(nonlinearity, a)``; with the defaults (``leaky_relu`` with
    slope ``a = 0``) it is sqrt(2), the ReLU gain, so ``b = sqrt(6 / fan_in)``.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.nn.init.kaiming_uniform_(tg.zeros((6, 4)), rng=np.random.default_rng(0))
    >>> bool((abs(w.data) <= 1.0).all())
    True
    """
    generator = as_generator(rng, "kaiming_uniform_")
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: int | np.random.Generator | None = None,
) -> Tensor:
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)`` (sqrt(2 / fan_in) for ReLU).

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> w = tg.nn.init.kaiming_normal_(tg.zeros((200, 300)), rng=np.random.default_rng(0))
    >>> round(float(w.data.std()), 2)
    0.1
    """
    generator = as_generator(rng, "kaiming_normal_")
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(t, 0.0, std, generator)
