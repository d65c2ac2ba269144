"""Small datasets that need no download: the bundled 8x8 digits, spirals and two moons.

Every function returns ``(X, y)`` as NumPy arrays, as scikit-learn does: ``X`` in the
default float dtype (or ``dtype=``), ``y`` int64 class labels. Wrap them with
``tg.tensor`` or hand them to :func:`tensorgrad.data.batches`, which accepts both.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np

from .._argument_checks import NONNEGATIVE, check_float_dtype, check_int, check_real
from ..creation import RandomState, as_generator

# One spiral arm sweeps this many radians from the centre to radius 1 (CS231n's value).
_ARM_SWEEP = 4.0


def load_digits(
    *, scaled: bool = True, flatten: bool = True, dtype: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The UCI optical-recognition handwritten digits, bundled with tensorgrad.

    1,797 grey-scale images of 8x8 pixels, each pixel a count of 0..16 (the number of
    ink pixels in a 4x4 block of the original 32x32 bitmap), with labels 0..9, about 180
    per class. The copy is scikit-learn's ``load_digits`` data; see ``DIGITS.md`` next to
    this module for its source and licence.

    Parameters
    ----------
    scaled : bool, default True
        Divide the pixels by 16, so ``X`` lies in ``[0, 1]``. ``False`` keeps the raw
        counts 0..16 (still in a float dtype).
    flatten : bool, default True
        Return ``X`` with shape ``(1797, 64)``, one row per image; ``False`` gives
        ``(1797, 8, 8)``.
    dtype : floating dtype, optional
        The dtype of ``X``; default ``tg.get_default_dtype()``.

    Returns
    -------
    X : numpy.ndarray
        The images, in the order of the source file.
    y : numpy.ndarray of int64, shape (1797,)
        The digit each image shows.

    Examples
    --------
    >>> from tensorgrad.data import load_digits
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, float(X.max()), y[:5]
    ((1797, 64), dtype('float64'), 1.0, array([0, 1, 2, 3, 4]))
    """
    dtype = check_float_dtype(dtype, "dtype", "load_digits")
    source = resources.files(__package__).joinpath("digits.npz")
    with source.open("rb") as file, np.load(file, allow_pickle=False) as archive:
        images, target = archive["images"], archive["target"]
    X = images.reshape(len(images), -1) if flatten else images
    X = X.astype(dtype)
    if scaled:
        X /= 16
    return X, target.astype(np.int64)


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, *, noise: float = 0.2,
    rng: RandomState = None, dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Interleaved spiral arms in the plane, one per class (the CS231n toy problem).

    Arm ``k`` has points at radii evenly spaced over ``[0, 1]``; the angle grows linearly
    over 4 radians along the arm, starting at ``2 pi k / n_classes``, plus Gaussian noise
    of standard deviation ``noise`` (radians). No linear classifier separates the arms.
    (CS231n starts arm ``k`` at ``4 k`` radians; even spacing keeps any number of arms
    apart.)

    Parameters
    ----------
    n_per_class : int, default 100
        Points on each arm.
    n_classes : int, default 3
        Number of arms, labelled ``0 .. n_classes - 1``.
    noise : float, default 0.2
        Standard deviation of the angle noise; 0 puts every point exactly on its arm.
    rng : int, numpy.random.Generator or None
        Seed or generator for the noise; ``None`` uses tensorgrad's default generator
        (``tg.manual_seed`` reseeds it).
    dtype : floating dtype, optional
        The dtype of ``X``; default ``tg.get_default_dtype()``.

    Returns
    -------
    X : numpy.ndarray, shape (n_per_class * n_classes, 2)
        The points, grouped by class (arm 0 first), each arm from the centre outwards.
    y : numpy.ndarray of int64
        The arm of each point.

    Examples
    --------
    >>> import numpy as np
    >>> from tensorgrad.data import make_spirals
    >>> X, y = make_spirals(50, 3, rng=0)
    >>> X.shape, y.shape, [int(c) for c in np.bincount(y)]
    ((150, 2), (150,), [50, 50, 50])
    """
    where = "make_spirals"
    n = check_int(n_per_class, "n_per_class", where, 1)
    k = check_int(n_classes, "n_classes", where, 1)
    noise = check_real(noise, "noise", where, NONNEGATIVE)
    generator = as_generator(rng, where)
    dtype = check_float_dtype(dtype, "dtype", where)

    y = np.repeat(np.arange(k, dtype=np.int64), n)
    radius = np.tile(np.linspace(0.0, 1.0, n), k)
    angle = 2 * np.pi * y / k + np.tile(np.linspace(0.0, _ARM_SWEEP, n), k)
    if noise > 0:  # noise 0 leaves the shared generator untouched
        angle += noise * generator.standard_normal(n * k)
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return X.astype(dtype), y


def make_moons(
    n_samples: int = 100, *, noise: float = 0.0, rng: RandomState = None, dtype: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's ``make_moons`` defines them.

    Class 0 lies on the upper half of the unit circle around ``(0, 0)``, class 1 on the
    lower half of the unit circle around ``(1, 0.5)``; each half circle's points are
    evenly spaced in angle over ``[0, pi]``. Gaussian noise of standard deviation
    ``noise`` is then added to both coordinates.

    Parameters
    ----------
    n_samples : int, default 100
        Total number of points: ``n_samples // 2`` in class 0, the rest in class 1.
    noise : float, default 0.0
        Standard deviation of the noise added to each coordinate.
    rng : int, numpy.random.Generator or None
        Seed or generator for the noise; ``None`` uses tensorgrad's default generator
        (``tg.manual_seed`` reseeds it).
    dtype : floating dtype, optional
        The dtype of ``X``; default ``tg.get_default_dtype()``.

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 2)
        The points, grouped by class (class 0 first). Unlike scikit-learn, they are not
        shuffled; ``train_test_split`` and ``batches`` shuffle.
    y : numpy.ndarray of int64, shape (n_samples,)
        The moon of each point.

    Examples
    --------
    >>> from tensorgrad.data import make_moons
    >>> X, y = make_moons(6)
    >>> X.round(2)
    array([[ 1. ,  0. ],
           [ 0. ,  1. ],
           [-1. ,  0. ],
           [ 0. ,  0.5],
           [ 1. , -0.5],
           [ 2. ,  0.5]])
    >>> y
    array([0, 0, 0, 1, 1, 1])
    """
    where = "make_moons"
    n = check_int(n_samples, "n_samples", where, 2)
    noise = check_real(noise, "noise", where, NONNEGATIVE)
    generator = as_generator(rng, where)
    dtype = check_float_dtype(dtype, "dtype", where)

    n_outer = n // 2
    n_inner = n - n_outer
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n_inner)
    X = np.concatenate([
        np.stack([np.cos(outer), np.sin(outer)], axis=1),
        np.stack([1 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
    ])  # fmt: skip
    if noise > 0:  # noise 0 leaves the shared generator untouched
        X += generator.normal(scale=noise, size=X.shape)
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return X.astype(dtype), y
