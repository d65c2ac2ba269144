"""Checkpoints: ``save`` a nested state dict to one ``.npz`` file and ``load`` it back.

The file is an ordinary ``.npz`` archive that never contains pickled data. Every array
(and every NumPy scalar) is a member ``a0``, ``a1``, ...; the structure around them is a
JSON manifest in the member ``__tensorgrad__``, stored as a 0-d NumPy unicode array::

    {"format": "tensorgrad.checkpoint", "version": 1, "root": <node>}

where a node is ``null``, ``true``/``false``, a JSON int, a JSON string, or a one-key
object: ``{"float": repr}``, ``{"list": [...]}``, ``{"tuple": [...]}``,
``{"dict": [[key, node], ...]}`` (keys are JSON strings or ints, in order), or
``{"array" | "tensor" | "scalar": member}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zipfile
import zlib
from typing import Any

import numpy as np

from .tensor import Tensor

_MANIFEST = "__tensorgrad__"
_FORMAT = "tensorgrad.checkpoint"
_VERSION = 1
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: all need no pickle
_SUPPORTED = (
    "dict (str or int keys), list, tuple, Tensor, numpy arrays and scalars of bool, int, "
    "float or complex dtype, int, float, bool, str and None"
)


def save(state_dict: Any, path: str | os.PathLike[str]) -> None:
    """Write ``state_dict`` to ``path`` as a ``.npz`` checkpoint, atomically.

    ``state_dict`` may nest dicts (str or int keys), lists and tuples of Tensors, NumPy
    arrays and scalars (bool/int/float/complex dtypes), and Python ints, floats, bools,
    strs and None. The file goes to exactly ``path``; no ``.npz`` suffix is added.
    Tensors are saved as their data (``requires_grad`` is not kept); dict, list and tuple
    subclasses come back as the plain type.

    The data is written to a temporary file next to ``path`` and renamed over it only
    once complete, so a crash leaves either the old file or the new one, never half.

    Parameters
    ----------
    state_dict : nested dict, list or tuple
        For example ``model.state_dict()`` or
        ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
    path : str or os.PathLike
        The file to write; its folder must exist.

    Raises
    ------
    TypeError
        A value (or dict key) of an unsupported type, or an object-dtype array; the
        message names its key path.
    FileNotFoundError
        The folder of ``path`` does not exist.
    IsADirectoryError
        ``path`` is a directory.

    Examples
    --------
    >>> import os, tempfile, tensorgrad as tg
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> tg.save({"weight": tg.ones((2, 3)), "epoch": 3}, path)
    >>> checkpoint = tg.load(path)
    >>> checkpoint["weight"].shape, checkpoint["epoch"]
    ((2, 3), 3)
    """
    members: dict[str, np.ndarray] = {}
    manifest = {"format": _FORMAT, "version": _VERSION, "root": _encode(state_dict, "", members)}
    members[_MANIFEST] = np.array(json.dumps(manifest))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"save: cannot write {path!r}: the folder {folder!r} does not exist; create it "
            "first (os.makedirs(folder, exist_ok=True))"
        )
    if os.path.isdir(path):
        # Checked here: the rename below would otherwise fail naming the hidden temp file.
        raise IsADirectoryError(
            f"save: {path!r} is a directory; pass a file path, e.g. "
            f"os.path.join({path!r}, 'checkpoint.npz')"
        )
    # A hidden sibling, so the final rename stays on one file system and is atomic.
    # os.open with 0o666 lets the umask set the final file's permissions as open() would.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, allow_pickle=False, **members)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Also on KeyboardInterrupt: the old checkpoint is untouched, drop the partial one.
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    # The rename itself lives in the folder's entry, which must reach the disk too to
    # survive a power cut; some file systems refuse to fsync a folder, and that is fine.
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder_fd)
            finally:
                os.close(folder_fd)


def load(path: str | os.PathLike[str]) -> Any:
    """Read a checkpoint written by :func:`save`; nothing in it is ever unpickled.

    Returns the saved structure with the same types: dicts (int keys stay ints), lists,
    tuples, Tensors (``requires_grad=False``), arrays with their dtype and shape, NumPy
    scalars, and Python ints, floats, bools, strs and None.

    Parameters
    ----------
    path : str or os.PathLike
        Exactly the path given to :func:`save`.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is empty, truncated, corrupt, holds pickled (object) data, or is not a
        tensorgrad checkpoint (for example written by ``numpy.savez``).

    Examples
    --------
    >>> import os, tempfile, numpy as np, tensorgrad as tg
    >>> path = os.path.join(tempfile.mkdtemp(), "optim.npz")
    >>> tg.save({"state": {0: {"step": 3}}, "betas": (0.9, 0.999)}, path)
    >>> tg.load(path)
    {'state': {0: {'step': 3}}, 'betas': (0.9, 0.999)}
    """
    path = os.fspath(path)
    try:
        file = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"load: no checkpoint at {path!r}; check the path (tg.save writes exactly the "
            "path it is given, without adding '.npz')"
        ) from None
    except IsADirectoryError:
        raise IsADirectoryError(
            f"load: {path!r} is a folder; pass the path of the checkpoint file inside it"
        ) from None
    with file:
        if file.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ValueError(
                f"load: {path!r} is not a tensorgrad checkpoint: it is empty or not an .npz "
                "(zip) archive; pass a file written by tg.save"
            )
        file.seek(0)
        members = _read_members(file, path)
    try:
        text: Any = members[_MANIFEST][()]  # the 0-d array's element: a str if not corrupt
        manifest = json.loads(text)
        found = (manifest["format"], manifest["version"])
    except (TypeError, ValueError, KeyError, IndexError) as error:
        raise ValueError(
            f"load: {path!r} has an unreadable manifest ({error}); the file is corrupt, "
            "save it again"
        ) from None
    if found != (_FORMAT, _VERSION):
        raise ValueError(
            f"load: {path!r} has format {found}, this tensorgrad reads only "
            f"{(_FORMAT, _VERSION)}; a newer version needs a newer tensorgrad"
        )
    try:
        return _decode(manifest["root"], members)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        raise ValueError(
            f"load: {path!r} has a corrupt manifest ({error!r}); the file cannot be read, "
            "save it again"
        ) from None


def _read_members(file: Any, path: str) -> dict[str, np.ndarray]:
    # NpzFile reads lazily, so truncation or pickled data only shows when a member is read.
    name = None
    try:
        with np.load(file, allow_pickle=False) as archive:
            names = archive.files
            members = {}
            if _MANIFEST in names:  # a foreign archive is refused unread
                for name in names:
                    members[name] = archive[name]
                    if not isinstance(members[name], np.ndarray):
                        raise ValueError("it is not a .npy array")
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, OSError) as error:
        where = f", member {name!r}" if name else ""
        why = (
            "it holds pickled Python objects, which tg.load never unpickles"
            if "pickle" in str(error)
            else "the file is truncated or corrupt"
        )
        raise ValueError(
            f"load: cannot read {path!r}{where} ({error}): {why}; use a file written by tg.save"
        ) from None
    if not members:
        raise ValueError(
            f"load: {path!r} is not a tensorgrad checkpoint: it has no {_MANIFEST!r} member "
            f"(members: {sorted(names)[:10]}); an archive written by numpy.savez can be "
            "read with numpy.load"
        )
    return members


def _encode(value: Any, key_path: str, members: dict[str, np.ndarray]) -> Any:
    # Numpy scalars first: np.float64 is a float and np.str_ a str, but only the former
    # keeps its NumPy type, as a 0-d member.
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return {"scalar": _add_member(np.asarray(value), key_path, members)}
    if value is None or isinstance(value, bool | int | str):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return {"float": repr(float(value))}  # repr is exact, and covers nan and inf
    if isinstance(value, Tensor):
        return {"tensor": _add_member(value.data, key_path, members)}
    if isinstance(value, np.ndarray):
        return {"array": _add_member(np.asarray(value), key_path, members)}
    if isinstance(value, list | tuple):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(v, f"{key_path}[{i}]", members) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        items = []
        for key, v in value.items():
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise TypeError(
                    f"save: the key {key!r} at {key_path or 'the top level'} is a "
                    f"{type(key).__name__}; dict keys must be str or int"
                )
            items.append([key, _encode(v, f"{key_path}[{key!r}]", members)])
        return {"dict": items}
    raise TypeError(
        f"save: the value at {key_path or 'the top level'} is a {type(value).__name__}, "
        f"which cannot be saved; supported: {_SUPPORTED}"
    )


def _add_member(array: np.ndarray, key_path: str, members: dict[str, np.ndarray]) -> str:
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(
            f"save: the array at {key_path or 'the top level'} has dtype {array.dtype}; "
            "only bool, int, float and complex arrays can be saved (no pickle)"
        )
    name = f"a{len(members)}"
    members[name] = array
    return name


def _decode(node: Any, members: dict[str, np.ndarray]) -> Any:
    if not isinstance(node, dict):
        return node
    ((kind, body),) = node.items()
    if kind == "dict":
        return {key: _decode(v, members) for key, v in body}
    if kind in ("list", "tuple"):
        items = [_decode(v, members) for v in body]
        return items if kind == "list" else tuple(items)
    if kind == "float":
        return float(body)
    array = members[body]
    if kind == "array":
        return array
    if kind == "tensor":
        return Tensor(array)
    if kind == "scalar":
        return array[()]
    raise ValueError(f"unknown node kind {kind!r}")
