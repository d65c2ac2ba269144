"""The modes of the engine, per thread: grad mode, anomaly mode; and the version clock.

Grad mode (``no_grad``, ``enable_grad``) and anomaly mode (``detect_anomaly``) belong to
the thread that sets them, as in PyTorch. The clock numbers the graph's nodes in
creation order and stamps in-place edits (``record_edit``), so an op can tell whether
what it saved was edited after it was made.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from threading import get_ident
from typing import Any, NoReturn

import numpy as np


class _Modes(threading.local):
    """This thread's modes. A new thread starts with grad on and anomaly checks off, as
    in PyTorch, whatever the thread that started it was doing."""

    grad = True
    anomaly = False


_modes = _Modes()

# The threads in a mode other than the default (grad on, anomaly off), by ident. The hot
# path reads whether this set is empty (one global) and looks at its own thread's modes
# only when it is not. A thread adds or removes only itself, in one atomic set operation.
_unusual_threads: set[int] = set()


# One clock orders the nodes (a topological order: a consumer is created after its
# inputs) and stamps in-place edits: an edit after a node was made has a larger number.
_sequence = itertools.count(1)

_edits = 0  # the stamp of the last in-place edit, across all tensors

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> with tg.no_grad():
    ...     tg.is_grad_enabled()
    False
    """
    return _modes.grad


def _set_modes(grad: bool, anomaly: bool) -> None:
    """Set this thread's modes, and whether it is among the threads not in the default."""
    modes = _modes
    modes.grad, modes.anomaly = bool(grad), bool(anomaly)
    # After its own modes: from here on this thread's ops see the set non-empty (leaving
    # the default), or read modes that are the default again (returning).
    if anomaly or not grad:
        _unusual_threads.add(get_ident())
    else:
        _unusual_threads.discard(get_ident())


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    previous = _modes.grad
    _set_modes(enabled, _modes.anomaly)
    try:
        yield
    finally:
        _set_modes(previous, _modes.anomaly)


def no_grad() -> Any:
    """Context manager under which operations record no graph (in this thread only).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor([1.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    return _grad_mode(False)


def enable_grad() -> Any:
    """Context manager that re-enables graph recording, e.g. inside ``no_grad``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> with tg.no_grad(), tg.enable_grad():
    ...     tg.is_grad_enabled()
    True
    """
    return _grad_mode(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``FloatingPointError`` at the first NaN or infinity in a forward or backward result.

    The error names the operation and the line of user code that created it. Like grad
    mode, it holds in the thread that enters it, not in others.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> try:
    ...     with tg.detect_anomaly(), np.errstate(invalid="ignore"):
    ...         tg.log(tg.tensor([-1.0]))
    ... except FloatingPointError as error:
    ...     print(str(error)[:25])
    log: forward produced NaN
    """
    previous = _modes.anomaly
    _set_modes(_modes.grad, True)
    try:
        yield
    finally:
        _set_modes(_modes.grad, previous)


def _user_line() -> str:
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f'File "{frame.f_code.co_filename}", line {frame.f_lineno}, in {frame.f_code.co_name}'


def _check_finite(value: Any, op: str, what: str, where: str) -> None:
    data = getattr(value, "_data", value)  # a tensor's array, or the array itself
    if isinstance(data, np.generic):  # 0-d arithmetic gives NumPy scalars
        data = np.asarray(data)
    if isinstance(data, np.ndarray) and data.dtype.kind in "fc" and not np.isfinite(data).all():
        kind = "NaN" if np.isnan(data).any() else "infinity"
        raise FloatingPointError(
            f"{op}: {what} produced {kind} (detect_anomaly); the op was created at {where}. "
            "Check its inputs there, or use a stable formula (e.g. tg.log_softmax, tg.logsumexp)."
        )


def record_edit(tensor: Any) -> None:
    """Note an in-place edit of ``tensor``, so ops that saved it refuse to backward.

    Versions are stamps from the clock that also numbers the nodes: an op compares the
    stamps of what it saved with its own number, which costs nothing per op while no
    edit happens. Tensors that share memory (views, ``detach()``) stamp their base
    too, so an edit through any of them is seen by ops that saved another.
    """
    global _edits
    _edits = tensor._version = next(_sequence)
    if tensor._node is not None:
        tensor._node._out_edited = True
    try:  # leaves (what optimizers edit) have the slot; op results set it only for views
        base = tensor._base
    except AttributeError:
        return
    if base is not None:
        record_edit(base)


def version(tensor: Any) -> int:
    """The stamp of the last in-place edit of ``tensor`` or of the memory it shares."""
    base = getattr(tensor, "_base", None)
    own = getattr(tensor, "_version", 0)
    return own if base is None else max(own, getattr(base, "_version", 0))


def _raise_modified(op: str, what: str) -> NoReturn:
    raise RuntimeError(
        f"{op}: {what} was modified in place after the op saved it for backward, so its "
        "gradient would be wrong. Modify a copy instead (x = x + 1 rather than x += 1 or "
        "x.data[...] = ...), or do the edit before building the graph."
    )
