"""From a dataset to what a training loop consumes: a train/test split, then mini-batches.

Both functions take ``X`` and ``y`` as NumPy arrays or tensors (anything else
array-like becomes an array) with one sample per row, and return the same kind they
were given: indexing a tensor gives a tensor. They shuffle with a
``numpy.random.Generator``; ``rng=None`` means tensorgrad's default generator, which
``tg.manual_seed`` reseeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, TypeVar

import numpy as np

from .._argument_checks import check_int
from ..creation import RandomState, as_generator
from ..tensor import Tensor

XData = TypeVar("XData", np.ndarray, Tensor)
YData = TypeVar("YData", np.ndarray, Tensor)


def train_test_split(
    X: XData, y: YData, *, test_size: float = 0.25, shuffle: bool = True,
    stratify: bool = False, rng: RandomState = None,
) -> tuple[XData, XData, YData, YData]:  # fmt: skip
    """Split samples into a random training set and test set.

    Parameters
    ----------
    X, y : numpy.ndarray or Tensor
        The samples and their targets, with the same number of rows.
    test_size : float or int, default 0.25
        A float in ``(0, 1)`` is the fraction of samples in the test set (rounded up);
        an int is their number. Both sets must be non-empty.
    shuffle : bool, default True
        Draw the test set at random; ``False`` takes the last rows as the test set, in
        order (for data whose order matters, such as a time series).
    stratify : bool, default False
        Keep each class's share of samples (classes are the distinct values of ``y``)
        the same in both sets, as far as whole samples allow. Every class needs at
        least two samples. Needs ``shuffle=True``.
    rng : int, numpy.random.Generator or None
        Seed or generator for the shuffle; ``None`` uses tensorgrad's default generator.

    Returns
    -------
    X_train, X_test, y_train, y_test
        The rows of ``X`` and ``y`` in each set, of the same kind as ``X`` and ``y``
        (copies, never views). With ``shuffle`` each set is in random order.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` have different numbers of rows, ``test_size`` leaves either
        set empty, or a class is too small to stratify.

    Examples
    --------
    >>> import numpy as np
    >>> from tensorgrad.data import train_test_split
    >>> X, y = np.arange(20).reshape(10, 2), np.arange(10)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, rng=0)
    >>> X_train.shape, X_test.shape, sorted(y_train.tolist() + y_test.tolist()) == list(y)
    ((7, 2), (3, 2), True)
    """
    where = "train_test_split"
    X_rows, y_rows = _rows(X, "X", where), _rows(y, "y", where)
    n = _same_length(X_rows, y_rows, where)
    n_test = _test_count(test_size, n, where)
    if stratify and not shuffle:
        raise ValueError(f"{where}: stratify=True needs shuffle=True")

    if not shuffle:
        train, test = np.arange(n - n_test), np.arange(n - n_test, n)
    elif stratify:
        train, test = _stratified(np.asarray(y_rows), n_test, as_generator(rng, where), where)
    else:
        order = as_generator(rng, where).permutation(n)
        train, test = order[n_test:], order[:n_test]
    return X_rows[train], X_rows[test], y_rows[train], y_rows[test]


def batches(
    X: XData, y: YData, batch_size: int, shuffle: bool = True, rng: RandomState = None,
    *, drop_last: bool = False,
) -> Iterator[tuple[XData, YData]]:  # fmt: skip
    """Mini-batches ``(X_batch, y_batch)`` covering every sample once: one epoch.

    Call it once per epoch. To get a new order each epoch that is still reproducible,
    create one generator for the whole run (or call ``tg.manual_seed`` once and leave
    ``rng=None``); an int seed gives the same order every time it is passed.

    Parameters
    ----------
    X, y : numpy.ndarray or Tensor
        The samples and their targets, with the same number of rows.
    batch_size : int
        Samples per batch; the last batch is smaller when ``batch_size`` does not divide
        the number of samples (unless ``drop_last``).
    shuffle : bool, default True
        Visit the samples in a random order; ``False`` keeps their order, and array
        batches are then views of ``X`` and ``y`` rather than copies.
    rng : int, numpy.random.Generator or None
        Seed or generator for the shuffle; ``None`` uses tensorgrad's default generator.
    drop_last : bool, default False
        Skip the last batch if it is smaller than ``batch_size``.

    Yields
    ------
    X_batch, y_batch
        The rows of one batch, of the same kind as ``X`` and ``y``.

    Raises
    ------
    ValueError
        If ``batch_size`` is less than 1 or ``X`` and ``y`` have different numbers of
        rows (raised by the call itself, before iterating).

    Examples
    --------
    >>> import numpy as np
    >>> from tensorgrad.data import batches
    >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> [y_batch.tolist() for _, y_batch in batches(X, y, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> rng = np.random.default_rng(0)  # one generator for the whole run
    >>> for epoch in range(2):
    ...     seen = np.concatenate([y_batch for _, y_batch in batches(X, y, 2, rng=rng)])
    ...     print(sorted(seen.tolist()))
    [0, 1, 2, 3, 4]
    [0, 1, 2, 3, 4]
    """
    where = "batches"
    X_rows, y_rows = _rows(X, "X", where), _rows(y, "y", where)
    n = _same_length(X_rows, y_rows, where)
    size = check_int(batch_size, "batch_size", where, 1)
    # The order is drawn here, not on the first next(), so errors and the generator's
    # state do not depend on when iteration starts.
    order = as_generator(rng, where).permutation(n) if shuffle else None
    stop = n - n % size if drop_last else n
    return _batches(X_rows, y_rows, order, size, stop)


def _batches(
    X: Any, y: Any, order: np.ndarray | None, size: int, stop: int
) -> Iterator[tuple[Any, Any]]:
    for start in range(0, stop, size):
        rows = slice(start, start + size) if order is None else order[start : start + size]
        yield X[rows], y[rows]


def _rows(data: Any, name: str, where: str) -> Any:
    """``data`` as an array or tensor with at least one axis (its samples); typed ``Any``
    because the type checker cannot see the indexing ``Tensor`` gets from its ops."""
    if not isinstance(data, np.ndarray | Tensor):
        data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError(f"{where}: {name} must have one row per sample, got a 0-d value")
    return data


def _same_length(X: Any, y: Any, where: str) -> int:
    if len(X) != len(y):
        raise ValueError(
            f"{where}: X has {len(X)} samples (shape {tuple(X.shape)}) but y has {len(y)} "
            f"(shape {tuple(y.shape)}); they need one row per sample each"
        )
    return len(X)


def _test_count(test_size: Any, n: int, where: str) -> int:
    """The number of test samples; both sets must keep at least one."""
    if isinstance(test_size, bool | np.bool_):
        raise TypeError(f"{where}: test_size must be a float or an int, got {test_size!r}")
    if isinstance(test_size, int | np.integer):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(
                f"{where}: test_size={n_test} samples must lie in [1, {n - 1}] so that "
                f"neither set of the {n} samples is empty"
            )
        return n_test
    fraction = float(test_size)
    if not 0 < fraction < 1:
        raise ValueError(
            f"{where}: a fractional test_size must lie in (0, 1), got {test_size!r}; "
            "pass an int for a number of samples"
        )
    # round() first so that 0.3 * 10 = 3.0000000000000004 gives 3 test samples, not 4
    n_test = math.ceil(round(fraction * n, 9))
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"{where}: test_size={test_size!r} of {n} samples gives {n_test} test samples, "
            "leaving one of the sets empty; at least 2 samples are needed"
        )
    return n_test


def _stratified(
    labels: np.ndarray, n_test: int, generator: np.random.Generator, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices with each class's share of the test set proportional to
    its size (largest remainders get the leftover samples, ties broken at random)."""
    if labels.ndim != 1:
        raise ValueError(
            f"{where}: stratify needs y to be 1-D class labels, got shape {labels.shape}"
        )
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        smallest = classes[np.argmin(counts)].item()
        raise ValueError(
            f"{where}: class {smallest!r} has only 1 sample; stratify needs at least 2 "
            "per class (or pass stratify=False)"
        )
    ideal = counts * n_test / len(labels)
    take = np.floor(ideal).astype(np.int64)
    shuffled = generator.permutation(len(classes))
    by_remainder = shuffled[np.argsort(-(ideal - take)[shuffled], kind="stable")]
    take[by_remainder[: n_test - take.sum()]] += 1

    train, test = [], []
    for label, n_label in enumerate(take):
        members = generator.permutation(np.flatnonzero(inverse == label))
        test.append(members[:n_label])
        train.append(members[n_label:])
    return generator.permutation(np.concatenate(train)), generator.permutation(np.concatenate(test))
