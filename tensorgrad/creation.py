"""Constructors. Float results take the default dtype unless given ``dtype=``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import tensor as _tensor
from .tensor import Tensor, as_array

Shape = int | Sequence[int]
_rng = np.random.default_rng()


def _float(dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else _tensor.get_default_dtype()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the default random generator used by ``rand``, ``randn`` and ``nn`` initialisers.

    The default generator is one for the whole process, as in PyTorch: threads that draw
    from it at the same time take turns in an order that varies from run to run. For
    results that do not depend on other threads, give each thread its own generator or
    seed with ``rng=`` (``tg.randn(3, rng=seed)``, ``tg.nn.MLP(sizes, rng=seed)``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> _ = tg.manual_seed(0); a = tg.rand(2)
    >>> _ = tg.manual_seed(0); bool((a.data == tg.rand(2).data).all())
    True
    """
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def default_rng() -> np.random.Generator:
    """The generator that random constructors use when not given ``rng``."""
    return _rng


RandomState = int | np.random.Generator | None


def as_generator(rng: RandomState, where: str) -> np.random.Generator:
    """``rng`` as a Generator: a seed makes a new one, ``None`` is tensorgrad's default.

    Every ``rng=`` argument in tensorgrad goes through here. The default is the generator
    ``tg.manual_seed`` reseeds, so one call makes a whole run (initialisation, data,
    shuffling, dropout) reproducible, as ``torch.manual_seed`` does. ``where`` names the
    caller in the errors: ``TypeError`` for anything but an int, a Generator or None,
    ``ValueError`` for a negative seed.

    Examples
    --------
    >>> import numpy as np
    >>> from tensorgrad.creation import as_generator
    >>> a = as_generator(0, "example").random()
    >>> a == as_generator(0, "example").random() == np.random.default_rng(0).random()
    True
    >>> as_generator(1.5, "example")
    Traceback (most recent call last):
    TypeError: example: rng must be an int seed, a numpy.random.Generator or None, got float
    """
    if rng is None:
        return _rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool | np.bool_):
        if rng < 0:
            raise ValueError(f"{where}: a seed must be a non-negative int, got rng={rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{where}: rng must be an int seed, a numpy.random.Generator or None, "
        f"got {type(rng).__name__}"
    )


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    return Tensor(as_array(data, dtype=dtype, copy=True), requires_grad=requires_grad)


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> tg.from_numpy(np.zeros(2, dtype=np.float32)).dtype
    dtype('float32')
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array, requires_grad=requires_grad)


def zeros(shape: Shape, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.zeros((2, 3)).shape
    (2, 3)
    """
    return Tensor(np.zeros(shape, dtype=_float(dtype)), requires_grad=requires_grad)


def ones(shape: Shape, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.ones(2)
    tensor([1., 1.])
    """
    return Tensor(np.ones(shape, dtype=_float(dtype)), requires_grad=requires_grad)


def full(shape: Shape, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.full(2, 7.0)
    tensor([7., 7.])
    """
    return Tensor(np.full(shape, fill_value, dtype=_float(dtype)), requires_grad=requires_grad)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of ``x``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.zeros_like(tg.ones((1, 2)))
    tensor([[0., 0.]])
    """
    return Tensor(np.zeros_like(as_array(x), dtype=dtype), requires_grad=requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of ``x``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.ones_like(tg.zeros((1, 2)))
    tensor([[1., 1.]])
    """
    return Tensor(np.ones_like(as_array(x), dtype=dtype), requires_grad=requires_grad)


def arange(
    start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:  # fmt: skip
    """Evenly spaced values in ``[start, stop)``; ints give int64, floats the default dtype.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.arange(3), tg.arange(0.0, 1.0, 0.5)
    (tensor([0, 1, 2]), tensor([0. , 0.5]))
    """
    values = np.arange(start, stop, step) if stop is not None else np.arange(0, start, step)
    if dtype is None:
        dtype = _float(None) if values.dtype.kind == "f" else np.int64
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An ``n x m`` identity matrix.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    return Tensor(np.eye(n, m, dtype=_float(dtype)), requires_grad=requires_grad)


def rand(
    *shape: Any, rng: int | np.random.Generator | None = None, dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:  # fmt: skip
    """Uniform samples in ``[0, 1)``; ``rand(2, 3)`` or ``rand((2, 3))``.

    ``rng`` is an int seed, a ``numpy.random.Generator`` or ``None`` (tensorgrad's
    default generator, which ``tg.manual_seed`` seeds).

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> tg.rand(2, 3, rng=np.random.default_rng(0)).shape
    (2, 3)
    """
    values = as_generator(rng, "rand").random(_shape(shape))
    return Tensor(values.astype(_float(dtype)), requires_grad=requires_grad)


def randn(
    *shape: Any, rng: int | np.random.Generator | None = None, dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:  # fmt: skip
    """Standard normal samples; ``randn(2, 3)`` or ``randn((2, 3))``.

    ``rng`` is an int seed, a ``numpy.random.Generator`` or ``None`` (tensorgrad's
    default generator, which ``tg.manual_seed`` seeds).

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> tg.randn(4, rng=np.random.default_rng(0)).shape
    (4,)
    """
    values = as_generator(rng, "randn").standard_normal(_shape(shape))
    return Tensor(values.astype(_float(dtype)), requires_grad=requires_grad)


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)
