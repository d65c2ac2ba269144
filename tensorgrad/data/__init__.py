"""Datasets and the tools that feed them to a training loop.

Loaders and generators return ``(X, y)`` as NumPy arrays (``X`` in the default float
dtype, ``y`` int64 labels), like scikit-learn; ``train_test_split`` and ``batches``
accept arrays or tensors and return the kind they were given.

>>> import tensorgrad as tg
>>> from tensorgrad.data import batches, load_digits, train_test_split
>>> X, y = load_digits()
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, rng=0)
>>> X_batch, y_batch = next(batches(tg.tensor(X_train), y_train, 32, rng=0))
>>> X_batch.shape, y_batch.shape
((32, 64), (32,))
"""

from .datasets import load_digits, make_moons, make_spirals
from .loading import batches, train_test_split
from .mnist import load_mnist, read_idx

__all__ = [
    "batches", "load_digits", "load_mnist", "make_moons", "make_spirals", "read_idx",
    "train_test_split",
]  # fmt: skip
