"""MNIST from the four standard IDX files in a folder the user gives (no download here).

An IDX file is a 4-byte magic number — two zero bytes, a type code (0x08 for unsigned
bytes) and the number of dimensions — then each dimension as a big-endian uint32, then
the values in C order. MNIST's images are ``0x00000803`` (bytes, 3 dims: count, rows,
columns) and its labels ``0x00000801`` (bytes, 1 dim). Fashion-MNIST ships the same
four file names and format, so ``load_mnist`` reads it too.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .._argument_checks import check_float_dtype

MNIST_PAGE = "http://yann.lecun.com/exdb/mnist/"
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}  # fmt: skip
_GZIP_MAGIC = b"\x1f\x8b"

PathLike = str | os.PathLike


def read_idx(file: PathLike) -> np.ndarray:
    """The array stored in one IDX file, raw or gzip-compressed.

    Compression is recognised from the content, not the name: browsers sometimes
    unpack a download but keep its ``.gz`` suffix.

    Parameters
    ----------
    file : str or os.PathLike
        The IDX file.

    Returns
    -------
    numpy.ndarray
        A writable array in native byte order with the shape the header gives.

    Raises
    ------
    ValueError
        If the file is not IDX (bad magic number), is truncated, has bytes after the
        data, or is a damaged gzip file; the message names the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tensorgrad.data import read_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = pathlib.Path(folder, "two-by-three-idx2-ubyte")
    ...     _ = file.write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]))
    ...     read_idx(file)
    array([[1, 2, 3],
           [4, 5, 6]], dtype=uint8)
    """
    return _read_idx(Path(file).expanduser(), expected_magic=None)


def load_mnist(
    path: PathLike, kind: str = "train", *, scaled: bool = True, flatten: bool = True,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The MNIST training or test set, read from the standard IDX files in ``path``.

    The folder must hold ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``
    (for ``kind="train"``, 60,000 images) or ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (for ``kind="test"``, 10,000 images), each raw or with a
    ``.gz`` suffix, as downloaded from http://yann.lecun.com/exdb/mnist/ or the mirror
    https://ossci-datasets.s3.amazonaws.com/mnist/. Nothing is downloaded or cached.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding the files.
    kind : {"train", "test"}, default "train"
        Which set to read; call twice for both.
    scaled : bool, default True
        Divide the pixels (0..255) by 255, so ``X`` lies in ``[0, 1]``; ``False`` keeps
        0..255 (still in a float dtype).
    flatten : bool, default True
        Return ``X`` with shape ``(n, 784)``, one row per image; ``False`` keeps
        ``(n, 28, 28)``.
    dtype : floating dtype, optional
        The dtype of ``X``; default ``tg.get_default_dtype()``. The 60,000 training
        images take 376 MB as float64, half that as float32.

    Returns
    -------
    X : numpy.ndarray
        The images, in file order.
    y : numpy.ndarray of int64, shape (n,)
        The digit each image shows.

    Raises
    ------
    FileNotFoundError
        If the folder or one of the two files is missing; the message says where to get
        them.
    ValueError
        If ``kind`` is unknown, a file is not the expected IDX file (wrong magic
        number), is truncated or damaged, or the two files disagree on the number of
        images.

    Examples
    --------
    Typical use, after downloading the four files into ``~/data/mnist``:

    >>> X_train, y_train = load_mnist("~/data/mnist")                 # doctest: +SKIP
    >>> X_test, y_test = load_mnist("~/data/mnist", kind="test")      # doctest: +SKIP

    A runnable example on two blank 28x28 test images labelled 7 and 2:

    >>> import gzip, pathlib, tempfile
    >>> from tensorgrad.data import load_mnist
    >>> images = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes(2 * 784)
    >>> labels = bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 2])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = pathlib.Path(folder, "t10k-images-idx3-ubyte").write_bytes(images)
    ...     _ = pathlib.Path(folder, "t10k-labels-idx1-ubyte.gz").write_bytes(
    ...         gzip.compress(labels))
    ...     X, y = load_mnist(folder, kind="test")
    >>> X.shape, y
    ((2, 784), array([7, 2]))
    """
    if kind not in _FILES:
        raise ValueError(f"load_mnist: kind must be 'train' or 'test', got {kind!r}")
    dtype = check_float_dtype(dtype, "dtype", "load_mnist")
    folder = Path(path).expanduser()
    if not folder.exists():
        raise FileNotFoundError(
            f"load_mnist: the folder {str(folder)!r} does not exist; {_where_to_get()}"
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            f"load_mnist: {str(folder)!r} is a file; pass the folder that holds the four "
            "MNIST files"
        )
    images_name, labels_name = _FILES[kind]
    images_file, labels_file = _find(folder, images_name), _find(folder, labels_name)
    images = _read_idx(images_file, expected_magic=_IMAGES_MAGIC)
    labels = _read_idx(labels_file, expected_magic=_LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"load_mnist: {images_file.name} holds {len(images)} images but "
            f"{labels_file.name} holds {len(labels)} labels; the two files must come from "
            "the same set"
        )
    X = images.reshape(len(images), -1) if flatten else images
    X = X.astype(dtype)
    if scaled:
        X /= 255
    return X, labels.astype(np.int64)


def _where_to_get() -> str:
    return (
        f"download the four MNIST files from {MNIST_PAGE} (or the mirror {MNIST_MIRROR}) "
        "into it, gzipped or not"
    )


def _find(folder: Path, name: str) -> Path:
    """``folder/name``, or its ``.gz`` version; the raw file wins (it reads faster)."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"load_mnist: found neither {name} nor {name}.gz in {str(folder)!r}; {_where_to_get()}"
    )


def _read_idx(file: Path, expected_magic: int | None) -> np.ndarray:
    data = file.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt stream
            raise ValueError(f"{file}: damaged gzip file ({exc})") from None

    if len(data) < 4:
        raise ValueError(
            f"{file}: {len(data)} bytes is too short for an IDX file (a 4-byte magic number "
            "and the dimensions come first); the file is truncated or empty"
        )
    magic = int.from_bytes(data[:4], "big")
    type_code, ndim = data[2], data[3]
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"{file}: bad magic number 0x{magic:08X}, expected 0x{expected_magic:08X} "
            f"({_describe(expected_magic)}); is it the right file, or not IDX at all?"
        )
    if data[:2] != b"\0\0" or type_code not in _IDX_TYPES:
        raise ValueError(
            f"{file}: bad magic number 0x{magic:08X}; an IDX file starts with two zero "
            "bytes, a type code (0x08, 0x09, 0x0B-0x0E) and the number of dimensions"
        )

    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{file}: truncated inside the header (needs {header} bytes for {ndim} "
            f"dimensions, the file has {len(data)})"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise ValueError(
            f"{file}: truncated: the header promises shape {shape} ({expected} bytes of "
            f"data) but only {actual} bytes follow it; download the file again"
        )
    if actual > expected:
        raise ValueError(
            f"{file}: {actual - expected} unexpected bytes after the data of shape {shape} "
            f"({expected} bytes); the file is damaged or not IDX"
        )
    values = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def _describe(magic: int) -> str:
    kind = {_IMAGES_MAGIC: "images", _LABELS_MAGIC: "labels"}.get(magic, "IDX data")
    return f"MNIST {kind}: unsigned bytes in {magic & 0xFF} dimension(s)"
